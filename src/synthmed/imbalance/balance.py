"""Balancing the training split: with synthetic minority images (Aloo et al.: grow the minority by half the size of
the majority class), or, as a control, with the same number of copies of real minority images (random
oversampling, imbalanced-learn's ``RandomOverSampler``). Only the training split changes; validation and test stay
real and untouched."""

from __future__ import annotations

import torch

from synthmed.imbalance.data import ImbalanceData, Part


def n_synthetic(n_majority: int, ratio: float = 0.5) -> int:
    """How many synthetic minority images to add: ``round(ratio * n_majority)`` (the paper: ratio 0.5)."""
    if ratio < 0:
        raise ValueError(f"synthetic ratio must be >= 0, got {ratio}")
    return int(round(ratio * n_majority))


def source_indices(data: ImbalanceData, n: int, seed: int = 0) -> torch.Tensor:
    """(n,) indices into ``data.train`` of the majority images to translate: drawn without replacement while there
    are enough, the remainder with replacement."""
    majority = torch.nonzero(data.train.labels != data.minority).flatten()
    g = torch.Generator().manual_seed(seed)
    picks = [majority[torch.randperm(len(majority), generator=g)[: min(n, len(majority))]]]
    if n > len(majority):
        picks.append(majority[torch.randint(len(majority), (n - len(majority),), generator=g)])
    return torch.cat(picks)


def add_synthetic(data: ImbalanceData, synthetic_images: torch.Tensor, source: torch.Tensor | None = None,
                  metadata: str = "source", seed: int = 0) -> ImbalanceData:
    """Append synthetic minority images to the training split.

    synthetic_images: (M, 1, H, W) uint8, labelled ``data.minority``. source: (M,) indices into ``data.train`` of the
    images they were translated from. metadata: how the synthetic images get metadata when the data has any —
    ``"source"`` keeps the translated image's own patient metadata (age, sex and view match the anatomy it came
    from), ``"minority"`` draws metadata rows of real minority training images at random. Returns a copy of
    ``data`` whose train split has ``M`` more minority images (``synthetic`` marks them); val and test are the same
    objects. A translated image keeps its source image's patient id (it shows that patient's anatomy).
    """
    m = len(synthetic_images)
    train = data.train
    if synthetic_images.shape[1:] != train.images.shape[1:] or synthetic_images.dtype != train.images.dtype:
        raise ValueError(f"synthetic images must be {tuple(train.images.shape[1:])} {train.images.dtype}, got "
                         f"{tuple(synthetic_images.shape[1:])} {synthetic_images.dtype}")
    meta = None
    if train.metadata is not None:
        if metadata == "source":
            if source is None or len(source) != m:
                raise ValueError("metadata='source' needs the (M,) source indices of the translated images")
            extra = train.metadata[source]
        elif metadata == "minority":
            rows = torch.nonzero(train.labels == data.minority).flatten()
            g = torch.Generator().manual_seed(seed)
            extra = train.metadata[rows[torch.randint(len(rows), (m,), generator=g)]]
        else:
            raise ValueError(f"unknown metadata rule {metadata!r}; valid: source, minority")
        meta = torch.cat([train.metadata, extra])
    groups = None
    if train.groups is not None:  # a translated image belongs to its source image's patient
        if source is None or len(source) != m:
            raise ValueError("data with patient ids needs the (M,) source indices of the translated images")
        groups = torch.cat([train.groups, train.groups[source]])
    new = Part(torch.cat([train.images, synthetic_images]),
               torch.cat([train.labels, torch.full((m,), data.minority, dtype=torch.long)]), meta,
               torch.cat([train.synthetic, torch.ones(m, dtype=torch.bool)]), groups)
    return data.with_train(new)


def oversample(data: ImbalanceData, n: int, seed: int = 0) -> ImbalanceData:
    """Append ``n`` copies of real training minority images, drawn with replacement by imbalanced-learn's
    ``RandomOverSampler`` (``random_state=seed``): the control that adds exactly as many minority images as
    :func:`add_synthetic` but no new content. Returns a copy of ``data`` whose train split holds its original
    N rows in order followed by the ``n`` copies (images, metadata and patient ids copied with them; ``synthetic``
    False: they are real images); val and test are the same objects."""
    from imblearn.over_sampling import RandomOverSampler

    if n < 0:
        raise ValueError(f"number of copies must be >= 0, got {n}")
    labels = data.train.labels.numpy()
    n_minority = int((labels == data.minority).sum())
    sampler = RandomOverSampler(sampling_strategy={data.minority: n_minority + n}, random_state=seed)
    sampler.fit_resample(torch.arange(len(labels)).reshape(-1, 1).numpy(), labels)
    idx = torch.as_tensor(sampler.sample_indices_, dtype=torch.long)
    return data.with_train(data.train.rows(idx))
