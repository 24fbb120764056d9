<#
.SYNOPSIS
Build the four mostlylucid-nmt images with version labels and tags (build-all.sh does the same on Linux/macOS).

.DESCRIPTION
  .\build-all.ps1            local build of all four variants for this machine's platform
  .\build-all.ps1 -Push      CPU variants for linux/amd64 + linux/arm64, GPU variants for linux/amd64, pushed
                             with docker buildx (log in first)
  .\build-all.ps1 -DryRun    print the commands instead of running them

Tags per variant: cpu-full latest, cpu; cpu-min; gpu-full gpu; gpu-min; each also with -VERSION
(cpu-VERSION, cpu-min-VERSION, gpu-VERSION, gpu-min-VERSION).

.PARAMETER Repo
Image repositories (default scottgal/mostlylucid-nmt).
.PARAMETER Variant
cpu-full, cpu-min, gpu-full and/or gpu-min (default all four).
.PARAMETER Version
Version label and tag suffix (default the UTC time, yyyyMMdd.HHmmss).
.PARAMETER Preload
Pairs the full images download at build time (default the Dockerfiles' PRELOAD_PAIRS).
.PARAMETER MultiArch
Build the -Push platforms without pushing.
.PARAMETER ExtraArgs
Passed on to every build command, e.g. -ExtraArgs '--build-arg','TORCH_INDEX_URL=...'.
#>
[CmdletBinding()]
param(
    [switch]$Push,
    [switch]$MultiArch,
    [switch]$DryRun,
    [string[]]$Repo = @('scottgal/mostlylucid-nmt'),
    [ValidateSet('cpu-full', 'cpu-min', 'gpu-full', 'gpu-min')]
    [string[]]$Variant = @('cpu-full', 'cpu-min', 'gpu-full', 'gpu-min'),
    [string]$Version = (Get-Date).ToUniversalTime().ToString('yyyyMMdd.HHmmss'),
    [string]$Preload,
    [string[]]$ExtraArgs = @()
)
$ErrorActionPreference = 'Stop'
Set-Location -Path $PSScriptRoot

$Variants = @{
    'cpu-full' = @{ File = 'Dockerfile'; Tags = @('latest', 'cpu'); Platforms = 'linux/amd64,linux/arm64' }
    'cpu-min' = @{ File = 'Dockerfile.min'; Tags = @('cpu-min'); Platforms = 'linux/amd64,linux/arm64' }
    'gpu-full' = @{ File = 'Dockerfile.gpu'; Tags = @('gpu'); Platforms = 'linux/amd64' }
    'gpu-min' = @{ File = 'Dockerfile.gpu.min'; Tags = @('gpu-min'); Platforms = 'linux/amd64' }
}

$BuildDate = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
$VcsRef = (git rev-parse --short HEAD 2>$null)
if (-not $VcsRef) { $VcsRef = 'unknown' }
$Mode = if ($Push) { 'push' } elseif ($MultiArch) { 'multi-arch' } else { 'local' }

function Invoke-Step([string[]]$Command) {
    if ($DryRun) {
        Write-Output ('+ ' + ($Command -join ' '))
    } else {
        & $Command[0] $Command[1..($Command.Length - 1)]
        if ($LASTEXITCODE -ne 0) { throw "failed ($LASTEXITCODE): $($Command -join ' ')" }
    }
}

Write-Output "mostlylucid-nmt images: version $Version, revision $VcsRef, $($Variant -join ' ') ($Mode) -> $($Repo -join ' ')"

if ($Mode -ne 'local') {
    # Several platforms need a buildx builder with the docker-container driver.
    if ($DryRun) {
        Write-Output '+ docker buildx create --name mostlylucid-nmt --driver docker-container --use  # unless the current builder can'
    } elseif ((docker buildx inspect | Select-String -Pattern '^Driver:\s+docker$')) {
        docker buildx inspect mostlylucid-nmt *> $null
        if ($LASTEXITCODE -ne 0) { docker buildx create --name mostlylucid-nmt --driver docker-container | Out-Null }
        docker buildx use mostlylucid-nmt
    }
}

foreach ($name in $Variant) {
    $spec = $Variants[$name]
    $arguments = @(
        '-f', $spec.File,
        '--build-arg', "VERSION=$Version",
        '--build-arg', "BUILD_DATE=$BuildDate",
        '--build-arg', "VCS_REF=$VcsRef"
    )
    if ($PSBoundParameters.ContainsKey('Preload') -and $name.EndsWith('-full')) {
        $arguments += @('--build-arg', "PRELOAD_PAIRS=$Preload")
    }
    foreach ($repository in $Repo) {
        foreach ($tag in $spec.Tags + @("$($spec.Tags[-1])-$Version")) {
            $arguments += @('-t', "${repository}:$tag")
        }
    }
    switch ($Mode) {
        'local' { Invoke-Step (@('docker', 'build') + $arguments + $ExtraArgs + @('.')) }
        'push' { Invoke-Step (@('docker', 'buildx', 'build', '--platform', $spec.Platforms) + $arguments + @('--push') + $ExtraArgs + @('.')) }
        'multi-arch' { Invoke-Step (@('docker', 'buildx', 'build', '--platform', $spec.Platforms) + $arguments + $ExtraArgs + @('.')) }
    }
}

Write-Output "done: $($Variant -join ' ') at version $Version"
