"""`format` on EasyNMT's /translate: the real server with the fake backend; EasyNMT's shapes are unchanged."""

from __future__ import annotations

import httpx

from tests.support.markup import assert_html_translated, assert_markdown_translated

KEYS = ["target_lang", "source_lang", "translated", "translation_time"]
KEYS_DETECTED = ["target_lang", "source_lang", "detected_langs", "translated", "translation_time"]


def test_post_html_string(client: httpx.Client) -> None:
    html = '<p>Hello <b>world</b>. <img src="a.png" alt="A cat"></p>'
    response = client.post(
        "/translate", json={"text": html, "target_lang": "de", "source_lang": "en", "format": "html"}
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == KEYS
    assert body["translated"] == '<p>[de] Hello <b>world</b>. <img src="a.png" alt="[de] A cat"></p>'
    assert response.headers["x-model-name"] == "Helsinki-NLP/opus-mt-en-de"


def test_get_markdown_list_with_detection(client: httpx.Client) -> None:
    documents = [
        "# Welcome\n\nThis is *important* news for everyone.\n",
        "# Willkommen\n\nDas ist *wichtig* für alle.\n",
    ]
    response = client.get(
        "/translate",
        params=[*(("text", doc) for doc in documents), ("target_lang", "de"), ("format", "markdown")],
    )
    body = response.json()
    assert list(body) == KEYS_DETECTED
    assert body["detected_langs"] == ["en", "de"]
    assert body["translated"][1] == documents[1]  # already German
    assert_markdown_translated(documents[0], body["translated"][0])


def test_list_of_html_documents(client: httpx.Client) -> None:
    documents = [
        "<h1>Title</h1><p>First <i>one</i>.</p>",
        "<ul><li>Second</li><li>Third &amp; last</li></ul>",
    ]
    body = client.post(
        "/translate", json={"text": documents, "target_lang": "fr", "source_lang": "en", "format": "html"}
    ).json()
    for source, output in zip(documents, body["translated"], strict=True):
        assert_html_translated(source, output.replace("[fr] ", "[de] "))


def test_absent_format_is_plain_text(client: httpx.Client) -> None:
    body = client.post(
        "/translate", json={"text": "<b>Hi</b> there.", "target_lang": "de", "source_lang": "en"}
    ).json()
    assert body["translated"] == "[de] <b>Hi</b> there."


def test_unknown_format_is_a_validation_error(client: httpx.Client) -> None:
    response = client.post("/translate", json={"text": "x", "target_lang": "de", "format": "pdf"})
    assert response.status_code == 422
    assert response.json()["error"] == "validation"
    assert "format" in response.json()["detail"]


def test_document_over_the_text_limit_is_413(client: httpx.Client) -> None:
    html = "<p>" + "word " * 12_000 + "</p>"
    response = client.post(
        "/translate", json={"text": html, "target_lang": "de", "source_lang": "en", "format": "html"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
