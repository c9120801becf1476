# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The data
#
# Every chapter of this book trains on real medical images. This page shows each dataset that is
# present on the machine that built the book: a few images of every class, how the classes are
# balanced in each split, the split sizes, and the file's MD5 checksum, which is verified against
# the official one before anything is loaded. Datasets the papers used but that could not be loaded
# here are listed with the reason.
#
# The data root is the environment variable `SYNTHMED_DATA_ROOT` (see the README).

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display
from medmnist.info import INFO

from synthmed import profiles
from synthmed.data import available, load_medmnist, nih_root
from synthmed.data.checksums import md5sum
from synthmed.data.medmnist import CITATION as MEDMNIST_CITATION
from synthmed.data.nih import CITATION as NIH_CITATION
from synthmed.data.nih import default_nih1000
from synthmed.data.summary import class_balance, metadata_by_split, sample_grid
from synthmed.display import plain


def counts(splits, label_names):
    """Class counts per split as integers, the majority share with its decimal."""
    return class_balance(splits, label_names).map("{:g}".format)

# %% tags=["parameters", "hide-cell"]
profile = None  # smoke | quick | paper (default: $SYNTHMED_PROFILE, else quick)
datasets = None  # MedMNIST names to show, e.g. ["breastmnist", "breastmnist_64"]
include_nih = None  # also show the NIH1000 chest X-rays with their metadata
per_class = None  # images per class in each sample grid
seed = None  # which images the grids show

# %% tags=["hide-input"]
settings = profiles.from_notebook("data", globals())
settings

# %% [markdown]
# ## What is here
#
# The papers reproduced in this book use these MedMNIST datasets; the table says which of them this
# machine has.

# %% tags=["hide-input"]
PAPER_DATASETS = {
    "breastmnist": "TSynD, GAN ensembles",
    "pneumoniamnist": "GAN ensembles (and the imbalance chapter)",
    "dermamnist": "TSynD", "organsmnist": "TSynD (Table 2)", "octmnist": "TSynD (Table 2)",
    "chestmnist": "TSynD (Table 2)", "retinamnist": "extension of the TSynD chapter",
}
status = available(sorted(set(PAPER_DATASETS) | set(settings.datasets)))
plain(pd.DataFrame([
    {"dataset": name, "used by": PAPER_DATASETS.get(name, "extension"),
     "present here": "yes" if state == "ok" else "no",
     "note": "" if state == "ok" else state.split(" and ")[0]} for name, state in status.items()
]))

# %% [markdown]
# ## MedMNIST
#
# Images are 28×28 unless the name ends in the size; labels are those of MedMNIST v2.

# %% tags=["hide-input"]
for name in settings.datasets:
    if status.get(name) != "ok":
        display(Markdown(f"### {name}\n\nNot shown: {status.get(name)}"))
        continue
    ds = load_medmnist(name, download=False)
    display(Markdown(
        f"### {name}\n\n{INFO[ds.flag]['description']}\n\n"
        f"*Task:* {ds.task}; *channels:* {ds.n_channels}; *size:* {ds.size}×{ds.size}; "
        f"*file:* `{ds.path.name}`, MD5 `{md5sum(ds.path)}` (official `{ds.md5}`, verified); "
        f"*licence:* {ds.license}. Cite {MEDMNIST_CITATION}"
    ))
    splits = {"train": ds.train.labels, "val": ds.val.labels, "test": ds.test.labels}
    display(plain(counts(splits, ds.label_names), caption="Images per class and split"))
    fig = sample_grid(ds.train.images, ds.train.labels, ds.label_names, settings.per_class,
                      settings.seed, title=f"{name}: training images by class")
    display(fig)
    plt.close(fig)

# %% [markdown]
# ## NIH ChestX-ray14: the NIH1000 subset with patient metadata
#
# The class-imbalance chapter needs real per-image metadata. `NIH1000` holds 1000 NIH chest X-rays
# at 64×64, half with no finding and half with some finding, joined to `Data_Entry_2017.csv`. In the
# training split the positive class is subsampled to the paper's ratio of 212 positives to 700
# negatives.

# %% tags=["hide-input"]
nih_dir = nih_root()
if not settings.include_nih:
    display(Markdown("NIH not shown (`include_nih` is off)."))
elif nih_dir is None or not (nih_dir / "NIH1000").is_dir():
    display(Markdown(f"NIH1000 not found (looked in `{nih_dir}`); set `SYNTHMED_DATA_ROOT` "
                     "(see the README)."))
else:
    nih = default_nih1000(nih_dir, seed=settings.seed)
    splits = {s: nih.split(s).labels for s in ("train", "val", "test")}
    display(plain(counts(splits, nih.label_names), caption="Images per class and split"))
    frames = {s: nih.split(s).frame for s in splits}
    display(plain(metadata_by_split(frames),
                  caption="Patient metadata per split (age: mean ± std (min–max))"))
    display(Markdown(
        f"Metadata features (fitted on the training split): `{', '.join(nih.feature_names)}`. "
        f"MD5 of the metadata file: `{md5sum(nih_dir / 'NIH1000_metadata.csv')}`; per-image MD5s "
        f"are in `NIH1000_MD5SUMS`. Cite {NIH_CITATION} Licence: released by the NIH Clinical "
        "Center for unrestricted use with attribution."
    ))
    fig = sample_grid(nih.train.images, nih.train.labels, nih.label_names, settings.per_class,
                      settings.seed, title="NIH1000: training images by class")
    display(fig)
    plt.close(fig)

# %% [markdown]
# ## Provenance
#
# The files on the machines that build this book are the official releases, checked byte for byte
# against the MD5 sums above; where each copy came from is recorded in `SOURCES.md` next to the
# data. No data file is part of the synthmed repository.
