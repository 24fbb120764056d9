"""English names of language codes (ISO 639-1, 639-3 and 639-5 language groups), from pycountry's ISO data."""

from __future__ import annotations

import re
from functools import cache

import pycountry

# "Modern Greek (1453-)" -> "Modern Greek", "Malay (macrolanguage)" -> "Malay".
_QUALIFIER = re.compile(r"\s*\([^)]*\)$")


@cache
def language_name(code: str) -> str:
    """The English name of ``code``, or the code itself when ISO 639 does not know it."""
    base = code.split("-", 1)[0].lower()
    entry = None
    if len(base) == 2:
        entry = pycountry.languages.get(alpha_2=base)
    elif len(base) == 3:
        entry = pycountry.languages.get(alpha_3=base) or pycountry.language_families.get(alpha_3=base)
    if entry is None:
        return code
    return _QUALIFIER.sub("", str(entry.name))
