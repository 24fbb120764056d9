"""build-all.sh: run with --dry-run, its commands are read back and checked (tags, platforms, build arguments).

build-all.ps1 cannot run here (no PowerShell); it is checked for the same variants, tags and platforms.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass

import pytest

from tests.deploy.images import DOCKERFILES, REPO_ROOT, VARIANTS

VERSION = "20260102.030405"
NAMED_TAGS = {
    "cpu-full": ["latest", "cpu"],
    "cpu-min": ["cpu-min"],
    "gpu-full": ["gpu"],
    "gpu-min": ["gpu-min"],
}
DEFAULT_REPO = "scottgal/mostlylucid-nmt"


@dataclass
class Build:
    argv: list[str]

    def values(self, flag: str) -> list[str]:
        return [self.argv[i + 1] for i, arg in enumerate(self.argv) if arg == flag]

    @property
    def build_args(self) -> dict[str, str]:
        return dict(value.split("=", 1) for value in self.values("--build-arg"))

    @property
    def dockerfile(self) -> str:
        (dockerfile,) = self.values("-f")
        return dockerfile


def dry_run(*args: str, env: dict[str, str] | None = None) -> tuple[str, list[Build]]:
    result = subprocess.run(
        ["bash", "build-all.sh", "--dry-run", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    builds = [
        Build(shlex.split(line[2:]))
        for line in result.stdout.splitlines()
        if line.startswith("+ ") and " build " in line
    ]
    return result.stdout, builds


def expected_tags(variant: str, version: str, repo: str = DEFAULT_REPO) -> list[str]:
    names = NAMED_TAGS[variant]
    versioned = f"{names[-1]}-{version}"
    return [f"{repo}:{tag}" for tag in [*names, versioned]]


def git_short_head() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_a_local_build_makes_all_four_variants_for_this_platform_with_labels_and_tags() -> None:
    _, builds = dry_run("--version", VERSION)

    assert [build.dockerfile for build in builds] == [DOCKERFILES[v] for v in VARIANTS]
    for variant, build in zip(VARIANTS, builds, strict=True):
        assert build.argv[:2] == ["docker", "build"]
        assert "--platform" not in build.argv
        assert "--push" not in build.argv
        assert build.values("-t") == expected_tags(variant, VERSION)
        args = build.build_args
        assert args["VERSION"] == VERSION
        assert args["VCS_REF"] == git_short_head()
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", args["BUILD_DATE"])
        assert "PRELOAD_PAIRS" not in args  # the Dockerfiles' default
        assert build.argv[-1] == "."


def test_the_default_version_is_the_utc_time() -> None:
    _, builds = dry_run("--variant", "cpu-min")

    (build,) = builds
    assert re.fullmatch(r"\d{8}\.\d{6}", build.build_args["VERSION"])
    assert build.values("-t")[-1] == f"{DEFAULT_REPO}:cpu-min-{build.build_args['VERSION']}"


def test_push_builds_cpu_for_amd64_and_arm64_and_gpu_for_amd64_into_every_repository() -> None:
    repos = ["docker.io/someone/nmt", "ghcr.io/someone/nmt"]
    _, builds = dry_run("--push", "--version", VERSION, "--repo", repos[0], "--repo", repos[1])

    for variant, build in zip(VARIANTS, builds, strict=True):
        assert build.argv[:3] == ["docker", "buildx", "build"]
        assert "--push" in build.argv
        platforms = build.values("--platform")
        if variant.startswith("cpu"):
            assert platforms == ["linux/amd64,linux/arm64"]
        else:
            assert platforms == ["linux/amd64"]
        assert build.values("-t") == [tag for repo in repos for tag in expected_tags(variant, VERSION, repo)]


def test_multi_arch_builds_the_push_platforms_without_pushing() -> None:
    _, builds = dry_run("--multi-arch", "--variant", "cpu-full", "--version", VERSION)

    (build,) = builds
    assert build.values("--platform") == ["linux/amd64,linux/arm64"]
    assert "--push" not in build.argv
    assert "--load" not in build.argv


def test_preload_pairs_go_to_the_full_images_only_and_extra_arguments_to_every_build() -> None:
    _, builds = dry_run("--preload", "en->fr,fr->en", "--", "--build-arg", "TORCH_INDEX_URL=http://index")

    for variant, build in zip(VARIANTS, builds, strict=True):
        assert build.build_args.get("PRELOAD_PAIRS") == (
            "en->fr,fr->en" if variant.endswith("-full") else None
        )
        assert build.build_args["TORCH_INDEX_URL"] == "http://index"


def test_podman_builds_in_docker_format_so_the_healthcheck_survives() -> None:
    _, builds = dry_run("--variant", "cpu-min", env={"DOCKER": "podman", "PATH": "/usr/bin:/bin"})

    (build,) = builds
    assert build.argv[:2] == ["podman", "build"]
    assert build.values("--format") == ["docker"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--variant", "cpu"], "unknown variant cpu"),
        (["--bogus"], "unknown option --bogus"),
    ],
)
def test_bad_arguments_are_refused_with_a_message(args: list[str], message: str) -> None:
    result = subprocess.run(
        ["bash", "build-all.sh", "--dry-run", *args], cwd=REPO_ROOT, capture_output=True, text=True
    )

    assert result.returncode == 2
    assert message in result.stderr


def test_the_powershell_script_builds_the_same_variants_tags_and_platforms() -> None:
    script = (REPO_ROOT / "build-all.ps1").read_text(encoding="utf-8")

    for variant, dockerfile in DOCKERFILES.items():
        row = re.search(rf"'{variant}'\s*=\s*@\{{(?P<body>[^}}]*)\}}", script)
        assert row, variant
        body = row["body"]
        assert f"File = '{dockerfile}'" in body
        tags = re.search(r"Tags = @\((?P<tags>[^)]*)\)", body)
        assert tags
        assert re.findall(r"'([^']+)'", tags["tags"]) == NAMED_TAGS[variant]
        platforms = "linux/amd64,linux/arm64" if variant.startswith("cpu") else "linux/amd64"
        assert f"Platforms = '{platforms}'" in body
    for switch in ("Push", "MultiArch", "DryRun"):
        assert f"[switch]${switch}" in script, switch
    for parameter in ("Repo", "Variant", "Version", "Preload"):
        assert f"${parameter}" in script, parameter
    assert "yyyyMMdd.HHmmss" in script
    assert "scottgal/mostlylucid-nmt" in script
