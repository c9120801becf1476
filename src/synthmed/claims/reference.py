"""The book's published verdicts and a rebuild's comparison with them.

A build can store its verdicts as the book's *reference* (``results/reference/<profile>.json``: every verdict with
its interval, adjusted p and fragility, and where it was computed: commit, date, machine, torch, BLAS). The
Scorecard of any later build, on any machine, opens with how many of its verdicts equal the reference and lists
those that differ (old -> new, and whether the old one was fragile), so a reader who rebuilds sees at once whether
the book reproduced. A change that moves verdicts refreshes the reference in the same commit (a reviewable diff,
like a snapshot test): ``python -m synthmed.runner --profile quick --reference`` (``make book REFERENCE=1``).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

FOLDER = Path("results") / "reference"
FIELDS = ("chapter", "id", "paper", "role", "verdict", "label", "fragile", "diff", "low", "high", "p", "p_adj", "n")


def reference_path(root: str | Path, profile: str) -> Path:
    """``<root>/results/reference/<profile>.json``."""
    return Path(root) / FOLDER / f"{profile}.json"


def environment(root: str | Path) -> dict[str, Any]:
    """Where a build ran: the git commit and whether src/ had uncommitted edits (:func:`synthmed.bundle.git_state`),
    the date, the machine (:func:`synthmed.bundle.machine`: CPU, torch, Python ...) and torch's BLAS."""
    import torch

    from synthmed import bundle

    blas = next((ln.strip() for ln in torch.__config__.show().splitlines()
                 if "BLAS_INFO" in ln or "LAPACK_INFO" in ln), "")
    return {**bundle.git_state(root), "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **bundle.machine(), "blas": blas}


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def write_reference(frame: pd.DataFrame, root: str | Path, profile: str, env: dict[str, Any] | None = None) -> Path:
    """Store ``frame`` (the Scorecard's verdict rows, adjusted: :func:`synthmed.claims.present.adjust_frame`) as
    the reference of ``profile`` under ``root``, atomically; returns the path."""
    out = reference_path(root, profile)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = [{k: _plain(r.get(k)) for k in FIELDS} for r in frame.to_dict("records")]
    rows.sort(key=lambda r: (str(r["chapter"]), str(r["id"])))
    record = {"profile": profile, "environment": env if env is not None else environment(root), "verdicts": rows}
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(record, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, out)
    return out


def read_reference(root: str | Path, profile: str) -> dict[str, Any] | None:
    """The stored reference of ``profile`` ({"profile", "environment", "verdicts"}), None when there is none."""
    path = reference_path(root, profile)
    return json.loads(path.read_text()) if path.exists() else None


def compare(frame: pd.DataFrame, reference: dict[str, Any]) -> pd.DataFrame:
    """One row per claim in either the build (``frame``) or the reference, keyed by (chapter, id): the reference's
    verdict and fragility, this build's verdict, and ``status``: "same", "changed", "new" (not in the reference)
    or "gone" (in the reference, not built now)."""
    old = pd.DataFrame(reference.get("verdicts") or [], columns=list(FIELDS))
    new = frame[["chapter", "id", "paper", "role", "verdict"]].copy()
    both = old[["chapter", "id", "paper", "role", "verdict", "fragile"]].rename(
        columns={"verdict": "reference", "fragile": "reference_fragile", "paper": "paper_ref", "role": "role_ref"}
    ).merge(new.rename(columns={"verdict": "now"}), on=["chapter", "id"], how="outer")
    both["paper"] = both["paper"].fillna(both["paper_ref"])
    both["role"] = both["role"].fillna(both["role_ref"])
    both["status"] = [("new" if pd.isna(r) else "gone" if pd.isna(n) else "same" if r == n else "changed")
                      for r, n in zip(both["reference"], both["now"])]
    both["reference_fragile"] = both["reference_fragile"].fillna(False).astype(bool)
    return both.drop(columns=["paper_ref", "role_ref"]).sort_values(["paper", "chapter", "id"]).reset_index(drop=True)


def comparison_text(table: pd.DataFrame, reference: dict[str, Any]) -> str:
    """Markdown: how many verdicts equal the reference, where and when it was built, and each difference."""
    env = reference.get("environment") or {}
    made = (f"the reference of the `{reference.get('profile')}` profile (commit {str(env.get('commit', ''))[:10]}"
            f"{', uncommitted edits' if env.get('dirty') else ''}, {env.get('date', '?')}, {env.get('cpu', '?')}, "
            f"torch {env.get('torch', '?')})")
    compared = table[table["status"].isin(["same", "changed"])]
    same = int((compared["status"] == "same").sum())
    lines = [f"**{same} of {len(compared)}** verdicts of this build equal {made}."]
    changed = table[table["status"] == "changed"]
    if len(changed):
        lines.append(f"{len(changed)} differ (reference → this build):")
        for _, r in changed.iterrows():
            fragile = " (the reference's decision was fragile)" if r["reference_fragile"] else ""
            lines.append(f"- {r['paper']}, `{r['id']}` ({r['role']}): {r['reference']} → {r['now']}{fragile}")
    for status, what in (("new", "not in the reference"), ("gone", "in the reference but not built now")):
        ids = table.loc[table["status"] == status, "id"].tolist()
        if ids:
            lines.append(f"{len(ids)} verdict{'s' if len(ids) != 1 else ''} {what}: "
                         + ", ".join(f"`{i}`" for i in ids[:12]) + (" …" if len(ids) > 12 else ""))
    return "\n".join(lines)


def reference_section(verdicts: pd.DataFrame, reference: dict | None, profile: str) -> str:
    """The Scorecard's opening Markdown: how this build's ``verdicts`` compare with the committed ``reference`` of
    ``profile`` (:func:`read_reference`; None when none is committed), or why there is nothing to compare."""
    if reference is None:
        return (f"No reference is committed for the `{profile}` profile (`make book PROFILE={profile} "
                f"REFERENCE=1` stores one).")
    if verdicts.empty:
        return "This build has no verdicts to compare with the reference yet."
    return comparison_text(compare(verdicts, reference), reference)
