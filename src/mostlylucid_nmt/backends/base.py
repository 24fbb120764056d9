"""The contract between the service and a translation engine.

A `TranslatorLoader` turns a `ModelSpec` into a loaded `Translator`; the registry owns loaded translators and
the scheduler calls `translate` on batches. Implementations: `transformers_backend` (real models) and `fake`
(deterministic stand-in for API tests). Nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from mostlylucid_nmt.settings import ModelFamily


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One model checkpoint, identified by its hub repository id."""

    family: ModelFamily
    repo_id: str
    # Opus-MT models whose target is a language group need a >>xxx<< token in front of the source text.
    multi_target: bool = False


@dataclass(frozen=True, slots=True)
class GenerationOptions:
    beam_size: int
    max_new_tokens: int
    no_repeat_ngram_size: int = 0
    repetition_penalty: float = 1.0


class Translator(Protocol):
    """A loaded model that translates batches of sentences. Called from worker threads, one batch at a time."""

    @property
    def spec(self) -> ModelSpec: ...

    @property
    def max_input_tokens(self) -> int:
        """Longest input (in tokens, special tokens included) the model accepts."""
        ...

    def count_tokens(self, texts: Sequence[str], source_lang: str, target_lang: str) -> list[int]:
        """Input length in tokens of each text, exactly as `translate` would feed it to the model."""
        ...

    def translate(
        self, texts: Sequence[str], source_lang: str, target_lang: str, options: GenerationOptions
    ) -> list[str]:
        """Translate every text; one output per input, in order."""
        ...

    def close(self) -> None:
        """Release the model's memory (GPU memory included)."""
        ...


class TranslatorLoader(Protocol):
    """Builds translators. `load` blocks (disk, network, weights) and is always run off the event loop."""

    def load(self, spec: ModelSpec) -> Translator: ...

    def is_available(self, spec: ModelSpec) -> bool:
        """Whether `load` can succeed without a network that is switched off (offline, air-gapped)."""
        ...
