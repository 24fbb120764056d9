"""What each model family can serve: language codes, checkpoints and the language pairs they cover.

Facts come from the bundled data files (`data/`): mBART-50's 52 codes (most are NOT `{xx}_XX`), M2M-100's 100
codes (with `zu`, without `te`), the list of Opus-MT repositories that existed in 2021, and the members of the
language groups that Opus-MT multi-target models name. A pair is only offered when a model really covers it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from mostlylucid_nmt.backends.base import ModelSpec
from mostlylucid_nmt.settings import ModelFamily, Settings

Pair = tuple[str, str]

OPUS_MT_ORG = "Helsinki-NLP"

# ISO 639-5 collective codes that Opus-MT uses as a source or target. As a target they need a >>xxx<< token
# to pick the output language; they are never offered as languages themselves.
COLLECTIVE_CODES = frozenset(
    [
        "aav",
        "alv",
        "art",
        "bat",
        "ber",
        "bnt",
        "cau",
        "ccs",
        "cel",
        "cpf",
        "cus",
        "dra",
        "euq",
        "fiu",
        "gem",
        "gmq",
        "gmw",
        "grk",
        "iir",
        "inc",
        "ine",
        "itc",
        "map",
        "mkh",
        "mul",
        "nic",
        "phi",
        "poz",
        "pqe",
        "pqw",
        "roa",
        "sal",
        "sem",
        "sit",
        "sla",
        "trk",
        "tut",
        "urj",
        "zle",
        "zls",
        "zlw",
    ]
)

# Opus-MT's own spellings of languages we expose under their ISO 639-1 code.
_OPUS_CODE_TO_ISO = {"jap": "ja"}


def _load_json(name: str) -> Any:
    return json.loads(resources.files("mostlylucid_nmt.backends").joinpath("data", name).read_text("utf-8"))


@cache
def mbart50_codes() -> dict[str, str]:
    """Two-letter code -> mBART-50 language token (de -> de_DE, zh -> zh_CN, ja -> ja_XX ...)."""
    data: dict[str, str] = _load_json("mbart50-lang-map.json")
    return data


@cache
def m2m100_codes() -> frozenset[str]:
    codes: list[str] = _load_json("m2m100-langs.json")
    return frozenset(codes)


@cache
def iso639_3() -> dict[str, str]:
    data: dict[str, str] = _load_json("iso639-3.json")
    return {key: value for key, value in data.items() if not key.startswith("_")}


@cache
def opus_groups() -> dict[str, tuple[str, ...]]:
    data: dict[str, list[str]] = _load_json("opus-mt-groups.json")
    return {key: tuple(value) for key, value in data.items() if not key.startswith("_")}


def opus_target_tokens(target_lang: str) -> list[str]:
    """Target tokens to try, in order, for a multi-target Opus-MT model (>>fr<< in older, >>fra<< in newer)."""
    tokens = [f">>{target_lang}<<"]
    iso3 = iso639_3().get(target_lang)
    if iso3:
        tokens.append(f">>{iso3}<<")
    return tokens


def read_opus_pairs(path: Path | None) -> list[str]:
    if path is None:
        pairs: list[str] = _load_json("opus-mt-pairs-2021.json")
        return pairs
    loaded = json.loads(path.read_text("utf-8"))
    if not isinstance(loaded, list) or not all(isinstance(item, str) for item in loaded):
        raise ValueError(f"{path} must hold a JSON list of 'src-tgt' strings")
    return loaded


def _opus_catalog(pair_names: Iterable[str]) -> dict[Pair, list[ModelSpec]]:
    direct: dict[Pair, list[ModelSpec]] = {}
    via_group: dict[Pair, list[ModelSpec]] = {}
    groups = opus_groups()
    for name in pair_names:
        source, _, target = name.partition("-")
        if not source or not target:
            continue
        repo = f"{OPUS_MT_ORG}/opus-mt-{source}-{target}"
        source = _OPUS_CODE_TO_ISO.get(source, source)
        target = _OPUS_CODE_TO_ISO.get(target, target)
        source_group, target_group = source.lower() in COLLECTIVE_CODES, target.lower() in COLLECTIVE_CODES
        if not source_group and not target_group:
            direct.setdefault((source, target), []).append(ModelSpec(ModelFamily.OPUS_MT, repo))
            continue
        sources = groups.get(source.lower(), ()) if source_group else (source,)
        targets = groups.get(target.lower(), ()) if target_group else (target,)
        spec = ModelSpec(ModelFamily.OPUS_MT, repo, multi_target=target_group)
        for member_source in sources:
            for member_target in targets:
                if member_source != member_target:
                    via_group.setdefault((member_source, member_target), []).append(spec)
    # A model made for exactly this pair beats a group model that also covers it.
    catalog = direct
    for pair, specs in via_group.items():
        catalog.setdefault(pair, []).extend(specs)
    return catalog


def _all_pairs(codes: Iterable[str], spec: ModelSpec) -> dict[Pair, list[ModelSpec]]:
    ordered = sorted(codes)
    return {(src, tgt): [spec] for src in ordered for tgt in ordered if src != tgt}


def _mbart50_catalog(repo: str) -> dict[Pair, list[ModelSpec]]:
    spec = ModelSpec(ModelFamily.MBART50, repo)
    catalog = _all_pairs(mbart50_codes(), spec)
    # The one-to-many and many-to-one checkpoints only translate from or into English.
    if repo.endswith("one-to-many-mmt"):
        return {pair: specs for pair, specs in catalog.items() if pair[0] == "en"}
    if repo.endswith("many-to-one-mmt"):
        return {pair: specs for pair, specs in catalog.items() if pair[1] == "en"}
    return catalog


def family_catalog(family: ModelFamily, settings: Settings) -> dict[Pair, list[ModelSpec]]:
    """Every language pair the family covers, with the checkpoints that serve it in order of preference."""
    if family is ModelFamily.OPUS_MT:
        return _opus_catalog(read_opus_pairs(settings.opus_mt_pairs_file))
    if family is ModelFamily.MBART50:
        return _mbart50_catalog(settings.mbart50_model)
    return _all_pairs(m2m100_codes(), ModelSpec(ModelFamily.M2M100, settings.m2m100_model))
