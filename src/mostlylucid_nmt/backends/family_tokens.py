"""How each model family is told which languages to translate between; shared by every real backend.

Both real backends tokenise and detokenise with the family's Hugging Face tokenizer. The families differ in
how they choose the output language:
- Opus-MT: one model per direction; a multi-target model reads a `>>xxx<<` token in front of the source text.
- mBART-50: `tokenizer.src_lang = de_DE`; the decoder's first token is the target code (`fr_XX`).
- M2M-100: `tokenizer.src_lang = de`; the decoder's first token is the target language token (`__fr__`).
Only the way the decoder's first token is forced belongs to an engine (transformers: `forced_bos_token_id`,
CTranslate2: `target_prefix`). Tokenizers and configs are duck-typed, so nothing here imports torch.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mostlylucid_nmt.backends.base import ModelSpec
from mostlylucid_nmt.backends.families import mbart50_codes, opus_target_tokens
from mostlylucid_nmt.errors import ModelUnavailable, UnsupportedLanguage
from mostlylucid_nmt.settings import ModelFamily

# Files without which a family's tokenizer fails with an unhelpful message, or (mBART-50) silently falls back
# to a 58-token vocabulary that turns every word into <unk>.
REQUIRED_FILES: dict[ModelFamily, tuple[str, ...]] = {
    ModelFamily.OPUS_MT: ("config.json", "source.spm", "target.spm", "vocab.json"),
    ModelFamily.MBART50: ("config.json", "sentencepiece.bpe.model"),
    ModelFamily.M2M100: ("config.json", "sentencepiece.bpe.model", "vocab.json"),
}

# A tokenizer with no model_max_length reports a huge sentinel; anything above this is "not set".
_UNSET_MAX_LENGTH = 1_000_000
# Used when neither the tokenizer nor the config states a limit: Opus-MT's, the smallest of the families.
_FALLBACK_MAX_INPUT_TOKENS = 512


def check_required_files(spec: ModelSpec, folder: Path) -> None:
    missing = [name for name in REQUIRED_FILES[spec.family] if not (folder / name).is_file()]
    if missing:
        raise ModelUnavailable(f"model {spec.repo_id} is missing {', '.join(missing)}")


def check_vocabulary(spec: ModelSpec, tokenizer: Any, config: Any) -> None:
    """Refuse a tokenizer that cannot be the model's own (`config` is the checkpoint's transformers config)."""
    # Checkpoints pad their embedding matrix a little beyond the tokenizer (M2M-100), never the other way,
    # and never by much: a tokenizer far smaller than the model means its vocabulary file was not read.
    tokens, rows = len(tokenizer), int(config.vocab_size)
    if tokens > rows or tokens < rows * 0.9:
        raise ModelUnavailable(
            f"model {spec.repo_id}: tokenizer has {tokens} tokens but the model {rows}; files do not match"
        )


def max_input_tokens(tokenizer: Any, config: Any) -> int:
    """Longest input the model accepts: the tokenizer's limit, capped by the model's position table."""
    limit = int(getattr(tokenizer, "model_max_length", 0) or 0)
    positions = int(getattr(config, "max_position_embeddings", 0) or 0)
    if 0 < limit < _UNSET_MAX_LENGTH:
        return min(limit, positions) if positions else limit
    return positions or _FALLBACK_MAX_INPUT_TOKENS


def language_tokens(tokenizer: Any) -> frozenset[str]:
    """The >>xxx<< target tokens a multi-target Opus-MT tokenizer knows."""
    vocab = tokenizer.get_vocab()
    return frozenset(token for token in vocab if token.startswith(">>") and token.endswith("<<"))


class FamilyTokenizer:
    """A checkpoint's tokenizer plus its family's language rules. Safe to use from several threads at once."""

    def __init__(self, spec: ModelSpec, tokenizer: Any, config: Any) -> None:
        self._spec = spec
        self._tokenizer = tokenizer
        # src_lang is tokenizer state: set it and tokenise under one lock so concurrent batches for
        # different source languages cannot interleave.
        self._lock = threading.Lock()
        self._max_input_tokens = max_input_tokens(tokenizer, config)
        self._target_tokens = language_tokens(tokenizer) if spec.multi_target else frozenset()

    @property
    def tokenizer(self) -> Any:
        """The Hugging Face tokenizer. Its id/token conversions are stateless; tokenise through `encode`."""
        return self._tokenizer

    @property
    def max_input_tokens(self) -> int:
        return self._max_input_tokens

    def encode(self, texts: Sequence[str], source_lang: str, target_lang: str, **options: Any) -> Any:
        """The tokenizer's output for `texts` (options as for calling the tokenizer), languages applied."""
        prepared = self._with_target_token(texts, target_lang)
        with self._lock:
            self._set_source_language(source_lang)
            return self._tokenizer(prepared, **options)

    def count_tokens(self, texts: Sequence[str], source_lang: str, target_lang: str) -> list[int]:
        ids: list[list[int]] = self.encode(texts, source_lang, target_lang)["input_ids"]
        return [len(row) for row in ids]

    def new_token_budget(self, max_new_tokens: int, longest_input: int) -> int:
        """Decoding steps allowed, the forced target-language token included (both engines count it).

        Room for the translation to be longer than the source, bounded by the model's own limit.
        """
        return min(max_new_tokens, self._max_input_tokens, 2 * longest_input + 16)

    def forced_target_token(self, target_lang: str) -> str | None:
        """The token the decoder must start with to produce `target_lang`; None where the family has none."""
        family = self._spec.family
        if family is ModelFamily.MBART50:
            return mbart50_codes()[target_lang]
        if family is ModelFamily.M2M100:
            token: str = self._tokenizer.get_lang_token(target_lang)
            return token
        return None

    def forced_target_id(self, target_lang: str) -> int | None:
        """`forced_target_token` as a vocabulary id."""
        family = self._spec.family
        if family is ModelFamily.MBART50:
            return int(self._tokenizer.convert_tokens_to_ids(mbart50_codes()[target_lang]))
        if family is ModelFamily.M2M100:
            return int(self._tokenizer.get_lang_id(target_lang))
        return None

    def decode(self, sequences: Sequence[Sequence[int]]) -> list[str]:
        """Text of each generated sequence, once the engine has removed its leading start/target tokens."""
        texts: list[str] = self._tokenizer.batch_decode(sequences, skip_special_tokens=True)
        return [text.strip() for text in texts]

    # ---------------------------------------------------------------------------------------------------------
    def _set_source_language(self, source_lang: str) -> None:
        family = self._spec.family
        if family is ModelFamily.MBART50:
            self._tokenizer.src_lang = mbart50_codes()[source_lang]
        elif family is ModelFamily.M2M100:
            self._tokenizer.src_lang = source_lang

    def _with_target_token(self, texts: Sequence[str], target_lang: str) -> list[str]:
        if not self._spec.multi_target:
            return list(texts)
        token = self._target_token(target_lang)
        return [f"{token} {text}" for text in texts]

    def _target_token(self, target_lang: str) -> str:
        for token in opus_target_tokens(target_lang):
            if token in self._target_tokens:
                return token
        raise UnsupportedLanguage(
            f"model {self._spec.repo_id} has no target token for '{target_lang}' "
            f"(it knows {len(self._target_tokens)} targets)"
        )


class TokenizedTranslator:
    """What every engine's translator shares: its spec, and token counting through the family tokenizer."""

    def __init__(self, spec: ModelSpec, tokens: FamilyTokenizer) -> None:
        self._spec = spec
        self._tokens = tokens

    @property
    def spec(self) -> ModelSpec:
        return self._spec

    @property
    def max_input_tokens(self) -> int:
        return self._tokens.max_input_tokens

    def count_tokens(self, texts: Sequence[str], source_lang: str, target_lang: str) -> list[int]:
        return self._tokens.count_tokens(texts, source_lang, target_lang)
