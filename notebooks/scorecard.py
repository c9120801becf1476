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
# Each chapter of this book ends by judging the claims of its paper against runs made by the code in this
# repository: two methods that share a seed share the labelled data and the initialisation, so each claim is
# decided on the paired differences across seeds, with a 95 % Student-t interval (`synthmed.claims`). A claim is
# **supported** when the interval lies on the paper's side, **contradicted** when it lies on the other side,
# **inconclusive** when it straddles the boundary (the chapter says about how many seeds would decide it), and
# **not testable** when this machine lacks the data or the metric cannot be computed.
#
# This page trains nothing: it reads back the verdicts the chapters wrote when they ran under the same profile.
# Each row links to the chapter's claims table, where the numbers behind the verdict are shown.

# %% tags=["hide-input"]
import pandas as pd
from IPython.display import HTML, Markdown, display

from synthmed import claims, profiles

# %% tags=["parameters"]
profile = None  # smoke | quick | paper: whose verdicts to show
chapters = None  # the notebooks expected to have written verdicts

# %% tags=["hide-input"]
settings = profiles.from_notebook("scorecard", globals())
verdicts = claims.read_verdicts(settings.profile)
found = sorted(set(verdicts["chapter"]))
missing = [c for c in settings.chapters if c not in found]

# %% tags=["hide-input"]
if verdicts.empty:
    display(Markdown(f"No chapter has written verdicts under the `{settings.profile}` profile "
                     f"yet: build the book (`python -m synthmed.runner --profile "
                     f"{settings.profile}`) first."))
else:
    display(Markdown(claims.scorecard_text(verdicts, settings.profile, missing)))
    display(HTML(claims.counts(verdicts).to_html(classes="synthmed-grid")))

# %% [markdown]
# ## Every claim
#
# One row per claim: the paper's own figure where it gives one, our paired advantage of A over B with its 95 %
# interval and the number of paired seeds, and the verdict. The claim text links to the chapter section.

# %% tags=["hide-input"]
if not verdicts.empty:
    for paper, rows in verdicts.groupby("paper", sort=False):
        display(claims.claims_table(claims.with_links(rows), caption=paper, link=True))
