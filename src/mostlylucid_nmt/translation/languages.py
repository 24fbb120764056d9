"""Language codes as clients send them and detectors report them, normalised to the codes models use."""

from __future__ import annotations

from mostlylucid_nmt.errors import InvalidRequest

# Whole-code aliases first (region or script variants that models treat as the base language), then
# deprecated or alternative codes.
_ALIASES = {
    "zh-cn": "zh",
    "zh-tw": "zh",
    "zh-hans": "zh",
    "zh-hant": "zh",
    "zh-hk": "zh",
    "iw": "he",
    "in": "id",
    "ji": "yi",
    "jw": "jv",
    "nb": "no",
    "nn": "no",
    "tl": "tl",
    "fil": "tl",
    "eng": "en",
    "deu": "de",
    "ger": "de",
    "fra": "fr",
    "fre": "fr",
    "spa": "es",
    "ita": "it",
    "por": "pt",
    "rus": "ru",
    "zho": "zh",
    "chi": "zh",
    "jpn": "ja",
    "kor": "ko",
    "ara": "ar",
    "nld": "nl",
    "dut": "nl",
}

_MAX_CODE_LENGTH = 12


def normalize_code(code: str, *, field: str) -> str:
    """`zh-CN` -> `zh`, `pt_BR` -> `pt`, `EN` -> `en`. Raises InvalidRequest for empty or malformed codes."""
    cleaned = code.strip().lower().replace("_", "-")
    if not cleaned:
        raise InvalidRequest(f"{field} must be a language code such as 'en' or 'de'")
    if len(cleaned) > _MAX_CODE_LENGTH or not all(ch.isalnum() or ch == "-" for ch in cleaned):
        raise InvalidRequest(
            f"{field} {code[:_MAX_CODE_LENGTH]!r} is not a language code such as 'en' or 'de'"
        )
    if cleaned in _ALIASES:
        return _ALIASES[cleaned]
    base = cleaned.split("-", 1)[0]
    return _ALIASES.get(base, base)
