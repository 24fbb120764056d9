"""Recognising out-of-memory errors from either engine without importing one.

torch raises `torch.cuda.OutOfMemoryError` (a RuntimeError, "CUDA out of memory. Tried to allocate ..."),
CTranslate2 a RuntimeError ("CUDA failed with error out of memory"), and host allocations `MemoryError`.
"""

from __future__ import annotations

_OOM_CLASS_NAMES = frozenset({"OutOfMemoryError", "MemoryError"})


def is_out_of_memory(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    if any(cls.__name__ in _OOM_CLASS_NAMES for cls in type(exc).__mro__):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()
