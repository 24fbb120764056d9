<#
.SYNOPSIS
    Validate a running mostlylucid-nmt server against the API it documents.

.DESCRIPTION
    The PowerShell twin of validate-api.sh: the same cases, in the same order, with the same names. EasyNMT's
    endpoints with their exact shapes, the operations endpoints, the error table, metrics, markup formats, the
    LibreTranslate API and the demo page. Each case prints PASS or FAIL with its name; the exit code is 1 when
    any case failed.

    Works in PowerShell 7 and Windows PowerShell 5.1. The translation pair (default en->de) must be one the
    server serves; the sample texts are English, so the auto-detection cases expect "en". The full suite
    expects /metrics on the API port, so METRICS_PORT unset.

.EXAMPLE
    .\validate-api.ps1
.EXAMPLE
    .\validate-api.ps1 -SmokeOnly
.EXAMPLE
    .\validate-api.ps1 -BaseURL http://localhost:8001 -SourceLang en -TargetLang fr
#>
[CmdletBinding()]
param(
    [string]$BaseURL = "http://localhost:8000",
    [switch]$SmokeOnly,
    [string]$SourceLang = "en",
    [string]$TargetLang = "de",
    [int]$TimeoutSec = 120
)

$ErrorActionPreference = "Stop"
$BaseURL = $BaseURL.TrimEnd("/")
$script:Passed = 0
$script:Failed = 0
$script:FailedNames = @()
$S = $SourceLang
$T = $TargetLang

function Expand-Pair([string]$Text) {
    return $Text.Replace("{src}", $SourceLang).Replace("{tgt}", $TargetLang)
}

function Get-Header($Headers, [string]$Name) {
    foreach ($key in @($Headers.Keys)) {
        if ($key -ieq $Name) { return (@($Headers[$key]) -join ",") }
    }
    return ""
}

function Test-Sorted($Items) {
    $items = [string[]]@($Items)
    $sorted = [string[]]@($Items)
    [Array]::Sort($sorted, [StringComparer]::Ordinal)
    return (($items -join ",") -ceq ($sorted -join ","))
}

function Get-Keys($Object) {
    return (@($Object.PSObject.Properties | ForEach-Object { $_.Name }) -join ",")
}

function Invoke-Api([string]$Method, [string]$Path, [string]$Body, [hashtable]$Headers) {
    $request = @{
        Uri             = $BaseURL + (Expand-Pair $Path)
        Method          = $Method
        TimeoutSec      = $TimeoutSec
        UseBasicParsing = $true
        Headers         = $Headers
    }
    if ($Body) {
        $request.Body = [Text.Encoding]::UTF8.GetBytes((Expand-Pair $Body))
        $request.ContentType = "application/json"
    }
    if ($PSVersionTable.PSVersion.Major -ge 7) { $request.SkipHttpErrorCheck = $true }
    try {
        $response = Invoke-WebRequest @request
        $content = $response.Content
        if ($content -is [byte[]]) { $content = [Text.Encoding]::UTF8.GetString($content) }
        return @{ Status = [int]$response.StatusCode; Text = [string]$content; Headers = $response.Headers }
    }
    catch {
        # Windows PowerShell 5.1 throws on 4xx/5xx: the answer is inside the exception.
        $answer = $_.Exception.Response
        if ($null -eq $answer) { return @{ Status = 0; Text = $_.Exception.Message; Headers = @{} } }
        $text = ""
        if ($_.ErrorDetails -and $_.ErrorDetails.Message) { $text = $_.ErrorDetails.Message }
        else {
            $reader = New-Object IO.StreamReader($answer.GetResponseStream())
            $text = $reader.ReadToEnd()
        }
        $headers = @{}
        foreach ($key in $answer.Headers.AllKeys) { $headers[$key] = $answer.Headers[$key] }
        return @{ Status = [int]$answer.StatusCode; Text = $text; Headers = $headers }
    }
}

