"""How the command line fails: a message on stderr and an exit status a script can act on.

Exit statuses: 0 done; 1 the work failed (hub or server unreachable, a model could not be loaded, the server
answered an error of its own); 2 the command line, the configuration or the input is wrong (bad pair, unknown
language, unserved pair, unreadable file, text over a limit). A server's 4xx answer (other than 429) counts as
wrong input, like the same error raised in-process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from mostlylucid_nmt.errors import ServiceError
from mostlylucid_nmt.settings import SettingsError

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
# What shells report for a process ended by Ctrl+C (128 + SIGINT).
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A failure phrased for the person at the terminal."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def exit_code_for_status(status: int) -> int:
    """Client errors (bad input) exit 2; overload, server and model failures exit 1."""
    return EXIT_BAD_INPUT if 400 <= status < 500 and status != 429 else EXIT_FAILED


@contextmanager
def reported_failures() -> Iterator[None]:
    """Turn the errors a command expects into one line on stderr and the matching exit status."""
    try:
        yield
    except CliError as exc:
        _fail(exc.message, exc.exit_code)
    except ServiceError as exc:
        _fail(exc.detail, exit_code_for_status(exc.status_code))
    except SettingsError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)


def _fail(message: str, exit_code: int) -> None:
    typer.echo(f"mostlylucid-nmt: error: {message}", err=True)
    raise typer.Exit(exit_code)
