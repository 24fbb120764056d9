"""The tiny fixture models (tests/make_test_models.py) load and behave like the real checkpoints.

Everything goes through the public transformers API the service uses: AutoTokenizer (which must pick the
family's tokenizer class), AutoModelForSeq2SeqLM and generate. The weights are random, so outputs are not
translations; what matters is that they are non-empty, stop by themselves, are reproducible and follow the
requested target language.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, PreTrainedModel

from tests.make_test_models import (
    EN_ROA_TARGET_TOKENS,
    M2M100_LANGUAGES,
    M2M100_MADEUP_WORDS,
    MAX_CHECK_TOKENS,
    MBART50_LANGUAGE_CODES,
    MODELS,
    build_models,
)

pytestmark = pytest.mark.integration

MARIAN = "Helsinki-NLP/opus-mt-en-de"
MARIAN_REVERSE = "Helsinki-NLP/opus-mt-de-en"
MARIAN_MULTI = "Helsinki-NLP/opus-mt-en-roa"
MBART50 = "facebook/mbart-large-50-many-to-many-mmt"
M2M100 = "facebook/m2m100_418M"

_COMMON_FILES = {"config.json", "generation_config.json", "model.safetensors", "tokenizer_config.json"}
_MARIAN_FILES = _COMMON_FILES | {"source.spm", "target.spm", "vocab.json"}
EXPECTED_FILES = {
    MARIAN: _MARIAN_FILES,
    MARIAN_REVERSE: _MARIAN_FILES,
    MARIAN_MULTI: _MARIAN_FILES,
    MBART50: _COMMON_FILES | {"sentencepiece.bpe.model", "special_tokens_map.json"},
    M2M100: _COMMON_FILES | {"sentencepiece.bpe.model", "special_tokens_map.json", "vocab.json"},
}
EXPECTED_TOKENIZER = {
    MARIAN: "MarianTokenizer",
    MARIAN_REVERSE: "MarianTokenizer",
    MARIAN_MULTI: "MarianTokenizer",
    MBART50: "MBart50Tokenizer",
    M2M100: "M2M100Tokenizer",
}

EN = ["Where is the train station?", "My sister works in a small bakery near the river."]
DE = ["Wo ist der Bahnhof?", "Meine Schwester arbeitet in einer kleinen Bäckerei am Fluss."]


@dataclass(frozen=True)
class Loaded:
    tokenizer: Any
    model: PreTrainedModel


@dataclass(frozen=True)
class Request:
    """One batch for one model: the source language and target token are in each family's own notation."""

    repo_id: str
    texts: tuple[str, ...]
    source: str | None = None
    target: str | None = None

    def generate(self, loaded: dict[str, Loaded], **options: Any) -> list[list[int]]:
        item = loaded[self.repo_id]
        tokenizer = item.tokenizer
        forced: dict[str, int] = {}
        if self.repo_id == MBART50:
            tokenizer.src_lang = self.source
            forced["forced_bos_token_id"] = tokenizer.convert_tokens_to_ids(self.target)
        elif self.repo_id == M2M100:
            tokenizer.src_lang = self.source
            forced["forced_bos_token_id"] = tokenizer.get_lang_id(self.target)
        texts = (
            [f"{self.target} {text}" for text in self.texts] if self.repo_id == MARIAN_MULTI else self.texts
        )
        batch = tokenizer(list(texts), return_tensors="pt", padding=True)
        with torch.inference_mode():
            output = item.model.generate(**batch, **forced, **options)
        return [[int(token) for token in row] for row in output]

    @property
    def prefix_length(self) -> int:
        """The decoder start token, and for mBART-50 and M2M-100 the forced target-language token."""
        return 2 if self.repo_id in (MBART50, M2M100) else 1


