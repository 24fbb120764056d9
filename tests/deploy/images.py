"""The four Dockerfiles, read with dockerfile-parse, for the deployment tests."""

from __future__ import annotations

import io
import json
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dockerfile_parse import DockerfileParser

REPO_ROOT = Path(__file__).resolve().parents[2]

# variant label -> Dockerfile
DOCKERFILES = {
    "cpu-full": "Dockerfile",
    "cpu-min": "Dockerfile.min",
    "gpu-full": "Dockerfile.gpu",
    "gpu-min": "Dockerfile.gpu.min",
}
VARIANTS = tuple(DOCKERFILES)


@dataclass(frozen=True)
class Instruction:
    name: str
    value: str


@dataclass(frozen=True)
class Image:
    variant: str
    path: Path
    parser: DockerfileParser
    instructions: tuple[Instruction, ...]

    @property
    def final_stage(self) -> tuple[Instruction, ...]:
        """The instructions of the last stage, the image itself."""
        last_from = max(i for i, instruction in enumerate(self.instructions) if instruction.name == "FROM")
        return self.instructions[last_from:]

    def stage(self, name: str) -> tuple[Instruction, ...]:
        start, end = self.stage_bounds(name)
        return self.instructions[start:end]

    def stage_bounds(self, name: str) -> tuple[int, int]:
        """Where the stage `FROM ... AS name` starts and ends in `instructions`."""
        start = next(
            i
            for i, instruction in enumerate(self.instructions)
            if instruction.name == "FROM" and instruction.value.endswith(f" AS {name}")
        )
        end = next(
            (i for i in range(start + 1, len(self.instructions)) if self.instructions[i].name == "FROM"),
            len(self.instructions),
        )
        return start, end

    def only(self, name: str, stage: tuple[Instruction, ...] | None = None) -> Instruction:
        found = [i for i in (stage or self.final_stage) if i.name == name]
        assert len(found) == 1, f"{self.path.name}: expected one {name}, found {found}"
        return found[0]

    def global_arg_default(self, name: str) -> str | None:
        """The default of an ARG declared before the first FROM."""
        for instruction in self.instructions:
            if instruction.name == "FROM":
                break
            if instruction.name == "ARG" and instruction.value.split("=", 1)[0] == name:
                _, _, default = instruction.value.partition("=")
                return shlex.split(default)[0] if default else None
        return None

    def arg_default(self, name: str) -> str | None:
        for instruction in self.instructions:
            if instruction.name == "ARG" and instruction.value.startswith(f"{name}="):
                return instruction.value.split("=", 1)[1]
        return None

    def healthcheck_argv(self) -> list[str]:
        """The HEALTHCHECK command, which must be in exec form (a JSON list)."""
        value = self.only("HEALTHCHECK").value
        _, _, command = value.partition("CMD ")
        argv = json.loads(command)
        assert isinstance(argv, list)
        return [str(part) for part in argv]


@cache
def load(variant: str, build_args: tuple[tuple[str, str], ...] = ()) -> Image:
    path = REPO_ROOT / DOCKERFILES[variant]
    parser = DockerfileParser(fileobj=io.BytesIO(path.read_bytes()), build_args=dict(build_args))
    instructions = tuple(
        Instruction(item["instruction"], " ".join(item["value"].split()))
        for item in parser.structure
        if item["instruction"] != "COMMENT"
    )
    return Image(variant, path, parser, instructions)
