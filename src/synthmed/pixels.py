"""Pixel ranges, converted in one place.

Images are stored as uint8 in [0, 255]. Classifiers and the TSynD autoencoder read floats in [0, 1] ("unit");
GANs and the CycleGAN read and write floats in [-1, 1] ("signed", the tanh range). Every conversion in the project
goes through these four functions, so the ranges cannot drift apart between chapters.
"""

from __future__ import annotations

import torch


def to_unit(x: torch.Tensor) -> torch.Tensor:
    """uint8 (..., H, W) in [0, 255] -> float32 in [0, 1]. A float input is returned as float32 unchanged."""
    if x.dtype == torch.uint8:
        return x.float().div_(255.0)
    return x.float()


def to_signed(x: torch.Tensor) -> torch.Tensor:
    """uint8 in [0, 255] or float in [0, 1] -> float32 in [-1, 1]."""
    return to_unit(x).mul(2.0).sub_(1.0)


def signed_to_unit(x: torch.Tensor) -> torch.Tensor:
    """float in [-1, 1] -> float in [0, 1], clamped."""
    return x.add(1.0).mul_(0.5).clamp_(0.0, 1.0)


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """float in [0, 1] -> uint8 in [0, 255] (rounded, clamped)."""
    return x.clamp(0.0, 1.0).mul(255.0).round_().to(torch.uint8)
