"""`download` fetches what the server's Router would load: primary family, fallback family, pivot legs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mostlylucid_nmt.cli.download import plan_downloads
from mostlylucid_nmt.cli.errors import CliError
from mostlylucid_nmt.settings import DEFAULT_MBART50_REPO, Settings, load_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Opus-MT with four pairs only, mBART-50 as the one fallback, no hub needed to plan."""
    pairs = tmp_path / "opus-pairs.json"
    pairs.write_text(json.dumps(["en-de", "de-en", "en-fr", "fr-en"]))
    # Every routing setting is given: load_settings(mapping) still lets the process environment fill the
    # rest (the test session itself sets HF_HUB_OFFLINE=1, which would make every model unavailable).
    return load_settings(
        {
            "MODEL_FAMILY": "opus-mt",
            "AUTO_MODEL_FALLBACK": "true",
            "MODEL_FALLBACK_ORDER": "mbart50",
            "PIVOT_FALLBACK": "true",
            "PIVOT_LANG": "en",
            "OPUS_MT_PAIRS_FILE": str(pairs),
            "OFFLINE": "false",
            "MODEL_DIR": str(tmp_path / "no-models"),
            "MODEL_CACHE_DIR": str(tmp_path / "cache"),
        }
    )


def test_direct_and_fallback_models_each_planned_once(settings: Settings) -> None:
    planned = plan_downloads(settings, [("en", "de"), ("de", "fr"), ("en", "ja")], ["org/extra-model"])
    assert [(model.repo_id, model.pairs) for model in planned] == [
        ("Helsinki-NLP/opus-mt-en-de", ["en->de"]),
        # Opus-MT has neither here; a fallback family that serves a pair directly beats a pivot.
        (DEFAULT_MBART50_REPO, ["de->fr", "en->ja"]),
        ("org/extra-model", []),
    ]


def test_without_fallbacks_pivot_legs_are_planned_and_an_uncovered_pair_fails_the_plan(
    settings: Settings,
) -> None:
    strict = settings.model_copy(update={"auto_model_fallback": False})
    planned = plan_downloads(strict, [("de", "fr")], [])
    assert [(model.repo_id, model.pairs) for model in planned] == [
        ("Helsinki-NLP/opus-mt-de-en", ["de->fr"]),
        ("Helsinki-NLP/opus-mt-en-fr", ["de->fr"]),
    ]
    with pytest.raises(CliError) as failure:
        plan_downloads(strict, [("en", "de"), ("en", "ja"), ("en", "zz")], [])
    assert failure.value.exit_code == 2
    assert "en->ja: no model translates 'en' to 'ja'" in failure.value.message
    assert "en->zz: no model translates 'en' to 'zz'" in failure.value.message
