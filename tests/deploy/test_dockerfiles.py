"""What every image must have, and that the four Dockerfiles differ only where their variant does.

.ci/container-check.sh builds and runs Dockerfile.min for real; these checks cover all four files, including
the ones that cannot be built here (full images need the hub, GPU images a CUDA base).
"""

from __future__ import annotations

import re

import pytest

from mostlylucid_nmt.settings import load_settings
from tests.deploy.images import VARIANTS, Image, Instruction, load

CPU_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
DOWNLOAD = 'python -m mostlylucid_nmt download "$PRELOAD_PAIRS" --convert'


@pytest.mark.parametrize("variant", VARIANTS)
def test_labels_carry_the_build_arguments_and_the_variant(variant: str) -> None:
    build_args = (
        ("VERSION", "20260102.030405"),
        ("BUILD_DATE", "2026-01-02T03:04:05Z"),
        ("VCS_REF", "abc1234"),
    )
    labels = load(variant, build_args).parser.labels

    assert labels["org.opencontainers.image.version"] == "20260102.030405"
    assert labels["org.opencontainers.image.created"] == "2026-01-02T03:04:05Z"
    assert labels["org.opencontainers.image.revision"] == "abc1234"
    assert labels["org.opencontainers.image.title"] == "mostlylucid-nmt"
    assert labels["org.opencontainers.image.source"].startswith("https://")
    assert labels["org.opencontainers.image.variant"] == variant


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_image_runs_gunicorn_as_a_non_root_user_and_stops_on_sigterm(variant: str) -> None:
    image = load(variant)

    user = image.only("USER").value
    uid, _, gid = user.partition(":")
    # Numeric, so that Kubernetes' runAsNonRoot can verify it without the image's /etc/passwd.
    assert re.fullmatch(r"[1-9]\d*", uid), user
    assert gid.isdigit(), user
    assert image.only("STOPSIGNAL").value == "SIGTERM"
    assert image.only("CMD").value == '["gunicorn", "-c", "gunicorn.conf.py", "app:app"]'
    assert image.only("WORKDIR").value == "/app"
    assert image.only("EXPOSE").value == str(load_settings({}).port)


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_model_cache_is_a_volume_at_models_owned_by_the_user(variant: str) -> None:
    image = load(variant)
    uid = image.only("USER").value.split(":")[0]

    assert image.only("VOLUME").value == '["/models"]'
    assert "MODEL_CACHE_DIR=/models" in image.only("ENV").value.split()
    base = image.stage("base")
    useradd = next(i.value for i in base if i.name == "RUN" and "useradd" in i.value)
    assert f"--uid {uid}" in useradd
    assert "chown app:app /models" in useradd
    for copy in (i for i in image.final_stage if i.name == "COPY" and "/models" in i.value):
        assert f"--chown={uid}:{uid}" in copy.value


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_healthcheck_is_exec_form_python_on_healthz(variant: str) -> None:
    # No curl in python:3.12-slim; a shell-form command would need /bin/sh (hadolint DL3025).
    argv = load(variant).healthcheck_argv()

    assert argv[:2] == ["python", "-c"]
    assert "/healthz" in argv[2]


@pytest.mark.parametrize("variant", VARIANTS)
def test_dependencies_are_installed_before_the_code_is_copied(variant: str) -> None:
    image = load(variant)
    base = image.stage("base")
    names = [(i.name, i.value) for i in base]

    requirements = names.index(("COPY", "requirements-prod.txt /tmp/requirements-prod.txt"))
    install = next(
        n for n, i in enumerate(base) if i.name == "RUN" and "-r /tmp/requirements-prod.txt" in i.value
    )
    assert requirements < install
    assert not any(i.name == "COPY" and "src/" in i.value for i in base)
    final = image.final_stage
    code = [n for n, i in enumerate(final) if i.name == "COPY" and ("src/" in i.value or "app.py" in i.value)]
    models = [n for n, i in enumerate(final) if i.name == "COPY" and "--from=models" in i.value]
    assert code
    assert all(m < c for m in models for c in code)


@pytest.mark.parametrize("variant", VARIANTS)
def test_torch_comes_alone_from_the_torch_index_before_the_rest(variant: str) -> None:
    image = load(variant)
    install = next(i.value for i in image.stage("base") if i.name == "RUN" and "requirements-prod" in i.value)

    assert install.startswith("--mount=type=bind,source=wheels,target=/tmp/wheels ")
    torch_step = install.index(
        '--index-url "${TORCH_INDEX_URL}" "$(grep -E \'^torch==\' /tmp/requirements-prod.txt)"'
    )
    assert torch_step < install.index("-r /tmp/requirements-prod.txt")
    assert install.count("--find-links /tmp/wheels") == 2
    index = image.arg_default("TORCH_INDEX_URL")
    if variant.startswith("cpu"):
        # Never the CUDA build in a CPU image.
        assert index == CPU_TORCH_INDEX
    else:
        assert index == "https://pypi.org/simple"


@pytest.mark.parametrize("variant", VARIANTS)
def test_full_images_preload_with_the_download_command_and_min_images_do_not(variant: str) -> None:
    image = load(variant)
    runs = [i.value for i in image.instructions if i.name == "RUN"]
    env = image.only("ENV").value.split()

    if variant.endswith("-full"):
        pairs = image.global_arg_default("PRELOAD_PAIRS")
        assert re.fullmatch(r"[a-z]{2}->[a-z]{2}(,[a-z]{2}->[a-z]{2})*", pairs or ""), pairs
        models = image.stage("models")
        assert Instruction("RUN", DOWNLOAD) in models
        assert Instruction("USER", image.only("USER").value) in models
        assert "MODEL_CACHE_DIR=/models" in image.only("ENV", models).value.split()
        assert "PRELOAD_MODELS=${PRELOAD_PAIRS}" in env
        assert load(variant, (("PRELOAD_PAIRS", "en->fr"),)).parser.envs["PRELOAD_MODELS"] == "en->fr"
    else:
        assert not any("download" in run for run in runs)
        assert not any(e.startswith("PRELOAD_MODELS") for e in env)


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_base_image(variant: str) -> None:
    image = load(variant)
    base = image.global_arg_default("BASE_IMAGE")

    assert image.instructions[0] == Instruction("ARG", f"BASE_IMAGE={base}")
    assert image.parser.parent_images[0] == base
    if variant.startswith("cpu"):
        assert base == "python:3.12-slim"
    else:
        assert re.fullmatch(r"nvidia/cuda:12\.\d+\.\d+-runtime-ubuntu24\.04", base or ""), base
        assert 'EASYNMT_MODEL_ARGS=\'{"torch_dtype":"fp16"}\'' in image.only("ENV").value.split()


def _shared(image: Image) -> list[Instruction]:
    """The instructions every variant must have word for word: all but ARG, ENV, LABEL, the GPU images' apt-get
    step and the full images' models stage."""
    instructions = list(image.instructions)
    if image.variant.endswith("-full"):
        start, end = image.stage_bounds("models")
        del instructions[start:end]
    return [
        i
        for i in instructions
        if i.name not in {"ARG", "ENV", "LABEL"}
        and "apt-get" not in i.value
        and not i.value.startswith("--from=models")
    ]


@pytest.mark.parametrize("variant", ["cpu-full", "gpu-full", "gpu-min"])
def test_the_four_dockerfiles_share_one_layout(variant: str) -> None:
    assert _shared(load(variant)) == _shared(load("cpu-min"))
