"""The Data page's tables and text (``notebooks/data.py``): which datasets the papers use and which are here, each
file's description and checksum, and the class counts per split."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd
import torch
from medmnist.info import INFO

from synthmed.data.checksums import md5sum
from synthmed.data.medmnist import CITATION as MEDMNIST_CITATION
from synthmed.data.nih import CITATION as NIH_CITATION
from synthmed.data.summary import class_balance

# The MedMNIST datasets the papers use, and which chapter uses each.
PAPER_DATASETS = {
    "breastmnist": "TSynD, GAN ensembles",
    "pneumoniamnist": "GAN ensembles (and the imbalance chapter)",
    "dermamnist": "TSynD", "organsmnist": "TSynD (Table 2)", "octmnist": "TSynD (Table 2)",
    "chestmnist": "TSynD (Table 2)", "retinamnist": "extension of the TSynD chapter",
}


def counts(splits: Mapping[str, torch.Tensor], label_names: Sequence[str]) -> pd.DataFrame:
    """Class counts per split as integers, the majority share with its decimal."""
    return class_balance(splits, label_names).map("{:g}".format)


def presence_table(status: Mapping[str, str]) -> pd.DataFrame:
    """One row per dataset of ``status`` (:func:`synthmed.data.available`'s answer): the chapters that use it,
    whether it is here, and if not, why."""
    return pd.DataFrame([
        {"dataset": name, "used by": PAPER_DATASETS.get(name, "extension"),
         "present here": "yes" if state == "ok" else "no",
         "note": "" if state == "ok" else state.split(" and ")[0]} for name, state in status.items()
    ])


def wanted(datasets: Iterable[str]) -> list[str]:
    """The papers' datasets and those asked for, sorted (the names the presence table lists)."""
    return sorted(set(PAPER_DATASETS) | set(datasets))


def medmnist_text(name: str, ds) -> str:
    """A MedMNIST dataset's heading, description, task, shape, file, MD5 (checked) and licence."""
    return (f"### {name}\n\n{INFO[ds.flag]['description']}\n\n"
            f"*Task:* {ds.task}; *channels:* {ds.n_channels}; *size:* {ds.size}×{ds.size}; "
            f"*file:* `{ds.path.name}`, MD5 `{md5sum(ds.path)}` (official `{ds.md5}`, verified); "
            f"*licence:* {ds.license}. Cite {MEDMNIST_CITATION}")


def nih_text(nih, nih_dir: Path) -> str:
    """NIH1000's metadata features, the metadata file's MD5, citation and licence."""
    return (f"Metadata features (fitted on the training split): `{', '.join(nih.feature_names)}`. "
            f"MD5 of the metadata file: `{md5sum(nih_dir / 'NIH1000_metadata.csv')}`; per-image MD5s "
            f"are in `NIH1000_MD5SUMS`. Cite {NIH_CITATION} Licence: released by the NIH Clinical "
            "Center for unrestricted use with attribution.")
