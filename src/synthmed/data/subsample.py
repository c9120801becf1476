"""Stratified, seeded subsampling of a training split (the papers' 1 % / 10 % settings)."""

from __future__ import annotations

import torch

from synthmed.data.medmnist import Split


def stratify_key(labels: torch.Tensor) -> torch.Tensor:
    """(N,) int64 stratum of each row: the class for single-label tasks; for multi-label (N, L) labels, 0 for
    'no label set' and 1 + the first positive label otherwise."""
    if labels.ndim == 1:
        return labels
    has = labels.any(dim=1)
    return torch.where(has, labels.float().argmax(dim=1) + 1, torch.zeros_like(has, dtype=torch.long))


def check_fraction(fraction: float) -> None:
    """Raise ValueError unless fraction is a number in (0, 1]."""
    if not isinstance(fraction, (int, float)) or isinstance(fraction, bool) or not 0 < fraction <= 1:
        raise ValueError(f"fraction must be a number in (0, 1], got {fraction!r}")


def stratified_indices(labels: torch.Tensor, fraction: float, seed: int) -> torch.Tensor:
    """Sorted (M,) int64 row positions: ``max(1, round(fraction * n_c))`` rows of every stratum c, drawn without
    replacement by a generator seeded with ``seed``. fraction must lie in (0, 1]."""
    check_fraction(fraction)
    key = stratify_key(labels)
    gen = torch.Generator().manual_seed(int(seed))
    chosen = []
    for c in torch.unique(key):
        rows = torch.nonzero(key == c).reshape(-1)
        n = max(1, round(fraction * len(rows)))
        chosen.append(rows[torch.randperm(len(rows), generator=gen)[:n]])
    return torch.cat(chosen).sort().values


def subsample(split: Split, fraction: float, seed: int) -> Split:
    """A stratified ``fraction`` of ``split``; the returned Split's ``indices`` record which official rows it holds."""
    check_fraction(fraction)
    if fraction == 1:
        return split
    return split.select(stratified_indices(split.labels, fraction, seed))
