"""Keep transformers' own chatter out of the server log."""

from __future__ import annotations

from transformers.utils import logging as transformers_logging


def quiet_transformers() -> None:
    """No progress bar per load, no notice per generate call or deprecated converter argument; errors still
    come through. (Both functions are unannotated in transformers, hence the ignores.)"""
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    transformers_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
