"""docker-compose.yml, docker-compose.dev.yml and k8s/: consistent with the images and the settings.

The schemas are checked by .ci/container-check.sh (check-jsonschema, kubernetes-validate); these tests check
what a schema cannot: the tags exist, the ports, paths, users and variable names are the service's own, and the
shutdown and probe timings fit GRACEFUL_TIMEOUT and a first model download.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices

from mostlylucid_nmt.settings import Settings, load_settings
from tests.deploy.images import REPO_ROOT, VARIANTS, load

SETTINGS = load_settings({})
PUBLISHED_TAGS = {"latest", "cpu", "cpu-min", "gpu", "gpu-min"}
UID = load("cpu-min").only("USER").value.split(":")[0]


def setting_names() -> set[str]:
    names: set[str] = set()
    for field in Settings.model_fields.values():
        if isinstance(field.validation_alias, AliasChoices):
            names.update(str(choice) for choice in field.validation_alias.choices)
    return names


def read_yaml(name: str) -> Any:
    return yaml.safe_load((REPO_ROOT / name).read_text(encoding="utf-8"))


def read_documents(path: Path) -> dict[str, Any]:
    documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    return {document["kind"]: document for document in documents}


def seconds(duration: str) -> int:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, duration
    return int(match[1])


def published_tag(image: str) -> str:
    repository, _, tag = image.rpartition(":")
    assert repository == "scottgal/mostlylucid-nmt", image
    assert tag in PUBLISHED_TAGS, image
    return tag


@pytest.mark.parametrize("service", ["translator-cpu", "translator-gpu"])
def test_compose_services_run_published_images_with_a_model_volume_and_the_image_healthcheck(
    service: str,
) -> None:
    compose = read_yaml("docker-compose.yml")
    spec = compose["services"][service]

    tag = published_tag(spec["image"])
    variant = {"cpu": "cpu-full", "gpu": "gpu-full"}[tag]
    assert spec["healthcheck"]["test"] == ["CMD", *load(variant).healthcheck_argv()]
    (port,) = spec["ports"]
    assert port.endswith(f":{SETTINGS.port}")
    (volume,) = spec["volumes"]
    name, target = volume.split(":")
    assert target == "/models"
    assert name in compose["volumes"]
    # Longer than the drain, so that in-flight requests finish before Docker's SIGKILL.
    assert seconds(spec["stop_grace_period"]) > SETTINGS.graceful_timeout_s
    assert set(spec["environment"]) <= setting_names()


def test_compose_gpu_service_reserves_an_nvidia_gpu_behind_a_profile() -> None:
    spec = read_yaml("docker-compose.yml")["services"]["translator-gpu"]

    assert spec["profiles"] == ["gpu"]
    (device,) = spec["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia"
    assert device["capabilities"] == ["gpu"]


def test_compose_dev_builds_the_min_image_and_reloads_the_mounted_source() -> None:
    spec = read_yaml("docker-compose.dev.yml")["services"]["translator-dev"]

    assert spec["build"] == {"context": ".", "dockerfile": "Dockerfile.min"}
    assert "./src:/app/src:ro" in spec["volumes"]
    assert any(volume.endswith(":/models") for volume in spec["volumes"])
    command = spec["command"]
    assert command[:2] == ["uvicorn", "app:app"]
    assert "--reload" in command
    assert set(spec["environment"]) <= setting_names()
    assert spec["healthcheck"]["test"][:3] == ["CMD", "python", "-c"]


@pytest.mark.parametrize("flavour", ["cpu", "gpu"])
def test_kubernetes_deployment_probes_resources_volume_and_service(flavour: str) -> None:
    documents = read_documents(REPO_ROOT / "k8s" / f"{flavour}.yaml")
    pod = documents["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]

    assert published_tag(container["image"]) == f"{flavour}-min"
    (port,) = container["ports"]
    assert port == {"name": "http", "containerPort": SETTINGS.port}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    startup = container["startupProbe"]
    assert startup["httpGet"] == {"path": "/readyz", "port": "http"}
    # Liveness starts only after the first download; give it 20 minutes at least.
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 20 * 60
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pod["terminationGracePeriodSeconds"] > SETTINGS.graceful_timeout_s + int(pre_stop[-1])
    assert {env["name"] for env in container["env"]} <= setting_names()
    assert container["resources"]["requests"]["memory"] == container["resources"]["limits"]["memory"]
    if flavour == "gpu":
        assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert str(pod["securityContext"]["runAsUser"]) == UID == str(pod["securityContext"]["fsGroup"])

    (mount,) = container["volumeMounts"]
    assert mount["mountPath"] == "/models"
    (volume,) = pod["volumes"]
    assert volume["name"] == mount["name"]
    assert (
        volume["persistentVolumeClaim"]["claimName"] == documents["PersistentVolumeClaim"]["metadata"]["name"]
    )

    service = documents["Service"]["spec"]
    assert service["type"] == "LoadBalancer"
    assert service["selector"] == documents["Deployment"]["spec"]["selector"]["matchLabels"]
    assert service["ports"][0]["targetPort"] == "http"


def test_every_variant_has_a_tag_somewhere_in_the_examples() -> None:
    tags = {"cpu-full": "cpu", "cpu-min": "cpu-min", "gpu-full": "gpu", "gpu-min": "gpu-min"}
    examples = "\n".join(
        (REPO_ROOT / name).read_text(encoding="utf-8")
        for name in ("docker-compose.yml", "k8s/cpu.yaml", "k8s/gpu.yaml", "README.md", "DOCKER_HUB.md")
    )
    for variant in VARIANTS:
        assert f"scottgal/mostlylucid-nmt:{tags[variant]}" in examples, variant


def test_the_docker_hub_page_names_only_real_settings_and_endpoints() -> None:
    from mostlylucid_nmt.main import create_app

    page = (REPO_ROOT / "DOCKER_HUB.md").read_text(encoding="utf-8")
    app = create_app(load_settings({"TRANSLATION_BACKEND": "fake"}))
    endpoints = {
        f"{method.upper()} {path}" for path, methods in app.openapi()["paths"].items() for method in methods
    } | {"GET /docs", "GET /openapi.json", "GET /redoc", "GET /demo", "GET /"}  # routes outside the schema

    not_variables = {"HEALTHCHECK", "SIGTERM", "INFO"}
    named_variables = set(re.findall(r"`([A-Z][A-Z0-9_]{2,})`", page)) - not_variables
    assert named_variables
    assert named_variables <= setting_names()
    named_endpoints = set(re.findall(r"`((?:GET|POST|DELETE) /[^`]*)`", page))
    assert len(named_endpoints) >= 20
    assert named_endpoints <= endpoints
