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
# # What the book costs, and what `paper` would cost
#
# Every notebook in this book was executed by `python -m synthmed.runner` before the book was built. Expensive
# results (trained models, samples, embeddings) live in a content-addressed cache, and each entry keeps the
# seconds it took to compute. A rebuild loads them instead of computing them again, and re-executes only the
# notebooks whose inputs changed, so what the last build took says little about what the book costs. This page
# shows both, apart: first the cost from scratch, added up from the recorded computing times, then what each
# notebook's last execution took.

# %% tags=["hide-input"]
from pathlib import Path

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from synthmed import build_cost, cost, profiles
from synthmed.display import plain
from synthmed.runner import executed_folder, find_root, load_runs, notebooks

# %% tags=["parameters", "hide-cell"]
profile = None  # smoke | quick | paper (only recorded; this page trains nothing)
runs_file = None  # folder holding runs.json (default: book/executed)

# %% tags=["hide-input"]
settings = profiles.from_notebook("compute", globals())
settings

# %% tags=["hide-input"]
runs = load_runs(Path(settings.runs_file) if settings.runs_file else executed_folder())
others = {name: r for name, r in runs.items() if name != "compute"}
if not others:
    display(Markdown("No runs recorded yet: build the book with `python -m synthmed.runner`."))

# %% [markdown]
# ## What the book costs from scratch
#
# Per notebook: the seconds its page takes besides its cached steps (starting the kernel, importing, drawing
# tables and figures; from its last execution), the cached steps it is the first notebook to use (the GAN pages
# share one chapter's steps: the first computes them), and the seconds those steps took when they were computed.
# The steps are added one after another; runs spread over worker processes finish sooner than their sum. Steps
# stored before the cache kept their times are counted under *not recorded*.

# %% tags=["hide-input"]
if others:
    cold = build_cost.cold_table(others, notebooks())
    display(plain(cold.drop(columns="last build s"), precision=1),
            Markdown(build_cost.cold_text(cold)))

# %% [markdown]
# ## What the last execution of each notebook took
#
# For each notebook: when the runner last executed it, how long that took, on which device, under which profile,
# how many results it loaded from the cache and how many it computed, and how many independent runs it started
# through `synthmed.executor` (and how many of those computed something). A notebook whose inputs had not changed
# since was not executed again, so its row is older than the build.

# %% tags=["hide-input"]
if others:
    last = build_cost.last_table(others)
    display(plain(last, precision=1), Markdown(build_cost.last_text(last)))
    fig = build_cost.cold_figure(cold)
    plt.show()

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
# ## The committed bundles: what a run costs and what is left
#
# Runs too long for one working session are computed one by one into committed bundles (`synthmed.bundle`): TSynD
# at the paper's settings, the GAN chapter and the class-imbalance chapter at CPU scale. Per bundle: the runs its
# command plans, those committed under today's code and settings, files left from other code, the measured cost of
# a run from an empty cache, and what the rest is projected to take.

# %% tags=["hide-input"]
from synthmed import bundle  # noqa: E402

ledger = bundle.ledger(find_root())
display(plain(ledger, precision=2), Markdown(bundle.ledger_text(ledger)))

# %% [markdown]
# ## What paper scale actually cost: TSynD on BreastMNIST
#
# Some `paper` runs have been made on this CPU: TSynD's BreastMNIST cells at the paper's settings (the
# *paper scale* page of the TSynD chapter), committed with their wall times. For those cells the projection
# above is replaced by the measurement; the last column says how far the FLOP model was off.

# %% tags=["hide-input"]
from synthmed.tsynd import paper_scale  # noqa: E402

display(*paper_scale.cost_parts(find_root()))
