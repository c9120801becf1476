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
# # Class imbalance: CycleGAN minority images and patient metadata
#
# Aloo et al. (2022) report that a chest X-ray classifier finds more pneumonia cases (higher sensitivity) when the
# patient's age, sex and view position are fed to it beside the image, and more again when the rare class is topped up
# with images a CycleGAN translated from the common class (their Table 1). We test both claims in three experiments,
# each on data that can answer part of the question, and separate what CycleGAN images add from plain rebalancing
# (random oversampling, a class-weighted loss). Metrics: sensitivity, specificity, balanced accuracy and ROC-AUC at
# the paper's threshold of 0.5 and at a threshold fixed on validation specificity.

# %% tags=["hide-input"]
import time

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from synthmed import profiles
from synthmed.data import nih_root
from synthmed.device import get_device
from synthmed.display import plain
from synthmed.imbalance import experiment, report
from synthmed.runner import find_root

# %% tags=["parameters", "hide-cell"]
profile = None      # "smoke" | "quick" | "paper" (default: $SYNTHMED_PROFILE, else quick)
experiments = None  # any of "nih_patient", "pneumonia_minority", "metadata_only"
seeds = None        # a seed draws subsample, CycleGAN, synthetic set and classifier
# Every other setting comes from the profile (the table below gives its source); pass any with -p.

# %% tags=["hide-input"]
settings = profiles.from_notebook("imbalance", globals())
t_start = time.perf_counter()
device = get_device()
specs, outputs, results = experiment.run(settings, device)
verdicts, cpu = report.judge(results, settings), report.cpu_section(results, settings, find_root())
display(Markdown(report.run_summary(settings, device, specs, results)))

# %% [markdown]
# ## In a minute

# %% tags=["hide-input"]
display(*report.minute_parts(results, verdicts, settings, outputs, specs), *cpu.shown)

# %% [markdown]
# ## What we found, in detail
# **The paper's Table 1, read from its own numbers.**

# %% tags=["hide-input"]
display(*report.answers_parts(results, verdicts, settings))

# %% [markdown]
# ## Every classifier on its untouched test split
# A cell's colour is the verdict on the claim that this classifier beats its experiment's first classifier (`real`),
# or, where no claim compares those two, the classifier above it.

# %% tags=["hide-input"]
display(*report.headline_parts(results, verdicts))
fig = report.interval_plot(results)
plt.show()

# %% [markdown]
# *Figure: means and 95 % t intervals over seeds; the dotted line is 50 % (chance for balanced accuracy and ROC-AUC).
# A gain at threshold 0.5 that vanishes at the validation-specificity threshold is a shifted threshold.*

# %% tags=["hide-input"]
display(*report.findings_parts(results, verdicts, settings))

# %% [markdown]
# ## Where each threshold lands
# A threshold chosen on validation is only as good as the match between validation and test. Per rule: the validation
# specificity it targets, and the specificity and sensitivity it reaches on validation and on test (means over seeds,
# %).

# %% tags=["hide-input"]
display(*report.threshold_parts(outputs, results))

# %% [markdown]
# ## The data, and what each experiment can answer
# The paper's selection needs the whole NIH image set, which is not here. **Experiment 1** keeps the paper's design
# (images + metadata, the paper's training imbalance) on `NIH1000`, a small NIH subset with real metadata, but its
# label is *any finding* vs *no finding*, and its own split shares patients between train and test:

# %% tags=["hide-input"]
display(*report.nih1000_parts(nih_root(), settings.cap, outputs))

# %% [markdown]
# We re-split it by patient (stratified, no patient in two splits, patients with more than `cap` images kept in
# training). **Experiment 2** makes pneumonia the minority on PneumoniaMNIST (no metadata or patient ids) to test the
# synthetic images on the paper's label against two controls, run in Experiment 1 too, that rebalance without them:
# `real_oversample` adds as many copies of real training pneumonia images, `real_weighted` weighs the classes equally.
# **Experiment 3** tests metadata alone on the paper's selection rule. How many positives does that rule give?
# Readings of it, counted on `Data_Entry_2017.csv`:

# %% tags=["hide-input"]
display(*report.selection_parts(nih_root() / "Data_Entry_2017.csv"))

# %% [markdown]
# (imbalance-exp1)=
# ## Experiment 1: per-epoch validation record, beside the paper's Figs. 3-5

# %% tags=["hide-input"]
fig = report.history_figure(outputs)
plt.show()

# %% [markdown]
# (imbalance-exp2)=
# ## The CycleGANs: their losses, then their images (training split only)

# %% tags=["hide-input"]
display(*report.cyclegan_parts(outputs, specs))

# %% [markdown]
# ## The paper's Table 1 against its Figs. 3-5
# Behind the detailed findings: Table 1's three columns beside the last-epoch validation recall of its Figs. 3-5.

# %% tags=["hide-input"]
display(plain(report.table1_check()[0]))

# %% [markdown]
# ## Settings: the `paper` profile against the paper, then this run's
# What the `paper` profile reproduces of the paper's setup, and what it cannot or does not.

# %% tags=["hide-input"]
display(plain(report.paper_vs_ours()))
settings

# %% [markdown]
# ## Verdicts on the paper's claims
# Each claim names the experiment its rows come from. The paper's headline is judged once (at the
# validation-specificity threshold); the other claims are per cell and exploratory (click to open).

# %% tags=["hide-input", "hide-output"]
display(*report.verdict_parts(verdicts, settings, extra=cpu.verdicts))

# %% tags=["hide-input"]
display(Markdown(f"Wall time of this notebook: {time.perf_counter() - t_start:.0f} s."))
