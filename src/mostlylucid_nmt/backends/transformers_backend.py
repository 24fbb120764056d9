"""Hugging Face transformers backend: the family's tokenizer + `AutoModelForSeq2SeqLM.generate`.

The family rules (which language token goes where) live in `family_tokens`; this module only tells
`generate` about them: a multi-target Opus-MT model gets its `>>xxx<<` token in the source text, mBART-50 and
M2M-100 get the target language token as `forced_bos_token_id`.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence
from typing import Any

import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

from mostlylucid_nmt.backends.base import GenerationOptions, ModelSpec, Translator
from mostlylucid_nmt.backends.family_tokens import (
    FamilyTokenizer,
    TokenizedTranslator,
    check_required_files,
    check_vocabulary,
)
from mostlylucid_nmt.backends.hf_logging import quiet_transformers
from mostlylucid_nmt.backends.hub import ModelLocator
from mostlylucid_nmt.backends.model_build import MODEL_BUILD_LOCK
from mostlylucid_nmt.errors import ModelUnavailable
from mostlylucid_nmt.settings import Settings, available_cores

log = logging.getLogger(__name__)

quiet_transformers()

_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}


class TransformersTranslator(TokenizedTranslator):
    """One loaded checkpoint. `translate` may be called from several threads at once."""

    def __init__(self, spec: ModelSpec, tokens: FamilyTokenizer, model: Any, device: torch.device) -> None:
        super().__init__(spec, tokens)
        self._model = model
        self._device = device

    def translate(
        self, texts: Sequence[str], source_lang: str, target_lang: str, options: GenerationOptions
    ) -> list[str]:
        if not texts:
            return []
        batch = self._tokens.encode(texts, source_lang, target_lang, return_tensors="pt", padding=True)
        batch = {name: tensor.to(self._device) for name, tensor in batch.items()}
        longest_input = int(batch["input_ids"].shape[1])
        generate_args: dict[str, Any] = {
            "num_beams": options.beam_size,
            "max_new_tokens": self._tokens.new_token_budget(options.max_new_tokens, longest_input),
            # Opus-MT's and mBART-50's configs set forced_eos_token_id, which makes generate replace the last
            # token with </s> when max_new_tokens is reached. That only happens to an output already cut
            # short by the budget, and it cuts one more real token; with a budget of one or two steps it even
            # replaces mBART-50's forced target-language token, or leaves an empty text. Stopping at the
            # budget without forcing </s> keeps every generated token and is what CTranslate2 does, so both
            # backends return the same text for the same weights (tests compare them).
            "forced_eos_token_id": None,
        }
        forced = self._tokens.forced_target_id(target_lang)
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
        del self._tokens
        gc.collect()
        if self._device.type == "cuda":
            torch.cuda.empty_cache()

    # ---------------------------------------------------------------------------------------------------------
    def _decode(self, sequences: list[list[int]], forced_bos: int | None) -> list[str]:
        special = {self._model.config.decoder_start_token_id, self._tokens.tokenizer.pad_token_id, forced_bos}
        cleaned = []
        for sequence in sequences:
            # The decoder start and the forced language token lead every output; drop them by position as
            # well as by skip_special_tokens, since a tokenizer may not mark language tokens as special.
            start = 0
            while start < len(sequence) and start < 2 and sequence[start] in special:
                start += 1
            cleaned.append(sequence[start:])
        return self._tokens.decode(cleaned)


class TransformersLoader:
    """Loads checkpoints from MODEL_DIR or the hub onto the configured device."""

    def __init__(self, settings: Settings, locator: ModelLocator) -> None:
        self._locator = locator
        self._device = torch.device(settings.resolved_device)
        self._dtype = _DTYPES.get(settings.torch_dtype, torch.float32)
        if self._device.type == "cpu":
            # MAX_INFLIGHT_TRANSLATIONS batches run at once; torch's default of one thread per core for each
            # would oversubscribe the cores several times over.
            torch.set_num_threads(max(1, available_cores() // settings.effective_max_inflight))

    def is_available(self, spec: ModelSpec) -> bool:
        return self._locator.is_available(spec.repo_id)

    def load(self, spec: ModelSpec) -> Translator:
        folder = self._locator.resolve(spec.repo_id)
        check_required_files(spec, folder)
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder)
            with MODEL_BUILD_LOCK:
                model = AutoModelForSeq2SeqLM.from_pretrained(folder, dtype=self._dtype)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.warning("loading %s from %s failed: %r", spec.repo_id, folder, exc)
            self._locator.discard_download(spec.repo_id)
            raise ModelUnavailable(f"model {spec.repo_id} could not be loaded (files damaged?)") from None
        check_vocabulary(spec, tokenizer, model.config)
        model.to(self._device)
        model.eval()
        log.info("loaded %s on %s (%s)", spec.repo_id, self._device, self._dtype)
        return TransformersTranslator(
            spec, FamilyTokenizer(spec, tokenizer, model.config), model, self._device
        )
