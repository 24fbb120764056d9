"""Deterministic English test sentences of about the same token length, all distinct.

A fixed input length keeps every engine's work identical (same input length, same 32 output tokens), so the
numbers compare engines and servers, not inputs. The benchmark model's SentencePiece vocabulary is the test
fixtures' small one (1,000 pieces over several languages), which cuts English into about three characters a
piece where Opus-MT's 58k vocabulary takes whole words: 25 tokens here are a short sentence of seven or eight
words, but they are 25 tokens of work for the model, which is what is measured.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Final

_SUBJECTS: Final = (
    "The manager", "My sister", "Our neighbour", "The team", "Every student", "The doctor", "A driver",
    "The council", "Her colleague", "The staff", "My grandfather", "The baker", "The engineer", "Our teacher",
    "The guide", "The children", "My brother", "The nurse",
)  # fmt: skip
_VERBS: Final = (
    "read", "wrote", "sent", "sold", "bought", "found", "liked", "visited", "cleaned", "painted", "closed",
    "opened", "checked", "fixed", "translated", "carried",
)  # fmt: skip
_OBJECTS: Final = (
    "the report", "a letter", "the train", "the old castle", "the museum", "the bread", "the piano",
    "the documents", "the garden", "the window", "the car", "the book", "the coffee", "the tickets",
    "the market", "the hospital",
)  # fmt: skip
_TAILS: Final = (
    "today", "yesterday", "at noon", "on Friday", "last summer", "in the rain", "every morning", "after work",
    "before lunch", "at home", "twice", "again", "in the city", "by the river",
)  # fmt: skip

# Candidates drawn per batch handed to the token counter, and batches tried per sentence wanted before
# giving up: about one candidate in four lands within a token of the target.
_BATCH: Final = 64
_BATCHES_PER_SENTENCE: Final = 2


class SentenceError(RuntimeError):
    """The grammar could not produce enough distinct sentences of the requested length."""


def _candidate(rng: random.Random) -> str:
    parts = [rng.choice(_SUBJECTS), rng.choice(_VERBS), rng.choice(_OBJECTS)]
    if rng.random() < 0.7:
        parts.append(rng.choice(_TAILS))
    return " ".join(parts) + "."


def generate_sentences(
    count: int,
    target_tokens: int,
    count_tokens: Callable[[Sequence[str]], list[int]],
    *,
    tolerance: int = 1,
    seed: int = 20240601,
) -> list[tuple[str, int]]:
    """`count` distinct sentences whose token count (as `count_tokens` says) is target ± tolerance.

    Returns (sentence, token count) pairs in generation order; the same arguments give the same list.
    """
    rng = random.Random(seed)
    accepted: dict[str, int] = {}
    for _ in range(count * _BATCHES_PER_SENTENCE):
        batch = [_candidate(rng) for _ in range(_BATCH)]
        for sentence, tokens in zip(batch, count_tokens(batch), strict=True):
            if abs(tokens - target_tokens) <= tolerance and sentence not in accepted:
                accepted[sentence] = tokens
                if len(accepted) == count:
                    return list(accepted.items())
    raise SentenceError(f"only {len(accepted)} of {count} sentences of {target_tokens}±{tolerance} tokens")