REQUESTS = [
    Request(MARIAN, tuple(EN)),
    Request(MARIAN_REVERSE, tuple(DE)),
    Request(MARIAN_MULTI, tuple(EN), target=">>fra<<"),
    Request(MBART50, tuple(EN), source="en_XX", target="de_DE"),
    Request(M2M100, tuple(DE), source="de", target="en"),
]
TARGET_PAIRS = [
    (Request(MARIAN_MULTI, tuple(EN), target=">>fra<<"), Request(MARIAN_MULTI, tuple(EN), target=">>spa<<")),
    (Request(MBART50, tuple(EN), "en_XX", "de_DE"), Request(MBART50, tuple(EN), "en_XX", "fr_XX")),
    (Request(MBART50, tuple(DE), "de_DE", "en_XX"), Request(MBART50, tuple(DE), "de_DE", "th_TH")),
    (Request(M2M100, tuple(EN), "en", "de"), Request(M2M100, tuple(EN), "en", "zu")),
]


@pytest.fixture(scope="module")
def loaded(test_models_dir: Path) -> dict[str, Loaded]:
    items = {}
    for repo_id in EXPECTED_FILES:
        model = AutoModelForSeq2SeqLM.from_pretrained(test_models_dir / repo_id)
        model.eval()
        items[repo_id] = Loaded(AutoTokenizer.from_pretrained(test_models_dir / repo_id), model)
    return items


def _eos(loaded: dict[str, Loaded], repo_id: str) -> int:
    eos = loaded[repo_id].model.generation_config.eos_token_id
    assert isinstance(eos, int)
    return eos


def test_every_model_is_listed() -> None:
    assert {spec.repo_id for spec in MODELS} == set(EXPECTED_FILES)


@pytest.mark.parametrize("repo_id", list(EXPECTED_FILES))
def test_repository_has_the_hub_file_layout(test_models_dir: Path, repo_id: str) -> None:
    files = {path.name for path in (test_models_dir / repo_id).iterdir()}
    assert files == EXPECTED_FILES[repo_id]


@pytest.mark.parametrize("repo_id", list(EXPECTED_FILES))
def test_family_tokenizer_matches_the_model_vocabulary(loaded: dict[str, Loaded], repo_id: str) -> None:
    tokenizer, model = loaded[repo_id].tokenizer, loaded[repo_id].model
    assert type(tokenizer).__name__ == EXPECTED_TOKENIZER[repo_id]
    # M2M-100's embedding has 8 unused "madeupword" rows beyond the tokenizer, as in the real checkpoint.
    padding_rows = M2M100_MADEUP_WORDS if repo_id == M2M100 else 0
    assert len(tokenizer) + padding_rows == model.config.vocab_size
    pieces = tokenizer.tokenize(
        " ".join([*EN, *DE, "Привет, мир!", "今天天气很好。", "안녕하세요", "Καλημέρα"])
    )
    assert tokenizer.unk_token not in pieces


def test_mbart50_language_codes_have_distinct_ids(loaded: dict[str, Loaded]) -> None:
    tokenizer = loaded[MBART50].tokenizer
    ids = {code: tokenizer.convert_tokens_to_ids(code) for code in MBART50_LANGUAGE_CODES}
    assert len(ids) == 52
    assert len(set(ids.values())) == 52
    assert tokenizer.unk_token_id not in ids.values()
    assert tokenizer.bos_token == "<s>"
    for code, code_id in ids.items():
        tokenizer.src_lang = code
        encoded = tokenizer("Hello world")["input_ids"]
        assert encoded[0] == code_id
        assert encoded[-1] == tokenizer.eos_token_id
        assert tokenizer.decode(encoded, skip_special_tokens=True) == "Hello world"


