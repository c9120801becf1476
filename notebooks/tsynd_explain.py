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
# # TSynD, Fig. 2: must the latent move further to fool a classifier trained with TSynD?
# Niemeijer et al. (2024, Fig. 2) show EigenGradCAM maps (Muhammad & Yeasin 2020; here the `grad-cam` package) of a
# Baseline classifier and one trained with TSynD, and images whose autoencoder latent was optimised to lower the
# probability of the true class: for the TSynD classifier, they observe, larger regions had to change. We turn the
# right half into a measurement. Each correctly classified test image starts at its own latent and walks along the
# steepest descent of its true class's log-odds, a fixed small distance per step, until the probability drops below
# 0.5; the distance walked is its *crossing distance* (RMS change per latent element, in units of the training
# latents' standard deviation; `synthmed.tsynd.fig2`). An image whose reconstruction (the walk's start) the classifier
# already gets wrong needs no latent change at all. Same images, same autoencoder, classifiers paired by seed.
#
# TSynD trains on decoder outputs and Baseline never does, so a distance that counts such images as 0 partly measures
# "has seen reconstructions". The fair comparison below adds the Noise arm (which also trains on decoder outputs) and
# keeps only the test images that every arm classifies correctly, original and reconstruction; it measures the change
# in latent space and in pixel space (L2 of the difference map, and the share of pixels that change by more than 0.1).
# All three are our operationalisations of the paper's qualitative claim about image regions.
#
# The paper ran this on Chest X-ray (NIH ChestX-ray); so do we, on `nih1000`, a 1,000-image subset of that set (any
# finding vs no finding, re-split by patient, resized to 28 px; `synthmed.data.images`). The same section reports an
# AUC gain of about 1 % with TSynD on the validation set at 1 % and 10 % labelled; that claim is judged at the end, on
# validation and test.

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from synthmed import claims, display as show, profiles, reference
from synthmed.device import get_device
from synthmed.tsynd import explain_runs, report_explain

# %% tags=["parameters", "hide-cell"]
profile = None    # "smoke" | "quick" | "paper"
dataset = None    # dataset name: nih1000 (the paper's NIH Chest X-ray, a subset) or MedMNIST
fraction = None   # labelled share of the training split
seeds = None      # paired runs (one Baseline, one Noise and one TSynD classifier per seed)
step = None       # latent distance per step (RMS per element, units of the latents' std)
max_steps = None  # budget: a walk gives up after this many steps
# Every other setting (n_images, auc_fractions, n_show, backbone, iterations, ...) comes from the
# profile, as in tsynd.ipynb, so its cached runs are reused; any can be passed with -p.

# %% tags=["hide-input"]
settings = profiles.from_notebook("tsynd_explain", globals())
settings

# %%
device = get_device()
specs, results, walks = explain_runs.run(settings, device)  # Baseline, Noise, TSynD; walks
w = report_explain.walk_frames(specs, results, walks, settings.step, settings.max_steps)

# %% [markdown]
# ## Latent change needed to flip the decision, Baseline vs TSynD
# Per run, the mean over the correctly classified test images (an image whose reconstruction, the walk's start, is
# already below 0.5 counts as 0), and the mean over the images the walk flipped only; intervals: 95 % t over seeds,
# and a 95 % bootstrap over the pooled (run, image) pairs. Then how many images fell in each case.

# %% tags=["hide-input"]
display(*report_explain.distance_parts(w))
report_explain.distance_figure(w.images, w.budget)
plt.show()

# %% [markdown]
# ## The fair comparison: images every arm gets right, in latent and pixel space
# Per method, means over runs of the per-run means over the common images; a walk that did not cross within the budget
# counts as the budget (a lower bound).

# %% tags=["hide-input"]
display(Markdown(report_explain.fair_text(w.fair)))
fig = report_explain.fair_figure(w.fair)

# %% [markdown]
# ## What changed at the crossing, and where the classifiers look (first seed)
# Top: test images flipped by every classifier; below: |reconstruction − image at the crossing| on one colour scale,
# titled with the crossing distance. Then the EigenGradCAM maps of the true class on the same images.

# %% tags=["hide-input"]
seed = specs[0].seed
shown = report_explain.shown(settings.dataset, w.images, seed, settings.n_show)
if shown.rows:
    diffs, dists = report_explain.shown_differences(specs, walks, seed, shown.rows)
    report_explain.difference_figure(shown.pics, diffs, dists, shown.titles)
    plt.show()
    cams = report_explain.cams([s for s in specs if s.seed == seed], shown, device)
    report_explain.cam_figure(shown.pics, cams, shown.titles)
    plt.show()
    display(Markdown(report_explain.cam_area_text(cams)))
else:
    display(Markdown(report_explain.no_flip_text(seed)))

# %% [markdown]
# ## Validation and test AUC, Baseline vs TSynD (Sec. 4.3)
# ROC AUC of each run's kept classifier (chosen on validation accuracy, so the validation AUC is not independent of
# that choice, as in the paper); the test split saw no selection step. Paired by seed.

# %% tags=["hide-input"]
auc = report_explain.auc_frame(*explain_runs.auc_runs(settings, device))
auc_ref = reference.load("tsynd_sec43_auc")
display(show.plain(report_explain.auc_table(auc, auc_ref)))
fig = report_explain.auc_figure(auc)

# %% [markdown]
# ## Verdicts

# %%
verdicts = report_explain.judge(w.runs, auc, auc_ref, settings.profile)
display(*claims.publish("tsynd_explain", settings, verdicts))
