#!/usr/bin/env bash
# Container checks for CI (.ci/run calls this after make test and make lint):
#   1. lint: hadolint on the Dockerfiles, shellcheck on the shell scripts, compose, Kubernetes and workflow
#      files against their schemas;
#   2. build Dockerfile.min, unchanged, with podman on a locally bootstrapped stand-in for python:3.12-slim,
#      run it with the test models and check it from the outside (user, health, readiness, a translation,
#      HEALTHCHECK, validate-api.sh --smoke-only, SIGTERM within GRACEFUL_TIMEOUT);
#   3. structure-build Dockerfile.gpu.min on the same stand-in, named as its CUDA base (there is no CUDA here).
# Needs root (CI runs as root on a clean Debian 12 machine) for apt-get, debootstrap and podman.
# Environment: CONTAINER_CHECK_LINT_ONLY=1 stops after step 1, CONTAINER_CHECK_SKIP_LINT=1 skips it (for
# iterating on an image), CONTAINER_CHECK_SKIP_GPU=1 skips step 3;
# CONTAINER_CHECK_CACHE=DIR keeps the debootstrapped base there between local runs (CI needs none);
# TORCH_WHEEL_DIR (default /opt/wheels) holds the local CPU torch wheel the builds use.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
venv_bin=$repo/.venv/bin

started=$SECONDS
stage_started=$SECONDS
stage_name=""
timings=()

stage() {
    finish_stage
    stage_name=$1
    stage_started=$SECONDS
    echo
    echo "=== container check: $stage_name"
}

finish_stage() {
    if [[ -n $stage_name ]]; then
        timings+=("$(printf '%5d s  %s' $((SECONDS - stage_started)) "$stage_name")")
    fi
    stage_name=""
}

report_timings() {
    finish_stage
    echo
    echo "=== container check: time per stage"
    printf '%s\n' "${timings[@]}"
    printf '%5d s  total\n' $((SECONDS - started))
}

fail() {
    echo "container check FAILED: $*" >&2
    exit 1
}

