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
# # What the book cost
#
# Every notebook in this book was executed by `python -m synthmed.runner` before the book was built. For each one
# the runner recorded how long it took, on which device, under which profile, and how many expensive results
# (trained models, samples, embeddings) it loaded from the content-addressed cache instead of recomputing them.
# A rebuild with nothing changed shows only cache hits.

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from synthmed import profiles
from synthmed.runner import EXECUTED_DIR, load_runs

# %% tags=["parameters"]
profile = None  # smoke | quick | paper (only recorded; this page trains nothing)
runs_file = None  # folder holding runs.json (default: book/executed)

# %%
settings = profiles.from_notebook("compute", globals())
settings

# %%
runs = load_runs(Path(settings.runs_file) if settings.runs_file else EXECUTED_DIR)
table = pd.DataFrame([r for name, r in runs.items() if name != "compute"])
if table.empty:
    display(Markdown("No runs recorded yet: build the book with `python -m synthmed.runner` first."))
else:
    table = table.set_index("notebook")[["profile", "device", "wall_s", "cache_hits", "cache_misses", "status",
                                         "finished"]]
    display(table.rename(columns={"wall_s": "wall time (s)", "cache_hits": "cache hits",
                                  "cache_misses": "cache misses"}))
    display(Markdown(f"Total: **{table.wall_s.sum():.0f} s** over {len(table)} notebooks; "
                     f"{int(table.cache_hits.sum())} cache hits and {int(table.cache_misses.sum())} misses."))
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(table) + 1))
    table.wall_s[::-1].plot.barh(ax=ax, color="tab:blue")
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel("")
    fig.tight_layout()
