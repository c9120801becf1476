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
# # GAN ensembles (4/4): fidelity and diversity of each strategy (Table 6, Fig. 3)
#
# Tronchin et al. (arXiv:2503.24258, Table 6) report FID, density and coverage of each strategy's synthetic data.
# Here every strategy is scored on the same number of synthetic images as real ones (an ensemble pools equal
# shares of its members): FID with the Inception-v3 FID network, density and coverage on the search backbone.
# The interval of each cell is over random halves of the samples (measurement noise), not over trainings.

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
from IPython.display import display

from synthmed import claims
from synthmed import display as show
from synthmed.device import get_device
from synthmed.gan import experiment as ex
from synthmed.gan import report

# %% tags=["parameters"]
profile = None  # smoke | quick | paper
datasets = None  # MedMNIST flags
n_feat = None  # real and generated images per candidate for density/coverage
n_inception = None  # real and generated images per candidate for Inception-v3 (FID)
k = None  # nearest neighbours for density/coverage
workers = None  # parallel processes for independent runs
seed = None  # random seed
# None takes the profile's value. Any other setting in the table below can be passed the same way.

# %% tags=["hide-input"]
settings = ex.settings("gan_fidelity", globals())
device = get_device()
settings

# %% tags=["hide-input"]
results = ex.chapter(settings, device)
inc = ex.features(settings, ["inception"], device)
t6 = ex.fidelity_runs(results, {d: inc[(d, "inception")] for d in settings.datasets}, settings)
verdicts = report.judge({"table6": t6}, settings.profile, settings.datasets)

# %% [markdown]
# ## Table 6

# %% tags=["hide-input"]
display(report.table6_grid(t6))
long = t6.assign(strategy=t6.strategy.map(ex.STRATEGY_NAMES)).melt(
    id_vars=["dataset", "strategy", "seed"], value_vars=["density", "coverage"], var_name="metric")
fig = show.interval_figure(long, x="strategy", y="value", hue="metric", col="dataset", height=3.2,
                           aspect=1.6, ylabel="density / coverage (95 % t interval, sample halves)")
for ax in fig.axes:
    ax.set_ylim(bottom=0)
    plt.setp(ax.get_xticklabels(), rotation=45, ha="right", rotation_mode="anchor", fontsize=7)
plt.show()

# %% [markdown]
# ## Verdicts

# %% tags=["hide-input"]
display(*claims.publish("gan_fidelity", settings.profile, verdicts))
