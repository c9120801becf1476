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
# the oracle. Every training set (real, single GAN, every ensemble) has as many images as the real one. A
# replicate is the whole chapter: its seed draws the real training subset, trains the GAN zoo and the embeddings,
# runs the searches, draws Naive (R)'s ensemble (per dataset) and Table 4's search spaces, samples every synthetic
# training set and trains the classifiers, so the comparisons are paired by replicate and their intervals cover
# every random stage (the zoo included).
# Rows marked *test-selected* are picked on the test split, as in the paper: upper references, not choices a
# practitioner could make; the *val-selected* rows make the same choices on the validation split.

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
t3 = ex.strategy_runs(results)
naive = ex.naive_im_runs(results)
points = ex.fig3_frame(results, settings.k)
frames = {"table3": ex.strategy_runs(results, members=True), "table4": ex.table4_runs(results),
          "a2": ex.ablation_runs(results), **naive, "fig3": ex.fig3_relations(results, settings.k)}
verdicts = report.judge(frames, settings.profile, settings.datasets,
                        notebook="gan_ensemble", run=settings)

# %% [markdown]
# ## Table 3: downstream g-mean of each strategy

# %% tags=["hide-input"]
display(report.table3_grid(t3, verdicts))
report.table3_figure(t3)
plt.show()
report.table3_text(t3)

# %% tags=["hide-input"]
show.folded(t3, "Every downstream run of Table 3")

# %% [markdown]
# ## Fig. A1: Pareto fronts over every evaluated ensemble
# The figure shows replicate 0. The oracle is the best (on the test split) of the trained Pareto solutions: the
# whole front, up to the profile's cap `max_oracle`, evenly spaced along a longer front (then it is the best of
# the k trained, as the text below says per replicate).

# %% tags=["hide-input"]
report.pareto_figure(results)
plt.show()
report.oracle_text(results)

# %% [markdown]
# ## Table 4: size of the search space
# m GAN models drawn at random (all their snapshots), several draws per m; the search reruns on each.

# %% tags=["hide-input"]
report.table4_grid(frames["table4"])

# %% [markdown]
# ## Table A2: ablation of the search criterion
# Intra-d alone, and the Fréchet distance (on the search backbone's features) in place of d.

# %% tags=["hide-input"]
report.ablation_grid(frames["a2"])

# %% tags=["hide-input"]
report.a2_text(ex.a2_choices(results))

# %% [markdown]
# ### Pooling: equal shares (ours) or every member's samples stacked (the authors' code)
# Sec. A2.1 compares the same number of synthetic and real images, so here an ensemble's M samples are shared
# equally among its members; the authors' code stacks every member's M samples instead. The same search run
# both ways, and each choice scored both ways:

# %% tags=["hide-input"]
pooling = ex.pooling_table(results, settings.k)
display(show.plain(report.pooling_view(pooling), precision=3,
                   caption="Search choice under each pooling rule (search features)"))
report.pooling_text(pooling)

# %% [markdown]
# ## Tables A3-A5: every single candidate, and ensembles without selection
# Test g-mean ×100 of the classifier trained on each single candidate (GAN × snapshot iteration), with each
# GAN's mean over its snapshots (Mean (I)), each snapshot's mean over GANs (Mean (M)), and the two ensembles the
# paper builds without any selection (Sec. A4): every snapshot of one GAN (Naive (I)) and every GAN at one
# snapshot (Naive (M)), each trained like any other training set.

# %% tags=["hide-input"]
for d in results:
    display(show.plain(report.single_table(results, d, naive).rename_axis("GAN"), precision=1,
                       caption=f"Tables A3-A5 (ours), {d}: test g-mean ×100, "
                               "mean over replicates"))
report.naive_im_text(naive)

# %% [markdown]
# ## Fig. 3: fidelity, diversity and downstream utility
# Density (fidelity) and coverage (diversity) of every single candidate and of three strategies, on the search
# backbone's features; below, how the candidates' test g-mean follows each.

# %% tags=["hide-input"]
report.fig3_figure(points, results, settings.k)
plt.show()
report.fig3_text(frames["fig3"])

# %% [markdown]
# ## Verdicts

# %% tags=["hide-input"]
display(*report.publish("gan_ensemble", settings, verdicts, settings.datasets))
