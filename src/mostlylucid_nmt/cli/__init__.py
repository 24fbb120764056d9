"""The `mostlylucid-nmt` command line (also `python -m mostlylucid_nmt`). The service never imports it."""

from mostlylucid_nmt.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    app(prog_name="mostlylucid-nmt")
