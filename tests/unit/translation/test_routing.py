"""Routing: primary family, fallback families, pivot; and /lang_pairs agreeing with what plan() accepts."""

from __future__ import annotations

import pytest

from mostlylucid_nmt.backends.base import ModelSpec
from mostlylucid_nmt.errors import InvalidRequest, UnsupportedLanguage
from mostlylucid_nmt.settings import ModelFamily, load_settings
from mostlylucid_nmt.translation.languages import normalize_code
from mostlylucid_nmt.translation.routing import Router


def everything(spec: ModelSpec) -> bool:
    return True


def test_primary_family_first_then_fallbacks() -> None:
    router = Router(load_settings({}), everything)
    assert router.plan("en", "de").hops[0].spec.repo_id == "Helsinki-NLP/opus-mt-en-de"
    # No Opus-MT en->th model: mBART-50 has both languages and comes next in the fallback order.
    assert router.plan("en", "th").hops[0].spec.family is ModelFamily.MBART50
    # Zulu only exists in M2M-100.
    assert router.plan("en", "zu").hops[0].spec.family is ModelFamily.M2M100


def test_without_fallback_only_the_primary_family_serves() -> None:
    router = Router(load_settings({"AUTO_MODEL_FALLBACK": "0", "PIVOT_FALLBACK": "0"}), everything)
    with pytest.raises(UnsupportedLanguage, match="/lang_pairs"):
        router.plan("en", "th")
    assert ("en", "th") not in router.pairs()


def test_pivot_when_no_direct_model_exists() -> None:
    router = Router(load_settings({"AUTO_MODEL_FALLBACK": "0"}), everything)
    # Opus-MT has af->en and en->ar but no af->ar model.
    route = router.plan("af", "ar")
    assert route.pivot_lang == "en"
    assert [hop.spec.repo_id for hop in route.hops] == [
        "Helsinki-NLP/opus-mt-af-en",
        "Helsinki-NLP/opus-mt-en-ar",
    ]
    assert router.can_serve("af", "ar")


def test_only_available_models_are_routed_to() -> None:
    local = {"Helsinki-NLP/opus-mt-en-roa", "facebook/m2m100_418M"}
    router = Router(load_settings({}), lambda spec: spec.repo_id in local)
    route = router.plan("en", "fr")
    assert route.hops[0].spec.repo_id == "Helsinki-NLP/opus-mt-en-roa"
    assert route.hops[0].spec.multi_target
    assert router.plan("en", "de").hops[0].spec.repo_id == "facebook/m2m100_418M"


def test_pairs_and_languages_agree_with_plan() -> None:
    router = Router(load_settings({"MODEL_FAMILY": "mbart50", "AUTO_MODEL_FALLBACK": "0"}), everything)
    pairs = router.pairs()
    assert len(pairs) == 52 * 51
    for source, target in pairs[::97]:
        router.plan(source, target)
    assert router.languages(source_lang="en") == sorted({t for s, t in pairs if s == "en"})
    assert router.languages(target_lang="de") == sorted({s for s, t in pairs if t == "de"})
    assert len(router.languages()) == 52


@pytest.mark.parametrize(
    ("code", "normal"),
    [
        ("EN", "en"),
        ("zh-CN", "zh"),
        ("zh_TW", "zh"),
        ("pt-BR", "pt"),
        ("iw", "he"),
        ("nb", "no"),
        (" de ", "de"),
        ("deu", "de"),
    ],
)
def test_codes_are_normalised(code: str, normal: str) -> None:
    assert normalize_code(code, field="target_lang") == normal


@pytest.mark.parametrize("code", ["", "  ", "en de", "x" * 20, "<script>"])
def test_bad_codes_are_rejected(code: str) -> None:
    with pytest.raises(InvalidRequest, match="target_lang"):
        normalize_code(code, field="target_lang")
