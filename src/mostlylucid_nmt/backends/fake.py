"""A deterministic stand-in backend, selected with TRANSLATION_BACKEND=fake, for API and scheduling tests.

It "translates" by tagging each sentence with the target language (`Hello.` -> `[de] Hello.`), so tests can
see which sentences went where, and can be slowed down (FAKE_BATCH_DELAY_MS, FAKE_LOAD_DELAY_MS) to exercise
admission control. Faults are injected through settings like everything else: a batch holding a sentence
with FAKE_FAIL_PATTERN raises, one with FAKE_OOM_PATTERN runs out of memory the way CUDA reports it, and
loading a model whose id contains FAKE_LOAD_OOM_PATTERN fails with MemoryError. It keeps counters of loads and batches so tests can prove what ran.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from mostlylucid_nmt.backends.base import GenerationOptions, ModelSpec, Translator

# Small enough that ordinary long sentences exercise the over-long-sentence split.
FAKE_MAX_INPUT_TOKENS = 128


@dataclass
class FakeActivity:
    """What the fake backend did; shared by every fake translator of one loader."""

    loads: list[str] = field(default_factory=list)
    closes: list[str] = field(default_factory=list)
    batches: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def fake_token_count(text: str) -> int:
    # Roughly four characters per token, plus the end-of-sentence token, like a subword model.
    return math.ceil(len(text) / 4) + 1


@dataclass(frozen=True, slots=True)
class FakeFaults:
    """Markers that make the fake backend fail; empty markers never match."""

    fail_pattern: str = ""
    oom_pattern: str = ""
    load_oom_pattern: str = ""

    def check_batch(self, texts: Sequence[str]) -> None:
        if self.oom_pattern and any(self.oom_pattern in text for text in texts):
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB (injected: FAKE_OOM_PATTERN)")
        if self.fail_pattern and any(self.fail_pattern in text for text in texts):
            raise RuntimeError("injected backend failure (FAKE_FAIL_PATTERN)")

    def check_load(self, spec: ModelSpec) -> None:
        if self.load_oom_pattern and self.load_oom_pattern in spec.repo_id:
            raise MemoryError(f"injected: FAKE_LOAD_OOM_PATTERN while loading {spec.repo_id}")


class FakeTranslator:
    def __init__(
        self,
        spec: ModelSpec,
        batch_delay_s: float,
        activity: FakeActivity,
        faults: FakeFaults | None = None,
    ) -> None:
        self._spec = spec
        self._batch_delay_s = batch_delay_s
        self._activity = activity
        self._faults = faults or FakeFaults()
        self.closed = False

    @property
    def spec(self) -> ModelSpec:
        return self._spec

    @property
    def max_input_tokens(self) -> int:
        return FAKE_MAX_INPUT_TOKENS

    def count_tokens(self, texts: Sequence[str], source_lang: str, target_lang: str) -> list[int]:
        return [fake_token_count(text) for text in texts]

    def translate(
        self, texts: Sequence[str], source_lang: str, target_lang: str, options: GenerationOptions
    ) -> list[str]:
        with self._activity.lock:
            self._activity.batches.append((self._spec.repo_id, tuple(texts)))
        if self._batch_delay_s:
            time.sleep(self._batch_delay_s)
        self._faults.check_batch(texts)
        return [f"[{target_lang}] {text}" for text in texts]

    def close(self) -> None:
        self.closed = True
        with self._activity.lock:
            self._activity.closes.append(self._spec.repo_id)


class FakeLoader:
    def __init__(
        self, *, batch_delay_ms: float = 0.0, load_delay_ms: float = 0.0, faults: FakeFaults | None = None
    ) -> None:
        self._batch_delay_s = batch_delay_ms / 1000
        self._load_delay_s = load_delay_ms / 1000
        self._faults = faults or FakeFaults()
        self.activity = FakeActivity()

    def is_available(self, spec: ModelSpec) -> bool:
        return True

    def load(self, spec: ModelSpec) -> Translator:
        with self.activity.lock:
            self.activity.loads.append(spec.repo_id)
        if self._load_delay_s:
            time.sleep(self._load_delay_s)
        self._faults.check_load(spec)
        return FakeTranslator(spec, self._batch_delay_s, self.activity, self._faults)
