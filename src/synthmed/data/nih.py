"""NIH ChestX-ray14 images with their patient metadata (age, sex, view position).

Two modes:

- ``"nih1000"``: the 1000-image ``NIH1000`` folder (64x64, train/valid/test, half normal and half abnormal) joined to
  its metadata in ``NIH1000_metadata.csv``. Label 1 = any finding, 0 = no finding. In the training split the
  positive class is subsampled to ``minority_ratio`` positives per negative (Aloo et al.: 212 to 700).
- ``"pneumonia"``: the selection of Aloo et al. on the full NIH set: every first-visit image (``Follow-up # == 0``)
  whose findings include pneumonia, plus a random sample of first-visit "No Finding" images, split 7:3 into
  train+validation and test. Needs ``Data_Entry_2017.csv`` and a folder with all 112,120 images.

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

from synthmed.data.medmnist import DataUnavailableError

PAPER_MINORITY_RATIO = 212 / 700  # Aloo et al.: 212 pneumonia-positive to 700 normal images
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
    """images: (N, 1, H, W) uint8; labels: (N,) int64 (1 = positive); metadata: (N, F) float32; frame: the rows."""

    images: torch.Tensor
    labels: torch.Tensor
    metadata: torch.Tensor
    frame: pd.DataFrame = field(repr=False)

    def __len__(self) -> int:
        return self.images.shape[0]

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


def _build(frame: pd.DataFrame, image_dir: Path, size: int, mode: str, names: tuple[str, str]) -> NIHDataset:
    missing = [p for p in frame.file if not (image_dir / p).exists()]
    if missing:
        raise DataUnavailableError(
            f"{len(missing)} of {len(frame)} selected NIH images are missing under {image_dir} "
            f"(first: {missing[0]}). Point image_dir at the folder that holds them."
        )
    scaler = MetadataScaler.fit(frame[frame.split == "train"])
    splits = {}
    for split in ("train", "val", "test"):
        rows = frame[frame.split == split].reset_index(drop=True)
        images = np.zeros((len(rows), 1, size, size), np.uint8)
        for i, p in enumerate(rows.file):
            images[i, 0] = _read_image(image_dir / p, size)
        splits[split] = NIHSplit(torch.from_numpy(images), torch.tensor(rows.label.to_numpy(np.int64)),
                                 scaler.transform(rows), rows)
    return NIHDataset(mode=mode, label_names=names, scaler=scaler, **splits)


def _subsample_minority(frame: pd.DataFrame, ratio: float, seed: int) -> pd.DataFrame:
    """Keep ``round(ratio * n_negative)`` positives in the training rows (all when there are fewer)."""
    train = frame.split == "train"
    pos = frame[train & (frame.label == 1)]
    n_keep = min(len(pos), max(1, round(ratio * int((train & (frame.label == 0)).sum()))))
    drop = pos.sample(n=len(pos) - n_keep, random_state=seed).index
    return frame.drop(index=drop)


def select_nih1000(metadata_csv: str | Path, minority_ratio: float | None = PAPER_MINORITY_RATIO,
                   seed: int = 0) -> pd.DataFrame:
    """The NIH1000 rows with columns file, split (train/val/test), label, patient_age, patient_gender,
    view_position; positives in the training split subsampled to ``minority_ratio`` (None keeps all)."""
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
    if minority_ratio is not None:
        frame = _subsample_minority(frame, minority_ratio, seed)
    return frame.reset_index(drop=True)


def select_pneumonia(data_entry_csv: str | Path, n_normal: int = 700, test_fraction: float = 0.3,
                     val_fraction: float = 0.1, seed: int = 0) -> pd.DataFrame:
    """Aloo et al.'s selection from ``Data_Entry_2017.csv``: first-visit images with a Pneumonia finding (label 1)
    and ``n_normal`` random first-visit "No Finding" images (label 0); ``test_fraction`` of each class goes to test
    and ``val_fraction`` of the rest to validation. Columns as :func:`select_nih1000`."""
    d = pd.read_csv(data_entry_csv)
    first = d["Follow-up #"] == 0
    pneumonia = d["Finding Labels"].str.split("|").apply(lambda labels: "Pneumonia" in labels)
    pos = d[first & pneumonia]
    normal = d[first & (d["Finding Labels"] == "No Finding")]
    neg = normal.sample(n=min(n_normal, len(normal)), random_state=seed)
    rng = np.random.default_rng(seed)
    parts = []
    for label, rows in ((1, pos), (0, neg)):
        order = rng.permutation(len(rows))
        n_test = round(test_fraction * len(rows))
        n_val = round(val_fraction * (len(rows) - n_test))
        split = np.empty(len(rows), dtype=object)
        split[order[:n_test]], split[order[n_test:n_test + n_val]], split[order[n_test + n_val:]] = \
            "test", "val", "train"
        parts.append(pd.DataFrame({
            "file": rows["Image Index"].to_numpy(), "image_index": rows["Image Index"].to_numpy(), "split": split,
            "label": label, "finding_labels": rows["Finding Labels"].to_numpy(),
            "patient_id": rows["Patient ID"].to_numpy(), "patient_age": rows["Patient Age"].astype(float).to_numpy(),
            "patient_gender": rows["Patient Gender"].to_numpy(), "view_position": rows["View Position"].to_numpy(),
        }))
    return pd.concat(parts, ignore_index=True)


def load_nih(metadata_csv: str | Path, image_dir: str | Path, mode: str = "nih1000", size: int = 64,
             minority_ratio: float | None = PAPER_MINORITY_RATIO, seed: int = 0, **selection) -> NIHDataset:
    """Load NIH images, labels and metadata features.

    mode "nih1000": metadata_csv is ``NIH1000_metadata.csv``, image_dir the ``NIH1000`` folder. mode "pneumonia":
    metadata_csv is ``Data_Entry_2017.csv``, image_dir the folder with the full image set; ``selection`` goes to
    :func:`select_pneumonia`. Images are read as grey and resized to ``size`` x ``size``.
    """
    metadata_csv, image_dir = Path(metadata_csv), Path(image_dir)
    for path in (metadata_csv, image_dir):
        if not path.exists():
            raise DataUnavailableError(f"NIH data not found: {path} does not exist (see README, 'Data').")
    if mode == "nih1000":
        frame = select_nih1000(metadata_csv, minority_ratio=minority_ratio, seed=seed)
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
