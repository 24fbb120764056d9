"""The README's command-line examples use only commands and options that exist."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import typer

from mostlylucid_nmt.cli import app

README = Path(__file__).resolve().parents[3] / "README.md"
_PROGRAMS = (["mostlylucid-nmt"], ["python", "-m", "mostlylucid_nmt"])


def _documented_invocations() -> list[list[str]]:
    section = README.read_text().split("## Command line", 1)[1].split("\n## ", 1)[0]
    blocks = [block.split("```", 1)[0] for block in section.split("```bash")[1:]]
    invocations = []
    for line in "\n".join(blocks).splitlines():
        for part in line.split("|"):
            words = shlex.split(part, comments=True)
            while words and "=" in words[0] and not words[0].startswith("-"):
                words = words[1:]  # VARIABLE=value prefixes
            for program in _PROGRAMS:
                if words[: len(program)] == program:
                    invocations.append(words[len(program) :])
    return invocations


def _resolve(args: list[str]) -> tuple[Any, list[str]]:
    """The (sub)command an argument list names, and the arguments left for it."""
    command: Any = typer.main.get_command(app)
    while hasattr(command, "commands"):  # a group: the next word names one of its commands
        name, args = args[0], args[1:]
        assert name in command.commands, f"no command {name!r}"
        command = command.commands[name]
    return command, args


def test_the_readme_shows_every_command() -> None:
    shown = {_resolve(args)[0].name for args in _documented_invocations()}
    assert shown >= {"download", "translate", "detect", "languages", "list", "clear", "serve"}


def test_every_documented_option_exists() -> None:
    invocations = _documented_invocations()
    assert len(invocations) >= 10
    for args in invocations:
        command, rest = _resolve(args)
        known = {name for param in command.params for name in (*param.opts, *param.secondary_opts)}
        for word in rest:
            if word.startswith("-"):
                assert word.split("=", 1)[0] in known, f"{command.name}: {word} is not an option"
