"""The verdict store: each chapter writes its verdicts (one JSON file per notebook and profile); the Scorecard
reads them all back.

Only a run of a profile's own settings is what the Scorecard counts. A run with parameters of its own (``papermill
... -p datasets breastmnist``) is stored apart, under ``<profile>/custom/`` with a digest of those parameters in its
name, so a reader re-running one table never overwrites the verdicts of the whole profile."""

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


CUSTOM = "custom"  # the sub-folder of runs with parameters of their own (not read by the Scorecard)


def verdicts_path(notebook: str, profile: str, custom: Mapping[str, Any] | None = None,
                  directory: str | Path | None = None) -> Path:
    """``<dir>/<profile>/<notebook>.json`` for a run of the profile's own settings; for a run that set parameters
    of its own (``custom``: {name: value}), ``<dir>/<profile>/custom/<notebook>-<digest of custom>.json``."""
    folder = verdicts_dir(directory) / profile
    if not custom:
        return folder / f"{notebook}.json"
    import hashlib

    digest = hashlib.sha256(json.dumps(custom, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return folder / CUSTOM / f"{notebook}-{digest}.json"


def write_verdicts(notebook: str, profile: str, verdicts: Sequence[Verdict],
                   directory: str | Path | None = None, custom: Mapping[str, Any] | None = None) -> Path:
    """Store a chapter's verdicts (atomically) at :func:`verdicts_path`; returns the path."""
    out = verdicts_path(notebook, profile, custom, directory)
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
    for col in ("p", "p_adj", "p_loo", "diff", "low", "high", "paper_diff", "mean_a", "mean_b"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    for col in ("fragile", "loo_flip"):
        frame[col] = frame[col].fillna(False).astype(bool)
    return frame


def family_rows(profile: str, exclude: str = "", directory: str | Path | None = None
                ) -> list[tuple[str, str, str, str, float, float]]:
    """The primary claims stored under ``profile`` by every notebook but ``exclude``, as Benjamini-Hochberg family
    members (paper, the verdict's profile, chapter, claim id, p, p_loo) for :func:`synthmed.claims.judge.adjust`."""
    folder = verdicts_dir(directory) / profile
    out = []
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        if path.stem == exclude:
            continue
        for r in json.loads(path.read_text()):
            if r.get("role") == "primary" and r.get("p") is not None:
                p_loo = r.get("p_loo")
                out.append((r["paper"], r.get("profile") or profile, r["chapter"], r["id"], float(r["p"]),
                            math.nan if p_loo is None else float(p_loo)))
    return out


def stale_families(profile: str, notebooks: Sequence[str], directory: str | Path | None = None) -> list[str]:
    """Of ``notebooks``, those whose stored primary claims were adjusted over another family than the store now
    holds (their ``family_key`` differs from the digest of the current members): a sibling notebook ran after
    them. Re-executing them (every step a cache hit) makes each page show the Scorecard's adjusted p."""
    from synthmed.claims.judge import family_digest, family_of

    members: dict[tuple[str, str], list] = {}
    for paper, prof, chapter, cid, p, _ in family_rows(profile, directory=directory):
        members.setdefault(family_of(prof, paper), []).append((chapter, cid, p))
    current = {k: family_digest(v) for k, v in members.items()}
    folder = verdicts_dir(directory) / profile
    stale = []
    for name in notebooks:
        path = folder / f"{name}.json"
        if not path.exists():
            continue
        rows = [r for r in json.loads(path.read_text()) if r.get("role") == "primary" and r.get("p") is not None]
        if any(r.get("family_key") != current.get(family_of(r.get("profile") or profile, r["paper"])) for r in rows):
            stale.append(name)
    return stale


def verdict_frame(verdicts: Sequence[Verdict]) -> pd.DataFrame:
    """One row per verdict (see :meth:`Verdict.row`), with the columns even when there is none."""
    return pd.DataFrame([v.row() for v in verdicts], columns=columns())
