"""The verdict store: each chapter writes its verdicts (one JSON file per notebook and profile); the Scorecard
reads them all back."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthmed.claims.model import Claim, Verdict


def verdicts_dir(directory: str | Path | None = None) -> Path:
    """Where chapters write verdicts: ``directory``, else ``<cache dir>/verdicts``."""
    if directory is not None:
        return Path(directory)
    from synthmed.cache import cache_dir

    return cache_dir() / "verdicts"


def write_verdicts(notebook: str, profile: str, verdicts: Sequence[Verdict],
                   directory: str | Path | None = None) -> Path:
    """Store a chapter's verdicts (atomically) as ``<dir>/<profile>/<notebook>.json``; returns the path."""
    out = verdicts_dir(directory) / profile / f"{notebook}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = [_jsonable(v.row()) for v in verdicts]
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(rows, f, indent=1)
    os.replace(tmp, out)
    return out


def _jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in row.items():
        if isinstance(v, float) and math.isnan(v):
            v = None
        elif isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out


def columns() -> list[str]:
    """The columns of a verdict row (:meth:`Verdict.row`)."""
    return list(Verdict(claim=Claim("x", "p", "s", "t", "m", "close", value=0.0), verdict="inconclusive").row())


def read_verdicts(profile: str, directory: str | Path | None = None) -> pd.DataFrame:
    """Every chapter's verdicts under ``profile`` as one frame (empty, with the columns, when there are none)."""
    folder = verdicts_dir(directory) / profile
    rows = []
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        rows.extend(json.loads(path.read_text()))
    frame = pd.DataFrame(rows, columns=columns())
    for col in ("p", "p_adj", "diff", "low", "high", "paper_diff", "mean_a", "mean_b"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    return frame


def verdict_frame(verdicts: Sequence[Verdict]) -> pd.DataFrame:
    """One row per verdict (see :meth:`Verdict.row`), with the columns even when there is none."""
    return pd.DataFrame([v.row() for v in verdicts], columns=columns())
