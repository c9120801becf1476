"""NIH ChestX-ray14 images with their patient metadata (age, sex, view position).

Two modes:

- ``"nih1000"``: the 1000-image ``NIH1000`` folder (64x64, train/valid/test, half normal and half abnormal) joined to
  its metadata in ``NIH1000_metadata.csv``. Label 1 = any finding, 0 = no finding. ``split="original"`` keeps the
  folder's split (which shares patients between train, validation and test); ``split="patient"`` re-splits by
  patient (:func:`synthmed.data.grouped.grouped_split`). In the training split the positive class is subsampled
  to ``minority_ratio`` positives per negative (Aloo et al.: 212 to 700).
- ``"pneumonia"``: the selection of Aloo et al. on the full NIH set: every first-visit image (``Follow-up # == 0``)
  whose findings include pneumonia, plus a random sample of first-visit "No Finding" images, split 7:3 by patient
  into train+validation and test. Needs ``Data_Entry_2017.csv``, and a folder with all 112,120 images unless only
  the metadata is wanted (:func:`metadata_only`).

Metadata features are fitted on the training split only: age is min-max scaled with the training minimum and
maximum, sex and view position are one-hot encoded with the training split's categories.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from synthmed.data.grouped import grouped_split
from synthmed.data.medmnist import DataUnavailableError

PAPER_MINORITY_RATIO = 212 / 700  # Aloo et al.: 212 pneumonia-positive to 700 normal images
PATIENT_CAP = 10  # ours: at most this many images of one patient in validation or test of the patient re-split
CITATION = ("Wang X. et al., ChestX-ray8: hospital-scale chest X-ray database and benchmarks on weakly-supervised "
            "classification and localization of common thorax diseases, CVPR 2017.")
SPLIT_NAMES = {"train": "train", "valid": "val", "val": "val", "test": "test"}


@dataclass(frozen=True)
class MetadataScaler:
    """Min-max scaling of age and one-hot categories of sex and view, fitted on training rows."""

    age_min: float
    age_max: float
    sexes: tuple[str, ...]
    views: tuple[str, ...]

    @classmethod
    def fit(cls, frame: pd.DataFrame) -> MetadataScaler:
        """frame: the training rows, with columns patient_age, patient_gender, view_position."""
        return cls(float(frame.patient_age.min()), float(frame.patient_age.max()),
                   tuple(sorted(frame.patient_gender.unique())), tuple(sorted(frame.view_position.unique())))

    @property
    def feature_names(self) -> tuple[str, ...]:
        return ("age", *(f"sex_{s}" for s in self.sexes), *(f"view_{v}" for v in self.views))

    def transform(self, frame: pd.DataFrame) -> torch.Tensor:
        """(N, F) float32 features in the order of :attr:`feature_names`."""
        span = max(self.age_max - self.age_min, 1e-12)
        cols = [(frame.patient_age.to_numpy(float) - self.age_min) / span]
        cols += [(frame.patient_gender == s).to_numpy(float) for s in self.sexes]
        cols += [(frame.view_position == v).to_numpy(float) for v in self.views]
        return torch.from_numpy(np.stack(cols, axis=1).astype(np.float32))


@dataclass(frozen=True)
class NIHSplit:
    """images: (N, 1, H, W) uint8 or None (metadata only); labels: (N,) int64 (1 = positive); metadata: (N, F)
    float32; frame: the rows (with patient_id)."""

    images: torch.Tensor | None
    labels: torch.Tensor
    metadata: torch.Tensor
    frame: pd.DataFrame = field(repr=False)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def float_images(self) -> torch.Tensor:
        return self.images.float().div_(255.0)


@dataclass(frozen=True)
class NIHDataset:
    mode: str
    label_names: tuple[str, str]
    scaler: MetadataScaler
    train: NIHSplit = field(repr=False)
    val: NIHSplit = field(repr=False)
    test: NIHSplit = field(repr=False)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.scaler.feature_names

    def split(self, name: str) -> NIHSplit:
        return getattr(self, SPLIT_NAMES[name])


def _read_image(path: Path, size: int) -> np.ndarray:
    with Image.open(path) as im:
        im = im.convert("L")
        if im.size != (size, size):
            im = im.resize((size, size), Image.BILINEAR)
        return np.asarray(im, dtype=np.uint8)


def _build(frame: pd.DataFrame, image_dir: Path | None, size: int, mode: str, names: tuple[str, str]
           ) -> NIHDataset:
    """The three splits of ``frame``; image_dir None reads no image (``images`` is None)."""
    missing = [p for p in frame.file if not (image_dir / p).exists()] if image_dir is not None else []
    if missing:
        raise DataUnavailableError(
            f"{len(missing)} of {len(frame)} selected NIH images are missing under {image_dir} "
            f"(first: {missing[0]}). Point image_dir at the folder that holds them."
        )
    scaler = MetadataScaler.fit(frame[frame.split == "train"])
    splits = {}
    for split in ("train", "val", "test"):
        rows = frame[frame.split == split].reset_index(drop=True)
        images = None
        if image_dir is not None:
            images = torch.from_numpy(np.stack([_read_image(image_dir / p, size)[None] for p in rows.file]))
        splits[split] = NIHSplit(images, torch.tensor(rows.label.to_numpy(np.int64)), scaler.transform(rows), rows)
    return NIHDataset(mode=mode, label_names=names, scaler=scaler, **splits)


def _subsample_minority(frame: pd.DataFrame, ratio: float, seed: int) -> pd.DataFrame:
    """Keep ``round(ratio * n_negative)`` positives in the training rows (all when there are fewer)."""
    train = frame.split == "train"
    pos = frame[train & (frame.label == 1)]
    n_keep = min(len(pos), max(1, round(ratio * int((train & (frame.label == 0)).sum()))))
    drop = pos.sample(n=len(pos) - n_keep, random_state=seed).index
    return frame.drop(index=drop)


def select_nih1000(metadata_csv: str | Path, minority_ratio: float | None = PAPER_MINORITY_RATIO,
                   seed: int = 0, split: str = "original", cap: int = PATIENT_CAP, val_fraction: float = 0.2,
                   test_fraction: float = 0.2, split_seed: int = 0) -> pd.DataFrame:
    """The NIH1000 rows with columns file, image_index, split (train/val/test), label, finding_labels, patient_id,
    patient_age, patient_gender, view_position; positives in the training split subsampled to ``minority_ratio``
    with ``seed`` (None keeps all).

    split: ``"original"`` (the folder's split) or ``"patient"``: a patient-disjoint, class-stratified re-split with
    ``val_fraction`` / ``test_fraction`` of the images and no patient giving more than ``cap`` images to validation
    or test (:func:`synthmed.data.grouped.grouped_split` with ``split_seed``).
    """
    meta = pd.read_csv(metadata_csv)
    frame = pd.DataFrame({
        "file": meta.path.str.replace(r"^NIH1000/", "", regex=True),
        "image_index": meta.image_index,
        "split": meta.split.map(SPLIT_NAMES),
        "label": (meta.folder_class == "1_abnormal").astype(np.int64),
        "finding_labels": meta.finding_labels,
        "patient_id": meta.patient_id,
        "patient_age": meta.patient_age.astype(float),
        "patient_gender": meta.patient_gender,
        "view_position": meta.view_position,
    })
    if split == "patient":
        frame["split"] = grouped_split(frame.label, frame.patient_id, val_fraction=val_fraction,
                                       test_fraction=test_fraction, seed=split_seed, cap=cap)
    elif split != "original":
        raise ValueError(f"unknown NIH1000 split {split!r}; valid: original, patient")
    if minority_ratio is not None:
        frame = _subsample_minority(frame, minority_ratio, seed)
    return frame.reset_index(drop=True)


def select_pneumonia(data_entry_csv: str | Path, n_normal: int = 700, test_fraction: float = 0.3,
                     val_fraction: float = 0.1, seed: int = 0) -> pd.DataFrame:
    """Aloo et al.'s selection from ``Data_Entry_2017.csv``: first-visit images with a Pneumonia finding (label 1)
    and ``n_normal`` random first-visit "No Finding" images (label 0), drawn with ``seed``; ``test_fraction`` of the
    images go to test and ``val_fraction`` of the rest to validation, whole patients only and the classes
    stratified (:func:`synthmed.data.grouped.grouped_split`; a first-visit image is one per patient, so this is
    patient-disjoint by construction too). Columns as :func:`select_nih1000`."""
    d = pd.read_csv(data_entry_csv)
    first = d["Follow-up #"] == 0
    pneumonia = d["Finding Labels"].str.split("|").apply(lambda labels: "Pneumonia" in labels)
    pos = d[first & pneumonia]
    normal = d[first & (d["Finding Labels"] == "No Finding")]
    neg = normal.sample(n=min(n_normal, len(normal)), random_state=seed)
    rows = pd.concat([pos.assign(label=1), neg.assign(label=0)], ignore_index=True)
    frame = pd.DataFrame({
        "file": rows["Image Index"], "image_index": rows["Image Index"], "label": rows.label.astype(np.int64),
        "finding_labels": rows["Finding Labels"], "patient_id": rows["Patient ID"],
        "patient_age": rows["Patient Age"].astype(float), "patient_gender": rows["Patient Gender"],
        "view_position": rows["View Position"],
    })
    frame["split"] = grouped_split(frame.label, frame.patient_id, val_fraction=val_fraction * (1 - test_fraction),
                                   test_fraction=test_fraction, seed=seed)
    return frame


def metadata_only(data_entry_csv: str | Path, seed: int = 0, **selection) -> NIHDataset:
    """Aloo et al.'s selection (:func:`select_pneumonia`) as metadata features and labels only: reads no image,
    so it needs ``Data_Entry_2017.csv`` alone. ``images`` of every split is None."""
    data_entry_csv = Path(data_entry_csv)
    if not data_entry_csv.exists():
        raise DataUnavailableError(f"NIH data not found: {data_entry_csv} does not exist (see README, 'Data').")
    frame = select_pneumonia(data_entry_csv, seed=seed, **selection)
    return _build(frame, None, 0, "pneumonia", ("normal", "pneumonia"))


def load_nih(metadata_csv: str | Path, image_dir: str | Path, mode: str = "nih1000", size: int = 64,
             minority_ratio: float | None = PAPER_MINORITY_RATIO, seed: int = 0, **selection) -> NIHDataset:
    """Load NIH images, labels and metadata features.

    mode "nih1000": metadata_csv is ``NIH1000_metadata.csv``, image_dir the ``NIH1000`` folder. mode "pneumonia":
    metadata_csv is ``Data_Entry_2017.csv``, image_dir the folder with the full image set; ``selection`` goes to
    :func:`select_pneumonia`; for "nih1000" it goes to :func:`select_nih1000` (e.g. ``split="patient"``). Images
    are read as grey and resized to ``size`` x ``size``.
    """
    metadata_csv, image_dir = Path(metadata_csv), Path(image_dir)
    for path in (metadata_csv, image_dir):
        if not path.exists():
            raise DataUnavailableError(f"NIH data not found: {path} does not exist (see README, 'Data').")
    if mode == "nih1000":
        frame = select_nih1000(metadata_csv, minority_ratio=minority_ratio, seed=seed, **selection)
        return _build(frame, image_dir, size, mode, ("no finding", "finding"))
    if mode == "pneumonia":
        frame = select_pneumonia(metadata_csv, seed=seed, **selection)
        if minority_ratio is not None:
            frame = _subsample_minority(frame, minority_ratio, seed)
        return _build(frame, image_dir, size, mode, ("normal", "pneumonia"))
    raise ValueError(f"unknown NIH mode {mode!r}; valid modes: nih1000, pneumonia")


def default_nih1000(root: str | Path, **kwargs) -> NIHDataset:
    """``load_nih`` on the layout of ``$SYNTHMED_DATA_ROOT/nih``: NIH1000_metadata.csv beside NIH1000/."""
    root = Path(root)
    return load_nih(root / "NIH1000_metadata.csv", root / "NIH1000", mode="nih1000", **kwargs)
