"""Choose the compute device once: ``$SYNTHMED_DEVICE`` if set, else CUDA when available, else CPU."""

from __future__ import annotations

import os

import torch


def get_device(preference: str | None = None) -> torch.device:
    """Return the device to use. preference: "auto" | "cpu" | "cuda" | "cuda:N" (default: $SYNTHMED_DEVICE or auto)."""
    pref = (preference or os.environ.get("SYNTHMED_DEVICE") or "auto").lower()
    if pref == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(pref)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {pref!r} was asked for but torch sees no CUDA GPU (torch {torch.__version__})")
    return device


def describe(device: torch.device) -> str:
    """A short human-readable name, e.g. 'cpu (2 threads)' or 'cuda:0 (NVIDIA H100)'."""
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"
