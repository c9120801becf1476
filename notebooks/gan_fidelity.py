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
# The search chose ours by maximising density and coverage of its own samples against the training images, so
# scoring those same samples would decide the comparison by construction. Here Table 6 is **held out**: every
# replicate draws fresh samples from each strategy's generators (new latents; as many as the real reference, an
# ensemble in equal shares), the real reference is the validation split (never seen by the search), and the
# features come from `fidelity_backbone`, a network the search did not use. Replicates are independent chapters
# (each its own zoo, search, samples and embedding); the search's own values (replicate 0) follow, labelled as
# such.

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
from IPython.display import display

from synthmed import display as show
from synthmed.device import get_device
from synthmed.gan import experiment as ex
from synthmed.gan import report

# %% tags=["parameters", "hide-cell"]
profile = None  # smoke | quick | paper
datasets = None  # MedMNIST flags
n_feat = None  # real and generated images per candidate for density/coverage
fidelity_backbone = None  # feature space of the held-out Table 6 (not the search backbone)
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
t6 = ex.fidelity_runs(results, settings, device)
verdicts = report.judge({"table6": t6}, settings.profile, settings.datasets,
                        notebook="gan_fidelity", run=settings)

# %% [markdown]
# ## Table 6

# %% tags=["hide-input"]
display(report.table6_grid(t6))
long = t6.assign(strategy=t6.strategy.map(ex.STRATEGY_NAMES)).melt(
    id_vars=["dataset", "strategy", "seed"], value_vars=["density", "coverage"], var_name="metric")
fig = show.interval_figure(long, x="strategy", y="value", hue="metric", col="dataset", height=3.2,
                           aspect=1.6, ylabel="density / coverage (95 % t interval, replicates)")
for ax in fig.axes:
    ax.set_ylim(bottom=0)
    plt.setp(ax.get_xticklabels(), rotation=45, ha="right", rotation_mode="anchor", fontsize=7)
plt.show()

# %% [markdown]
# ## What the search saw (not held out)

# %% tags=["hide-input"]
report.search_space_grid(ex.search_space_fidelity(results, settings))

# %% [markdown]
# ## Verdicts

# %% tags=["hide-input"]
display(*report.publish("gan_fidelity", settings, verdicts, settings.datasets))
