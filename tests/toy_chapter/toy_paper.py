"""A toy fourth paper, kept in the test tree: the whole of what adding a paper takes besides its notebook and its
``_toc.yml`` line. It is registered through the ``synthmed.chapters`` entry point group (see
tests/test_chapters.py, which writes the entry point), so no core module names it.

Its method is "add 0.1, give or take 0.02, to a seeded score": the claim that it beats the plain arm holds on
every seed (and the differences vary, so the verdict engine does not set it aside as zero-spread).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from synthmed.chapters import PROFILE_NAMES, Chapter, Notebook

_TOY = {"smoke": {"seeds": [0, 1, 2]}, "quick": {"seeds": [0, 1, 2, 3, 4]}, "paper": {"seeds": [0, 1, 2, 3, 4]}}
assert set(_TOY) == set(PROFILE_NAMES)


def specs(settings) -> list[dict]:
    """One run per seed and arm."""
    return [{"seed": s, "arm": arm} for s in settings["seeds"] for arm in ("plain", "toy")]


def run(spec: dict) -> dict:
    """A seeded score; the toy arm adds 0.1 +- 0.02."""
    rng = np.random.default_rng(spec["seed"])
    base, gain = rng.uniform(0.4, 0.6), rng.uniform(0.08, 0.12)
    return {**spec, "score": float(base + (gain if spec["arm"] == "toy" else 0.0))}


def rows(runs: list[dict]) -> pd.DataFrame:
    """The runs as the frame the claims read."""
    return pd.DataFrame(runs)


def report() -> list:
    """The chapter's claims."""
    from synthmed import claims

    return claims.load_claims(Path(__file__).with_name("claims.yaml"), chapter="toy")


CHAPTER = Chapter(
    name="toy", title="Toy paper", paper="Nobody et al. (2026), a toy", position=40,
    notebooks=(Notebook("toy", _TOY, {"seeds": "ours: a toy"}, not_modelled="trains nothing", verdicts=True),),
    claims=("claims.yaml",),
    stages={"specs": "toy_paper:specs", "runs": "toy_paper:run", "rows": "toy_paper:rows",
            "report": "toy_paper:report"},
)
