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
# # GAN ensembles (2/4): does a Pareto-selected ensemble beat single GANs? (Tables 3, 4, A2-A5; Figs. 3, A1)
#
# Tronchin et al. (arXiv:2503.24258) pick a subset of GAN snapshots by maximising Intra-d (fidelity of the pooled
# samples to the real training set) and minimising Inter-d (overlap between members), d being the harmonic mean
# of density and coverage (Naeem et al., 2020); the final ensemble is the Pareto solution with the highest
# Intra-d (eq. 6). A classifier trained only on its samples is compared with single GANs, naive ensembles and
# the oracle. Every training set has as many images as the real one. A replicate is the whole chapter (its
# seed reaches the real subset, zoo, embeddings, searches, random draws, samples and classifiers), so
# comparisons pair by replicate and cover every random stage. *Test-selected* rows are picked on the test split,
# as in the paper (upper references); *val-selected* rows make the same choices on the validation split.

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
from IPython.display import display

from synthmed.device import get_device
from synthmed.gan import experiment as ex
from synthmed.gan import report
from synthmed.runner import find_root

# %% tags=["parameters", "hide-cell"]
profile = None  # smoke | quick | paper
datasets = None  # MedMNIST flags
k = None  # nearest neighbours for density/coverage
pop_size = None  # NSGA-II population (used when the space is too large to enumerate)
n_gen = None  # NSGA-II generations
epochs = None  # downstream classifier: maximum epochs (early stopping on the validation loss)
repeats = None  # replicates of the whole chapter (replicate r: seed + r, its own zoo and searches)
max_oracle = None  # cap on the Pareto solutions trained for the oracle / validation-selected rows
table4_sizes = None  # numbers of GAN models drawn for the Table 4 search spaces
table4_draws = None  # random draws per size
workers = None  # parallel processes for independent runs
seed = None  # random seed
# None takes the profile's value. Any other setting in the table below can be passed the same way.

# %% tags=["hide-input"]
settings = ex.settings("gan_ensemble", globals())
device = get_device()
settings

# %% tags=["hide-input"]
results = ex.chapter(settings, device)
f = report.ensemble_frames(results, settings.k)
verdicts = report.judge(f.claims, settings.profile, settings.datasets, "gan_ensemble", settings)

# %% [markdown]
# ## Table 3: downstream g-mean of each strategy

# %% tags=["hide-input"]
display(report.table3_grid(f.t3, verdicts))
report.table3_figure(f.t3)
plt.show()
display(report.table3_text(f.t3), report.folded_runs(f.t3))

# %% [markdown]
# ## Table 3 at CPU scale: the committed bundle

# %% tags=["hide-input"]
cpu_verdicts, shown = report.cpu_section(find_root(), f.t3, settings.profile)
display(*shown)

# %% [markdown]
# ## Fig. A1: Pareto fronts over every evaluated ensemble
# The first replicate. The oracle is the test-best of the trained Pareto solutions (the whole front up to `max_oracle`).

# %% tags=["hide-input"]
report.pareto_figure(results)
plt.show()
report.oracle_text(results)

# %% [markdown]
# ## Tables 4 and A2: the size of the search space; an ablation of the search criterion
# Table 4: m GAN models drawn at random (all their snapshots), several draws per m, the search rerun on each.
# Table A2: Intra-d alone, and the Fréchet distance (search backbone's features) in place of d.

# %% tags=["hide-input"]
display(report.table4_grid(f.claims["table4"]), report.ablation_grid(f.claims["a2"]),
        report.a2_text(ex.a2_choices(results)), *report.pooling_section(results, settings.k))

# %% [markdown]
# ## Tables A3-A5: every single candidate, and ensembles without selection

# %% tags=["hide-input"]
display(*report.single_tables(results, f.naive))

# %% [markdown]
# ## Fig. 3: fidelity, diversity and downstream utility
# Density (fidelity) and coverage (diversity) on the search backbone's features; below, test g-mean against each.

# %% tags=["hide-input"]
report.fig3_figure(f.points, results, settings.k)
plt.show()
report.fig3_text(f.claims["fig3"])

# %% [markdown]
# ## Verdicts

# %% tags=["hide-input"]
display(*report.publish("gan_ensemble", settings, verdicts, settings.datasets, extra=cpu_verdicts))
