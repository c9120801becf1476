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
# # Scorecard: which claims of the three papers hold here?
#
# Every chapter ends by testing its paper's claims on runs made by the code in this repository. Two methods
# run with the same seed share the labelled data and the starting weights, so each claim is decided on the
# seed-by-seed differences, with a 95 % Student-t interval. This page trains nothing: it collects the verdicts
# the chapters wrote when they ran under the same profile.
#
# Each paper's **primary claims** are its own headline statements, each tested once over every dataset and
# setting it covers. They are tested together, so the chance of a lucky "supported" is controlled for the whole
# set, not claim by claim. Below them come the paper's claims about single cells of its tables (exploratory,
# many small tests, no such control) and the checks and extensions we added ourselves, which are not the
# papers' claims and are counted apart.

# %% tags=["remove-cell"]
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from synthmed import bundle, claims, profiles
from synthmed.display import folded, plain
from synthmed.runner import find_root

# %% tags=["parameters", "remove-cell"]
profile = None  # smoke | quick | paper: whose verdicts to show
chapters = None  # the notebooks expected to have written verdicts

# %% tags=["remove-cell"]
settings = profiles.from_notebook("scorecard", globals())
stored = claims.read_verdicts(settings.profile)
verdicts = claims.adjust_frame(claims.with_links(stored)) if len(stored) else stored
found = sorted(set(verdicts["chapter"]))
missing = [c for c in settings.chapters if c not in found]
scale = verdicts["chapter"].isin(bundle.verdict_chapters())  # committed bundles, counted apart
paper_rows = verdicts[~scale & (verdicts["origin"] == "paper")]
ours_rows = verdicts[~scale & (verdicts["origin"] == "ours")]

# %% [markdown]
# ## Did this build reproduce the published book?
#
# The book's verdicts are committed as its reference (`results/reference/`, with the commit, machine and
# libraries that computed them). A build on another machine meets other floating-point sums, and training
# amplifies them; this section compares this build's verdicts with that reference, claim by claim.

# %% tags=["remove-input"]
reference = claims.read_reference(find_root(), settings.profile)
display(Markdown(claims.reference_section(verdicts, reference, settings.profile)))

# %% [markdown]
# ## The papers' primary claims

# %% tags=["remove-input"]
if verdicts.empty:
    display(Markdown(claims.no_verdicts_text(settings.profile)))
else:
    display(Markdown(claims.primary_text(paper_rows, settings.profile)))
    primary = paper_rows[paper_rows["role"] == "primary"]
    if len(primary):
        fig = claims.forest_figure(paper_rows)
        plt.show()
        display(Markdown(claims.FOREST_CAPTION))
        display(claims.claims_table(primary, caption="Primary claims", link=True))
    display(Markdown(claims.missing_text(missing)))

# %% [markdown]
# ## How many claims, of which kind
#
# Per paper: its primary claims, its per-cell claims (exploratory) and ours (checks and extensions).

# %% tags=["remove-input"]
if not verdicts.empty:
    display(plain(claims.scorecard_counts(verdicts[~scale])))

# %% [markdown]
# ## Committed bundles: paper and CPU scale
#
# Two chapters also judge the paper's claims on runs computed over several working sessions and committed to
# the repository with their provenance (`results/`): TSynD's BreastMNIST cells at the paper's own settings
# (`results/paper/`), and the GAN-ensembles chapter as a trimmed whole-chapter replicate per run
# (`results/cpu/`). Each is its own family of claims, counted here apart from the profile's runs.

# %% tags=["remove-input"]
display(*claims.bundle_tables(verdicts[scale]))

# %% [markdown]
# ## The papers' claims about single cells (exploratory)

# %% tags=["remove-input"]
display(*claims.paper_tables(paper_rows[paper_rows["role"] == "per cell"], "per-cell claims"))

# %% [markdown]
# ## Our checks and extensions
#
# Claims we added: other datasets and metrics, controls, margins of our choosing and checks that a method
# does what it is meant to do. Each says why it is there.

# %% tags=["remove-input"]
display(*claims.paper_tables(ours_rows, "ours"))

# %% [markdown]
# ## Every claim, as one table

# %% tags=["remove-input"]
if not verdicts.empty:
    every = verdicts[["paper", "id", "role", "origin", "verdict", "ours", "p_adj", "reason"]]
    display(folded(every, f"All {len(verdicts)} verdicts"))
