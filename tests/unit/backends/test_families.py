"""Language facts per family, checked against the reference data and the known traps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mostlylucid_nmt.backends.families import (
    COLLECTIVE_CODES,
    family_catalog,
    m2m100_codes,
    mbart50_codes,
    opus_target_tokens,
)
from mostlylucid_nmt.settings import ModelFamily, load_settings

REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "data"

# Codes whose mBART-50 token is not simply "{code}_XX" (the published system guessed that and was wrong).
MBART_SPOT_CHECKS = {
    "de": "de_DE",
    "zh": "zh_CN",
    "ja": "ja_XX",
    "pt": "pt_XX",
    "he": "he_IL",
    "en": "en_XX",
    "fr": "fr_XX",
    "es": "es_XX",
    "ar": "ar_AR",
    "hi": "hi_IN",
    "sv": "sv_SE",
    "uk": "uk_UA",
    "sl": "sl_SI",
    "gl": "gl_ES",
    "xh": "xh_ZA",
    "ps": "ps_AF",
    "te": "te_IN",
    "tl": "tl_XX",
    "vi": "vi_VN",
    "ko": "ko_KR",
}


def test_mbart50_has_all_52_codes_mapped_correctly() -> None:
    codes = mbart50_codes()
    assert len(codes) == 52
    for short, token in MBART_SPOT_CHECKS.items():
        assert codes[short] == token
    assert all(token[:2] == short and token[2] == "_" and len(token) == 5 for short, token in codes.items())
    if REFERENCE.is_dir():
        assert codes == json.loads((REFERENCE / "mbart50-lang-map.json").read_text())


def test_m2m100_has_100_codes_with_zu_and_without_te() -> None:
    codes = m2m100_codes()
    assert len(codes) == 100
    assert {"zu", "ast", "ceb", "ilo", "ns"} <= codes
    assert "te" not in codes
    if REFERENCE.is_dir():
        assert codes == set(json.loads((REFERENCE / "m2m100-langs.json").read_text()))


def test_opus_catalog_uses_real_pairs_only() -> None:
    catalog = family_catalog(ModelFamily.OPUS_MT, load_settings({}))
    assert catalog[("en", "de")][0].repo_id == "Helsinki-NLP/opus-mt-en-de"
    # Pairs that did not exist in the 2021 list are not invented from the languages appearing somewhere.
    assert ("en", "th") not in catalog
    assert ("no", "en") not in catalog
    # en->ja is served by the oddly named en-jap model.
    assert catalog[("en", "ja")][0].repo_id == "Helsinki-NLP/opus-mt-en-jap"
    # Group codes are never offered as languages.
    assert not {code for pair in catalog for code in pair} & COLLECTIVE_CODES


def test_opus_group_models_serve_members_after_direct_models() -> None:
    catalog = family_catalog(ModelFamily.OPUS_MT, load_settings({}))
    fr = catalog[("en", "fr")]
    assert fr[0].repo_id == "Helsinki-NLP/opus-mt-en-fr"
    assert not fr[0].multi_target
    group = [spec for spec in fr if spec.repo_id == "Helsinki-NLP/opus-mt-en-roa"]
    assert group
    assert group[0].multi_target
    # A multi-source model needs no target token.
    into_en = [spec for spec in catalog[("fr", "en")] if spec.repo_id.endswith("roa-en")]
    assert into_en
    assert not into_en[0].multi_target


@pytest.mark.parametrize(("lang", "tokens"), [("fr", [">>fr<<", ">>fra<<"]), ("xx", [">>xx<<"])])
def test_opus_target_tokens_try_both_code_forms(lang: str, tokens: list[str]) -> None:
    assert opus_target_tokens(lang) == tokens


def test_mbart_one_to_many_checkpoint_only_translates_from_english() -> None:
    settings = load_settings({"MBART50_MODEL": "facebook/mbart-large-50-one-to-many-mmt"})
    catalog = family_catalog(ModelFamily.MBART50, settings)
    assert {source for source, _ in catalog} == {"en"}
