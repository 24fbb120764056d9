"""LibreTranslate's API under /libretranslate, against the real server with the fake backend.

The first tests replay the request and response examples of LibreTranslate's own documentation (its README's
"API Examples" and the examples in its OpenAPI description) byte for byte on the request side; the answers
have exactly the documented keys and types, with the fake backend's "[es] " translations in place of real ones.
"""

from __future__ import annotations

import json
import re

import httpx
import pytest

LT = "/libretranslate"


def _post(client: httpx.Client, path: str, body: dict[str, object]) -> httpx.Response:
    # As in the documentation: fetch(..., {method: "POST", body: JSON.stringify({...}), headers: {...}})
    return client.post(
        LT + path, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )


# --- the documented examples -----------------------------------------------------------------------------
def test_documented_simple_example(client: httpx.Client) -> None:
    response = _post(client, "/translate", {"q": "Hello!", "source": "en", "target": "es"})
    assert response.status_code == 200
    assert response.json() == {"translatedText": "[es] Hello!"}


def test_documented_simple_example_with_api_key(client: httpx.Client) -> None:
    body = {"q": "Hello!", "source": "en", "target": "es", "api_key": "xxxxxx"}
    assert _post(client, "/translate", body).json() == {"translatedText": "[es] Hello!"}


@pytest.mark.parametrize(
    ("text", "language", "translation"),
    [("Ciao!", "it", "[en] Ciao!"), ("Bonjour!", "fr", "[en] Bonjour!")],
)
def test_documented_auto_detect_examples(
    client: httpx.Client, text: str, language: str, translation: str
) -> None:
    body = _post(client, "/translate", {"q": text, "source": "auto", "target": "en"}).json()
    assert list(body) == ["detectedLanguage", "translatedText"]
    assert list(body["detectedLanguage"]) == ["confidence", "language"]
    assert body["detectedLanguage"]["language"] == language
    assert 50 <= body["detectedLanguage"]["confidence"] <= 100  # documented: 83 and 90.0
    assert body["translatedText"] == translation


def test_documented_html_example(client: httpx.Client) -> None:
    body = {"q": '<p class="green">Hello!</p>', "source": "en", "target": "es", "format": "html"}
    assert _post(client, "/translate", body).json() == {"translatedText": '<p class="green">[es] Hello!</p>'}


def test_documented_alternatives_example(client: httpx.Client) -> None:
    body = {"q": "Hello", "source": "en", "target": "it", "format": "text", "alternatives": 3}
    answer = _post(client, "/translate", body).json()
    # Documented: {"alternatives": ["Salve", "Pronto"], "translatedText": "Ciao"}. One model output per text.
    assert answer == {"alternatives": [], "translatedText": "[it] Hello"}


def test_documented_detect_example(client: httpx.Client) -> None:
    response = client.post(LT + "/detect", data={"q": "What language is this?"})
    assert response.status_code == 200
    candidates = response.json()
    assert [list(candidate) for candidate in candidates] == [["confidence", "language"]] * len(candidates)
    assert candidates[0]["language"] == "en"
    assert candidates[0]["confidence"] > 90
    confidences = [candidate["confidence"] for candidate in candidates]
    assert confidences == sorted(confidences, reverse=True)


def test_documented_languages_shape(client: httpx.Client) -> None:
    languages = client.get(LT + "/languages").json()
    assert all(list(language) == ["code", "name", "targets"] for language in languages)
    by_code = {language["code"]: language for language in languages}
    assert by_code["de"]["name"] == "German"
    assert by_code["el"]["name"] == "Modern Greek"
    assert "de" in by_code["en"]["targets"]
    pairs = set(client.get("/lang_pairs").json())
    assert {f"{code}-{target}" for code, entry in by_code.items() for target in entry["targets"]} == pairs


# --- request forms ---------------------------------------------------------------------------------------
def test_form_encoded_request(client: httpx.Client) -> None:
    response = client.post(LT + "/translate", data={"q": "Hello!", "source": "en", "target": "es"})
    assert response.json() == {"translatedText": "[es] Hello!"}


def test_multipart_request(client: httpx.Client) -> None:
    response = client.post(
        LT + "/translate", files={"q": (None, "Hello!"), "source": (None, "en"), "target": (None, "es")}
    )
    assert response.json() == {"translatedText": "[es] Hello!"}


def test_json_sent_as_text_plain(client: httpx.Client) -> None:
    # What fetch() sends when the caller forgets the Content-Type header.
    body = json.dumps({"q": "Hello!", "source": "en", "target": "es"}).encode()
    response = client.post(
        LT + "/translate", content=body, headers={"Content-Type": "text/plain;charset=UTF-8"}
    )
    assert response.json() == {"translatedText": "[es] Hello!"}


