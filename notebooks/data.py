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
from IPython.display import Markdown, display

from synthmed import profiles
from synthmed.data import available, load_medmnist, nih_root, report
from synthmed.data.nih import default_nih1000
from synthmed.data.summary import metadata_by_split, sample_grid
from synthmed.display import plain

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
status = available(report.wanted(settings.datasets))
plain(report.presence_table(status))

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
    display(Markdown(report.medmnist_text(name, ds)))
    splits = {"train": ds.train.labels, "val": ds.val.labels, "test": ds.test.labels}
    display(plain(report.counts(splits, ds.label_names), caption="Images per class and split"))
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
    display(plain(report.counts(splits, nih.label_names), caption="Images per class and split"))
    frames = {s: nih.split(s).frame for s in splits}
    display(plain(metadata_by_split(frames),
                  caption="Patient metadata per split (age: mean ± std (min–max))"))
    display(Markdown(report.nih_text(nih, nih_dir)))
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
