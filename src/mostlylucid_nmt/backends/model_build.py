"""One model build at a time per process.

transformers builds a model under process-wide torch state: weights are first created on the meta device,
under a default dtype, and only then filled in. Two builds running at once in one process (two pairs loaded
together, or a CTranslate2 conversion beside a transformers load) see each other's state, and one of them
fails with meta tensors. Builds take seconds and happen once per model, so taking turns costs little.
"""

from __future__ import annotations

import threading

MODEL_BUILD_LOCK = threading.Lock()