# Test-Case NAME EXPECTED_STATUS CHECK METHOD PATH [BODY] [HEADERS]. CHECK is a script block given $b (the
# parsed JSON body), $t (the body as text) and $h (the headers); {src} and {tgt} become the language pair.
function Test-Case {
    param(
        [string]$Name,
        [int]$Expected,
        [scriptblock]$Check,
        [string]$Method,
        [string]$Path,
        [string]$Body = "",
        [hashtable]$Headers = @{}
    )
    $answer = Invoke-Api $Method $Path $Body $Headers
    $reason = $null
    if ($answer.Status -eq 0) {
        $reason = "no answer: $($answer.Text)"
    }
    elseif ($answer.Status -ne $Expected) {
        $reason = "status $($answer.Status), expected ${Expected}: $($answer.Text.Substring(0, [Math]::Min(200, $answer.Text.Length)))"
    }
    else {
        $parsed = $null
        try { $parsed = ConvertFrom-Json -InputObject $answer.Text } catch { $parsed = $null }
        try {
            if (-not [bool](& $Check $parsed $answer.Text $answer.Headers)) { $reason = "check failed: $Check" }
        }
        catch { $reason = "check failed: $($_.Exception.Message)" }
    }
    if ($null -eq $reason) {
        $script:Passed++
        Write-Host "PASS  $Name"
    }
    else {
        $script:Failed++
        $script:FailedNames += $Name
        Write-Host "FAIL  ${Name}: $reason"
    }
}

function Write-Group([string]$Title) {
    Write-Host ""
    Write-Host "== $Title"
}

function ConvertTo-JsonText($Value) {
    return (ConvertTo-Json -InputObject $Value -Compress -Depth 5)
}

$EN1 = "Hello world, how are you today?"
$EN2 = "The weather is very nice this morning."
$DE1 = "Guten Morgen, wie geht es dir heute?"
$FR1 = "Bonjour mes amis, comment allez-vous aujourd'hui?"
$TranslateKeys = "target_lang,source_lang,translated,translation_time"
$AutoKeys = "target_lang,source_lang,detected_langs,translated,translation_time"
$Pair = @{ target_lang = "{tgt}"; source_lang = "{src}" }

function Get-TranslateBody($Text, [hashtable]$Extra = @{}) {
    $body = [ordered]@{ text = $Text }
    foreach ($key in $Pair.Keys) { $body[$key] = $Pair[$key] }
    foreach ($key in $Extra.Keys) { $body[$key] = $Extra[$key] }
    return (ConvertTo-JsonText $body)
}

$smokeNote = ""
if ($SmokeOnly) { $smokeNote = ", smoke only" }
Write-Host "Validating $BaseURL, pair $SourceLang->$TargetLang, requests through Invoke-WebRequest$smokeNote"

Write-Group "Smoke"
Test-Case "healthz answers ok" 200 { param($b) $b.status -eq "ok" } GET /healthz
Test-Case "readyz is ready" 200 { param($b) $b.status -eq "ready" -and $b.preloads_pending -eq 0 } GET /readyz
Test-Case "GET /translate translates one text" 200 {
    param($b) $b.target_lang -eq $T -and $b.source_lang -eq $S -and @($b.translated).Count -eq 1 -and "$(@($b.translated)[0])".Trim()
} GET "/translate?target_lang={tgt}&source_lang={src}&text=Hello%20world."
Test-Case "POST /translate translates a string" 200 { param($b) $b.translated -is [string] -and $b.translated.Trim() } `
    POST /translate (Get-TranslateBody $EN1)
Test-Case "GET /language_detection detects German" 200 { param($b) $b -ceq "de" } `
    GET "/language_detection?text=Guten%20Morgen%2C%20wie%20geht%20es%20dir%20heute%3F"
