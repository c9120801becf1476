"""Which runs a claim reads: the one selection rule every chapter uses (issue 22, item 3).

A claim names its rows by selectors ({column: value} for A, B, or each rank of an ordering) and reads a metric,
paired on ``pair_on`` and pooled over ``pool``. From these alone:

- :func:`frame_for`: of a chapter's runs frames, the claim reads the one frame that has every column it names
  (selector columns, metric, pair_on, pool). A claim that fits no frame is not judged on that page; one that fits
  several is an error (the frames, or the claim, must name a column that tells them apart).
- :func:`unmatched`: the selectors of a claim that match no row of its frame. A claim with one is not run under
  this profile (a dataset, backbone or arm the profile leaves out): a chapter either leaves it out or reports it
  as ``not testable`` with :func:`not_run_reason`, never judges it on an empty side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from synthmed.claims.judge import differences, judge, label, select
from synthmed.claims.model import Claim, Verdict


def selectors(claim: Claim) -> list[Mapping[str, Any]]:
    """The claim's non-empty selectors: A, B, then each rank of an ordering."""
    return [s for s in (claim.a, claim.b or {}, *claim.order) if s]


def columns(claim: Claim) -> set[str]:
    """Every column the claim reads: its selectors' columns, its metric, pair_on and pool."""
    return {claim.metric, *claim.pair_on, *claim.pool}.union(*(set(s) for s in selectors(claim)))


def frame_for(claim: Claim, frames: Mapping[str, pd.DataFrame]) -> str | None:
    """The name of the one frame among ``frames`` ({name: runs frame}) holding every column of :func:`columns`,
    None when no frame does. ValueError when several do."""
    need = columns(claim)
    fits = [name for name, frame in frames.items() if need <= set(frame.columns)]
    if len(fits) > 1:
        raise ValueError(f"claim {claim.id!r} fits the frames {', '.join(fits)} (they all have "
                         f"{', '.join(sorted(need))}); give one of them a column the claim names")
    return fits[0] if fits else None


def unmatched(claim: Claim, frame: pd.DataFrame) -> list[str]:
    """Labels of the claim's selectors that match no row of ``frame`` (a selector naming a column the frame lacks
    matches none); [] when every side has runs."""
    out = []
    for sel in selectors(claim):
        if not set(sel) <= set(frame.columns) or select(frame, sel).empty:
            out.append(", ".join(f"{k}={v}" for k, v in sel.items()) if sel else label(sel))
    return out


NOT_RUN = "not run under the"  # how every reason of not_run_reason begins


def not_run_reason(claim: Claim, frame: pd.DataFrame, profile: str) -> str:
    """The ``untestable`` reason of a claim whose sides were not run under ``profile`` ("" when all were)."""
    missing = unmatched(claim, frame)
    return f"{NOT_RUN} `{profile}` profile: no run has {'; '.join(missing)}" if missing else ""


def runnable(claims: Iterable[Claim], frame: pd.DataFrame) -> list[Claim]:
    """The claims whose every selector has runs in ``frame``, and the claims already marked untestable (which
    carry their own reason); the rest are left out."""
    return [c for c in claims if c.untestable or not unmatched(c, frame)]


def routed(claims: Iterable[Claim], frames: Mapping[str, pd.DataFrame], keep=None) -> list[tuple[Claim, pd.DataFrame]]:
    """The routing every chapter shares: (claim, the runs it reads) for each claim that fits one frame of ``frames``
    (:func:`frame_for`) whose sides were run there (:func:`unmatched`); an ``untestable`` claim always (with an
    empty frame when it fits none: it carries its reason); the others are left out. ``keep(claim, frame) -> frame``
    narrows a claim's frame first (e.g. to the datasets a pooled claim covers)."""
    out = []
    for c in claims:
        name = frame_for(c, frames)
        if name is None:
            if c.untestable:
                out.append((c, pd.DataFrame()))
            continue
        frame = keep(c, frames[name]) if keep is not None else frames[name]
        if not c.untestable and (frame.empty or unmatched(c, frame)):
            continue
        out.append((c, frame))
    return out


def judge_frames(claims: Iterable[Claim], frames: Mapping[str, pd.DataFrame], profile: str,
                 keep=None) -> list[Verdict]:
    """Each claim judged on the runs :func:`routed` gives it. Adjust the result with
    :func:`synthmed.claims.present.in_family` (or let :func:`~synthmed.claims.present.publish` do it)."""
    return [judge(c, frame, profile=profile) for c, frame in routed(claims, frames, keep)]


def paired_differences(claims: Iterable[Claim], frames: Mapping[str, pd.DataFrame], keep=None) -> pd.DataFrame:
    """The per-replicate paired differences behind :func:`judge_frames`'s comparison verdicts
    (:func:`synthmed.claims.judge.differences` on the runs :func:`routed` gives each claim): one row per claim and
    pairing key, columns ``claim`` (its id), ``key`` (the pairing key's value, a tuple for several columns) and
    ``difference`` (scaled, positive favouring A)."""
    parts = []
    for c, frame in routed(claims, frames, keep):
        d = differences(c, frame)
        if len(d):
            parts.append(pd.DataFrame({"claim": c.id, "key": list(d.index), "difference": d.to_numpy()}))
    return (pd.concat(parts, ignore_index=True) if parts
            else pd.DataFrame({"claim": pd.Series(dtype=str), "key": pd.Series(dtype=object),
                               "difference": pd.Series(dtype=float)}))
