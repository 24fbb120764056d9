"""The two ways the command line reaches the translation service, behind one small interface.

`LocalClient` builds the services exactly as a server worker does (`main.build_services`) and calls the same
`TranslationService`, so in-process answers are the server's answers. `RemoteClient` asks a running server
over its EasyNMT API. Commands take either and do not know which they hold.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import httpx

from mostlylucid_nmt.cli.errors import CliError, exit_code_for_status
from mostlylucid_nmt.main import build_services
from mostlylucid_nmt.settings import Settings
from mostlylucid_nmt.state import AppServices
from mostlylucid_nmt.translation.languages import normalize_code
from mostlylucid_nmt.translation.service import TranslationRequest

_T = TypeVar("_T")

# A first request may wait for a model download and load on the server; its own deadline
# (TRANSLATE_TIMEOUT_SEC) answers 504 well before this.
_READ_TIMEOUT_S = 600.0
_CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Translation:
    translated: list[str]
    # One code per text when the source language was detected; None when it was given.
    detected_langs: list[str] | None


class Client(Protocol):
    def translate(
        self, texts: Sequence[str], target_lang: str, source_lang: str, beam_size: int, split_sentences: bool
    ) -> Translation: ...

    def detect(self, texts: Sequence[str]) -> list[str]: ...

    def pairs(self) -> list[str]:
        """Every pair served, as EasyNMT writes them: "src-tgt"."""
        ...

    def languages(self, *, source_lang: str | None, target_lang: str | None) -> list[str]: ...

    def close(self) -> None: ...


class LocalClient:
    """The service in this process. One event loop for the client's life, so loaded models stay loaded."""

    def __init__(self, settings: Settings) -> None:
        self._runner = asyncio.Runner()
        # Built inside the loop that will use them: the registry and batcher bind to it.
        self._services: AppServices = self._run(self._build(settings))

    @staticmethod
    async def _build(settings: Settings) -> AppServices:
        return build_services(settings)

    def _run(self, work: Coroutine[Any, Any, _T]) -> _T:
        return self._runner.run(work)

    def translate(
        self, texts: Sequence[str], target_lang: str, source_lang: str, beam_size: int, split_sentences: bool
    ) -> Translation:
        request = TranslationRequest(
            texts=list(texts),
            target_lang=target_lang,
            source_lang=source_lang,
            beam_size=beam_size,
            split_sentences=split_sentences,
        )
        outcome = self._run(self._services.service.translate(request))
        return Translation(outcome.translated, outcome.detected_langs)

    def detect(self, texts: Sequence[str]) -> list[str]:
        return self._run(self._services.service.detect_languages(list(texts)))

    def pairs(self) -> list[str]:
        return [f"{source}-{target}" for source, target in self._services.router.pairs()]

    def languages(self, *, source_lang: str | None, target_lang: str | None) -> list[str]:
        source = normalize_code(source_lang, field="--source") if source_lang else None
        target = normalize_code(target_lang, field="--target") if target_lang else None
        return self._services.router.languages(source_lang=source, target_lang=target)

    def close(self) -> None:
        async def shut_down() -> None:
            await self._services.batcher.close()
            await self._services.registry.close()

        try:
            self._run(shut_down())
        finally:
            self._runner.close()


class RemoteClient:
    """A running server, through the same endpoints any EasyNMT client uses."""

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self._base_url,
            timeout=httpx.Timeout(_READ_TIMEOUT_S, connect=_CONNECT_TIMEOUT_S),
        )

    def translate(
        self, texts: Sequence[str], target_lang: str, source_lang: str, beam_size: int, split_sentences: bool
    ) -> Translation:
        body = self._request(
            "POST",
            "/translate",
            json={
                "text": list(texts),
                "target_lang": target_lang,
                "source_lang": source_lang,
                "beam_size": beam_size,
                "perform_sentence_splitting": split_sentences,
            },
        )
        detected = body.get("detected_langs")
        return Translation(list(body["translated"]), list(detected) if detected is not None else None)

    def detect(self, texts: Sequence[str]) -> list[str]:
        return list(self._request("POST", "/language_detection", json={"text": list(texts)}))

    def pairs(self) -> list[str]:
        return list(self._request("GET", "/lang_pairs"))

    def languages(self, *, source_lang: str | None, target_lang: str | None) -> list[str]:
        params = {"source_lang": source_lang, "target_lang": target_lang}
        return list(
            self._request(
                "GET", "/get_languages", params={key: value for key, value in params.items() if value}
            )
        )

    def model_cache(self) -> dict[str, Any]:
        return dict(self._request("GET", "/cache"))

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise CliError(f"cannot reach the server at {self._base_url} ({exc})") from None
        if response.is_success:
            return response.json()
        raise CliError(
            f"the server answered {response.status_code}: {_error_detail(response)}",
            exit_code_for_status(response.status_code),
        )


def _error_detail(response: httpx.Response) -> str:
    """The `detail` of the service's error body (`{"detail": ..., "error": kind}`)."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason_phrase
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else str(body)[:500]