Test-Case "GET /lang_pairs lists the pair" 200 { param($b) @($b) -contains "$S-$T" } GET /lang_pairs
Test-Case "GET /model_name is a bare string" 200 { param($b) $b -is [string] -and $b } GET /model_name

if (-not $SmokeOnly) {
    Write-Group "Health and observability"
    Test-Case "cache shows models and admission state" 200 {
        param($b) $null -ne $b.loaded -and $b.capacity -ge 1 -and $b.inflight -ge 0 -and $b.queue_limit -ge 0
    } GET /cache
    Test-Case "cache lists recent batches" 200 {
        param($b, $t) $t -match '"recent_batch_sizes":\s*\[' -and $t -match '"queue_depths":\s*\{'
    } GET /cache
    Test-Case "request id is echoed" 200 { param($b, $t, $h) (Get-Header $h "X-Request-ID") -eq "validate-api-1" } `
        GET /healthz "" @{ "X-Request-ID" = "validate-api-1" }
    Test-Case "request id is generated when absent" 200 { param($b, $t, $h) (Get-Header $h "X-Request-ID").Length -ge 16 } `
        GET /healthz
    Test-Case "translation reports model and timings in headers" 200 {
        param($b, $t, $h)
        (Get-Header $h "X-Model-Name") -and (Get-Header $h "X-Model-Family") -and
        [double](Get-Header $h "X-Queue-Time-Ms") -ge 0 -and [double](Get-Header $h "X-Inference-Time-Ms") -ge 0
    } POST /translate (Get-TranslateBody $EN2)

    Write-Group "Translation"
    Test-Case "POST list keeps the list shape" 200 {
        param($b) $b.translated -isnot [string] -and @($b.translated).Count -eq 2 -and
        -not (@($b.translated) | Where-Object { -not "$_".Trim() })
    } POST /translate (Get-TranslateBody @($EN1, $EN2))
    Test-Case "translation_time is seconds as a number" 200 {
        param($b) $b.translation_time -is [double] -and $b.translation_time -ge 0 -and $b.translation_time -lt 600
    } POST /translate (Get-TranslateBody $EN2)
    Test-Case "paragraphs and blank lines are kept" 200 {
        param($b) ([regex]::Matches($b.translated, "\n\n")).Count -eq 1
    } POST /translate (Get-TranslateBody "First paragraph. It has two sentences.`n`nSecond paragraph.")
    Test-Case "same request gives the same translation" 200 { param($b) @($b.translated)[0] -ceq @($b.translated)[1] } `
        POST /translate (Get-TranslateBody @($EN2, $EN2))
    Test-Case "without sentence splitting" 200 { param($b) @($b.translated).Count -eq 1 -and "$(@($b.translated)[0])".Trim() } `
        GET "/translate?target_lang={tgt}&source_lang={src}&perform_sentence_splitting=false&text=One%20sentence.%20Another%20one."

    Write-Group "Multiple texts"
    Test-Case "GET with repeated text gives one answer each" 200 { param($b) @($b.translated).Count -eq 3 } `
        GET "/translate?target_lang={tgt}&source_lang={src}&text=Good%20morning.&text=Thank%20you.&text=See%20you%20soon."
    Test-Case "POST with five texts gives five, in order" 200 {
        param($b) $x = @($b.translated); $x.Count -eq 5 -and $x[0] -ceq $x[4] -and $x[0] -cne $x[2]
    } POST /translate (Get-TranslateBody @($EN1, $EN2, "Where is the station?", $EN2, $EN1))

    Write-Group "Language detection"
    Test-Case "POST string gives a string" 200 { param($b) $b -ceq "de" } `
        POST /language_detection (ConvertTo-JsonText @{ text = $DE1 })
    Test-Case "POST list gives a list in order" 200 { param($b) (@($b) -join ",") -ceq "en,de,fr" } `
        POST /language_detection (ConvertTo-JsonText @{ text = @($EN1, $DE1, $FR1) })
    Test-Case "POST object gives the same keys" 200 {
        param($b) (Get-Keys $b) -ceq "first,second" -and $b.first -ceq "fr" -and $b.second -ceq "en"
    } POST /language_detection (ConvertTo-JsonText @{ text = [ordered]@{ first = $FR1; second = $EN2 } })
    Test-Case "GET French" 200 { param($b) $b -ceq "fr" } `
        GET "/language_detection?text=Bonjour%20mes%20amis%2C%20comment%20allez-vous%20aujourd%27hui%3F"

    Write-Group "Pairs and discovery"
    Test-Case "lang_pairs are src-tgt strings" 200 {
        param($b) @($b).Count -gt 0 -and -not (@($b) | Where-Object { $_ -isnot [string] -or ($_.Split("-").Count -ne 2) })
    } GET /lang_pairs
    Test-Case "get_languages is sorted and has both languages" 200 {
        param($b) (Test-Sorted $b) -and @($b) -contains $S -and @($b) -contains $T
    } GET /get_languages
    Test-Case "targets of the source language" 200 {
        param($b) @($b) -contains $T -and @($b) -notcontains $S -and (Test-Sorted $b)
    } GET "/get_languages?source_lang={src}"
    Test-Case "sources of the target language" 200 { param($b) @($b) -contains $S -and @($b) -notcontains $T } `
        GET "/get_languages?target_lang={tgt}"
    Test-Case "discover opus-mt lists models and pairs" 200 {
        param($b) $f = @($b)[0]
        $f.family -eq "opus-mt" -and @($f.models).Count -gt 0 -and @($f.pairs).Count -gt 0 -and @("hub", "bundled") -contains $f.source
    } GET /discover/opus-mt
    Test-Case "discover all lists the three families" 200 {
        param($b) (@($b | ForEach-Object { $_.family }) -join ",") -ceq "opus-mt,mbart50,m2m100"
    } GET /discover/all

    Write-Group "Auto-detection"
    Test-Case "POST string without source detects a string" 200 {
        param($b) $null -eq $b.source_lang -and $b.detected_langs -ceq "en" -and $b.translated -is [string]
    } POST /translate (ConvertTo-JsonText ([ordered]@{ text = $EN1; target_lang = $T }))
    Test-Case "POST list detects per text" 200 {
        param($b) (@($b.detected_langs) -join ",") -ceq "en,und" -and @($b.translated)[1] -ceq "12345"
    } POST /translate (ConvertTo-JsonText ([ordered]@{ text = @($EN2, "12345"); target_lang = $T; source_lang = $null }))
    Test-Case "GET without source_lang detects" 200 {
        param($b) (@($b.detected_langs) -join ",") -ceq "en" -and $null -eq $b.source_lang
    } GET "/translate?target_lang={tgt}&text=Hello%20world%2C%20how%20are%20you%20today%3F"

    Write-Group "Beam size"
    Test-Case "beam_size 1 (greedy)" 200 { param($b) $b.translated.Trim() } `
        POST /translate (Get-TranslateBody $EN1 @{ beam_size = 1 })
    Test-Case "beam_size 3 on GET" 200 { param($b) @($b.translated).Count -eq 1 } `
        GET "/translate?target_lang={tgt}&source_lang={src}&beam_size=3&text=Hello%20world."

    Write-Group "Empty lists"
    Test-Case "POST empty list gives an empty list" 200 { param($b, $t) $t -match '"translated":\s*\[\]' } `
        POST /translate '{"text": [], "target_lang": "{tgt}", "source_lang": "{src}"}'
    Test-Case "GET without text gives an empty list" 200 { param($b, $t) $t -match '"translated":\s*\[\]' } `
        GET "/translate?target_lang={tgt}"
    Test-Case "detection of an empty list" 200 { param($b, $t) $t.Trim() -eq "[]" } `
        POST /language_detection '{"text": []}'

    Write-Group "Error handling"
    Test-Case "missing target_lang is 422 naming it" 422 {
        param($b) $b.error -eq "validation" -and $b.detail -match "target_lang"
    } GET "/translate?text=Hello"
    Test-Case "beam_size over the limit is 400" 400 {
        param($b) $b.error -eq "invalid_request" -and $b.detail -match "EASYNMT_MAX_BEAM_SIZE"
    } POST /translate '{"text": "Hello.", "target_lang": "{tgt}", "source_lang": "{src}", "beam_size": 1000}'
    Test-Case "beam_size 0 is 400" 400 { param($b) $b.error -eq "invalid_request" } `
        GET "/translate?target_lang={tgt}&source_lang={src}&beam_size=0&text=Hello."
    Test-Case "unknown language is 400 pointing at /lang_pairs" 400 {
        param($b) $b.error -eq "unsupported_language" -and $b.detail -match "/lang_pairs"
    } POST /translate '{"text": "Hello.", "target_lang": "xx", "source_lang": "{src}"}'
    Test-Case "malformed language code is 400" 400 { param($b) $b.error -eq "invalid_request" } `
        POST /translate '{"text": "Hello.", "target_lang": "not a code!", "source_lang": "{src}"}'
    Test-Case "body that is not JSON is 422" 422 { param($b) $b.error -eq "validation" -and $b.detail -match "JSON" } `
        POST /translate "{bad json"
    Test-Case "text of the wrong type is 422" 422 { param($b) $b.error -eq "validation" -and $b.detail -match "text" } `
        POST /translate '{"text": 5, "target_lang": "{tgt}"}'
    Test-Case "oversized text is 413" 413 { param($b) $b.error -eq "payload_too_large" } `
        POST /translate (ConvertTo-JsonText ([ordered]@{ text = ("a" * 200001); target_lang = $T }))
    Test-Case "language detection without text is 422" 422 { param($b) $b.error -eq "validation" } GET /language_detection
    Test-Case "unknown path is a JSON 404" 404 { param($b) $b.error -eq "not_found" } GET /no-such-endpoint
    Test-Case "wrong method is 405" 405 { param($b) $b.error -eq "method_not_allowed" } DELETE /translate
    Test-Case "unknown discovery family is 422" 422 { param($b) $b.error -eq "validation" } GET /discover/nllb

    Write-Group "OpenAPI and Swagger"
    Test-Case "openapi.json lists every endpoint" 200 {
        param($b) $paths = @($b.paths.PSObject.Properties | ForEach-Object { $_.Name })
        -not (@("/translate", "/language_detection", "/lang_pairs", "/get_languages", "/model_name", "/healthz",
                "/readyz", "/cache", "/discover/{family}") | Where-Object { $paths -notcontains $_ })
    } GET /openapi.json
    Test-Case "Swagger UI at /docs" 200 { param($b, $t) $t -match "swagger" } GET /docs
    Test-Case "ReDoc at /redoc" 200 { param($b, $t) $t -match "redoc" } GET /redoc

    Write-Group "EasyNMT compatibility"
    Test-Case "translate keys are exactly EasyNMT's" 200 { param($b) (Get-Keys $b) -ceq $TranslateKeys } `
        POST /translate (Get-TranslateBody @($EN1))
    Test-Case "auto-detected translate keys are EasyNMT's" 200 { param($b) (Get-Keys $b) -ceq $AutoKeys } `
        POST /translate (ConvertTo-JsonText ([ordered]@{ text = @($EN1); target_lang = $T; source_lang = "" }))
    Test-Case "unknown body keys are ignored" 200 { param($b) @($b.translated).Count -eq 1 } `
        POST /translate (Get-TranslateBody @($EN1) @{ extra = 1 })
    Test-Case "language detection is a bare JSON string" 200 { param($b, $t) $t.Trim().StartsWith('"') -and $b -is [string] } `
        GET "/language_detection?text=Hello%20world%2C%20how%20are%20you%20today%3F"
    Test-Case "model_name is one of the families" 200 { param($b) @("opus-mt", "mbart50", "m2m100") -contains $b } GET /model_name

    Write-Group "Metrics"
    Test-Case "metrics has http_requests_total in Prometheus text" 200 {
        param($b, $t, $h) (Get-Header $h "Content-Type").StartsWith("text/plain") -and $t.Contains("http_requests_total{")
    } GET /metrics
    Test-Case "metrics label requests by route template" 200 {
        param($b, $t) $t.Contains('path="/translate"') -and $t.Contains('path="/discover/{family}"') -and
        -not $t.Contains('path="/discover/opus-mt"')
    } GET /metrics
    Test-Case "metrics report batches and the translation cache" 200 {
        param($b, $t) $t.Contains("nmt_batch_sentences_count") -and $t.Contains("nmt_translation_cache_hits_total")
    } GET /metrics
    Test-Case "every response has X-Total-Time-Ms and Server-Timing" 200 {
        param($b, $t, $h) [double](Get-Header $h "X-Total-Time-Ms") -ge 0 -and (Get-Header $h "Server-Timing").Contains("total;dur=")
    } GET /healthz
    Test-Case "Server-Timing of a translation has queue, inference and total" 200 {
        param($b, $t, $h) $timing = Get-Header $h "Server-Timing"
        $timing.Contains("queue;dur=") -and $timing.Contains("inference;dur=") -and $timing.Contains("total;dur=")
    } POST /translate (Get-TranslateBody $EN1)

    Write-Group "Translation cache"
    Test-Case "cache shows the translation cache" 200 {
        param($b) $b.translation_cache.enabled -is [bool] -and $b.translation_cache.hits_total -ge 0
    } GET /cache
    Test-Case "chunk_cache has size, limits, hits and misses" 200 {
        param($b) (Get-Keys $b) -ceq "enabled,entries,capacity,max_age_s,max_key_chars,hits_total,misses_total,hit_ratio"
    } GET /chunk_cache
    Test-Case "DELETE /cache empties the translation cache" 200 {
        param($b) $b.cleared_entries -ge 0 -and $b.translation_cache.entries -eq 0
    } DELETE /cache

    Write-Group "Markup"
    Test-Case "html format keeps tags and attributes" 200 {
        param($b) $b.translated.StartsWith("<p>") -and $b.translated.EndsWith("</p>") -and
        $b.translated.Contains('<a href="/guide">') -and $b.translated.Contains("</a>")
    } POST /translate (Get-TranslateBody '<p>Read <a href="/guide">the install guide</a> first.</p>' @{ format = "html" })
    Test-Case "html code and placeholders are not translated" 200 {
        param($b) $b.translated.Contains("<code>make run</code>") -and $b.translated.Contains("{name}")
    } POST /translate (Get-TranslateBody "<p>Run <code>make run</code> now, {name}.</p>" @{ format = "html" })
    Test-Case "markdown format keeps headings, emphasis and link URLs" 200 {
        param($b) $b.translated.StartsWith("## ") -and ($b.translated.Split(@("**"), [StringSplitOptions]::None).Count -eq 3) -and
        $b.translated.Contains("](http://localhost:8000/docs)")
    } POST /translate (Get-TranslateBody "## Setup`n`nOpen the [API docs](http://localhost:8000/docs) and read **all** of them." @{ format = "markdown" })
    Test-Case "html format through GET" 200 {
        param($b) @($b.translated).Count -eq 1 -and "$(@($b.translated)[0])".StartsWith("<p>") -and "$(@($b.translated)[0])".Contains("<b>")
    } GET "/translate?target_lang={tgt}&source_lang={src}&format=html&text=%3Cp%3EHello%20%3Cb%3Eworld%3C%2Fb%3E.%3C%2Fp%3E"
    Test-Case "unknown format is 422" 422 { param($b) $b.error -eq "validation" -and $b.detail -match "format" } `
        GET "/translate?target_lang={tgt}&source_lang={src}&format=pdf&text=Hello."

    Write-Group "LibreTranslate compatibility"
    Test-Case "LibreTranslate translate gives translatedText" 200 {
        param($b) (Get-Keys $b) -ceq "translatedText" -and $b.translatedText -is [string] -and $b.translatedText.Trim()
    } POST /libretranslate/translate (ConvertTo-JsonText ([ordered]@{ q = $EN1; source = $S; target = $T }))
    Test-Case "LibreTranslate list with source auto detects each text" 200 {
        param($b) (Get-Keys $b) -ceq "detectedLanguage,translatedText" -and
        ((@($b.detectedLanguage) | ForEach-Object { $_.language }) -join ",") -ceq "en,en" -and @($b.translatedText).Count -eq 2
    } POST /libretranslate/translate (ConvertTo-JsonText ([ordered]@{ q = @($EN1, $EN2); source = "auto"; target = $T }))
    Test-Case "LibreTranslate html keeps tags, alternatives is a list" 200 {
        param($b, $t) $b.translatedText.StartsWith('<p class="green">') -and $b.translatedText.EndsWith("</p>") -and
        $t -match '"alternatives":\s*\[\]'
    } POST /libretranslate/translate (ConvertTo-JsonText ([ordered]@{
        q = '<p class="green">Hello <b>world</b>!</p>'; source = $S; target = $T; format = "html"; alternatives = 2 }))
    Test-Case "LibreTranslate detect ranks languages with confidences" 200 {
        param($b) $first = @($b)[0]
        $first.language -eq "fr" -and -not (@($b) | Where-Object {
            (Get-Keys $_) -ne "confidence,language" -or $_.confidence -lt 0 -or $_.confidence -gt 100 })
    } POST /libretranslate/detect (ConvertTo-JsonText ([ordered]@{ q = $FR1 }))
    Test-Case "LibreTranslate languages have codes, names and targets" 200 {
        param($b) -not (@($b) | Where-Object { (Get-Keys $_) -cne "code,name,targets" }) -and
        (@($b) | Where-Object { $_.code -eq $S -and @($_.targets) -contains $T })
    } GET /libretranslate/languages
    Test-Case "LibreTranslate missing q is 400 with an error" 400 {
        param($b) (Get-Keys $b) -ceq "error" -and $b.error -match "q"
    } POST /libretranslate/translate (ConvertTo-JsonText ([ordered]@{ source = $S; target = $T }))
    Test-Case "LibreTranslate unknown language is 400 with an error" 400 {
        param($b) (Get-Keys $b) -ceq "error" -and $b.error
    } POST /libretranslate/translate (ConvertTo-JsonText ([ordered]@{ q = "Hello."; source = $S; target = "xx" }))

    Write-Group "Demo page"
    Test-Case "demo page is HTML" 200 {
        param($b, $t, $h) (Get-Header $h "Content-Type").StartsWith("text/html") -and $t -match "<html"
    } GET /demo
    Test-Case "/ leads to the demo page" 200 {
        param($b, $t, $h) (Get-Header $h "Content-Type").StartsWith("text/html") -and $t -match "<html"
    } GET /
    Test-Case "demo script is served" 200 {
        param($b, $t, $h) (Get-Header $h "Content-Type").StartsWith("text/javascript") -and $t.Length -gt 0
    } GET /demo/demo.js
}

$total = $script:Passed + $script:Failed
Write-Host ""
Write-Host "Summary: $($script:Passed) passed, $($script:Failed) failed, $total cases"
if ($script:Failed -gt 0) {
    foreach ($name in $script:FailedNames) { Write-Host "  failed: $name" }
    exit 1
}
exit 0
