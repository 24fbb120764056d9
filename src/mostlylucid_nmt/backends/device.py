"""What accelerators this process can see. torch is imported lazily so fake-backend runs stay light."""

from __future__ import annotations

import importlib.util


def cuda_available() -> bool:
    """True when torch is installed and sees at least one CUDA device."""
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def cuda_device_count() -> int:
    if not cuda_available():
        return 0
    import torch

    return int(torch.cuda.device_count())
