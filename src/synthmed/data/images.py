"""One loader for every image-classification dataset a chapter can name: the MedMNIST flags and file stems
(:func:`synthmed.data.medmnist.load_medmnist`) and :data:`NIH1000`, the 1,000-image subset of NIH ChestX-ray14 that
is on these machines (:mod:`synthmed.data.nih`), as the same :class:`~synthmed.data.medmnist.MedMNISTDataset`.

``nih1000`` is what the TSynD chapter runs for the paper's "Chest-Xray" set (Niemeijer et al. 2024, ref. 18:
ChestX-ray8, Sec. 4.2-4.3). It is a *subset* of that set: 1,000 images downsized to 64 px by the subset's author,
half with no finding and half with any finding (label 1 = any finding), re-split by patient (the folder's own split
shares patients between its splits; :func:`synthmed.data.nih.select_nih1000` with ``split="patient"``), read as grey
and resized to 28 px with a Lanczos filter so that the chapter's 28 px networks and autoencoder apply unchanged."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import torch

from synthmed.data import resize
from synthmed.data.medmnist import DataUnavailableError, MedMNISTDataset, Split, load_medmnist
from synthmed.data.nih import default_nih1000
from synthmed.data.paths import ENV_VAR, nih_root

NIH1000 = "nih1000"
NIH1000_SIZE = 28  # pixels per side after the Lanczos resize (the files are 64 px)
NIH1000_LICENSE = "NIH Clinical Center ChestX-ray14 (public release, see the data chapter)"
NAMES = (NIH1000,)  # the names this module adds to the MedMNIST ones


def load_images(name: str) -> MedMNISTDataset:
    """The dataset ``name`` with its train/val/test splits as uint8 tensors (N, C, H, W): :data:`NIH1000`, or any
    name :func:`synthmed.data.medmnist.load_medmnist` takes (a ValueError names the valid forms)."""
    if name == NIH1000:
        return nih1000_images()
    try:
        return load_medmnist(name)
    except ValueError as err:
        if "not a MedMNIST dataset name" not in str(err):
            raise
        raise ValueError(f"{err}; or one of {', '.join(NAMES)}") from None


def _digest(paths: list[Path]) -> str:
    h = hashlib.md5()
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def nih1000_images(root: str | None = None) -> MedMNISTDataset:
    """:data:`NIH1000` as a MedMNIST-style dataset (flag ``nih1000``, 28 px, one channel, binary task; ``md5``: of
    the subset's checksum list and metadata file, so a changed file changes every cache key). ``root``: the
    ``nih`` folder (default ``$SYNTHMED_DATA_ROOT/nih``). Read once per process (1,000 PNG files)."""
    folder = Path(root) if root is not None else nih_root()
    if folder is None:
        raise DataUnavailableError(f"the NIH1000 subset is looked for in ${ENV_VAR}/nih, and ${ENV_VAR} is not set")
    nih = default_nih1000(folder, minority_ratio=None, split="patient", size=64)
    splits = {}
    for name in ("train", "val", "test"):
        part = nih.split(name)
        splits[name] = Split(resize.lanczos(part.images, NIH1000_SIZE), part.labels.clone(),
                             torch.arange(len(part)))
    return MedMNISTDataset(flag=NIH1000, size=NIH1000_SIZE, task="binary-class", label_names=nih.label_names,
                           n_channels=1, path=folder / "NIH1000",
                           md5=_digest([folder / "NIH1000_MD5SUMS", folder / "NIH1000_metadata.csv"]),
                           license=NIH1000_LICENSE, **splits)
