# mostlylucid-nmt, CPU, with models inside (tags latest, cpu): the pairs in PRELOAD_PAIRS are downloaded at build
# time and loaded at start-up. Builds for linux/amd64 and linux/arm64.
# The four Dockerfiles share one layout; tests/deploy/test_dockerfiles.py checks what each must contain and
# where they may differ.
ARG BASE_IMAGE=python:3.12-slim
ARG PRELOAD_PAIRS="en->de,de->en,fr->en,en->es"

# ---- base: Python, a non-root user and the dependencies (rebuilt only when requirements-prod.txt changes) ----
FROM ${BASE_IMAGE} AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# uid/gid 10001: clear of the ids base images hand out (Ubuntu's own "ubuntu" user is 1000).
RUN useradd --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /app /models \
    && chown app:app /models

# torch is installed alone from TORCH_INDEX_URL, the CPU-only index: PyPI's plain torch is the multi-GB CUDA
# build. wheels/ is offered to pip as well (empty in real builds; CI puts the local CPU torch wheel there and
# sets TORCH_INDEX_URL to PyPI). A virtualenv in every image, because Ubuntu's Python (GPU images) refuses pip
# installs into the system interpreter.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
COPY requirements-prod.txt /tmp/requirements-prod.txt
RUN --mount=type=bind,source=wheels,target=/tmp/wheels \
    python3 -m venv /opt/venv \
    && pip install --find-links /tmp/wheels --index-url "${TORCH_INDEX_URL}" \
        "$(grep -E '^torch==' /tmp/requirements-prod.txt)" \
    && pip install --find-links /tmp/wheels -r /tmp/requirements-prod.txt \
    && rm /tmp/requirements-prod.txt

# ---- models: the service's own download command fetches PRELOAD_PAIRS into /models (hub cache layout) ----
FROM base AS models
ARG PRELOAD_PAIRS
COPY src/ /app/src/
ENV PYTHONPATH=/app/src \
    MODEL_CACHE_DIR=/models \
    HF_HOME=/models/huggingface
USER 10001:10001
# --convert: the CTranslate2 copies too (device-independent; the compute type is chosen at load), so the first
# request of a preloaded pair neither downloads nor converts.
RUN python -m mostlylucid_nmt download "$PRELOAD_PAIRS" --convert

# ---- the image: models, then the code last ----
FROM base

# Models below the code. The download command is part of the code, so a code change re-runs the models stage
# (it is cached otherwise); an empty PRELOAD_PAIRS leaves /models empty.
COPY --from=models --chown=10001:10001 /models /models

WORKDIR /app
COPY app.py gunicorn.conf.py /app/
COPY src/ /app/src/

# The preloaded pairs load at start-up (/readyz turns 200 once they have); set PRELOAD_MODELS to change them.
# Everything else is a setting with its CPU default (README "Configuration"); PORT and HOST stay 8000 / 0.0.0.0.
ARG PRELOAD_PAIRS
ENV PYTHONPATH=/app/src \
    MODEL_CACHE_DIR=/models \
    HF_HOME=/models/huggingface \
    PRELOAD_MODELS=${PRELOAD_PAIRS}

USER 10001:10001
VOLUME ["/models"]
EXPOSE 8000

# Liveness only (200 while models load); python, because the slim base has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/healthz', timeout=4)"]

# gunicorn drains on SIGTERM: /readyz turns 503, in-flight requests get GRACEFUL_TIMEOUT (30 s) to finish.
# Give `docker stop` more than that (-t 40; compose stop_grace_period, k8s terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
CMD ["gunicorn", "-c", "gunicorn.conf.py", "app:app"]

ARG BASE_IMAGE
ARG VERSION=dev
ARG BUILD_DATE=unknown
ARG VCS_REF=unknown
ARG SOURCE_URL=https://github.com/scottgal/mostlylucid-nmt
LABEL org.opencontainers.image.title="mostlylucid-nmt" \
      org.opencontainers.image.description="Self-hosted neural machine translation, a drop-in replacement for the EasyNMT REST API" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="${BASE_IMAGE}" \
      org.opencontainers.image.variant="cpu-full"
