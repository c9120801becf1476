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
# # TSynD, Table 2: maximise mutual information or predictive entropy?
#
# Niemeijer et al. (2024, Table 2) ablate the quantity the latent ascent maximises: the BALD mutual information
# between prediction and dropout mask (epistemic uncertainty) or the entropy of the mean prediction (total
# uncertainty). They report validation accuracy on OrganSMNIST, NIH Chest X-ray and OCTMNIST and find MI slightly
# better, with small differences. Those datasets are not available here, and the paper's Table 2 could not be
# transcribed reliably from the source text, so this notebook runs the same ablation on the local datasets and shows
# our figures only.

# %%
import pandas as pd
from IPython.display import Markdown, display

import synthmed
from synthmed import profiles
from synthmed.data import available
from synthmed.metrics.classification import summary_table
from synthmed.tsynd import experiment

# %% tags=["parameters"]
profile = None       # "smoke" | "quick" | "paper"
datasets = None      # MedMNIST names (those without a local file are skipped and listed)
fraction = None      # labelled share(s) of the training split
seeds = None         # repeats
objectives = None    # ascent objectives compared: "mi" and/or "entropy"
# Classifier and generator settings (arch, iterations, ascent_steps, ...) come from the profile, as in
# tsynd.ipynb, so the MI runs are shared through the cache; any of them can still be passed with -p.

# %%
settings = profiles.from_notebook("tsynd_uncertainty", globals())
settings

# %%
status = available(experiment.as_list(settings.datasets))
local = [d for d, s in status.items() if s == "ok"]
skipped = [d for d in status if d not in local]
specs, labels = [], []
for obj in experiment.as_list(settings.objectives):
    new = experiment.make_specs(settings, local, settings.fraction, "tsynd", settings.seeds, objective=obj)
    specs += new
    labels += [{"mi": "MI", "entropy": "Entropy"}[obj]] * len(new)
results = experiment.run_many(specs, workers=settings.workers)
display(Markdown(f"Datasets run: {', '.join(local)}" + (f"; not available here: {', '.join(skipped)}" if skipped
                                                        else "") + "."))

# %% [markdown]
# ## Validation (the paper's Table 2 reports validation accuracy) and clean test accuracy
#
# Mean ± std over seeds, percent; † marks cells whose classifiers all put ≥ 95 % of the images in one class.

# %%
val_rows = [{"dataset": s.dataset, "fraction": s.fraction, "objective": o, "seed": s.seed, **r["best_val"]}
            for s, o, r in zip(specs, labels, results)]
test_rows = [{"dataset": s.dataset, "fraction": s.fraction, "objective": o, "seed": s.seed, **t}
             for s, o, r in zip(specs, labels, results) for t in r["test"] if t["test_condition"] == "clean"]
group = ["dataset", "fraction", "objective"]
val = summary_table(val_rows, group).rename(columns={"accuracy": "val accuracy",
                                                     "balanced_accuracy": "val balanced accuracy",
                                                     "constant_runs": "val constant runs"})
test = summary_table(test_rows, group).rename(columns={"accuracy": "test accuracy",
                                                       "balanced_accuracy": "test balanced accuracy",
                                                       "constant_runs": "test constant runs"})
table2 = val.merge(test, on=group)
table2

# %%
frame = pd.DataFrame(val_rows)
lines = []
for (d, f), g in frame.groupby(["dataset", "fraction"]):
    m = g.groupby("objective")["accuracy"].agg(["mean", "std"])
    if {"MI", "Entropy"} <= set(m.index):
        diff = 100 * (m.loc["MI", "mean"] - m.loc["Entropy", "mean"])
        spread = 100 * float(m["std"].fillna(0).max())
        lines.append(f"- {d}, {f:.0%}: MI − Entropy = {diff:+.1f} points of validation accuracy "
                     f"({'within' if abs(diff) <= spread else 'outside'} the largest seed std, {spread:.1f})")
display(Markdown("\n".join(lines) + "\n\nThe paper reports MI ahead of entropy by small margins. With a "
                 "binary sigmoid head, K dropout masks and few ascent steps, both objectives push the same latents "
                 "towards the decision boundary, so a small or seed-dominated difference is what one would expect "
                 f"at this scale (profile `{settings.profile}`, {settings.ascent_steps} ascent steps)."))
