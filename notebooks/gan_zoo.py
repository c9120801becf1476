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
# Tronchin et al., *Beyond a Single Mode: GAN Ensembles for Diverse Medical Data Generation* (arXiv:2503.24258)
# search for an ensemble among 22 class-conditional GANs × 5 training snapshots. This notebook trains this book's
# smaller search space (see {doc}`/book/gan_ensembles`): seven tiny GANs that differ in architecture, loss,
# conditioning and regularisation, each saved at regular intervals. Every snapshot is one candidate for the search
# in the next notebooks, which load the same trained models from the cache.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display

from synthmed.device import describe, get_device
from synthmed.gan import experiment as ex
from synthmed.gan.zoo import SPECS

# %% tags=["parameters"]
profile = None  # smoke | quick | paper
datasets = None  # MedMNIST flags
gans = None  # zoo members (see synthmed.gan.zoo.GAN_NAMES)
gan_iters = None  # training iterations per GAN
gan_snapshots = None  # snapshots per GAN (each one a search candidate)
gan_batch = None  # GAN batch size
gan_width = None  # GAN base channel width
seed = None  # random seed
# None takes the profile's value. Any other setting in the table below can be passed the same way.

# %%
settings = ex.settings("gan_zoo", globals())
display(Markdown(f"Device: {describe(get_device())}"))
settings

# %% [markdown]
# ## The search space

# %%
pd.DataFrame([{"GAN": n, **SPECS[n]} for n in settings.gans]).set_index("GAN")

# %% [markdown]
# ## Training (cached; resumable)

# %%
zoo = {d: ex.train_zoo(d, settings) for d in settings.datasets}
display(Markdown(
    f"{len(settings.gans)} GANs × {settings.gan_snapshots} snapshots = "
    f"{len(settings.gans) * settings.gan_snapshots} candidates per dataset, trained for {settings.gan_iters} "
    f"iterations (the paper: 22 GANs × 5 snapshots = 110, 100 000 iterations)."))

# %% [markdown]
# ## Samples per GAN and snapshot
# Each row is one GAN, each column one snapshot; every cell shows one image per class (class 0 on top).

# %%
for d in settings.datasets:
    ds = ex.load(d)
    cands = ex.candidates(zoo[d])
    n_snap = settings.gan_snapshots
    fig, axes = plt.subplots(len(settings.gans), n_snap, figsize=(1.6 * n_snap, 1.3 * len(settings.gans) * ds.n_classes / 2 + 0.5),
                             squeeze=False)
    labels = torch.arange(ds.n_classes).repeat_interleave(4)
    for i, c in enumerate(cands):
        img = ex.sample(c, labels, seed=settings.seed)
        grid = img.view(ds.n_classes, 4, *img.shape[1:]).permute(0, 3, 1, 4, 2).reshape(
            ds.n_classes * img.shape[2], 4 * img.shape[3], img.shape[1])
        ax = axes[i // n_snap, i % n_snap]
        ax.imshow(grid.squeeze(-1).numpy(), cmap="gray", vmin=0, vmax=255)
        ax.set_xticks([]), ax.set_yticks([])
        if i // n_snap == 0:
            ax.set_title(f"iter {c['iter']}", fontsize=8)
        if i % n_snap == 0:
            ax.set_ylabel(c["gan"], fontsize=8)
    fig.suptitle(f"{d}: samples ({', '.join(ds.label_names) if hasattr(ds, 'label_names') else ''})", fontsize=9)
    plt.tight_layout()
    plt.show()

# %% [markdown]
# ## Training curves

# %%
for d in settings.datasets:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3))
    for g in zoo[d]:
        w = max(1, len(g["loss_d"]) // 30)
        for ax, key in zip(axes, ("loss_d", "loss_g")):
            v = np.convolve(g[key], np.ones(w) / w, mode="valid")
            ax.plot(v, label=g["name"], lw=1)
    for ax, t in zip(axes, ("discriminator loss", "generator loss")):
        ax.set_title(f"{d}: {t} (moving average)", fontsize=9)
        ax.set_xlabel("iteration")
    axes[1].legend(fontsize=7, ncol=2)
    plt.tight_layout()
    plt.show()

# %% [markdown]
# Losses of different objectives (BCE, hinge, Wasserstein, least squares) are on different scales and are not
# comparable across GANs; they show whether training diverged. Whether the samples are useful is measured in the
# next notebooks by density/coverage and by a classifier trained on them.
