"""Hugging Face transformers backend: the family's tokenizer + `AutoModelForSeq2SeqLM.generate`.

Each family tells the model which language to produce in its own way:
- Opus-MT: one model per direction; multi-target models need a `>>xxx<<` token in front of the source text.
- mBART-50: `tokenizer.src_lang = de_DE`, `forced_bos_token_id` = id of the target code (`fr_XX`).
- M2M-100: `tokenizer.src_lang = de`, `forced_bos_token_id = tokenizer.get_lang_id("fr")`.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
from transformers.utils import logging as transformers_logging

from mostlylucid_nmt.backends.base import GenerationOptions, ModelSpec, Translator
from mostlylucid_nmt.backends.families import mbart50_codes, opus_target_tokens
from mostlylucid_nmt.backends.hub import ModelLocator
from mostlylucid_nmt.errors import ModelUnavailable, UnsupportedLanguage
from mostlylucid_nmt.settings import ModelFamily, Settings

log = logging.getLogger(__name__)

# transformers prints a progress bar per load and an info line per generate call (max_new_tokens overriding the
# config's max_length, which is what we want): noise in a server log. Its errors still come through.
transformers_logging.disable_progress_bar()
transformers_logging.set_verbosity_error()

# Files without which a family's tokenizer fails with an unhelpful message, or (mBART-50) silently falls back
# to a 58-token vocabulary that turns every word into <unk>.
_REQUIRED_FILES: dict[ModelFamily, tuple[str, ...]] = {
    ModelFamily.OPUS_MT: ("config.json", "source.spm", "target.spm", "vocab.json"),
    ModelFamily.MBART50: ("config.json", "sentencepiece.bpe.model"),
    ModelFamily.M2M100: ("config.json", "sentencepiece.bpe.model", "vocab.json"),
}

_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}

# A tokenizer with no model_max_length reports a huge sentinel; anything above this is "not set".
_UNSET_MAX_LENGTH = 1_000_000


class TransformersTranslator:
    """One loaded checkpoint. `translate` may be called from several threads at once."""

    def __init__(self, spec: ModelSpec, tokenizer: Any, model: Any, device: torch.device) -> None:
        self._spec = spec
        self._tokenizer = tokenizer
        self._model = model
        self._device = device
        # src_lang is tokenizer state: set it and tokenise under one lock so concurrent batches for
        # different source languages cannot interleave.
        self._tokenizer_lock = threading.Lock()
        self._max_input_tokens = _max_input_tokens(tokenizer, model)
        self._target_tokens = _language_tokens(tokenizer) if spec.multi_target else frozenset()

    @property
    def spec(self) -> ModelSpec:
        return self._spec

    @property
    def max_input_tokens(self) -> int:
        return self._max_input_tokens

    def count_tokens(self, texts: Sequence[str], source_lang: str, target_lang: str) -> list[int]:
        encoded = self._encode_ids(texts, source_lang, target_lang)
        return [len(ids) for ids in encoded]

    def translate(
        self, texts: Sequence[str], source_lang: str, target_lang: str, options: GenerationOptions
    ) -> list[str]:
        if not texts:
            return []
        with self._tokenizer_lock:
            self._set_source_language(source_lang)
            batch = self._tokenizer(
                self._with_target_token(texts, target_lang), return_tensors="pt", padding=True
            )
        batch = {name: tensor.to(self._device) for name, tensor in batch.items()}
        longest_input = int(batch["input_ids"].shape[1])
        generate_args: dict[str, Any] = {
            "num_beams": options.beam_size,
            # Room for the translation to be longer than the source, bounded by the model's own limit.
            "max_new_tokens": min(options.max_new_tokens, self._max_input_tokens, 2 * longest_input + 16),
        }
        forced = self._forced_bos_token_id(target_lang)
        if forced is not None:
            generate_args["forced_bos_token_id"] = forced
        if options.no_repeat_ngram_size:
            generate_args["no_repeat_ngram_size"] = options.no_repeat_ngram_size
        if options.repetition_penalty != 1.0:
            generate_args["repetition_penalty"] = options.repetition_penalty
        with torch.inference_mode():
            output = self._model.generate(**batch, **generate_args)
        return self._decode(output.tolist(), forced)

    def close(self) -> None:
        del self._model
        del self._tokenizer
        gc.collect()
        if self._device.type == "cuda":
            torch.cuda.empty_cache()

    # ---------------------------------------------------------------------------------------------------------
    def _encode_ids(self, texts: Sequence[str], source_lang: str, target_lang: str) -> list[list[int]]:
        with self._tokenizer_lock:
            self._set_source_language(source_lang)
            encoded = self._tokenizer(self._with_target_token(texts, target_lang))
        ids: list[list[int]] = encoded["input_ids"]
        return ids

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

    def _forced_bos_token_id(self, target_lang: str) -> int | None:
        family = self._spec.family
        if family is ModelFamily.MBART50:
            return int(self._tokenizer.convert_tokens_to_ids(mbart50_codes()[target_lang]))
        if family is ModelFamily.M2M100:
            return int(self._tokenizer.get_lang_id(target_lang))
        return None

    def _decode(self, sequences: list[list[int]], forced_bos: int | None) -> list[str]:
        special = {self._model.config.decoder_start_token_id, self._tokenizer.pad_token_id, forced_bos}
        cleaned = []
        for sequence in sequences:
            # The decoder start and the forced language token lead every output; drop them by position as
            # well as by skip_special_tokens, since a tokenizer may not mark language tokens as special.
            start = 0
            while start < len(sequence) and start < 2 and sequence[start] in special:
                start += 1
            cleaned.append(sequence[start:])
        texts: list[str] = self._tokenizer.batch_decode(cleaned, skip_special_tokens=True)
        return [text.strip() for text in texts]


def _max_input_tokens(tokenizer: Any, model: Any) -> int:
    limit = int(getattr(tokenizer, "model_max_length", 0) or 0)
    positions = int(getattr(model.config, "max_position_embeddings", 0) or 0)
    if 0 < limit < _UNSET_MAX_LENGTH:
        return min(limit, positions) if positions else limit
    return positions or 512


def _language_tokens(tokenizer: Any) -> frozenset[str]:
    """The >>xxx<< target tokens a multi-target Opus-MT tokenizer knows."""
    vocab = tokenizer.get_vocab()
    return frozenset(token for token in vocab if token.startswith(">>") and token.endswith("<<"))


class TransformersLoader:
    """Loads checkpoints from MODEL_DIR or the hub onto the configured device."""

    def __init__(self, settings: Settings, locator: ModelLocator) -> None:
        self._locator = locator
        self._device = torch.device(settings.resolved_device)
        self._dtype = _DTYPES.get(settings.torch_dtype, torch.float32)

    def is_available(self, spec: ModelSpec) -> bool:
        return self._locator.is_available(spec.repo_id)

    def load(self, spec: ModelSpec) -> Translator:
        folder = self._locator.resolve(spec.repo_id)
        _check_files(spec, folder)
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder)
            model = AutoModelForSeq2SeqLM.from_pretrained(folder, dtype=self._dtype)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.warning("loading %s from %s failed: %r", spec.repo_id, folder, exc)
            raise ModelUnavailable(f"model {spec.repo_id} could not be loaded (files damaged?)") from None
        _check_vocabulary(spec, tokenizer, model)
        model.to(self._device)
        model.eval()
        log.info("loaded %s on %s (%s)", spec.repo_id, self._device, self._dtype)
        return TransformersTranslator(spec, tokenizer, model, self._device)


def _check_files(spec: ModelSpec, folder: Path) -> None:
    missing = [name for name in _REQUIRED_FILES[spec.family] if not (folder / name).is_file()]
    if missing:
        raise ModelUnavailable(f"model {spec.repo_id} is missing {', '.join(missing)}")


def _check_vocabulary(spec: ModelSpec, tokenizer: Any, model: Any) -> None:
    # Checkpoints pad their embedding matrix a little beyond the tokenizer (M2M-100), never the other way,
    # and never by much: a tokenizer far smaller than the model means its vocabulary file was not read.
    tokens, rows = len(tokenizer), int(model.config.vocab_size)
    if tokens > rows or tokens < rows * 0.9:
        raise ModelUnavailable(
            f"model {spec.repo_id}: tokenizer has {tokens} tokens but the model {rows}; files do not match"
        )
