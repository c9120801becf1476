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
3. Uninformative sides decide nothing (**not testable**, with the reason), whatever the metric:
   - *constant predictors*: a side that is a constant predictor in at least half (``>=`` :data:`CONSTANT_SHARE`)
     of its runs, when the metric depends on a decision threshold;
   - *at chance*: a side whose models are not above chance on the split the claim reads. The chance column is the
     claim's ``chance_on``, else inferred (:func:`chance_column`: the metric itself when it is a balanced accuracy
     or a ROC-AUC, else the balanced accuracy of the same split, else ``balanced_accuracy`` / ``roc_auc``); its
     chance level is each row's ``chance`` (1 / classes) for a balanced accuracy, else 0.5. A side is above
     chance when the one-sided 95 % lower t bound of its per-key mean excess over that level exceeds 0
     (:func:`synthmed.stats.lower_bound`). Which sides must be above chance: both for ``not_worse`` and for a
     ``close`` claim's side (an equivalence needs informative arms: two arms at chance are trivially close); for
     ``better`` and each step of ``ranking`` the side that comes out ahead (a gain over a model at chance is real
     when the winner learns; a "gain" between two models at chance is not).
   Pooled claims apply these rules **per cell first**: a degenerate cell is dropped (named and counted in the
   verdict's ``dropped_cells``), and when fewer than half of the cells remain the claim is not testable. The cells
   that remain passed these rules one by one, so the pooled sides are not judged again as one mixture (a mixture
   of datasets spreads by dataset, and its chance levels differ).
   Also degenerate: A and B that selected the same model in every pair (an ``arm`` column equal on both sides);
   every paired difference equal (zero spread: the interval would have zero width).
4. The mean paired difference and its 95 % Student-t interval (:func:`synthmed.stats.t_interval`): **supported**
   when the interval lies on the claim's side of the boundary (0 for ``better``, -margin for ``not_worse``, inside
   ±margin of the value for ``close``: the whole interval inside the band), **contradicted** when it lies on the
   other side, else **inconclusive**. One pair is always inconclusive.
5. The claim's p: the one-sided t tests for and against it (two one-sided tests, TOST, for ``close``), the smaller
   one doubled, so that p < 0.05 agrees with the 95 % interval excluding the boundary.
