"""The chapter's three datasets as one structure.

``Part`` holds one split; ``ImbalanceData`` the three splits plus which label is the minority class of the training
split. Label 1 is always the clinically positive class (finding / pneumonia), so sensitivity is its recall.

- ``"nih1000_patient"``: NIH1000 (64x64 images + age, sex, view), finding vs no finding, re-split by patient
  (:func:`synthmed.data.grouped.grouped_split`).
- ``"pneumoniamnist"``: PneumoniaMNIST (28x28 images, no metadata, no patient ids), its own split.
- ``"nih_metadata"``: Aloo et al.'s first-visit pneumonia selection from ``Data_Entry_2017.csv``, metadata only
  (no image is read); the normal sample and the patient-disjoint split are drawn with ``seed``.

:func:`subsample_positives` then shrinks the training positives to the paper's 212 : 700 ratio, with a seed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import torch

from synthmed.data.nih import PAPER_MINORITY_RATIO

DATASETS = ("nih1000_patient", "pneumoniamnist", "nih_metadata")
@dataclass(frozen=True)
class Part:
    """images: (N, 1, H, W) uint8 or None; labels: (N,) int64; metadata: (N, F) float32 or None;
    synthetic: (N,) bool; groups: (N,) int64 patient ids or None (unknown)."""

    images: torch.Tensor | None
    labels: torch.Tensor
    metadata: torch.Tensor | None
    synthetic: torch.Tensor
    groups: torch.Tensor | None = None

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def counts(self) -> list[int]:
        return torch.bincount(self.labels, minlength=2).tolist()

    def rows(self, idx: torch.Tensor) -> Part:
        """The sub-part of rows ``idx`` (K,)."""
        def take(t):
            return None if t is None else t[idx]
        return Part(take(self.images), self.labels[idx], take(self.metadata), self.synthetic[idx],
                    take(self.groups))


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
    def has_images(self) -> bool:
        return self.train.images is not None

    def with_train(self, train: Part) -> ImbalanceData:
        return replace(self, train=train, minority=int(train.counts()[1] < train.counts()[0]))

    def split_frame(self) -> pd.DataFrame:
        """One row per image: split, label, patient_id (None where the data has no patient ids)."""
        return pd.concat([pd.DataFrame({"split": s, "label": p.labels.numpy(),
                                        "patient_id": p.groups.numpy() if p.groups is not None else None})
                          for s, p in (("train", self.train), ("val", self.val), ("test", self.test))],
                         ignore_index=True)


def make_part(images: torch.Tensor | None, labels: torch.Tensor, metadata: torch.Tensor | None = None,
              groups: torch.Tensor | None = None) -> Part:
    return Part(images, labels.long(), metadata, torch.zeros(len(labels), dtype=torch.bool), groups)


def _digest(*parts: Part) -> str:
    h = hashlib.md5()
    for p in parts:
        for t in (p.images, p.labels, p.metadata, p.groups):
            if t is not None:
                h.update(t.contiguous().numpy().tobytes())
    return h.hexdigest()


def from_parts(name: str, label_names: tuple[str, str], train: Part, val: Part, test: Part,
               feature_names: tuple[str, ...] = ()) -> ImbalanceData:
    """Build an :class:`ImbalanceData`; the minority is the rarer label of ``train``."""
    counts = train.counts()
    return ImbalanceData(name, tuple(label_names), int(counts[1] < counts[0]), tuple(feature_names),
                         _digest(train, val, test), train, val, test)


def subsample_positives(data: ImbalanceData, ratio: float | None = PAPER_MINORITY_RATIO,
                        seed: int = 0) -> ImbalanceData:
    """Keep ``round(ratio * n_negative)`` of the training positives (label 1), drawn with ``seed``; validation and
    test untouched. ratio None returns ``data`` itself."""
    if ratio is None:
        return data
    labels = data.train.labels
    pos, neg = torch.nonzero(labels == 1).flatten(), torch.nonzero(labels == 0).flatten()
    n_keep = min(len(pos), max(1, round(ratio * len(neg))))
    g = torch.Generator().manual_seed(seed)
    keep = torch.cat([neg, pos[torch.randperm(len(pos), generator=g)[:n_keep]]]).sort().values
    train = data.train.rows(keep)
    return from_parts(data.name, data.label_names, train, data.val, data.test, data.feature_names)


def _from_nih(name: str, ds) -> ImbalanceData:
    parts = [make_part(s.images, s.labels, s.metadata, torch.tensor(s.frame.patient_id.to_numpy()))
             for s in (ds.train, ds.val, ds.test)]
    return from_parts(name, ds.label_names, *parts, feature_names=ds.feature_names)


def load(name: str, root: str | Path | None = None, seed: int = 0, *, cap: int = 10, n_normal: int = 700,
         size: int = 64) -> ImbalanceData:
    """Load one of :data:`DATASETS` with all training positives (subsample with :func:`subsample_positives`).

    root: the data root (default ``$SYNTHMED_DATA_ROOT``). seed: for ``nih_metadata``, draws the normal sample and
    the split; the other two splits are fixed (NIH1000's patient re-split uses split seed 0 and ``cap``).
    size: NIH1000 image size (the files are 64x64; smaller sizes are resized on reading).
    """
    from synthmed.data import load_medmnist, nih_root
    from synthmed.data.nih import default_nih1000, metadata_only
    nih_dir = Path(root) / "nih" if root else nih_root()
    if name == "nih1000_patient":
        return _from_nih(name, default_nih1000(nih_dir, minority_ratio=None, split="patient", cap=cap,
                                                     size=size))
    if name == "nih_metadata":
        return _from_nih(name, metadata_only(nih_dir / "Data_Entry_2017.csv", seed=seed, n_normal=n_normal))
    if name == "pneumoniamnist":
        ds = load_medmnist("pneumoniamnist", root=Path(root) / "medmnist" if root else None, download=False)
        parts = [make_part(s.images, s.labels.reshape(-1)) for s in (ds.train, ds.val, ds.test)]
        return from_parts(name, tuple(ds.label_names), *parts)
    raise ValueError(f"unknown dataset {name!r}; valid: {', '.join(DATASETS)}")
