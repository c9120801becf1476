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

from synthmed import claims, profiles
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
scale = verdicts["chapter"] == "tsynd_paper"  # the committed paper-scale bundle, counted apart
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
if reference is None:
    display(Markdown(f"No reference is committed for the `{settings.profile}` profile "
                     f"(`make book PROFILE={settings.profile} REFERENCE=1` stores one)."))
elif verdicts.empty:
    display(Markdown("This build has no verdicts to compare with the reference yet."))
else:
    against = claims.compare(verdicts, reference)
    display(Markdown(claims.comparison_text(against, reference)))

# %% [markdown]
# ## The papers' primary claims

# %% tags=["remove-input"]
if verdicts.empty:
    display(Markdown(f"No chapter has written verdicts under the `{settings.profile}` profile "
                     f"yet: build the book (`python -m synthmed.runner --profile "
                     f"{settings.profile}`) first."))
else:
    display(Markdown(claims.primary_text(paper_rows, settings.profile)))
    if (paper_rows["role"] == "primary").any():
        fig = claims.forest_figure(paper_rows)
        plt.show()
        display(Markdown("Each dot is our mean paired advantage of the claim's method over its "
                         "comparison, with its 95 % interval; the colour is the verdict, the "
                         "diamond the paper's own difference where its tables give both sides. "
                         "A grey hatched row is a claim that is not testable here (its reason is "
                         "in the table below)."))
        primary = paper_rows[paper_rows["role"] == "primary"]
        display(claims.claims_table(primary, caption="Primary claims", link=True))
    display(Markdown(claims.missing_text(missing)))

# %% [markdown]
# ## How many claims, of which kind
#
# Counted per paper: its primary claims, its per-cell claims (exploratory) and ours (checks and extensions,
# not the paper's).

# %% tags=["remove-input"]
if not verdicts.empty:
    display(plain(claims.scorecard_counts(verdicts[~scale])))

# %% [markdown]
# ## Paper scale, on this CPU
#
# The TSynD chapter also judges the paper's BreastMNIST cells on runs at the paper's own settings, computed on
# this machine over several working sessions and committed to the repository (`results/paper/`). They are
# counted here apart from the profile's runs.

# %% tags=["remove-input"]
if scale.any():
    display(plain(claims.scorecard_counts(verdicts[scale])))
    display(claims.claims_table(verdicts[scale], caption="Paper-scale verdicts", link=True))
else:
    display(Markdown("The paper-scale notebook wrote no verdicts under this profile."))

# %% [markdown]
# ## The papers' claims about single cells (exploratory)

# %% tags=["remove-input"]
for paper, rows in paper_rows[paper_rows["role"] == "per cell"].groupby("paper", sort=False):
    display(claims.claims_table(rows, caption=f"{paper}: per-cell claims", link=True))

# %% [markdown]
# ## Our checks and extensions
#
# Claims we added: other datasets and metrics, controls, margins of our choosing and checks that a method
# does what it is meant to do. Each says why it is there.

# %% tags=["remove-input"]
for paper, rows in ours_rows.groupby("paper", sort=False):
    display(claims.claims_table(rows, caption=f"{paper}: ours", link=True))

# %% [markdown]
# ## Every claim, as one table

# %% tags=["remove-input"]
if not verdicts.empty:
    every = verdicts[["paper", "id", "role", "origin", "verdict", "ours", "p_adj", "reason"]]
    display(folded(every, f"All {len(verdicts)} verdicts"))
