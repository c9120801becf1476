"""The chapter's datasets as one structure: NIH1000 (images + patient metadata) or PneumoniaMNIST (images only).

``Part`` holds one split; ``ImbalanceData`` the three splits plus which label is the minority class of the training
split. Label 1 is always the clinically positive class (finding / pneumonia), so sensitivity is its recall whatever
the minority is (NIH1000: the positives; PneumoniaMNIST: the normal images).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import torch

DATASETS = ("nih1000", "nih_pneumonia", "pneumoniamnist")
WHY_NO_METADATA = ("PneumoniaMNIST ships images and labels only (no age, sex or view position), so the metadata "
                   "variants (real+meta, real+synthetic+meta, meta) cannot be trained on it and are skipped.")


@dataclass(frozen=True)
class Part:
    """images: (N, 1, H, W) uint8; labels: (N,) int64; metadata: (N, F) float32 or None; synthetic: (N,) bool."""

    images: torch.Tensor
    labels: torch.Tensor
    metadata: torch.Tensor | None
    synthetic: torch.Tensor

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def counts(self) -> list[int]:
        return torch.bincount(self.labels, minlength=2).tolist()


@dataclass(frozen=True)
class ImbalanceData:
    name: str
    label_names: tuple[str, str]
    minority: int  # label of the training split's minority class
    feature_names: tuple[str, ...]  # metadata columns (empty without metadata)
    md5: str  # digest of every image, label and metadata value (cache key)
    train: Part
    val: Part
    test: Part

    @property
    def has_metadata(self) -> bool:
        return self.train.metadata is not None

    def with_train(self, train: Part) -> ImbalanceData:
        return replace(self, train=train)


def make_part(images: torch.Tensor, labels: torch.Tensor, metadata: torch.Tensor | None = None) -> Part:
    return Part(images, labels.long(), metadata, torch.zeros(len(labels), dtype=torch.bool))


def _digest(*parts: Part) -> str:
    h = hashlib.md5()
    for p in parts:
        for t in (p.images, p.labels, p.metadata):
            if t is not None:
                h.update(t.contiguous().numpy().tobytes())
    return h.hexdigest()


def from_parts(name: str, label_names: tuple[str, str], train: Part, val: Part, test: Part,
               feature_names: tuple[str, ...] = ()) -> ImbalanceData:
    """Build an :class:`ImbalanceData`; the minority is the rarer label of ``train``."""
    counts = train.counts()
    return ImbalanceData(name, tuple(label_names), int(counts[1] < counts[0]), tuple(feature_names),
                         _digest(train, val, test), train, val, test)


def load(name: str, root: str | Path | None = None, seed: int = 0) -> ImbalanceData:
    """Load ``"nih1000"`` (NIH1000 at 64x64, finding vs no finding, training positives subsampled to the paper's
    212:700 ratio with ``seed``), ``"nih_pneumonia"`` (the paper's selection from the full NIH set: needs
    ``Data_Entry_2017.csv`` and all images in ``<root>/nih/images``; 256x256) or ``"pneumoniamnist"`` (28x28, no
    metadata). root: the data root (default ``$SYNTHMED_DATA_ROOT``)."""
    from synthmed.data import default_nih1000, load_medmnist, load_nih, nih_root
    nih_dir = Path(root) / "nih" if root else nih_root()
    if name in ("nih1000", "nih_pneumonia"):
        ds = (default_nih1000(nih_dir, seed=seed) if name == "nih1000" else
              load_nih(nih_dir / "Data_Entry_2017.csv", nih_dir / "images", mode="pneumonia", size=256, seed=seed,
                       minority_ratio=None))
        parts = [make_part(s.images, s.labels, s.metadata) for s in (ds.train, ds.val, ds.test)]
        return from_parts(name, ds.label_names, *parts, feature_names=ds.feature_names)
    if name == "pneumoniamnist":
        ds = load_medmnist("pneumoniamnist", download=False)
        parts = [make_part(s.images, s.labels.reshape(-1)) for s in (ds.train, ds.val, ds.test)]
        return from_parts(name, tuple(ds.label_names), *parts)
    raise ValueError(f"unknown dataset {name!r}; valid: {', '.join(DATASETS)}")
