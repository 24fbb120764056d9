"""Readiness waits for PRELOAD_MODELS; logs are JSON lines with request ids and without user text."""

from __future__ import annotations

import json
import time

import httpx

from tests.support.server import running_server, wait_ready

SECRET = "Confidential merger plan for Tuesday."


def test_readyz_turns_ready_only_after_preloads() -> None:
    env = {"TRANSLATION_BACKEND": "fake", "FAKE_LOAD_DELAY_MS": "1500", "PRELOAD_MODELS": "en->de,de->en"}
    with running_server(env) as server, server.client() as client:
        early = client.get("/readyz")
        assert early.status_code == 503
        assert early.json()["status"] == "loading"
        assert client.get("/healthz").status_code == 200  # alive while loading
        wait_ready(server, timeout_s=20)
        cache = client.get("/cache").json()
        assert sorted(item["model"] for item in cache["loaded"]) == [
            "Helsinki-NLP/opus-mt-de-en",
            "Helsinki-NLP/opus-mt-en-de",
        ]


def test_failed_preload_is_reported_not_hidden() -> None:
    env = {"TRANSLATION_BACKEND": "fake", "PRELOAD_MODELS": "en->xx"}
    with running_server(env) as server, server.client() as client:
        wait_ready(server)
        body = client.get("/readyz").json()
        assert body["preload_errors"]
        assert "en->xx" in body["preload_errors"][0]


def _json_lines(log: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.splitlines() if line.startswith("{")]


def test_json_logs_have_one_line_per_request_and_no_user_text() -> None:
    with running_server({"TRANSLATION_BACKEND": "fake", "LOG_FORMAT": "json"}) as server:
        with server.client() as client:
            response = client.post(
                "/translate",
                json={"text": SECRET, "target_lang": "de", "source_lang": "en"},
                headers={"X-Request-ID": "req-42"},
            )
            assert response.status_code == 200
            client.get("/translate", params={"text": SECRET, "target_lang": "de", "source_lang": "en"})
        time.sleep(0.2)
        log = server.log()
        assert "Confidential" not in log
        access = [line for line in _json_lines(log) if line["logger"] == "mostlylucid_nmt.access"]
        mine = [line for line in access if line["request_id"] == "req-42"]
        assert len(mine) == 1
        assert mine[0]["status"] == 200
        assert mine[0]["method"] == "POST"


def test_user_text_is_logged_only_when_asked() -> None:
    env = {"TRANSLATION_BACKEND": "fake", "LOG_INCLUDE_TEXT": "1"}
    with running_server(env) as server:
        httpx.post(
            f"{server.base_url}/translate", json={"text": SECRET, "target_lang": "de", "source_lang": "en"}
        )
        time.sleep(0.2)
        assert "Confidential" in server.log()
