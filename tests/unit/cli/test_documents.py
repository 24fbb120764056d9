"""Files are cut into whole-line chunks and grouped into requests; joining them gives the file back."""

from __future__ import annotations

import pytest

from mostlylucid_nmt.cli.documents import chunk_lines, request_groups


@pytest.mark.parametrize(
    "text",
    [
        "",
        "one line without an end",
        "a\n\nb\r\nc\n",
        "\n\n\n",
        "short\n" + "x" * 50 + "\nshort again\n",
    ],
)
def test_chunks_rebuild_the_text_exactly(text: str) -> None:
    assert "".join(chunk_lines(text, max_chars=20)) == text


def test_chunks_hold_whole_lines_within_the_limit_and_a_long_line_alone() -> None:
    text = "aaaa\nbbbb\ncccc\n" + "L" * 30 + "\ndddd\n"
    assert chunk_lines(text, max_chars=10) == ["aaaa\nbbbb\n", "cccc\n", "L" * 30 + "\n", "dddd\n"]


def test_requests_respect_both_the_character_and_the_chunk_limits() -> None:
    chunks = ["a" * 10] * 5 + ["b" * 40, "c" * 5]
    groups = list(request_groups(chunks, max_chars=30, max_chunks=2))
    assert groups == [["a" * 10] * 2, ["a" * 10] * 2, ["a" * 10], ["b" * 40], ["c" * 5]]
    assert [chunk for group in groups for chunk in group] == chunks
    assert list(request_groups([], max_chars=30, max_chunks=2)) == []