def test_m2m100_has_a_language_id_for_each_of_its_100_codes(loaded: dict[str, Loaded]) -> None:
    tokenizer = loaded[M2M100].tokenizer
    ids = {code: tokenizer.get_lang_id(code) for code in M2M100_LANGUAGES}
    assert len(set(ids.values())) == len(M2M100_LANGUAGES) == 100
    assert "te" not in ids
    words = tokenizer("Hello world", add_special_tokens=False)["input_ids"]
    for code, lang_id in ids.items():
        assert tokenizer.convert_ids_to_tokens(lang_id) == f"__{code}__"
        # What generate returns: decoder start, forced language token, text, </s>.
        output = [tokenizer.eos_token_id, lang_id, *words, tokenizer.eos_token_id]
        assert tokenizer.decode(output, skip_special_tokens=True) == "Hello world"


def test_marian_multi_target_model_lists_iso_639_3_target_tokens(loaded: dict[str, Loaded]) -> None:
    tokenizer = loaded[MARIAN_MULTI].tokenizer
    codes = tokenizer.supported_language_codes
    assert codes == list(EN_ROA_TARGET_TOKENS)
    assert {">>fra<<", ">>spa<<", ">>ita<<", ">>por<<", ">>ron<<", ">>cat<<", ">>glg<<"} <= set(codes)
    encoded = tokenizer(">>fra<< Hello")["input_ids"]
    assert encoded[0] == tokenizer.convert_tokens_to_ids(">>fra<<")
    assert encoded[0] != tokenizer.unk_token_id
    assert loaded[MARIAN].tokenizer.supported_language_codes == []


@pytest.mark.parametrize("num_beams", [1, 2])
@pytest.mark.parametrize("request_", REQUESTS, ids=lambda request: request.repo_id)
def test_generation_is_non_empty_stops_and_is_deterministic(
    loaded: dict[str, Loaded], request_: Request, num_beams: int
) -> None:
    options = {"num_beams": num_beams, "do_sample": False, "max_new_tokens": MAX_CHECK_TOKENS}
    rows = request_.generate(loaded, **options)
    assert request_.generate(loaded, **options) == rows
    tokenizer, eos = loaded[request_.repo_id].tokenizer, _eos(loaded, request_.repo_id)
    special_text = {*tokenizer.all_special_tokens, ">>", "__"}
    for row in rows:
        generated = row[request_.prefix_length :]
        assert eos in generated, f"no </s> within {MAX_CHECK_TOKENS} tokens"
        assert generated.index(eos) >= 1, "empty output"
        text = tokenizer.decode(row, skip_special_tokens=True)
        assert text.strip()
        assert not any(token in text for token in special_text), text


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda request: request.repo_id)
def test_shipped_generation_config_stops_by_itself(loaded: dict[str, Loaded], request_: Request) -> None:
    # 4 beams and max_length 512 (Opus-MT), 5 beams and max_length 200 (mBART-50, M2M-100), as on the Hub.
    eos = _eos(loaded, request_.repo_id)
    for row in request_.generate(loaded):
        assert eos in row[request_.prefix_length : request_.prefix_length + MAX_CHECK_TOKENS]


@pytest.mark.parametrize(
    ("first", "second"), TARGET_PAIRS, ids=lambda request: f"{request.repo_id}:{request.target}"
)
def test_target_language_changes_the_output(
    loaded: dict[str, Loaded], first: Request, second: Request
) -> None:
    for num_beams in (1, 2):
        outputs = [
            request.generate(loaded, num_beams=num_beams, max_new_tokens=MAX_CHECK_TOKENS)
            for request in (first, second)
        ]
        for a, b in zip(*outputs, strict=True):
            assert a[first.prefix_length :] != b[second.prefix_length :]


def test_rebuilding_gives_byte_identical_files(test_models_dir: Path, tmp_path: Path) -> None:
    build_models(tmp_path)
    for repo_id, names in EXPECTED_FILES.items():
        for name in sorted(names):
            rebuilt = (tmp_path / repo_id / name).read_bytes()
            assert rebuilt == (test_models_dir / repo_id / name).read_bytes(), f"{repo_id}/{name} differs"