6. Fragility: a decided verdict whose decision changes when any one pairing key (replicate) is left out is
   *fragile* (``fragile``); ``p_loo`` is the largest p over those leave-one-out sets (the primary claims' check).
7. The paper's *primary* claims (its headline statements, pooled over the cells they cover) are decided by their
   Benjamini-Hochberg adjusted p (``scipy.stats.false_discovery_control``) below :data:`ALPHA`, in the direction of
   the interval, over the family of the paper's primary claims judged under the same profile (across its
   notebooks: :func:`synthmed.claims.present.publish` adds the siblings' stored p); a decided primary claim is also
   fragile when its ``p_loo`` would lift its adjusted p to ALPHA or above. Per-cell claims and ours keep the
   unadjusted interval and are exploratory.
8. Size: where the paper gives both sides (``paper_diff``), whether its difference lies inside our interval, above
   it (our effect is smaller than the paper reports) or below it (larger). A pooled claim with ``paper_cells``
   compares on those cells only (the paper's datasets and fractions); the pooled interval stays the verdict's.
9. Averaged arms: where a side has several runs per pairing key (members: single GANs, backbones) and some are
   constant predictors, the effect with the constant members left out is shown beside the plain one
   (``nonconstant``).
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
from synthmed.claims.model import ALPHA, SIZES, Claim, Verdict, contrast, label  # noqa: F401  (re-exported)

CONSTANT_SHARE = 0.5  # a side that is a constant predictor in at least this share of its runs is degenerate


def matching(runs: pd.DataFrame, selector: Mapping[str, Any]) -> np.ndarray:
    """Per row of ``runs`` (n,): whether it matches every {column: value} of ``selector`` (floats compared with
    isclose); bool (n,)."""
    mask = np.ones(len(runs), dtype=bool)
    for col, value in selector.items():
        column = runs[col]
        if isinstance(value, float) and pd.api.types.is_numeric_dtype(column):
            mask &= np.isclose(column.to_numpy(dtype=float), value)
        else:
            mask &= (column == value).to_numpy()
    return mask


def select(runs: pd.DataFrame, selector: Mapping[str, Any]) -> pd.DataFrame:
    """The rows of ``runs`` matching every {column: value} of ``selector`` (:func:`matching`)."""
    return runs[matching(runs, selector)]


AUC_METRICS = frozenset({"roc_auc", "auc", "val_auc", "test_auc"})  # chance 0.5 whatever the number of classes
SPLIT_PREFIXES = (("validation_", "validation_balanced_accuracy"), ("val_", "val_balanced_accuracy"),
                  ("test_", "test_balanced_accuracy"))


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


def chance_column(claim: Claim, runs: pd.DataFrame) -> str | None:
    """The column that says whether a side's models are above chance (rule 3), or None when the runs have none:
    the claim's ``chance_on`` ("none" turns the rule off); else the metric itself when it is a ROC-AUC or a
    balanced accuracy; else the balanced accuracy of the split the metric reads (``validation_`` / ``val_`` /
    ``test_`` prefix); else ``balanced_accuracy``, else ``roc_auc``."""
    if claim.chance_on:
        return None if claim.chance_on == "none" or claim.chance_on not in runs.columns else claim.chance_on
    m = claim.metric
    if m in AUC_METRICS or m.endswith("balanced_accuracy"):
        return m
    for prefix, col in SPLIT_PREFIXES:
        if m.startswith(prefix):
            return col if col in runs.columns else None
    return next((c for c in ("balanced_accuracy", "roc_auc") if c in runs.columns), None)


def chance_levels(rows: pd.DataFrame, column: str) -> pd.Series:
    """Chance of ``column`` per row of ``rows``: 0.5 for a ROC-AUC; for a balanced accuracy the row's ``chance``
    (1 / number of classes) where given, else 0.5 (two classes). Values stored in percent (any above 1) scale it."""
    level = pd.Series(0.5, index=rows.index)
    if column not in AUC_METRICS and "auc" not in column and "chance" in rows.columns:
        level = pd.to_numeric(rows["chance"], errors="coerce").fillna(0.5)
    values = pd.to_numeric(rows[column], errors="coerce")
    return 100 * level if values.max() > 1.0 else level


def above_chance(rows: pd.DataFrame, claim: Claim, column: str) -> tuple[bool, str]:
    """(whether the side ``rows`` is above chance on ``column``, the reason when it is not): the one-sided 95 %
    lower t bound of the per-key means (repeats within a key averaged) of each row's excess over its own chance
    (:func:`chance_levels`, so rows of datasets with different class counts can share a side) must exceed 0. No
    value at all: (True, "") — nothing to judge by."""
    values = pd.to_numeric(rows[column], errors="coerce")
    levels = chance_levels(rows, column)
    keys = [rows[k] for k in _keys(claim)]
    excess = (values - levels).groupby(keys).mean().dropna()
    if excess.empty:
        return True, ""
    low = stats.lower_bound(excess.to_numpy(dtype=float))
    if low > 0:
        return True, ""
    mean = values.groupby(keys).mean().dropna().mean()
    runs = f"over {len(excess)} run{'s' if len(excess) != 1 else ''}"
    if levels.nunique() == 1:
        level = float(levels.iloc[0])
        return False, (f"not above chance on {column.replace('_', ' ')} (mean {mean:.3f}, one-sided 95 % lower "
                       f"bound {low + level:.3f} <= chance {level:.3g} {runs})")
    return False, (f"not above chance on {column.replace('_', ' ')} (mean {mean:.3f}; its excess over each run's "
                   f"chance ({levels.min():.3g} to {levels.max():.3g}) has a one-sided 95 % lower bound "
                   f"{low:+.3f} <= 0 {runs})")


def _side_problem(claim: Claim, rows: pd.DataFrame, name: str, chance: str | None) -> str:
    """Why side ``rows`` (named ``name``) is uninformative, or "": constant predictors on a threshold metric, or
    (when ``chance`` names a column) not above chance."""
    if claim.on_threshold:
        k, n = _constant_share(rows)
        if n and k / n >= CONSTANT_SHARE:
            return f"{name} is a constant predictor in {k}/{n} runs, and {claim.metric} depends on the threshold"
    if chance:
        ok, why = above_chance(rows, claim, chance)
        if not ok:
            return f"{name} is {why}"
    return ""


def _ahead(claim: Claim, a_rows: pd.DataFrame, b_rows: pd.DataFrame) -> str:
    """"a" or "b": the side whose mean (in the claim's direction) is higher (A on a tie)."""
    a = _means(a_rows, claim).mean()
    b = _means(b_rows, claim).mean()
    if any(math.isnan(x) for x in (a, b)):
        return "a"
    return "a" if (a - b) * (1.0 if claim.higher_is_better else -1.0) >= 0 else "b"


def _uninformative(claim: Claim, a_rows: pd.DataFrame, b_rows: pd.DataFrame | None, a_name: str, b_name: str,
                   chance: str | None) -> str:
    """Rule 3's reason for the two sides (``b_rows`` None for ``close``), or ""."""
    if b_rows is None:
        why = _side_problem(claim, a_rows, a_name, chance)
        return f"uninformative: {why}" if why else ""
    const = [_side_problem(claim, r, n, None) for r, n in ((a_rows, a_name), (b_rows, b_name))]
    const = [c for c in const if c]
    if len(const) == 2:
        return f"degenerate: both sides are constant predictors ({const[0]}; {const[1]})"
    if const:
        return f"degenerate: {const[0]}"
    if not chance:
        return ""
    if claim.kind == "not_worse":
        sides = [(a_rows, a_name), (b_rows, b_name)]
    else:
        sides = [(a_rows, a_name)] if _ahead(claim, a_rows, b_rows) == "a" else [(b_rows, b_name)]
    whys = [w for w in (_side_problem(claim, r, n, chance) for r, n in sides) if w]
    if not whys:
        return ""
    ahead = "" if claim.kind == "not_worse" else " (the side ahead)"
    return "uninformative: " + "; ".join(whys) + ahead


def _cells_of(claim: Claim, rows: pd.DataFrame) -> list[dict[str, Any]]:
    if not claim.pool or rows.empty:
        return []
    combos = rows[list(claim.pool)].drop_duplicates().sort_values(list(claim.pool))
    return [dict(zip(claim.pool, vals)) for vals in combos.itertuples(index=False, name=None)]


def _drop_degenerate_cells(claim: Claim, runs: pd.DataFrame, a_sel: Mapping, b_sel: Mapping | None, a_name: str,
                           b_name: str, chance: str | None) -> tuple[pd.DataFrame, list[str], int]:
    """Rule 3 per cell of a pooled claim: (``runs`` without the rows of degenerate cells and of cells that only one
    side ran, the dropped degenerate cells as "cell: reason", the number of cells both sides ran). A cell only one
    side ran has nothing to pair (a bundle still being filled: TSynD at 1 % before its Noise-matched run); kept, it
    would leave every seed incomplete across the pooled cells."""
    a_runs, b_runs = select(runs, a_sel), None if b_sel is None else select(runs, b_sel)
    cells = _cells_of(claim, a_runs if b_runs is None else pd.concat([a_runs, b_runs]))
    dropped, keep, one_sided = [], np.ones(len(runs), dtype=bool), 0
    for cell in cells:
        a_c = select(a_runs, cell)
        b_c = None if b_runs is None else select(b_runs, cell)
        if a_c.empty or (b_c is not None and b_c.empty):
            one_sided += 1
            keep &= ~matching(runs, cell)
            continue
        why = _uninformative(claim, a_c, b_c, a_name, b_name, chance)
        if why:
            dropped.append(f"{label(cell)}: {why.split(': ', 1)[1]}")
            keep &= ~matching(runs, cell)
    return runs[keep], dropped, len(cells) - one_sided


class _Pairs:
    """The paired differences of one comparison A vs B: ``series`` (one per complete pairing key, indexed by it),
    d (n,) its values, the means of each side, what was dropped."""

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
            self.series = per_key[complete].mean(axis=1)
            self.mean_a = float(joined["a"].unstack(list(claim.pool))[complete].mean(axis=1).mean())
            self.mean_b = float(joined["b"].unstack(list(claim.pool))[complete].mean(axis=1).mean())
            self.n_total = len(per_key)
        else:
            ok = joined.dropna()
            self.series = ok["d"]
            self.mean_a, self.mean_b = float(ok["a"].mean()), float(ok["b"].mean())
            self.n_total = len(joined)
        self.series = self.series.astype(float).rename("difference")
        self.d = self.series.to_numpy(dtype=float)
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


def _degenerate(claim: Claim, pairs: _Pairs, a_name: str, b_name: str, chance: str | None = None,
                sides_checked: bool = False) -> str:
    """The reason a comparison cannot decide anything, or "". ``sides_checked``: rule 3 already ran on every cell
    (a pooled claim: :func:`_drop_degenerate_cells`), so the pooled sides are not judged again as one mixture."""
    why = "" if sides_checked else _uninformative(claim, pairs.a_rows, pairs.b_rows, a_name, b_name, chance)
    if why:
        return why
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


def fragility(d: np.ndarray, verdict: str, lower: float, upper: float | None = None) -> tuple[bool, float]:
    """(fragile, p_loo) of a decision on (n,) paired differences: fragile when the decision (:func:`_decide`)
    changes with any one difference left out (a decision from two pairs always is); p_loo the largest
    :func:`test_p` over those leave-one-out sets (NaN when undefined). Undecided verdicts are never fragile."""
    d = np.asarray(d, dtype=float)
    if verdict not in ("supported", "contradicted") or len(d) < 2:
        return False, math.nan
    fragile, ps = False, []
    for i in range(len(d)):
        rest = np.delete(d, i)
        low, high = stats.t_interval(rest)
        if _decide(rest, low, high, lower, upper) != verdict:
            fragile = True
        ps.append(test_p(rest, lower, upper)[0])
    ps = [p for p in ps if not math.isnan(p)]
    return fragile, (max(ps) if len(ps) == len(d) else 1.0)  # a left-out set with no test cannot decide: p = 1


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


def _interval_text(claim: Claim, d: np.ndarray) -> str:
    if not len(d):
        return ""
    k = claim.decimals
    low, high = stats.t_interval(d)
    if math.isnan(low):
        return f"{d.mean():+.{k}f} (one pair)"
    return f"{d.mean():+.{k}f} [{low:+.{k}f}, {high:+.{k}f}]"


def _nonconstant(claim: Claim, runs: pd.DataFrame, pairs: _Pairs) -> str:
    """Rule 9: the effect with constant members left out, when a side averages several runs per key and some of
    them are constant predictors ("" otherwise)."""
    if "constant" not in runs.columns:
        return ""
    members = [r for r in (pairs.a_rows, pairs.b_rows) if len(r) > r.groupby(_keys(claim)).ngroups]
    k = sum(_constant_share(r)[0] for r in members)
    if not members or not k:
        return ""
    n = sum(len(r) for r in members)
    kept = runs[~runs["constant"].fillna(False).astype(bool)]
    alt = _Pairs(claim, claim.a, claim.b, kept)
    text = _interval_text(claim, alt.d) or "no pair left"
    return f"{text} without the {k}/{n} constant members of the averaged arms"


def _paper_cells(claim: Claim, runs: pd.DataFrame) -> tuple[str, str]:
    """Rule 8 on the paper's own cells: (size, "on the paper's cells (...): +x [lo, hi]"), or ("", "")."""
    if not claim.paper_cells or claim.paper_diff is None:
        return "", ""
    if not set().union(*map(set, claim.paper_cells)) <= set(runs.columns):
        return "", ""
    index = set().union(*(select(runs, cell).index for cell in claim.paper_cells))
    pairs = _Pairs(claim, claim.a, claim.b, runs.loc[sorted(index)])
    if pairs.n < 2:
        return "", ""
    low, high = stats.t_interval(pairs.d)
    cells = "; ".join(label(c) for c in claim.paper_cells)
    return size_against_paper(claim.paper_diff, low, high), f"on the paper's cells ({cells}): " \
        f"{_interval_text(claim, pairs.d)}"


def judge(claim: Claim, runs: pd.DataFrame, *, profile: str = "") -> Verdict:
    """Decide ``claim`` from ``runs`` (one row per run: the pair_on and pool columns, the selector columns, the
    metric, optionally a boolean ``constant``, the chance column (:func:`chance_column`) and its ``chance`` level,
    and an ``arm`` column). See the module docstring for the rules; the adjustment of primary claims is
    :func:`adjust`'s (:func:`judge_all` applies it)."""
    if claim.untestable:
        return _untestable(claim, claim.untestable, profile)
    missing = _missing_columns(claim, runs)
    if missing:
        return _untestable(claim, f"the runs have no column {', '.join(missing)}", profile)
    chance = chance_column(claim, runs)
    if claim.kind in ("close", "above"):
        return _judge_close(claim, runs, profile, chance)
    if claim.kind == "ranking":
        return _judge_ranking(claim, runs, profile, chance)
    a_name, b_name = contrast(claim.a, claim.b)
    if select(runs, claim.a).empty or select(runs, claim.b).empty:
        return _untestable(claim, f"no runs of {label(claim.a) if select(runs, claim.a).empty else label(claim.b)} "
                           f"were made", profile)
    dropped, n_cells = [], 0
    if claim.pool:
        runs, dropped, n_cells = _drop_degenerate_cells(claim, runs, claim.a, claim.b, a_name, b_name, chance)
        if len(dropped) * 2 > n_cells:
            return Verdict(claim=claim, verdict="not testable", profile=profile, dropped_cells="; ".join(dropped),
                           reason=f"{len(dropped)} of {n_cells} cells are degenerate, too few informative cells "
                                  f"remain to pool ({'; '.join(dropped)})")
    pairs = _Pairs(claim, claim.a, claim.b, runs)
    if pairs.undefined:
        return _untestable(claim, f"{claim.metric} is undefined (missing) for every run of one side", profile)
    if pairs.n == 0:
        return _untestable(claim, f"no runs of {label(claim.a)} and {label(claim.b)} share a "
                           f"{'/'.join(claim.pair_on)}" + (" in every cell" if claim.pool else ""), profile)
    reason = _degenerate(claim, pairs, a_name, b_name, chance, sides_checked=bool(claim.pool))
    note = _constant_note([(a_name, pairs.a_rows), (b_name, pairs.b_rows)])
    base = dict(claim=claim, n=pairs.n, n_dropped=pairs.n_dropped, mean_a=pairs.mean_a, mean_b=pairs.mean_b,
                diff=float(pairs.d.mean()), constant=note, profile=profile, cells=pairs.cells,
                dropped_cells="; ".join(dropped), nonconstant=_nonconstant(claim, runs, pairs))
    if reason:
        return Verdict(verdict="not testable", reason=reason, **base)
    boundary = 0.0 if claim.kind == "better" else -claim.margin
    low, high = stats.t_interval(pairs.d)
    verdict = _decide(pairs.d, low, high, boundary)
    p, _ = test_p(pairs.d, boundary)
    fragile, p_loo = fragility(pairs.d, verdict, boundary)
    size, on_cells = _paper_cells(claim, runs)
    return Verdict(verdict=verdict, low=low, high=high, p=p, fragile=fragile, loo_flip=fragile, p_loo=p_loo,
                   seeds_needed=stats.seeds_needed(pairs.d, boundary) if verdict == "inconclusive" else None,
                   size=size if on_cells else size_against_paper(claim.paper_diff, low, high),
                   paper_cells=on_cells, **base)


def differences(claim: Claim, runs: pd.DataFrame) -> pd.Series:
    """The paired differences :func:`judge` decides a comparison claim (``better``, ``not_worse``) on: one per
    pairing key (a replicate), indexed by it, in scaled units, positive favouring A; a pooled claim's are averaged
    over the cells rule 3 keeps. Their mean is the verdict's ``diff`` and their count its ``n``. Empty for the other
    kinds, an untestable claim, or runs without a side or a column the claim reads."""
    empty = pd.Series(dtype=float, name="difference")
    if (claim.untestable or claim.kind not in ("better", "not_worse") or _missing_columns(claim, runs)
            or select(runs, claim.a).empty or select(runs, claim.b).empty):
        return empty
    if claim.pool:
        a_name, b_name = contrast(claim.a, claim.b)
        runs, _, _ = _drop_degenerate_cells(claim, runs, claim.a, claim.b, a_name, b_name,
                                            chance_column(claim, runs))
    pairs = _Pairs(claim, claim.a, claim.b, runs)
    return empty if pairs.undefined else pairs.series


def _judge_close(claim: Claim, runs: pd.DataFrame, profile: str, chance: str | None) -> Verdict:
    """A one-sided claim about A alone: "close" (A within ``margin`` of ``value``) or "above" (A beyond it)."""
    if select(runs, claim.a).empty:
        return _untestable(claim, f"no runs of {label(claim.a)} were made", profile)
    dropped, n_cells = [], 0
    if claim.pool:
        runs, dropped, n_cells = _drop_degenerate_cells(claim, runs, claim.a, None, label(claim.a), "", chance)
        if len(dropped) * 2 > n_cells:
            return Verdict(claim=claim, verdict="not testable", profile=profile, dropped_cells="; ".join(dropped),
                           reason=f"{len(dropped)} of {n_cells} cells are degenerate, too few informative cells "
                                  f"remain to pool ({'; '.join(dropped)})")
    rows = select(runs, claim.a)
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
                cells=cells, dropped_cells="; ".join(dropped))
    why = "" if claim.pool else _uninformative(claim, rows, None, label(claim.a), "", chance)  # cells checked
    if why:
        return Verdict(verdict="not testable", reason=why, **base)
    if stats.zero_spread(d):
        return Verdict(verdict="not testable",
                       reason=f"degenerate: every run scores {values.iloc[0]:.{claim.decimals}f}"
                       f" (zero spread), so no interval can be formed", **base)
    # close: within [-margin, +margin] of the value; above: beyond the value (one-sided)
    bounds = (0.0, None) if claim.kind == "above" else (-claim.margin, claim.margin)
    low, high = stats.t_interval(d)
    p, _ = test_p(d, *bounds)
    verdict = _decide(d, low, high, *bounds)
    fragile, p_loo = fragility(d, verdict, *bounds)
    return Verdict(verdict=verdict, low=low, high=high, p=p, fragile=fragile, loo_flip=fragile, p_loo=p_loo,
                   size=size_against_paper(claim.paper_diff, low, high), **base)


def _judge_ranking(claim: Claim, runs: pd.DataFrame, profile: str, chance: str | None) -> Verdict:
    steps = []
    for upper, lower in itertools.pairwise(claim.order):
        pairs = _Pairs(claim, upper, lower, runs)
        if pairs.n == 0:
            return _untestable(claim, f"no paired runs of {label(upper)} and {label(lower)}", profile)
        reason = _degenerate(claim, pairs, label(upper), label(lower), chance)
        if reason:
            return _untestable(claim, f"{label(upper)} over {label(lower)}: {reason}", profile)
        low, high = stats.t_interval(pairs.d)
        steps.append((_decide(pairs.d, low, high, 0.0), pairs, low, high, upper, lower))
    verdicts = [s[0] for s in steps]
    verdict = ("contradicted" if "contradicted" in verdicts else
               "supported" if all(v == "supported" for v in verdicts) else "inconclusive")
    fragile = verdict != "inconclusive" and any(fragility(s[1].d, s[0], 0.0)[0] for s in steps
                                                if s[0] in ("supported", "contradicted"))
    _, pairs, low, high, upper, lower = min(steps, key=lambda s: (s[2] if not math.isnan(s[2]) else -math.inf))
    sides = [(label(s[4]), s[1].a_rows) for s in steps] + [(label(steps[-1][5]), steps[-1][1].b_rows)]
    p, _ = test_p(pairs.d, 0.0)
    return Verdict(claim=claim, verdict=verdict, n=pairs.n, n_dropped=pairs.n_dropped, diff=float(pairs.d.mean()),
                   low=low, high=high, p=p, seeds_needed=stats.seeds_needed(pairs.d) if verdict == "inconclusive"
                   else None, constant=_constant_note(sides), reason=f"{label(upper)} over {label(lower)}",
                   profile=profile, fragile=fragile, loo_flip=fragile,
                   p_loo=fragility(pairs.d, _decide(pairs.d, low, high, 0.0), 0.0)[1])


def family_of(verdict_profile: str, paper: str) -> tuple[str, str]:
    """The Benjamini-Hochberg family a primary claim belongs to: its paper under the profile its runs used (the
    committed paper-scale runs form a family of their own beside the profile's)."""
    return paper, verdict_profile


def bh_family(p: Sequence[float], p_loo: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """(q, q_loo) of one family: q the Benjamini-Hochberg adjusted (m,) ``p``; q_loo[i] the adjusted p of member i
    when its p is replaced by its leave-one-out ``p_loo[i]`` (NaN taken as p itself; values above 1 as 1)."""
    p = np.asarray(p, dtype=float)
    q = stats.bh_adjust(p)
    q_loo = np.full(len(p), np.nan)
    for i, alt in enumerate(np.asarray(p_loo, dtype=float)):
        if math.isnan(alt):
            q_loo[i] = q[i]
            continue
        moved = p.copy()
        moved[i] = min(1.0, max(alt, p[i]))
        q_loo[i] = stats.bh_adjust(moved)[i]
    return q, q_loo


def family_digest(members: Iterable[tuple[str, str, float]]) -> str:
    """A stable digest of a family's members ((chapter, claim id, p) each): what a page's adjusted p rests on."""
    import hashlib
    import json

    text = json.dumps(sorted((str(c), str(i), round(float(p), 12)) for c, i, p in members))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def adjust(verdicts: Sequence[Verdict], siblings: Sequence[tuple[str, str, str, str, float, float]] = ()
           ) -> list[Verdict]:
    """The verdicts with each paper's primary claims decided by Benjamini-Hochberg (rule 7): p_adj set, family the
    number of primary claims with a p in that paper's family (:func:`family_of`), and the verdict
    ``supported``/``contradicted`` only when p_adj < :data:`ALPHA` in the direction of the interval
    (``inconclusive`` otherwise); a decided one is also fragile when its leave-one-out p would lift p_adj to ALPHA
    or above. ``siblings``: the family's members judged elsewhere (other notebooks of the paper), as (paper,
    profile, chapter, claim id, p, p_loo); they count towards the family but are not returned. Other verdicts
    unchanged. ``family_key`` records the members (:func:`family_digest`)."""
    out = list(verdicts)
    fams: dict[tuple[str, str], list] = {}
    for i, v in enumerate(out):
        if v.claim.primary and not math.isnan(v.p):
            fams.setdefault(family_of(v.profile, v.claim.paper), []).append(("own", i, v.claim.chapter, v.claim.id,
                                                                              v.p, v.p_loo))
    own_ids = {(v.claim.chapter, v.claim.id) for v in out}
    for paper, profile, chapter, cid, p, p_loo in siblings:
        key = family_of(profile, paper)
        if key in fams and (chapter, cid) not in own_ids and not math.isnan(p):
            fams[key].append(("sibling", None, chapter, cid, p, p_loo))
    for members in fams.values():
        q, q_loo = bh_family([m[4] for m in members], [m[5] for m in members])
        key = family_digest((m[2], m[3], m[4]) for m in members)
        for (kind, i, *_), qi, qli in zip(members, q, q_loo):
            if kind != "own":
                continue
            v = out[i]
            raw = v.raw or v.verdict
            decided = raw in ("supported", "contradicted") and qi < ALPHA
            verdict = raw if decided else "inconclusive"
            fragile = decided and (v.loo_flip or qli >= ALPHA)
            out[i] = replace(v, p_adj=float(qi), family=len(members), verdict=verdict, raw=raw, fragile=fragile,
                             family_key=key, seeds_needed=v.seeds_needed if verdict == "inconclusive" else None)
    return out


def judge_all(claims: Iterable[Claim], runs: pd.DataFrame, profile: str = "") -> list[Verdict]:
    """:func:`judge` for every claim, in order, then :func:`adjust` over the primary claims among them."""
    return adjust([judge(c, runs, profile=profile) for c in claims])


def expected_false(n_decided: int, alpha: float = ALPHA) -> float:
    """The number of false discoveries to expect, at most, among ``n_decided`` claims decided (supported or
    contradicted) under Benjamini-Hochberg at false discovery rate ``alpha``."""
    return alpha * n_decided
