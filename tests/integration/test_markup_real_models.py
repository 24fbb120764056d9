"""Markup-safe translation with a real-format model (the tiny Opus-MT fixture) behind the real server.

The fixture's random weights produce real tokens in no particular order: markers come back lost or
scrambled, so this is the run-by-run fallback at work, and anything the model writes (asterisks, brackets,
angle brackets) has to be escaped for the document to keep its structure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.markup import fold, html_view, markdown_view
from tests.support.server import RunningServer

pytestmark = pytest.mark.integration

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "markup"


@pytest.fixture
def client(test_model_server: RunningServer) -> Iterator[httpx.Client]:
    # The package's shared server over the test models (tests/integration/conftest.py).
    with test_model_server.client() as client:
        yield client


@pytest.mark.parametrize("name", sorted(path.name for path in CORPUS.glob("*.html")))
def test_html_structure_survives_a_real_model(client: httpx.Client, name: str) -> None:
    source = (CORPUS / name).read_text(encoding="utf-8")
    response = client.post(
        "/translate", json={"text": source, "source_lang": "en", "target_lang": "de", "format": "html"}
    )
    assert response.status_code == 200, response.text
    output = response.json()["translated"]
    before, after = html_view(source), html_view(output)
    masked = [token for token in after.skeleton if token[0] != "start"]
    assert masked == [token for token in before.skeleton if token[0] != "start"]
    assert [token[1] for token in after.skeleton if token[0] == "start"] == [
        token[1] for token in before.skeleton if token[0] == "start"
    ]
    assert after.verbatim == before.verbatim
    assert fold(after.text) != fold(before.text)  # the model's words are there


@pytest.mark.parametrize("name", sorted(path.name for path in CORPUS.glob("*.md")))
def test_markdown_structure_survives_a_real_model(client: httpx.Client, name: str) -> None:
    source = (CORPUS / name).read_text(encoding="utf-8")
    response = client.post(
        "/translate", json={"text": source, "source_lang": "en", "target_lang": "de", "format": "markdown"}
    )
    assert response.status_code == 200, response.text
    output = response.json()["translated"]
    assert markdown_view(output).skeleton == markdown_view(source).skeleton
    assert markdown_view(output).blocks != markdown_view(source).blocks


def test_libretranslate_html_with_a_real_model(client: httpx.Client) -> None:
    body = {"q": '<p class="green">Hello <b>world</b>!</p>', "source": "en", "target": "de", "format": "html"}
    response = client.post("/libretranslate/translate", json=body)
    assert response.status_code == 200, response.text
    translated = response.json()["translatedText"]
    assert html_view(translated).skeleton == html_view(body["q"]).skeleton
