"""Deciding a claim from paired runs: :func:`judge` one claim, :func:`judge_all` a chapter's, with the paper's primary
claims adjusted together (:func:`adjust`).

Rules, in the order they are applied:

1. A claim marked ``untestable`` (data not here), a runs frame without a needed column, or no rows on a side: **not
   testable**, with that reason.
2. Pairs: the metric is averaged per pairing key (``pair_on``, e.g. seed; repeats within a key, such as backbones
   within a seed, are averaged first, so a key is one replication). A *pooled* claim (``pool``) takes the paired
   difference in every cell (each combination of the pool columns) and averages it per key across the cells; a
   key missing a cell is dropped. Keys with a missing value on either side are dropped and counted
   (``n_dropped``); when the metric is missing everywhere it is undefined for these runs: **not testable**.
3. Degenerate comparisons decide nothing, so they are **not testable**, with the reason: a side that holds a
   constant predictor in at least half of its runs when the metric depends on a threshold; A and B that selected
   the same model in every pair (an ``arm`` column equal on both sides); every paired difference equal (zero
   spread: the interval would have zero width).
4. The mean paired difference and its 95 % Student-t interval (:func:`synthmed.stats.t_interval`): **supported**
   when the interval lies on the claim's side of the boundary (0 for ``better``, -margin for ``not_worse``, inside
   ±margin of the value for ``close``), **contradicted** when it lies on the other side, else **inconclusive**.
   One pair is always inconclusive.
5. The claim's p: the one-sided t tests for and against it (two one-sided tests, TOST, for ``close``), the smaller
   one doubled, so that p < 0.05 agrees with the 95 % interval excluding the boundary.
6. The paper's *primary* claims (its headline statements, pooled over the cells they cover) are decided by their
   Benjamini-Hochberg adjusted p (``scipy.stats.false_discovery_control``) below :data:`ALPHA`, in the direction of
   the interval; per-cell claims and ours keep the unadjusted interval and are exploratory.
7. Size: where the paper gives both sides (``paper_diff``), whether its difference lies inside our interval, above
   it (our effect is smaller than the paper reports) or below it (larger).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from synthmed import stats
from synthmed.claims.model import ALPHA, SIZES, Claim, Verdict

CONSTANT_SHARE = 0.5  # a side that is a constant predictor in at least this share of its runs is degenerate


def contrast(a: Mapping[str, Any], b: Mapping[str, Any] | None) -> tuple[str, str]:
    """Labels of two selectors by the values in which they differ ({dataset: x, strategy: ours} vs {dataset: x,
    strategy: naive_all} -> "ours", "naive_all"); the claim's text already names what they share."""
    if not b:
        return label(a), ""
    keys = [k for k in a if a.get(k) != b.get(k)] + [k for k in b if k not in a]
    if not keys:
        return label(a), label(b)
    return label({k: a[k] for k in keys if k in a}), label({k: b[k] for k in keys if k in b})


def label(selector: Mapping[str, Any] | None) -> str:
    """"TSynD, fgsm" for {method: TSynD, test_condition: fgsm}; "all runs" for an empty selector."""
    if not selector:
        return "all runs"
    return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in selector.values())


def select(runs: pd.DataFrame, selector: Mapping[str, Any]) -> pd.DataFrame:
    """The rows of ``runs`` matching every {column: value} of ``selector`` (floats compared with isclose)."""
    mask = np.ones(len(runs), dtype=bool)
    for col, value in selector.items():
        column = runs[col]
        if isinstance(value, float) and pd.api.types.is_numeric_dtype(column):
            mask &= np.isclose(column.to_numpy(dtype=float), value)
        else:
            mask &= (column == value).to_numpy()
    return runs[mask]


def _missing_columns(claim: Claim, runs: pd.DataFrame) -> list[str]:
    needed = {claim.metric, *claim.pair_on, *claim.pool, *claim.a}
    for sel in (claim.b or {}), *claim.order:
        needed |= set(sel)
    return sorted(needed - set(runs.columns))


def _constant_share(rows: pd.DataFrame) -> tuple[int, int]:
    if "constant" not in rows.columns or not len(rows):
        return 0, len(rows)
    return int(rows["constant"].fillna(False).astype(bool).sum()), len(rows)


def _constant_note(sides: Sequence[tuple[str, pd.DataFrame]]) -> str:
    notes = []
    for name, rows in sides:
        k, n = _constant_share(rows)
        if k:
            notes.append(f"{name} {k}/{n} runs")
    return "; ".join(notes)


def _keys(claim: Claim) -> list[str]:
    return [*claim.pair_on, *claim.pool]


