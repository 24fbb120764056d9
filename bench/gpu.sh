#!/usr/bin/env bash
# transformers fp16 against CTranslate2 float16 on one CUDA GPU (H100/H200), batch 64, on the benchmark's
# Opus-MT-shaped model, built here from the repository's own files (nothing is downloaded). Writes the table
# to bench/results/gpu-<timestamp>.md. Takes one to two minutes; stops itself after --timeout seconds.
#
#   bash bench/gpu.sh [--device cuda|cpu] [--batch 64] [--passes 10] [--wheels DIR] [--timeout 290]
#
# Python: $PYTHON if set, else the first of python3 and .venv/bin/python whose torch sees a GPU. GPU machines
# ship CUDA torch, transformers and sentencepiece but often no CTranslate2 and no network: put the wheels in
# --wheels DIR (default .whl), e.g. ctranslate2 4.8.5 (and nvidia-cublas-cu12: CTranslate2 4.x is built for
# CUDA 12 and loads libcublas.so.12; bench/gpu_compare.py finds it, or links CUDA 13's in its place). See
# bench/README.md. Where PyPI is reachable, missing packages come from it instead. --device cpu: a dry run.
set -euo pipefail

cd "$(dirname "$0")/.."

device=cuda
batch=64
passes=10
wheels=.whl
timeout_s=290
site_dir=bench/.work/gpu-site

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --device) device=$2; shift 2 ;;
        --batch) batch=$2; shift 2 ;;
        --passes) passes=$2; shift 2 ;;
        --wheels) wheels=$2; shift 2 ;;
        --timeout) timeout_s=$2; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "gpu.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
if [[ $device != cuda && $device != cpu ]]; then
    echo "gpu.sh: --device must be cuda or cpu, not $device" >&2
    exit 2
fi

say() { echo "gpu.sh: $*" >&2; }

# --- a Python whose torch can run on $device ------------------------------------------------------------------
torch_ok() {
    # Exit status 0 when the interpreter has torch and (for cuda) torch sees a GPU; prints what it found.
    "$1" - "$device" <<'PY' 2>/dev/null
import sys
import torch
found = f"torch {torch.__version__}, CUDA build {torch.version.cuda}, GPUs {torch.cuda.device_count()}"
print(found)
sys.exit(0 if sys.argv[1] == "cpu" or torch.cuda.is_available() else 1)
PY
}

python=""
candidates=()
if [[ -n ${PYTHON:-} ]]; then
    candidates+=("$PYTHON")
elif [[ $device == cuda ]]; then
    candidates+=(python3 .venv/bin/python)
else
    candidates+=(.venv/bin/python python3)
fi
for candidate in "${candidates[@]}"; do
    if ! command -v "$candidate" >/dev/null 2>&1; then
        continue
    fi
    if found=$(torch_ok "$candidate"); then
        python=$candidate
        say "using $candidate ($found)"
        break
    fi
    say "skipping $candidate: ${found:-no torch}"
done
if [[ -z $python ]]; then
    if [[ $device == cuda ]]; then
        say "no Python here has a torch that sees a CUDA GPU (tried: ${candidates[*]})."
        say "On a GPU machine use its CUDA build of torch (PYTHON=/path/to/python3 bash bench/gpu.sh);"
        say "a CPU-only torch (like this repository's .venv on a CPU machine) cannot run this comparison."
    else
        say "no Python with torch found (tried: ${candidates[*]}); run 'make install' first"
    fi
    exit 3
fi

# --- the packages the benchmark needs -----------------------------------------------------------------------
missing_packages() {
    "$python" - <<'PY'
import importlib.util
wanted = {"transformers": "transformers", "sentencepiece": "sentencepiece", "safetensors": "safetensors",
          "ctranslate2": "ctranslate2", "yaml": "pyyaml", "numpy": "numpy"}
print(" ".join(package for module, package in wanted.items() if importlib.util.find_spec(module) is None))
PY
}

export PYTHONPATH="$PWD/$site_dir${PYTHONPATH:+:$PYTHONPATH}"
missing=$(missing_packages)
if [[ -n $missing ]]; then
    say "missing: $missing"
    mkdir -p "$site_dir"
    shopt -s nullglob
    local_wheels=("$wheels"/*.whl)
    shopt -u nullglob
    if [[ ${#local_wheels[@]} -gt 0 ]]; then
        say "installing ${#local_wheels[@]} wheel(s) from $wheels into $site_dir"
        "$python" -m pip install --quiet --no-index --no-deps --no-compile --upgrade --target "$site_dir" \
            "${local_wheels[@]}"
    else
        # Versions as the service pins them; PyPI must be reachable for this.
        pins=()
        for package in $missing; do
            pin=$(grep -i "^$package==" requirements-prod.txt || true)
            pins+=("${pin:-$package}")
        done
        say "no wheels in $wheels; trying PyPI for ${pins[*]}"
        if ! "$python" -m pip install --quiet --target "$site_dir" "${pins[@]}"; then
            say "could not install ${pins[*]}: no network? Carry the wheels in $wheels (see bench/README.md)."
        fi
    fi
    missing=$(missing_packages)
    for package in $missing; do
        if [[ $package != ctranslate2 ]]; then
            say "still missing $package: cannot build the model"
            exit 4
        fi
    done
    if [[ -n $missing ]]; then
        say "CTranslate2 is not installed: only transformers will be measured"
    fi
fi

if [[ $device == cuda ]]; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null \
        | sed 's/^/gpu.sh: /' >&2 || true
fi

# --- the comparison --------------------------------------------------------------------------------------------
say "building the model and measuring (batch $batch, $passes passes, at most $timeout_s s)"
exec timeout --kill-after=10 "$timeout_s" "$python" -m bench.gpu_compare \
    --device "$device" --batch "$batch" --passes "$passes"
