"""The README documents every environment variable the settings read, and leads with the two commands."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices

from mostlylucid_nmt.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_starts_with_run_and_test_commands() -> None:
    text = README.read_text()
    first_block = text.split("```bash", 1)[1].split("```", 1)[0]
    assert [line.split()[:2] for line in first_block.strip().splitlines()] == [
        ["make", "run"],
        ["make", "test"],
    ]


def test_every_environment_variable_is_in_the_readme() -> None:
    text = README.read_text()
    missing = [
        str(choice)
        for field in Settings.model_fields.values()
        if isinstance(field.validation_alias, AliasChoices)
        for choice in field.validation_alias.choices
        if f"`{choice}`" not in text
    ]
    assert missing == []


def test_every_error_kind_is_in_the_readme() -> None:
    from mostlylucid_nmt.errors import ERROR_TABLE

    text = README.read_text()
    for error in ERROR_TABLE:
        assert f"| {error.status_code} | `{error.kind}`" in text, error.kind
