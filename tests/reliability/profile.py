"""How long and how hard the reliability suite runs: `full` for `make reliability`, `ci` for `.ci/run`."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    overload_s: float  # how long clients push at twice the measured capacity
    capacity_probe_s: float  # how long capacity is measured first
    fuzz_examples: int  # schemathesis' --max-examples per operation
    fuzz_valid_examples: int  # hypothesis examples of valid translation requests
    memory_cycles: int  # passes through more pairs than MAX_CACHED_MODELS
    plateau_window: int  # the last cycles whose RSS must agree within 10%
    slow_clients: int


PROFILES = {
    "full": Profile(
        name="full",
        overload_s=60,
        capacity_probe_s=10,
        fuzz_examples=100,
        fuzz_valid_examples=300,
        memory_cycles=50,
        plateau_window=10,
        slow_clients=100,
    ),
    "ci": Profile(
        name="ci",
        overload_s=30,
        capacity_probe_s=6,
        fuzz_examples=100,
        fuzz_valid_examples=100,
        memory_cycles=15,
        plateau_window=5,
        slow_clients=100,
    ),
}


def current_profile() -> Profile | None:
    """The profile named by RELIABILITY_PROFILE; None when unset, and the suite is then not collected."""
    name = os.environ.get("RELIABILITY_PROFILE", "").strip().lower()
    if not name:
        return None
    if name not in PROFILES:
        raise ValueError(f"RELIABILITY_PROFILE must be one of {', '.join(PROFILES)}; got {name!r}")
    return PROFILES[name]


# The suite measures the engine path: repeated texts must reach the model (a translation-cache hit needs no
# model, no queue place and no batch), so its servers run with the cache off unless a test says otherwise.
UNCACHED = {"CHUNK_CACHE_ENABLED": "0"}
