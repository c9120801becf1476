"""MedMNIST 2D datasets as tensors: any flag, any size (28/64/128/224), checked against the official MD5.

Each split is loaded once from the ``.npz`` file into uint8 tensors of shape (N, C, H, W). The MD5 is verified here
because ``medmnist`` itself does not check it when it does not download. The ``medmnist`` dataset classes are used
only to download; their ``__len__`` asserts the official sample count, so subsets never go through them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from medmnist.info import INFO

from synthmed.data.checksums import md5sum
from synthmed.data.paths import ENV_VAR, medmnist_root

SIZES = (28, 64, 128, 224)
SPLITS = ("train", "val", "test")
FLAGS_2D = tuple(flag for flag in INFO if not flag.endswith("3d"))
HOMEPAGE = "https://medmnist.com/"
CITATION = "Yang J. et al., MedMNIST v2: a large-scale lightweight benchmark for 2D and 3D biomedical image " \
           "classification, Scientific Data 10, 41 (2023)."


class DataUnavailableError(FileNotFoundError):
    """A data file is not where the project looked for it, and could not be downloaded."""


class ChecksumError(ValueError):
    """A data file is present but its MD5 differs from the official one (corrupt or a different release)."""


@dataclass(frozen=True)
class Split:
    """One split. images: (N, C, H, W) uint8; labels: (N,) int64, or (N, L) int64 for multi-label tasks;
    indices: (N,) int64 positions of these rows in the full official split (all of them unless subsampled)."""

    images: torch.Tensor
    labels: torch.Tensor
    indices: torch.Tensor

    def __len__(self) -> int:
        return self.images.shape[0]

    def float_images(self) -> torch.Tensor:
        """(N, C, H, W) float32 in [0, 1]."""
        return self.images.float().div_(255.0)

    def select(self, rows: torch.Tensor) -> Split:
        """The rows ``rows`` (positions in this split) as a new Split that keeps the original indices."""
        return Split(self.images[rows], self.labels[rows], self.indices[rows])


@dataclass(frozen=True)
class MedMNISTDataset:
    """A MedMNIST dataset: metadata from ``medmnist.INFO`` and the three splits as tensors."""

    flag: str
    size: int
    task: str
    label_names: tuple[str, ...]
    n_channels: int
    path: Path
    md5: str
    license: str
    train: Split = field(repr=False)
    val: Split = field(repr=False)
    test: Split = field(repr=False)

    @property
    def name(self) -> str:
        """``flag`` at 28x28, else ``flag_size`` (the file stem)."""
        return dataset_name(self.flag, self.size)

    @property
    def n_classes(self) -> int:
        return len(self.label_names)


    def split(self, name: str) -> Split:
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}; valid splits: {', '.join(SPLITS)}")
        return getattr(self, name)


def dataset_name(flag: str, size: int = 28) -> str:
    return flag if size == 28 else f"{flag}_{size}"


def parse_name(name: str) -> tuple[str, int]:
    """``"breastmnist_64"`` -> ``("breastmnist", 64)``; ``"breastmnist"`` -> ``("breastmnist", 28)``."""
    m = re.fullmatch(r"([a-z]+mnist(?:3d)?)(?:_(\d+))?", name)
    if not m:
        raise ValueError(f"not a MedMNIST dataset name: {name!r} (expected e.g. 'breastmnist' or 'breastmnist_64')")
    flag, size = m.group(1), int(m.group(2) or 28)
    _check_flag_size(flag, size)
    return flag, size


def _check_flag_size(flag: str, size: int) -> None:
    if flag not in FLAGS_2D:
        raise ValueError(f"unknown 2D MedMNIST flag {flag!r}; valid flags: {', '.join(FLAGS_2D)}")
    if size not in SIZES:
        raise ValueError(f"unsupported MedMNIST size {size}; valid sizes: {', '.join(map(str, SIZES))}")


def expected_md5(flag: str, size: int = 28) -> str:
    info = INFO[flag]
    return info["MD5"] if size == 28 else info[f"MD5_{size}"]


def download_url(flag: str, size: int = 28) -> str:
    info = INFO[flag]
    return info["url"] if size == 28 else info[f"url_{size}"]


def locate(flag: str, size: int = 28, root: str | Path | None = None, download: bool = True) -> Path:
    """Path of the verified ``.npz`` file, downloading it through ``medmnist`` when missing and ``download``.

    Raises DataUnavailableError (naming the file, its MD5, the folder searched and the download address) when the
    file is missing and cannot be fetched, and ChecksumError when its MD5 is not the official one.
    """
    _check_flag_size(flag, size)
    root = Path(root) if root is not None else medmnist_root()
    path = root / f"{dataset_name(flag, size)}.npz"
    md5 = expected_md5(flag, size)
    if not path.exists():
        reason = "downloading is switched off"
        if download:
            try:
                _download(flag, size, root)
            except Exception as err:  # no network, blocked host, ...: report it with everything the user needs
                reason = f"the download failed ({type(err).__name__}: {str(err).strip().splitlines()[0]})"
        if not path.exists():
            raise DataUnavailableError(
                f"MedMNIST file {path.name} (MD5 {md5}) was not found in {root} and {reason}. "
                f"Download it from {download_url(flag, size)} (see {HOMEPAGE}) into that folder, "
                f"or point ${ENV_VAR} at a folder holding a 'medmnist/' sub-folder with it."
            )
    actual = md5sum(path)
    if actual != md5:
        raise ChecksumError(
            f"MD5 mismatch for {path}: expected {md5} (official MedMNIST {dataset_name(flag, size)}), got {actual}. "
            f"The file is corrupt or from another release; delete it and download it again from "
            f"{download_url(flag, size)}."
        )
    return path


def _download(flag: str, size: int, root: Path) -> None:
    import medmnist  # noqa: F401  (synthmed's __init__ has made torchvision importable)

    root.mkdir(parents=True, exist_ok=True)
    cls = getattr(medmnist, INFO[flag]["python_class"])
    cls(split="train", download=True, root=str(root), size=size)


def _labels(raw: np.ndarray, task: str) -> torch.Tensor:
    labels = torch.from_numpy(raw.astype(np.int64))
    return labels if task == "multi-label, binary-class" else labels.reshape(-1)


def load_medmnist(name: str, size: int | None = None, root: str | Path | None = None,
                  download: bool = True) -> MedMNISTDataset:
    """Load a MedMNIST 2D dataset with all three splits.

    name: a flag (``"pneumoniamnist"``) or a file stem (``"breastmnist_64"``); size: overrides the size in the name.
    Images come as (N, C, H, W) uint8 tensors; grey datasets have C = 1, RGB ones C = 3.
    """
    flag, parsed_size = parse_name(name)
    size = size or parsed_size
    path = locate(flag, size, root=root, download=download)
    info = INFO[flag]
    splits = {}
    with np.load(path) as npz:
        for split in SPLITS:
            images = npz[f"{split}_images"]
            images = images[:, None] if images.ndim == 3 else images.transpose(0, 3, 1, 2)
            labels = _labels(npz[f"{split}_labels"], info["task"])
            splits[split] = Split(torch.from_numpy(np.ascontiguousarray(images)), labels,
                                  torch.arange(len(labels)))
    names = tuple(info["label"][str(i)] for i in range(len(info["label"])))
    return MedMNISTDataset(flag=flag, size=size, task=info["task"], label_names=names,
                           n_channels=info["n_channels"], path=path, md5=expected_md5(flag, size),
                           license=info.get("license", ""), **splits)


def available(names: list[str] | tuple[str, ...], root: str | Path | None = None) -> dict[str, str]:
    """For each dataset name, "ok" when its verified file is present locally, else the reason it is not (no
    download is attempted)."""
    status = {}
    for name in names:
        try:
            locate(*parse_name(name), root=root, download=False)
            status[name] = "ok"
        except (DataUnavailableError, ChecksumError, ValueError) as err:
            status[name] = str(err)
    return status