def _means(rows: pd.DataFrame, claim: Claim) -> pd.Series:
    """Scaled metric per (pairing key, pool cell), repeats averaged; NaN kept (counted as dropped later)."""
    return rows.groupby(_keys(claim))[claim.metric].mean() * claim.scale


class _Pairs:
    """The paired differences of one comparison A vs B: d (n,), the means of each side, what was dropped."""

    def __init__(self, claim: Claim, a_sel: Mapping, b_sel: Mapping, runs: pd.DataFrame):
        self.a_rows, self.b_rows = select(runs, a_sel), select(runs, b_sel)
        a, b = _means(self.a_rows, claim), _means(self.b_rows, claim)
        joined = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="outer")
        sign = 1.0 if claim.higher_is_better else -1.0
        joined["d"] = sign * (joined["a"] - joined["b"])
        self.undefined = bool(len(joined)) and (joined["a"].isna().all() or joined["b"].isna().all())
        self.cells = 1
        if claim.pool:
            per_key = joined["d"].unstack(list(claim.pool)) if len(joined) else pd.DataFrame()
            self.cells = per_key.shape[1] if len(per_key) else 0
            complete = per_key.notna().all(axis=1)
            self.d = per_key[complete].mean(axis=1).to_numpy(dtype=float)
            self.mean_a = float(joined["a"].unstack(list(claim.pool))[complete].mean(axis=1).mean())
            self.mean_b = float(joined["b"].unstack(list(claim.pool))[complete].mean(axis=1).mean())
            self.n_total = len(per_key)
        else:
            ok = joined.dropna()
            self.d = ok["d"].to_numpy(dtype=float)
            self.mean_a, self.mean_b = float(ok["a"].mean()), float(ok["b"].mean())
            self.n_total = len(joined)
        self.n = len(self.d)
        self.n_dropped = self.n_total - self.n
        self.identical = self._identical(claim)

    def _identical(self, claim: Claim) -> bool:
        """True when both sides carry an ``arm`` column and A and B selected the same arm in every pair."""
        if "arm" not in self.a_rows.columns or not len(self.a_rows) or not len(self.b_rows):
            return False
        keys = _keys(claim)
        a = self.a_rows.groupby(keys)["arm"].agg(lambda s: tuple(sorted(map(str, s))))
        b = self.b_rows.groupby(keys)["arm"].agg(lambda s: tuple(sorted(map(str, s))))
        both = a.index.intersection(b.index)
        return len(both) > 0 and all(a[k] == b[k] for k in both)


def _degenerate(claim: Claim, pairs: _Pairs, a_name: str, b_name: str) -> str:
    """The reason a comparison cannot decide anything, or ""."""
    if claim.on_threshold:
        parts = []
        for name, rows in ((a_name, pairs.a_rows), (b_name, pairs.b_rows)):
            k, n = _constant_share(rows)
            if n and k / n >= CONSTANT_SHARE:
                parts.append((name, k, n))
        if len(parts) == 2:
            return (f"degenerate: both sides are constant predictors in at least half of their runs "
                    f"({parts[0][0]} {parts[0][1]}/{parts[0][2]}, {parts[1][0]} {parts[1][1]}/{parts[1][2]}), and "
                    f"{claim.metric} depends on the threshold")
        if parts:
            name, k, n = parts[0]
            return (f"degenerate: {name} is a constant predictor in {k}/{n} runs, and {claim.metric} depends on "
                    f"the threshold")
    if pairs.identical:
        return f"degenerate: {a_name} and {b_name} selected the same model in every pair (identical arms)"
    if stats.zero_spread(pairs.d):
        d = claim.decimals
        return (f"degenerate: every paired difference equals {pairs.d[0]:+.{d}f} (zero spread), so no interval "
                f"can be formed")
    return ""


def _decide(d: np.ndarray, low: float, high: float, lower: float, upper: float | None = None) -> str:
    """supported if [low, high] lies above ``lower`` (and below ``upper`` when given), contradicted if it lies
    entirely on the wrong side, inconclusive otherwise (always for one pair)."""
    if len(d) < 2:
        return "inconclusive"
    if upper is None:
        return "supported" if low > lower else "contradicted" if high < lower else "inconclusive"
    if lower <= low and high <= upper:
        return "supported"
    if low > upper or high < lower:
        return "contradicted"
    return "inconclusive"


