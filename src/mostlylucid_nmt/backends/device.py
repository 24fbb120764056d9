"""What accelerators this process can see, asked as cheaply as possible.

The gunicorn master resolves settings too, and importing torch there would cost every worker its memory
(~200 MB) for nothing: CTranslate2's own probe is used when torch has not been imported yet.
"""

from __future__ import annotations

import importlib.util
import sys


def cuda_device_count() -> int:
    """Visible CUDA devices, 0 without a GPU or without an engine that can use one."""
    if "torch" not in sys.modules and importlib.util.find_spec("ctranslate2") is not None:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count())
    if importlib.util.find_spec("torch") is None:
        return 0
    import torch

    return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0


def cuda_available() -> bool:
    return cuda_device_count() > 0
