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
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # TSynD at the paper's own settings, on this CPU (committed results)
#
# Every other TSynD table in this book comes from the `quick` profile: a small CNN and a short latent ascent that
# a laptop affords. Does the paper's Table 1 hold at the paper's own settings? On BreastMNIST it can be checked
# here: 1 % and 10 % of its small training split are a handful and a few dozen labelled images, so a ResNet-18
# trained for 100 epochs, with the paper's latent noise of 1.0 and 50 ascent steps at learning rate 0.1, fits on
# one core of this CPU in tens of minutes per run. Those runs take longer than one working session, so they are
# computed by
# `python -m synthmed.bundle tsynd`, run by run, and their score rows are committed to `results/paper/` with their
# provenance. This page reads them whatever profile builds the book; it trains nothing at paper scale. Its
# verdicts come from the current bundle (on today's code, with the latent noise in units of the VQ-VAE's latent
# spread and the matched control); the first bundle is shown only as "earlier code" beside it.

# %% tags=["hide-input"]
from pathlib import Path

from IPython.display import Markdown, display

from synthmed import claims, cost, profiles, reference
from synthmed.display import folded, plain
from synthmed.runner import find_root
from synthmed.tsynd import experiment, paper_scale, report

# %% tags=["parameters", "hide-cell"]
profile = None  # smoke | quick | paper: the profile whose BreastMNIST runs are shown beside
results_root = None  # the checkout holding results/ (default: the folder above notebooks/)

# %%
settings = profiles.from_notebook("tsynd_paper", globals())
settings

# %% tags=["hide-input"]
root = Path(settings.results_root) if settings.results_root else find_root()
rows, earlier = paper_scale.frame(root, "v2"), paper_scale.frame(root, "v1")
display(Markdown(paper_scale.provenance_text(paper_scale.provenance(root, "v2"), "v2")),
        Markdown(paper_scale.provenance_text(paper_scale.provenance(root, "v1"), "v1")))

# %% [markdown]
# ## Table 1, BreastMNIST, at paper scale
#
# Mean ± standard deviation over seeds (number of seeds), test accuracy and balanced accuracy, beside the
# paper's own accuracy and the same cell under the profile that built this book. The majority-class rate of
# BreastMNIST's test split is in the run table below.

# %% tags=["hide-input"]
ref = reference.load("tsynd_table1")
book = profiles.resolve("tsynd", settings.profile)
fractions = sorted({float(f) for f in rows["fraction"]}) if len(rows) else []
mine = []
if fractions:
    specs = experiment.make_specs(book, "breastmnist", fractions, book.methods, book.seeds)
    results = experiment.run_many(specs, workers=book.workers, scoring=experiment.scoring(book),
                                  progress=False, context=settings.context)
    mine = report.runs_frame(experiment.result_rows(specs, results))
if len(rows):
    display(plain(paper_scale.cells(rows, ref, mine, settings.profile, earlier)))
    display(folded(rows[["dataset", "fraction", "method", "seed", "test_condition", "accuracy",
                         "balanced_accuracy", "majority_rate", "constant", "best_iteration",
                         "prov_wall_s"]], "Every paper-scale run and test condition"))

# %% [markdown]
# ## What the noise and the ascent did to the latents
#
# Per method, means over seeds: the VQ-VAE's latent spread, the noise and the ascent's move in units of it, how
# much the decoded images changed, and the classifier's uncertainty (mutual information) of the synthetic images
# before and after the move, and after a random move of the same length from the same start.

# %% tags=["hide-input"]
if len(rows):
    display(plain(paper_scale.diagnostics(rows)))

# %% [markdown]
# A few training images at paper scale: the originals, their VQ-VAE reconstructions, the decoded noisy latents
# (Noise) and the same latents after the ascent (TSynD), each titled with the classifier's mutual information.

# %% tags=["hide-input"]
display(*report.paper_scale_samples(root))

# %% [markdown]
# ## Verdicts at paper scale
#
# The chapter's own claims, restricted to what these rows can answer (the BreastMNIST cells, and the
# pooled claims over the cells run here), judged by the same `synthmed.claims.judge` as the `quick` runs.
# They form their own family for the false-discovery control and are counted apart on the Scorecard.

# %% tags=["hide-input"]
verdicts = report.paper_scale_verdicts(rows)
unit = "one seed (the labelled subset and the initialisation, shared by the methods)"
display(*claims.publish("tsynd_paper", settings, verdicts, unit=unit))
display(*report.paper_scale_pairs(rows, verdicts))

# %% [markdown]
# ## What these runs cost, measured
#
# Each run's wall time was measured in one single-thread process on the machine named above. The FLOP model
# that the Compute chapter uses to project the `paper` profile (measured `quick` runs scaled by the ratio of
# training FLOPs) is compared here with what the same runs actually took.

# %% tags=["hide-input"]
costs = paper_scale.cost_table(rows, cost.load_costs()) if len(rows) else None
if costs is not None and len(costs):
    display(plain(costs, precision=1))
    display(Markdown(paper_scale.cost_text(costs, rows)))