def test_p(d: np.ndarray, lower: float, upper: float | None = None) -> tuple[float, str]:
    """(p, direction) of a claim's test on (n,) differences: direction "for" or "against" the claim.

    One-sided boundary (``upper`` None): H1 mean > lower (for) and H1 mean < lower (against). Equivalence band
    [lower, upper] (TOST): for = inside (the larger of the two one-sided p), against = outside (the smaller of the
    two outward tests). p = min(1, 2 * the smaller of for/against), so p < 0.05 matches the 95 % interval."""
    if upper is None:
        p_for = stats.one_sided_p(d, lower, greater=True)
        p_against = stats.one_sided_p(d, lower, greater=False)
    else:
        p_for = max(stats.one_sided_p(d, lower, greater=True), stats.one_sided_p(d, upper, greater=False))
        p_against = min(stats.one_sided_p(d, upper, greater=True), stats.one_sided_p(d, lower, greater=False))
    if math.isnan(p_for) or math.isnan(p_against):
        return math.nan, ""
    return (min(1.0, 2 * p_for), "for") if p_for <= p_against else (min(1.0, 2 * p_against), "against")


def size_against_paper(paper_diff: float | None, low: float, high: float) -> str:
    """Where the paper's own difference lies against our interval (:data:`SIZES`), "" when either is missing."""
    if paper_diff is None or math.isnan(low) or math.isnan(high) or (isinstance(paper_diff, float)
                                                                     and math.isnan(paper_diff)):
        return ""
    if low <= paper_diff <= high:
        return SIZES[0]
    return SIZES[1] if paper_diff > high else SIZES[2]


def _untestable(claim: Claim, reason: str, profile: str) -> Verdict:
    return Verdict(claim=claim, verdict="not testable", reason=reason, profile=profile)


def judge(claim: Claim, runs: pd.DataFrame, *, profile: str = "") -> Verdict:
    """Decide ``claim`` from ``runs`` (one row per run: the pair_on and pool columns, the selector columns, the
    metric, optionally a boolean ``constant`` and an ``arm`` column). See the module docstring for the rules; the
    adjustment of primary claims is :func:`adjust`'s (:func:`judge_all` applies it)."""
    if claim.untestable:
        return _untestable(claim, claim.untestable, profile)
    missing = _missing_columns(claim, runs)
    if missing:
        return _untestable(claim, f"the runs have no column {', '.join(missing)}", profile)
    if claim.kind == "close":
        return _judge_close(claim, runs, profile)
    if claim.kind == "ranking":
        return _judge_ranking(claim, runs, profile)
    pairs = _Pairs(claim, claim.a, claim.b, runs)
    a_name, b_name = contrast(claim.a, claim.b)
    if pairs.a_rows.empty or pairs.b_rows.empty:
        return _untestable(claim, f"no runs of {label(claim.a) if pairs.a_rows.empty else label(claim.b)} were "
                           f"made", profile)
    if pairs.undefined:
        return _untestable(claim, f"{claim.metric} is undefined (missing) for every run of one side", profile)
    if pairs.n == 0:
        return _untestable(claim, f"no runs of {label(claim.a)} and {label(claim.b)} share a "
                           f"{'/'.join(claim.pair_on)}" + (" in every cell" if claim.pool else ""), profile)
    reason = _degenerate(claim, pairs, a_name, b_name)
    note = _constant_note([(a_name, pairs.a_rows), (b_name, pairs.b_rows)])
    base = dict(claim=claim, n=pairs.n, n_dropped=pairs.n_dropped, mean_a=pairs.mean_a, mean_b=pairs.mean_b,
                diff=float(pairs.d.mean()), constant=note, profile=profile, cells=pairs.cells)
    if reason:
        return Verdict(verdict="not testable", reason=reason, **base)
    boundary = 0.0 if claim.kind == "better" else -claim.margin
    low, high = stats.t_interval(pairs.d)
    verdict = _decide(pairs.d, low, high, boundary)
    p, _ = test_p(pairs.d, boundary)
    return Verdict(verdict=verdict, low=low, high=high, p=p,
                   seeds_needed=stats.seeds_needed(pairs.d, boundary) if verdict == "inconclusive" else None,
                   size=size_against_paper(claim.paper_diff, low, high), **base)