# ---------------------------------------------------------------------------------------------------------
if [[ ${CONTAINER_CHECK_SKIP_LINT:-0} != 1 ]]; then
    stage "lint: hadolint, shellcheck, compose, Kubernetes and workflow schemas"
    dockerfiles=(Dockerfile Dockerfile.min Dockerfile.gpu Dockerfile.gpu.min .ci/standin-python.Containerfile)
    "$venv_bin/hadolint" "${dockerfiles[@]}"
    echo "hadolint: ${#dockerfiles[@]} files clean"
    mapfile -t shell_scripts < <(git ls-files '*.sh' .ci/run)
    "$venv_bin/shellcheck" "${shell_scripts[@]}"
    echo "shellcheck: ${shell_scripts[*]} clean"
    "$venv_bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml docker-compose.dev.yml
    "$venv_bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml
    "$venv_bin/kubernetes-validate" --strict k8s/*.yaml
fi

if [[ ${CONTAINER_CHECK_LINT_ONLY:-0} == 1 ]]; then
    report_timings
    exit 0
fi
if [[ $(id -u) != 0 ]]; then
    fail "building and running the image needs root (apt-get, debootstrap, podman); CI runs as root." \
        "Run as root, or set CONTAINER_CHECK_LINT_ONLY=1 to stop after the lint stage."
fi

# ---------------------------------------------------------------------------------------------------------
stage "tools: podman, runc, debootstrap"
if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends podman runc debootstrap >/dev/null \
        || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y \
            --no-install-recommends podman runc debootstrap >/dev/null; }
fi
podman --version

work=$(mktemp -d /tmp/container-check.XXXXXX)
storage=(--root "$work/root" --runroot "$work/runroot" --tmpdir "$work/tmp")
wheel_links=()
container=""

cleanup() {
    local status=$?
    stage "clean up: remove the containers, images and podman storage"
    if [[ -n $container ]]; then
        podman "${storage[@]}" rm -f -t 0 "$container" >/dev/null 2>&1 || true
    fi
    podman "${storage[@]}" system reset --force >/dev/null 2>&1 || true
    if ((${#wheel_links[@]})); then
        rm -f "${wheel_links[@]}"
    fi
    rm -rf "$work"
    report_timings
    if ((status != 0)); then
        echo "container check FAILED (exit $status)" >&2
    fi
    exit "$status"
}
trap cleanup EXIT

# runc: crun rejects the hybrid cgroup layout of these machines. The ulimits stay within the hard limits a
# process without CAP_SYS_RESOURCE may set.
printf '%s\n' '[containers]' 'default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]' \
    '[engine]' 'runtime = "runc"' >"$work/containers.conf"
export CONTAINERS_CONF=$work/containers.conf
# podman logs an error for every health-check timer it cannot hand to systemd (there is none here, and
# `podman healthcheck run` runs the check on demand); those lines are dropped, everything else is kept.
pm() {
    podman "${storage[@]}" "$@" 2> >(grep -v 'systemd connection' >&2)
}
pm_run() {
    pm run --network host "$@"
}

# ---------------------------------------------------------------------------------------------------------
stage "stand-in base: debootstrap Debian 12 and build python:3.12-slim from it"
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
rootfs_tar=""
if [[ -n ${CONTAINER_CHECK_CACHE:-} ]]; then
    mkdir -p "$CONTAINER_CHECK_CACHE"
    rootfs_tar=$CONTAINER_CHECK_CACHE/debian-bookworm-minbase.tar
fi
if [[ -z $rootfs_tar || ! -s $rootfs_tar ]]; then
    debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || { tail -n 30 "$work/debootstrap.log"; fail "debootstrap from $mirror"; }
    rootfs_tar=${rootfs_tar:-$work/rootfs.tar}
    tar -C "$work/rootfs" -cf "$rootfs_tar" .
    rm -rf "$work/rootfs"
fi
pm import --quiet "$rootfs_tar" localhost/debian-base:bookworm >/dev/null
mkdir -p "$work/standin/ca-certificates"
cp .ci/standin-python.Containerfile "$work/standin/Containerfile"
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$work/standin/ca-certificates/"
fi
pm build --pull=never --network host --format docker -t docker.io/library/python:3.12-slim "$work/standin" \
    >"$work/build-standin.log" 2>&1 || { tail -n 30 "$work/build-standin.log"; fail "building the stand-in base"; }
echo "stand-in python:3.12-slim: Debian 12 with Python $(pm_run --rm \
    docker.io/library/python:3.12-slim python -c 'import platform; print(platform.python_version())')"

# ---------------------------------------------------------------------------------------------------------
stage "build Dockerfile.min (unchanged) with the local CPU torch wheel"
wheel_dir=${TORCH_WHEEL_DIR:-/opt/wheels}
shopt -s nullglob
wheels=("$wheel_dir"/torch-*+cpu-*.whl)
shopt -u nullglob
((${#wheels[@]})) || fail "no CPU torch wheel in $wheel_dir (set TORCH_WHEEL_DIR)"
for wheel in "${wheels[@]}"; do
    link=wheels/$(basename "$wheel")
    ln -f "$wheel" "$link" 2>/dev/null || cp "$wheel" "$link"
    wheel_links+=("$link")
done
echo "torch wheel: ${wheels[*]}"
vcs_ref=$(git rev-parse --short HEAD)
image=localhost/mostlylucid-nmt:ci-cpu-min
build_args=(
    --build-arg "VERSION=ci-$vcs_ref"
    --build-arg "BUILD_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    --build-arg "VCS_REF=$vcs_ref"
    # PyPI for everything; pip prefers the local torch+cpu wheel in wheels/ to PyPI's CUDA build.
    --build-arg "TORCH_INDEX_URL=https://pypi.org/simple"
)
pm build --pull=never --network host --format docker "${build_args[@]}" -f Dockerfile.min -t "$image" . \
    >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log"; fail "podman build -f Dockerfile.min"; }
grep -E '(STEP [0-9]+/[0-9]+|COMMIT)' "$work/build.log" | cut -c1-110 || true
echo "image size: $(pm image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1 / 1e6}')"
pm_run --rm "$image" python -c \
    'import torch; assert torch.__version__.endswith("+cpu"), torch.__version__; assert not torch.version.cuda'
echo "torch in the image is the CPU build"

# ---------------------------------------------------------------------------------------------------------
stage "image metadata: labels, user, HEALTHCHECK, STOPSIGNAL, volume"
expect_inspect() {
    local format=$1 expected=$2 actual
    actual=$(pm image inspect --format "$format" "$image")
    [[ $actual == "$expected" ]] || fail "$format is '$actual', expected '$expected'"
    echo "ok  $format = $actual"
}
expect_inspect '{{index .Config.Labels "org.opencontainers.image.variant"}}' cpu-min
expect_inspect '{{index .Config.Labels "org.opencontainers.image.revision"}}' "$vcs_ref"
expect_inspect '{{index .Config.Labels "org.opencontainers.image.version"}}' "ci-$vcs_ref"
expect_inspect '{{.Config.User}}' 10001:10001
expect_inspect '{{.Config.StopSignal}}' SIGTERM
# shellcheck disable=SC2016 # a Go template for podman, not a shell expansion
expect_inspect '{{range $path, $_ := .Config.Volumes}}{{$path}}{{end}}' /models
expect_inspect '{{index .Config.Healthcheck.Test 0}}' CMD

# ---------------------------------------------------------------------------------------------------------
stage "run the image with the test models and check it from outside"
if [[ ! -f .test-models/Helsinki-NLP/opus-mt-en-de/config.json ]]; then
    make test-models >/dev/null
fi
port=$("$venv_bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
graceful_timeout_s=15
base_url=http://127.0.0.1:$port
container=$(pm_run -d \
    -e HOST=127.0.0.1 -e PORT="$port" -e GRACEFUL_TIMEOUT="$graceful_timeout_s" \
    -e MODEL_DIR=/test-models -e HF_HUB_OFFLINE=1 -e "PRELOAD_MODELS=en->de" \
    -v "$repo/.test-models:/test-models:ro" "$image")

http_status() {
    "$venv_bin/python" -c '
import sys, urllib.error, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=10).status)
except urllib.error.HTTPError as error:
    print(error.code)
except OSError:
    print(0)
' "$1"
}

wait_for() {
    local path=$1 limit_s=$2 waited=0
    until [[ $(http_status "$base_url$path") == 200 ]]; do
        if ((waited >= limit_s)) || [[ $(pm inspect --format '{{.State.Running}}' "$container") != true ]]; then
            pm logs "$container" 2>&1 | tail -n 40
            fail "$path did not answer 200 within ${limit_s}s"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    echo "ok  $path 200 after ${waited}s"
}
wait_for /healthz 120
wait_for /readyz 120

uid=$(pm exec "$container" id -u)
[[ $uid != 0 ]] || fail "the server runs as root"
echo "ok  runs as uid $uid"

"$venv_bin/python" - "$base_url" <<'PYTHON' || fail "translation through the container"
import json
import sys
import urllib.request

url = sys.argv[1] + "/translate?target_lang=de&source_lang=en&text=Hello%20world."
with urllib.request.urlopen(url, timeout=60) as response:
    body = json.load(response)
    model = response.headers["X-Model-Name"]
assert body["target_lang"] == "de" and body["source_lang"] == "en", body
assert isinstance(body["translated"], list) and len(body["translated"]) == 1, body
assert body["translated"][0].strip(), body
print(f"ok  GET /translate en->de by {model}: {body['translated'][0]!r}")
PYTHON

pm healthcheck run "$container" >/dev/null || fail "podman healthcheck run (the image's HEALTHCHECK)"
echo "ok  HEALTHCHECK command passes"

[[ -f validate-api.sh ]] || fail "validate-api.sh is missing"
bash validate-api.sh --base-url "$base_url" --smoke-only || fail "validate-api.sh --smoke-only"

# ---------------------------------------------------------------------------------------------------------
stage "SIGTERM: the container stops within GRACEFUL_TIMEOUT, answering the request in flight"
# Measures `podman stop` (SIGTERM, the image's STOPSIGNAL; SIGKILL only after the -t limit) and checks the exit.
stop_container() {
    local stop_started exit_code
    stop_started=$(date +%s.%N)
    pm stop -t $((graceful_timeout_s + 30)) "$container" >/dev/null
    stop_s=$("$venv_bin/python" -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$stop_started")
    exit_code=$(pm inspect --format '{{.State.ExitCode}}' "$container")
    echo "stopped in ${stop_s}s (GRACEFUL_TIMEOUT ${graceful_timeout_s}s), exit code $exit_code"
    "$venv_bin/python" -c "import sys; sys.exit(float(sys.argv[1]) >= float(sys.argv[2]))" "$stop_s" \
        "$graceful_timeout_s" || fail "SIGTERM took ${stop_s}s, not within GRACEFUL_TIMEOUT ${graceful_timeout_s}s"
    [[ $exit_code == 0 ]] || fail "exit code $exit_code after SIGTERM (137 would mean it had to be killed)"
    pm rm "$container" >/dev/null
    container=""
}
echo "idle server:"
stop_container

# The same image with the fake backend taking 4 s per batch: SIGTERM arrives 1 s into a request.
echo "request in flight (TRANSLATION_BACKEND=fake, FAKE_BATCH_DELAY_MS=4000):"
container=$(pm_run -d \
    -e HOST=127.0.0.1 -e PORT="$port" -e GRACEFUL_TIMEOUT="$graceful_timeout_s" -e HF_HUB_OFFLINE=1 \
    -e TRANSLATION_BACKEND=fake -e FAKE_BATCH_DELAY_MS=4000 "$image")
wait_for /readyz 120
"$venv_bin/python" -c '
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/translate?target_lang=de&source_lang=en&text=Hello", timeout=60) as r:
    print(r.status, json.load(r)["translated"])
' "$base_url" >"$work/in-flight.out" 2>&1 &
in_flight=$!
sleep 1
stop_container
wait "$in_flight" || { cat "$work/in-flight.out"; fail "the request in flight during SIGTERM was not answered"; }
echo "ok  the request in flight was answered: $(cat "$work/in-flight.out")"
"$venv_bin/python" -c "import sys; sys.exit(float(sys.argv[1]) < 2)" "$stop_s" \
    || fail "stopped after ${stop_s}s: it did not wait for the request in flight"

# ---------------------------------------------------------------------------------------------------------
if [[ ${CONTAINER_CHECK_SKIP_GPU:-0} != 1 ]]; then
    stage "structure-build Dockerfile.gpu.min on a stand-in CUDA base (no CUDA here)"
    cuda_base=$(awk -F= '/^ARG BASE_IMAGE=/ {print $2; exit}' Dockerfile.gpu.min)
    pm tag docker.io/library/python:3.12-slim "docker.io/$cuda_base"
    echo "stand-in for $cuda_base: the Debian python stand-in; CUDA is ABSENT, so the GPU image is only built"
    echo "and inspected here, not run on a GPU"
    gpu_image=localhost/mostlylucid-nmt:ci-gpu-min
    pm build --pull=never --network host --format docker "${build_args[@]}" -f Dockerfile.gpu.min \
        -t "$gpu_image" . >"$work/build-gpu.log" 2>&1 \
        || { tail -n 40 "$work/build-gpu.log"; fail "podman build -f Dockerfile.gpu.min"; }
    image=$gpu_image
    expect_inspect '{{index .Config.Labels "org.opencontainers.image.variant"}}' gpu-min
    expect_inspect '{{.Config.User}}' 10001:10001
    expect_inspect '{{.Config.StopSignal}}' SIGTERM
    pm_run --rm "$gpu_image" python -c \
        'import mostlylucid_nmt.main, torch; print("ok  the GPU image imports the service; torch", torch.__version__)'
fi

echo
echo "container check passed"
