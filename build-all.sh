#!/usr/bin/env bash
# Build the four mostlylucid-nmt images with version labels and tags (build-all.ps1 does the same on Windows).
#
#   ./build-all.sh                 local build of all four variants for this machine's platform
#   ./build-all.sh --push          CPU variants for linux/amd64 + linux/arm64, GPU variants for linux/amd64,
#                                  pushed with docker buildx (log in first)
#   ./build-all.sh --dry-run       print the commands instead of running them
#
# Options:
#   --repo REPO        image repository, repeatable (default scottgal/mostlylucid-nmt)
#   --variant NAME     cpu-full, cpu-min, gpu-full or gpu-min, repeatable (default all four)
#   --version VERSION  version label and tag suffix (default the UTC time, YYYYMMDD.HHMMSS)
#   --preload PAIRS    pairs the full images download at build time (default the Dockerfiles' PRELOAD_PAIRS)
#   --multi-arch       build the --push platforms without pushing (checks that every platform builds)
#   -- ARGS...         passed on to every build command (e.g. -- --build-arg TORCH_INDEX_URL=... or cache flags)
# Environment: DOCKER=podman builds locally with podman (no --push); BuildKit is needed (Docker 23+ default).
#
# Tags per variant: cpu-full latest, cpu; cpu-min; gpu-full gpu; gpu-min; each also with -VERSION (cpu-VERSION,
# cpu-min-VERSION, gpu-VERSION, gpu-min-VERSION).
set -euo pipefail
cd "$(dirname "$0")"

repos=()
variants=()
version=$(date -u +%Y%m%d.%H%M%S)
build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
preload=""
mode=local
dry_run=0
extra=()

usage() {
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}

while (($#)); do
    case $1 in
        --push) mode=push ;;
        --multi-arch) mode=multi-arch ;;
        --dry-run) dry_run=1 ;;
        --repo) repos+=("${2:?--repo needs a value}"); shift ;;
        --variant) variants+=("${2:?--variant needs a value}"); shift ;;
        --version) version=${2:?--version needs a value}; shift ;;
        --preload) preload=${2?--preload needs a value}; preload_set=1; shift ;;
        -h | --help) usage 0 ;;
        --) shift; extra=("$@"); break ;;
        *) echo "build-all.sh: unknown option $1" >&2; usage 2 ;;
    esac
    shift
done
((${#repos[@]})) || repos=(scottgal/mostlylucid-nmt)
((${#variants[@]})) || variants=(cpu-full cpu-min gpu-full gpu-min)
vcs_ref=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
docker=${DOCKER:-docker}
if [[ $mode != local && $(basename "$docker") == podman ]]; then
    echo "build-all.sh: --push and --multi-arch use docker buildx; podman builds locally only" >&2
    exit 2
fi

run() {
    if ((dry_run)); then
        printf '+'
        printf ' %q' "$@"
        printf '\n'
    else
        "$@"
    fi
}

# variant -> Dockerfile, named tags, platforms for --push
dockerfile_of() {
    case $1 in
        cpu-full) echo Dockerfile ;;
        cpu-min) echo Dockerfile.min ;;
        gpu-full) echo Dockerfile.gpu ;;
        gpu-min) echo Dockerfile.gpu.min ;;
        *) echo "build-all.sh: unknown variant $1 (cpu-full, cpu-min, gpu-full, gpu-min)" >&2; exit 2 ;;
    esac
}
tags_of() {
    case $1 in
        cpu-full) echo "latest cpu cpu-$version" ;;
        cpu-min) echo "cpu-min cpu-min-$version" ;;
        gpu-full) echo "gpu gpu-$version" ;;
        gpu-min) echo "gpu-min gpu-min-$version" ;;
    esac
}
platforms_of() {
    case $1 in
        cpu-*) echo linux/amd64,linux/arm64 ;;
        gpu-*) echo linux/amd64 ;;
    esac
}

echo "mostlylucid-nmt images: version $version, revision $vcs_ref, ${variants[*]} ($mode) -> ${repos[*]}"

if [[ $mode != local ]]; then
    # Several platforms need a buildx builder with the docker-container driver; CI's setup-buildx provides one.
    if ((dry_run)); then
        echo "+ docker buildx create --name mostlylucid-nmt --driver docker-container --use  # unless the current builder can"
    elif [[ $(docker buildx inspect 2>/dev/null | awk '/^Driver:/ {print $2; exit}') == docker ]]; then
        docker buildx inspect mostlylucid-nmt >/dev/null 2>&1 \
            || docker buildx create --name mostlylucid-nmt --driver docker-container >/dev/null
        docker buildx use mostlylucid-nmt
    fi
fi

for variant in "${variants[@]}"; do
    dockerfile=$(dockerfile_of "$variant")
    args=(
        -f "$dockerfile"
        --build-arg "VERSION=$version"
        --build-arg "BUILD_DATE=$build_date"
        --build-arg "VCS_REF=$vcs_ref"
    )
    if [[ -n ${preload_set:-} && $variant == *-full ]]; then
        args+=(--build-arg "PRELOAD_PAIRS=$preload")
    fi
    for repo in "${repos[@]}"; do
        for tag in $(tags_of "$variant"); do
            args+=(-t "$repo:$tag")
        done
    done
    case $mode in
        local)
            if [[ $(basename "$docker") == podman ]]; then
                args+=(--format docker) # OCI format would drop HEALTHCHECK
            fi
            run "$docker" build "${args[@]}" "${extra[@]}" .
            ;;
        push) run docker buildx build --platform "$(platforms_of "$variant")" "${args[@]}" --push "${extra[@]}" . ;;
        multi-arch) run docker buildx build --platform "$(platforms_of "$variant")" "${args[@]}" "${extra[@]}" . ;;
    esac
done

echo "done: ${variants[*]} at version $version"