def _judge_close(claim: Claim, runs: pd.DataFrame, profile: str) -> Verdict:
    rows = select(runs, claim.a)
    if rows.empty:
        return _untestable(claim, f"no runs of {label(claim.a)} were made", profile)
    values = _means(rows, claim)
    cells = 1
    if claim.pool:
        per_key = values.unstack(list(claim.pool))
        cells = per_key.shape[1]
        values = per_key.mean(axis=1)
    n_total = len(values)
    values = values.dropna()
    if values.empty:
        return _untestable(claim, f"{claim.metric} is undefined (missing) for every run", profile)
    d = values.to_numpy(dtype=float) - claim.value
    base = dict(claim=claim, n=len(d), n_dropped=n_total - len(d), mean_a=float(values.mean()),
                diff=float(d.mean()), constant=_constant_note([(label(claim.a), rows)]), profile=profile,
                cells=cells)
    k, n = _constant_share(rows)
    if claim.on_threshold and n and k / n >= CONSTANT_SHARE:
        return Verdict(verdict="not testable", reason=f"degenerate: {label(claim.a)} is a constant predictor in "
                       f"{k}/{n} runs, and {claim.metric} depends on the threshold", **base)
    if stats.zero_spread(d):
        return Verdict(verdict="not testable", reason=f"degenerate: every run scores {values.iloc[0]:.{claim.decimals}f}"
                       f" (zero spread), so no interval can be formed", **base)
    low, high = stats.t_interval(d)
    p, _ = test_p(d, -claim.margin, claim.margin)
    return Verdict(verdict=_decide(d, low, high, -claim.margin, claim.margin), low=low, high=high, p=p,
                   size=size_against_paper(claim.paper_diff, low, high), **base)


def _judge_ranking(claim: Claim, runs: pd.DataFrame, profile: str) -> Verdict:
    steps = []
    for upper, lower in itertools.pairwise(claim.order):
        pairs = _Pairs(claim, upper, lower, runs)
        if pairs.n == 0:
            return _untestable(claim, f"no paired runs of {label(upper)} and {label(lower)}", profile)
        reason = _degenerate(claim, pairs, label(upper), label(lower))
        if reason:
            return _untestable(claim, f"{label(upper)} over {label(lower)}: {reason}", profile)
        low, high = stats.t_interval(pairs.d)
        steps.append((_decide(pairs.d, low, high, 0.0), pairs, low, high, upper, lower))
    verdicts = [s[0] for s in steps]
    verdict = ("contradicted" if "contradicted" in verdicts else
               "supported" if all(v == "supported" for v in verdicts) else "inconclusive")
    _, pairs, low, high, upper, lower = min(steps, key=lambda s: (s[2] if not math.isnan(s[2]) else -math.inf))
    sides = [(label(s[4]), s[1].a_rows) for s in steps] + [(label(steps[-1][5]), steps[-1][1].b_rows)]
    p, _ = test_p(pairs.d, 0.0)
    return Verdict(claim=claim, verdict=verdict, n=pairs.n, n_dropped=pairs.n_dropped, diff=float(pairs.d.mean()),
                   low=low, high=high, p=p, seeds_needed=stats.seeds_needed(pairs.d) if verdict == "inconclusive"
                   else None, constant=_constant_note(sides), reason=f"{label(upper)} over {label(lower)}",
                   profile=profile)


def adjust(verdicts: Sequence[Verdict]) -> list[Verdict]:
    """The verdicts with each paper's primary claims decided by Benjamini-Hochberg (rule 6): p_adj set, family the
    number of primary claims of that paper with a p, and the verdict ``supported``/``contradicted`` only when
    p_adj < :data:`ALPHA` in the direction of the interval (``inconclusive`` otherwise). Other verdicts unchanged."""
    out = list(verdicts)
    papers = {v.claim.paper for v in out if v.claim.primary}
    for paper in papers:
        idx = [i for i, v in enumerate(out) if v.claim.primary and v.claim.paper == paper and not math.isnan(v.p)]
        if not idx:
            continue
        adjusted = stats.bh_adjust([out[i].p for i in idx])
        for i, q in zip(idx, adjusted):
            v = out[i]
            raw = v.raw or v.verdict
            verdict = raw if raw in ("supported", "contradicted") and q < ALPHA else "inconclusive"
            out[i] = replace(v, p_adj=float(q), family=len(idx), verdict=verdict, raw=v.raw or v.verdict,
                             seeds_needed=v.seeds_needed if verdict == "inconclusive" else None)
    return out


def judge_all(claims: Iterable[Claim], runs: pd.DataFrame, profile: str = "") -> list[Verdict]:
    """:func:`judge` for every claim, in order, then :func:`adjust` over the primary claims among them."""
    return adjust([judge(c, runs, profile=profile) for c in claims])


def expected_false(n_supported: int, alpha: float = ALPHA) -> float:
    """The number of false discoveries to expect, at most, among ``n_supported`` claims decided under
    Benjamini-Hochberg at false discovery rate ``alpha``."""
    return alpha * n_supported