def test_repeated_form_field_is_a_list(client: httpx.Client) -> None:
    response = client.post(
        LT + "/translate",
        content="q=One.&q=Two.&source=en&target=de",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.json() == {"translatedText": ["[de] One.", "[de] Two."]}


def test_list_gives_list_and_detects_each_item(client: httpx.Client) -> None:
    body = {
        "q": ["Good morning, how are you today?", "Guten Morgen, wie geht es dir heute?"],
        "source": "auto",
        "target": "fr",
    }
    answer = _post(client, "/translate", body).json()
    assert answer["translatedText"] == [
        "[fr] Good morning, how are you today?",
        "[fr] Guten Morgen, wie geht es dir heute?",
    ]
    assert [item["language"] for item in answer["detectedLanguage"]] == ["en", "de"]


def test_list_with_alternatives_gives_one_list_per_text(client: httpx.Client) -> None:
    body = {"q": ["One.", "Two."], "source": "en", "target": "de", "alternatives": 2}
    assert _post(client, "/translate", body).json() == {
        "alternatives": [[], []],
        "translatedText": ["[de] One.", "[de] Two."],
    }


def test_text_in_the_target_language_comes_back_unchanged(client: httpx.Client) -> None:
    answer = _post(
        client, "/translate", {"q": "Guten Morgen, wie geht es dir heute?", "source": "auto", "target": "de"}
    ).json()
    assert answer["translatedText"] == "Guten Morgen, wie geht es dir heute?"
    assert answer["detectedLanguage"]["language"] == "de"


def test_markdown_works_here_too(client: httpx.Client) -> None:
    body = {"q": "# Title\n\nSome *text*.", "source": "en", "target": "de", "format": "markdown"}
    assert _post(client, "/translate", body).json() == {
        "translatedText": "# \\[de\\] Title\n\n\\[de\\] Some *text*."
    }


def test_detect_list_gives_one_list_per_text(client: httpx.Client) -> None:
    answer = _post(client, "/detect", {"q": ["What language is this?", "Quelle langue est-ce ?"]}).json()
    assert [candidates[0]["language"] for candidates in answer] == ["en", "fr"]


def test_detect_text_without_letters(client: httpx.Client) -> None:
    assert _post(client, "/detect", {"q": "12345"}).json() == [{"confidence": 0.0, "language": "und"}]


# --- errors: {"error": "..."} with LibreTranslate's status codes --------------------------------------------
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"source": "en", "target": "es"}, "Invalid request: missing q parameter"),
        ({"q": "", "source": "en", "target": "es"}, "Invalid request: missing q parameter"),
        ({"q": "Hello", "source": "en"}, "Invalid request: missing target parameter"),
        (
            {"q": 5, "source": "en", "target": "es"},
            "Invalid request: q must be a string or a list of strings",
        ),
        (
            {"q": "Hi", "source": "en", "target": "es", "alternatives": "many"},
            "Invalid request: alternatives parameter is not a number",
        ),
        (
            {"q": "Hi", "source": "en", "target": "es", "alternatives": 10000},
            "Invalid request: alternatives parameter must be <= 8",
        ),
        ({"q": "Hi", "source": "en", "target": "es", "format": "pdf"}, "pdf format is not supported"),
        ({"q": "Hi", "source": "en", "target": "xx"}, "no model translates 'en' to 'xx'"),
    ],
)
def test_bad_requests_are_400_with_an_error_message(
    client: httpx.Client, body: dict[str, object], message: str
) -> None:
    response = _post(client, "/translate", body)
    assert response.status_code == 400
    assert list(response.json()) == ["error"]
    assert response.json()["error"].startswith(message)


def test_invalid_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        LT + "/translate", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()) == (400, {"error": "Invalid JSON format"})


def test_over_the_size_limit_is_400_not_413(client: httpx.Client) -> None:
    response = _post(client, "/translate", {"q": "a" * 50_001, "source": "en", "target": "de"})
    assert response.status_code == 400
    assert re.search(r"EASYNMT_MAX_TEXT_LEN", response.json()["error"])


def test_errors_outside_the_prefix_keep_our_shape(client: httpx.Client) -> None:
    response = client.post("/translate", json={"text": "Hi", "target_lang": "xx", "source_lang": "en"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_language"


def test_openapi_documents_the_routes_and_their_body_forms(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/translate", "/detect"):
        content = paths[LT + path]["post"]["requestBody"]["content"]
        assert set(content) == {
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        }
    assert "get" in paths[LT + "/languages"]
