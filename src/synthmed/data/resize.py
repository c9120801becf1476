"""Resizing images with a Lanczos filter, as Tronchin et al. (arXiv:2503.24258, Sec. 3.1 and A1) resize every image
before GAN training and downstream training ("to minimise aliasing artefacts"). Pillow's ``Image.LANCZOS`` is the
filter (the authors' pipeline uses Pillow); torch's ``interpolate`` has no Lanczos mode."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
from PIL import Image


def lanczos(images: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 images (N, C, H, W) -> uint8 (N, C, size, size), every channel resized with Pillow's Lanczos filter.
    Images already ``size`` x ``size`` come back unchanged."""
    if images.ndim != 4 or images.dtype != torch.uint8:
        raise ValueError(f"expected uint8 images (N, C, H, W), got {images.dtype} {tuple(images.shape)}")
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"the target size must be a positive integer, got {size!r}")
    if images.shape[-2:] == (size, size):
        return images
    arr = images.numpy()
    out = np.empty((*arr.shape[:2], size, size), dtype=np.uint8)
    for i in range(arr.shape[0]):
        for c in range(arr.shape[1]):
            out[i, c] = np.asarray(Image.fromarray(arr[i, c]).resize((size, size), Image.LANCZOS))
    return torch.from_numpy(out)


def resized(ds, size: int | None):
    """A :class:`synthmed.data.medmnist.MedMNISTDataset` with every split's images resized to ``size`` with
    :func:`lanczos` (labels, indices, MD5 of the source file unchanged); ``ds`` itself when ``size`` is None or
    the file's own size."""
    if size is None or size == ds.size:
        return ds
    splits = {name: dataclasses.replace(getattr(ds, name), images=lanczos(getattr(ds, name).images, size))
              for name in ("train", "val", "test")}
    return dataclasses.replace(ds, size=size, **splits)
