# One command per task, the same for people and CI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format test-models bench clean load reliability reliability-ci

# (Re)install when the requirement files change. torch==2.13.0 is pinned: on these machines pip takes the
# local CPU wheel; elsewhere pass PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu to avoid CUDA.
$(STAMP): requirements.txt requirements-prod.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/gunicorn -c gunicorn.conf.py app:app

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench loadtest app.py gunicorn.conf.py
	$(BIN)/ruff format --check src tests bench loadtest app.py gunicorn.conf.py
	$(BIN)/mypy
	$(BIN)/mypy loadtest
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench loadtest app.py gunicorn.conf.py
	$(BIN)/ruff format src tests bench loadtest app.py gunicorn.conf.py

# Tiny real-format models for running the server offline: MODEL_DIR=.test-models HF_HUB_OFFLINE=1 make run
test-models: $(STAMP)
	$(BIN)/python tests/make_test_models.py .test-models

# The benchmark (bench/README.md): raw engines, our server and an EasyNMT-style baseline on one machine, about
# 15 minutes on 2 cores; results in bench/results/. Faster: make bench BENCH_ARGS="--quick" (or --only server,
# --server-env KEY=VALUE, --repeat N). Never part of `make test`.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .test-models .pytest_cache .mypy_cache .ruff_cache

# Load test a running server (start one with `make run` first) with the scenarios of tests/k6-load-test.js,
# without k6: requests/s, p50/p95 latency, failures, 429/503 counted apart. Options: make load
# LOAD_ARGS="--scenario load --base-url http://host:8000" (see python -m loadtest --help).
load: $(STAMP)
	$(BIN)/python -m loadtest --json artifacts/loadtest.json $(LOAD_ARGS)

# Lint the Dockerfiles, shell scripts, compose, Kubernetes and workflow files, then build and run Dockerfile.min
# with podman and structure-build Dockerfile.gpu.min (root only; README "Deploy"). CONTAINER_CHECK_LINT_ONLY=1
# for the lint part alone. .ci/run ends with it.
.PHONY: container-check
container-check: $(STAMP)
	bash .ci/container-check.sh

# The reliability suite (tests/reliability/, figures in tests/reliability/REPORT.md): overload at twice the
# measured capacity, OpenAPI fuzzing, injected faults, SIGTERM under load, memory over many model loads, slow
# clients. About 10 minutes on 2 cores; writes tests/reliability/REPORT.md. reliability-ci is the shortened
# version .ci/run runs (about 5 minutes) and writes no report.
reliability: $(STAMP)
	RELIABILITY_PROFILE=full RELIABILITY_REPORT=tests/reliability/REPORT.md $(BIN)/pytest -q tests/reliability

reliability-ci: $(STAMP)
	RELIABILITY_PROFILE=ci $(BIN)/pytest -q tests/reliability
