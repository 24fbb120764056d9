"""The README's examples for markup-safe translation and the LibreTranslate API, run against the real server.

Each ```bash block with a curl command is sent as curl would send it (the fake backend translates); its
answer must have the documented shape: the same keys in the same order, the same types, the same detected
languages, and for HTML and Markdown the same markup as the documented translation.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlsplit

import httpx
import pytest

from tests.support.markup import html_view, markdown_view

README = Path(__file__).resolve().parents[2] / "README.md"
SECTIONS = ("## Markup-safe translation", "## LibreTranslate-compatible API")
_EXAMPLE = re.compile(r"```bash\n(?P<command>curl .*?)```\s*```json\n(?P<answer>.*?)```", re.DOTALL)


def _examples() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    examples = []
    for heading in SECTIONS:
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        examples += [(match["command"], match["answer"]) for match in _EXAMPLE.finditer(section)]
    return examples


EXAMPLES = _examples()


def test_the_sections_have_examples() -> None:
    assert len(EXAMPLES) >= 6


def _request(command: str) -> tuple[str, str, dict[str, str], bytes | None]:
    """Method, path, headers and body of a curl command line (the options the README uses)."""
    words = shlex.split(command.replace("\\\n", " "))
    assert words[0] == "curl"
    method, url, headers, data = "GET", "", {}, []
    index = 1
    while index < len(words):
        word = words[index]
        if word == "-X":
            method = words[index + 1]
            index += 1
        elif word == "-H":
            name, value = words[index + 1].split(":", 1)
            headers[name.strip()] = value.strip()
            index += 1
        elif word == "-d":
            data.append(words[index + 1])
            index += 1
        elif word == "--data-urlencode":
            name, value = words[index + 1].split("=", 1)
            data.append(f"{name}={quote_plus(value)}")
            index += 1
        else:
            url = word
        index += 1
    if not data:
        return method, url, headers, None
    headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    return "POST" if method == "GET" else method, url, headers, "&".join(data).encode()


def _assert_shape(actual: Any, documented: Any, where: str) -> None:
    if isinstance(documented, dict):
        assert isinstance(actual, dict), where
        assert list(actual) == list(documented), where
        for key, value in documented.items():
            if key == "language":
                assert actual[key] == value, where
            _assert_shape(actual[key], value, f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(actual, list), where
        if len(documented) == 1 or where.endswith(".targets"):  # examples of entries, not all of them
            for item in actual:
                _assert_shape(item, documented[0], f"{where}[]")
        else:
            assert len(actual) == len(documented), where
            for number, (item, value) in enumerate(zip(actual, documented, strict=True)):
                _assert_shape(item, value, f"{where}[{number}]")
    elif isinstance(documented, bool | str):
        assert type(actual) is type(documented), where
    else:
        assert isinstance(actual, int | float), where
        assert not isinstance(actual, bool), where


@pytest.mark.parametrize(("command", "answer"), EXAMPLES, ids=[f"example-{n}" for n in range(len(EXAMPLES))])
def test_readme_example(client: httpx.Client, command: str, answer: str) -> None:
    method, url, headers, body = _request(command)
    parts = urlsplit(url)
    assert parts.netloc == "localhost:8000"
    response = client.request(
        method, parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers, content=body
    )
    assert response.status_code == 200, response.text
    documented = json.loads(answer)
    actual = response.json()
    _assert_shape(actual, documented, "answer")
    request_format = (
        json.loads(body).get("format", "") if body and headers["Content-Type"] == "application/json" else ""
    )
    if b"format=html" in (body or b"") or request_format == "html":
        key = "translated" if "translated" in documented else "translatedText"
        assert html_view(actual[key]).skeleton == html_view(documented[key]).skeleton
    if request_format == "markdown":
        assert (
            markdown_view(actual["translated"]).skeleton == markdown_view(documented["translated"]).skeleton
        )
