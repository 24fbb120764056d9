"""requirements-prod.txt (what the images install) and pyproject.toml's dependencies are the same pins."""

from __future__ import annotations

import tomllib

from packaging.requirements import Requirement

from tests.deploy.images import REPO_ROOT


def requirement_lines(name: str) -> list[str]:
    lines = (REPO_ROOT / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def pins(lines: list[str]) -> dict[str, Requirement]:
    parsed = [Requirement(line) for line in lines]
    return {requirement.name.lower().replace("_", "-"): requirement for requirement in parsed}


def test_requirements_prod_pins_exactly_the_pyproject_dependencies() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = pins(pyproject["project"]["dependencies"])
    installed = pins(requirement_lines("requirements-prod.txt"))

    assert {name: str(req) for name, req in installed.items()} == {
        name: str(req) for name, req in declared.items()
    }


def test_every_requirement_is_pinned_to_one_version() -> None:
    # An unpinned torch pulls the multi-GB CUDA build; any unpinned package makes image builds drift.
    lines = requirement_lines("requirements-prod.txt") + [
        line for line in requirement_lines("requirements.txt") if not line.startswith("-r ")
    ]
    for line in lines:
        operators = [specifier.operator for specifier in Requirement(line).specifier]
        assert operators == ["=="], line


def test_the_development_requirements_include_the_runtime_set_without_contradicting_it() -> None:
    assert "-r requirements-prod.txt" in requirement_lines("requirements.txt")
    development = pins([line for line in requirement_lines("requirements.txt") if not line.startswith("-r ")])
    runtime = pins(requirement_lines("requirements-prod.txt"))
    for name in set(development) & set(runtime):
        assert development[name].specifier == runtime[name].specifier, name
