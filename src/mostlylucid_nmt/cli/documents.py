"""Input for `translate` and `detect`: text arguments, files or standard input, and how files are sent.

A file is translated in chunks of whole lines, several chunks per request, so that a long file stays within
the service's per-text and per-request limits and the progress bar moves; the service keeps every line break
and blank line of a chunk (see `translation.segmentation`), so joining the translated chunks rebuilds the
file's layout exactly. A single line longer than the per-text limit is not cut: the service reports it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from mostlylucid_nmt.cli.errors import EXIT_BAD_INPUT, CliError

STDIN_NAME = "-"
# Characters of one chunk and of one request. Well under the default limits (EASYNMT_MAX_TEXT_LEN 50,000,
# MAX_INPUT_TEXT_LENGTH 200,000), so a server left at its defaults accepts every request.
CHUNK_CHARS = 4_000
REQUEST_CHARS = 32_000
REQUEST_CHUNKS = 16


@dataclass(frozen=True, slots=True)
class Document:
    name: str  # the path as given, or "-" for standard input
    text: str


def read_documents(files: Sequence[Path], stdin: TextIO) -> list[Document]:
    """The files' contents (UTF-8), or standard input when no file is given."""
    if not files:
        if stdin.isatty():
            raise CliError("give the text as arguments, with --file, or on standard input", EXIT_BAD_INPUT)
        return [Document(STDIN_NAME, stdin.read())]
    documents = []
    for path in files:
        try:
            documents.append(Document(str(path), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read {path}: {exc}", EXIT_BAD_INPUT) from None
    return documents


def chunk_lines(text: str, max_chars: int = CHUNK_CHARS) -> list[str]:
    """Consecutive runs of whole lines of at most max_chars each (a longer line is a chunk of its own)."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.splitlines(keepends=True):
        if current and size + len(line) > max_chars:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line)
    if current:
        chunks.append("".join(current))
    return chunks


def request_groups(
    chunks: Sequence[str], max_chars: int = REQUEST_CHARS, max_chunks: int = REQUEST_CHUNKS
) -> Iterator[list[str]]:
    """Consecutive chunks grouped into requests of at most max_chunks and (where possible) max_chars."""
    group: list[str] = []
    size = 0
    for chunk in chunks:
        if group and (size + len(chunk) > max_chars or len(group) == max_chunks):
            yield group
            group, size = [], 0
        group.append(chunk)
        size += len(chunk)
    if group:
        yield group
