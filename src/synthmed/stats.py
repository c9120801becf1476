"""The book's statistics, in one place: the t interval of a mean, one-sided t tests against a boundary, the seeds a
comparison would need, and Benjamini-Hochberg adjustment. Everything calls ``scipy.stats``; nothing here knows
about claims or plots (``synthmed.claims`` and ``synthmed.display`` both use it).

With the 3-10 seeds a CPU profile affords, a bootstrap over seeds has only a handful of distinct resamples and its
percentile interval under-covers; Student's t is exact for normal differences and conservative enough for small n.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

LEVEL = 0.95


def clean(values: Sequence[float]) -> np.ndarray:
    """(n,) float array of ``values`` without NaN."""
    v = np.asarray(values, dtype=float).ravel()
    return v[~np.isnan(v)]


def t_interval(values: Sequence[float], level: float = LEVEL) -> tuple[float, float]:
    """Two-sided Student-t interval (low, high) of the mean of (n,) ``values`` (NaN ignored).

    Fewer than two values: (nan, nan), there is no interval. No spread: (mean, mean), a zero-width interval; a
    caller that decides something from it must treat it as degenerate (``synthmed.claims`` does)."""
    v = clean(values)
    if len(v) < 2:
        return math.nan, math.nan
    m = float(v.mean())
    sem = float(v.std(ddof=1)) / math.sqrt(len(v))
    if sem == 0:
        return m, m
    half = float(stats.t.ppf(0.5 + level / 2, df=len(v) - 1)) * sem
    return m - half, m + half


def zero_spread(values: Sequence[float], tol: float = 1e-12) -> bool:
    """True when at least two values are present and all are equal (to ``tol``)."""
    v = clean(values)
    return len(v) >= 2 and float(np.ptp(v)) <= tol


def one_sided_p(values: Sequence[float], boundary: float, greater: bool) -> float:
    """p of the one-sample t test of H1: mean > boundary (``greater``) or mean < boundary; NaN for n < 2 or no
    spread (``scipy.stats.ttest_1samp``)."""
    v = clean(values)
    if len(v) < 2 or zero_spread(v):
        return math.nan
    return float(stats.ttest_1samp(v, boundary, alternative="greater" if greater else "less").pvalue)


def seeds_needed(values: Sequence[float], boundary: float = 0.0, level: float = LEVEL,
                 cap: int = 10_000) -> int | None:
    """The smallest n whose t interval, with the observed mean and spread of (n,) ``values``, would exclude
    ``boundary``; None when the mean sits on the boundary or more than ``cap`` would be needed."""
    d = clean(values)
    if len(d) < 2:
        return None
    gap, sd = abs(float(np.mean(d)) - boundary), float(np.std(d, ddof=1))
    if gap == 0 or sd == 0:
        return None
    for n in itertools.chain(range(2, 200), range(200, cap + 1, 10)):
        if float(stats.t.ppf(0.5 + level / 2, df=n - 1)) * sd / math.sqrt(n) < gap:
            return max(n, len(d) + 1)
    return None


def bh_adjust(pvalues: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (``scipy.stats.false_discovery_control``) of (m,) p-values; NaN
    entries stay NaN and do not count towards m."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = stats.false_discovery_control(p[ok], method="bh")
    return out


def lower_bound(values: Sequence[float], level: float = LEVEL) -> float:
    """One-sided lower confidence bound of the mean of (n,) ``values`` (NaN ignored): mean - t_{level, n-1} * sd /
    sqrt(n). One value, or no spread: the mean itself (there is nothing to widen it by). None left: NaN."""
    v = clean(values)
    if not len(v):
        return math.nan
    m = float(v.mean())
    if len(v) < 2:
        return m
    sd = float(v.std(ddof=1))
    return m - float(stats.t.ppf(level, df=len(v) - 1)) * sd / math.sqrt(len(v)) if sd > 0 else m
