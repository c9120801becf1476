"""Choose the compute device once: ``$SYNTHMED_DEVICE`` if set, else CUDA when available, else CPU.

Only notebooks and experiment entry points call :func:`get_device`; library functions take the device as an
argument. Asking for CUDA where torch sees none is an error (never a silent fall-back to the CPU).
"""

from __future__ import annotations

import re

import torch

from synthmed.context import environment

CHOICES = "auto, cpu, cuda or cuda:N"


def get_device(preference: str | None = None) -> torch.device:
    """Return the device to use. preference: "auto" | "cpu" | "cuda" | "cuda:N" (default: $SYNTHMED_DEVICE or auto).

    Raises ValueError for another name and RuntimeError when CUDA (or GPU N) is asked for but torch has none.
    """
    env = environment("SYNTHMED_DEVICE")
    source = "device" if preference else "SYNTHMED_DEVICE"
    pref = (preference or env or "auto").strip().lower()
    if pref == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not re.fullmatch(r"cpu|cuda(:\d+)?", pref):
        raise ValueError(f"{source}={pref!r} is not a device; use {CHOICES}")
    device = torch.device(pref)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"{source}={pref!r} asks for a CUDA GPU, but torch {torch.__version__} sees none (no GPU, no driver, "
                f"or a CPU-only torch build; CUDA build: {torch.version.cuda or 'none'}). Unset {source} or use cpu.")
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise RuntimeError(f"{source}={pref!r}, but torch sees {count} CUDA GPU(s) (cuda:0 to cuda:{count - 1})")
    return device


def describe(device: torch.device) -> str:
    """A short human-readable name, e.g. 'cpu (2 threads)' or 'cuda:0 (NVIDIA H100)'."""
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"
