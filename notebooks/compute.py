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
# # What the book cost, and what `paper` would cost
#
# Every notebook in this book was executed by `python -m synthmed.runner` before the book was built. For each one
# the runner recorded how long it took, on which device, under which profile, how many expensive results
# (trained models, samples, embeddings) it loaded from the content-addressed cache instead of recomputing them,
# and how many independent runs it started through `synthmed.executor` (and how many of those computed something).
# A rebuild with nothing changed shows only cache hits.

# %% tags=["hide-input"]
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from synthmed import cost, profiles
from synthmed.display import plain
from synthmed.runner import executed_folder, find_root, load_runs

# %% tags=["parameters"]
profile = None  # smoke | quick | paper (only recorded; this page trains nothing)
runs_file = None  # folder holding runs.json (default: book/executed)

# %% tags=["hide-input"]
settings = profiles.from_notebook("compute", globals())
settings

# %% tags=["hide-input"]
runs = load_runs(Path(settings.runs_file) if settings.runs_file else executed_folder())
table = pd.DataFrame([r for name, r in runs.items() if name != "compute"])
columns = {"profile": "profile", "device": "device", "wall_s": "wall time (s)",
           "cache_hits": "cache hits", "cache_misses": "cache misses", "runs": "runs",
           "runs_computed": "runs computed", "run_seconds": "run time (s, summed)",
           "status": "status", "finished": "finished"}
if table.empty:
    display(Markdown("No runs recorded yet: build the book with `python -m synthmed.runner` "
                     "first."))
else:
    table = table.set_index("notebook").reindex(columns=list(columns))
    display(plain(table.rename(columns=columns), precision=1))
    display(Markdown(f"Total: **{table.wall_s.sum():.0f} s** over {len(table)} notebooks; "
                     f"{int(table.cache_hits.sum())} cache hits and "
                     f"{int(table.cache_misses.sum())} misses."))
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(table) + 1))
    table.wall_s[::-1].plot.barh(ax=ax, color="tab:blue")
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel("")
    fig.tight_layout()

# %% [markdown]
# ## Before starting `paper`
#
# The `paper` profile uses the papers' own settings (larger networks, images, epochs and repeat counts). The
# table gives, per chapter, the independent runs each profile starts, the seconds one run took under `quick`
# on this machine (measured: each run that computed something records its wall time beside the cache), and the
# projected hours of a `paper` build on this CPU and on one GPU. Both projections are estimates; the last column
# says how each was made, and `synthmed/cost.py` holds the model (training FLOPs counted by torch for each
# network). `python -m synthmed.runner --profile paper` prints this projection and does not start a build
# projected above two hours unless given `--yes`.

# %% tags=["hide-input"]
projection = cost.projection(cost.load_costs())
display(plain(projection, precision=1))
display(Markdown(cost.projection_text(projection)))

# %% [markdown]
# ## What paper scale actually cost: TSynD on BreastMNIST
#
# Some `paper` runs have been made on this CPU: TSynD's BreastMNIST cells at the paper's settings (the
# *paper scale* page of the TSynD chapter), committed with their wall times. For those cells the projection
# above is replaced by the measurement; the last column says how far the FLOP model was off.

# %% tags=["hide-input"]
from synthmed.tsynd import paper_scale  # noqa: E402

scale_rows = paper_scale.frame(find_root())
scale_costs = paper_scale.cost_table(scale_rows, cost.load_costs()) if len(scale_rows) else None
if scale_costs is None or scale_costs.empty:
    display(Markdown("No paper-scale run is committed yet "
                     "(`python -m synthmed.tsynd.paper_scale`)."))
else:
    display(plain(scale_costs, precision=1))
    display(Markdown(paper_scale.cost_text(scale_costs, scale_rows)))
