"""synthmed.claims: the four changes to the engine that once passed every test (issue 31).

Each test fails on one plausible mistake in ``claims/judge.py``: deciding a primary claim on its raw p instead of
the Benjamini-Hochberg adjusted q; ``>`` for ``>=`` at exactly half constant predictors; ``max`` for ``mean`` over
repeats within a pairing key; "the interval overlaps the margin" for "lies inside it" in an equivalence claim.
The inputs are small enough to be worked by hand; the numbers are in the comments. With three pairs the Student-t
distribution has df = 2, whose tail has a closed form: P(T > t) = 1/2 - t / (2 sqrt(t^2 + 2)), and t(0.975, 2) =
4.3027. Only the public API (``synthmed.claims``) and frames built here are used.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest
from scipy import stats

from synthmed import claims

T975_DF2 = 4.302652729911275  # t(0.975, df=2)


def _df2_one_sided(t: float) -> float:
    """P(T > t) for Student's t with 2 degrees of freedom."""
    return 0.5 - t / (2 * math.sqrt(t * t + 2))


def _pairs(method_a: str, method_b: str, a: list[float], b: list[float], **extra) -> list[dict]:
    rows = [{"method": method_a, "seed": s, "acc": v, "constant": False, **extra} for s, v in enumerate(a)]
    rows += [{"method": method_b, "seed": s, "acc": v, "constant": False, **extra} for s, v in enumerate(b)]
    return rows


# --- (a) a primary claim is decided by its adjusted q, not its raw p ----------------------------------------------

def _primary(i: int) -> claims.Claim:
    return claims.Claim(f"p{i}", "TSynD", "Table 1", f"A{i} beats B{i}", "acc", "better", a={"method": f"A{i}"},
                        b={"method": f"B{i}"}, scale=100, primary=True)


def _family() -> tuple[list[claims.Claim], pd.DataFrame]:
    """Three primary claims of one paper, three seeds each; paired differences (x 100):

    - claim 0: d = [2, 3, 4]: mean 3, sd 1, sem 1/sqrt(3), t = 3 sqrt(3) = sqrt(27); one-sided p =
      1/2 - sqrt(27)/(2 sqrt(29)), so p = 1 - sqrt(27/29) = 0.035099 < 0.05; interval 3 -+ 4.3027/sqrt(3) =
      [0.516, 5.484]: supported on its own.
    - claim 1: d = [-1, 0, 1]: mean 0, t = 0, both one-sided p = 1/2, p = min(1, 2 * 1/2) = 1.
    - claim 2: d = [10, 11, 12]: t = 11 sqrt(3) = sqrt(363), p = 1 - sqrt(363/365) = 0.0027435.

    Benjamini-Hochberg over m = 3 (p sorted: 0.0027435, 0.035099, 1): q(claim 2) = min(3 * 0.0027435,
    3/2 * 0.035099, 1) = 0.0082305; q(claim 0) = min(3/2 * 0.035099, 1) = 0.052649 >= 0.05; q(claim 1) = 1.
    So claim 0 has p < 0.05 <= q: inconclusive after the adjustment, though its raw interval supports it.
    """
    base = [0.70, 0.70, 0.70]
    rows = (_pairs("A0", "B0", [0.72, 0.73, 0.74], base) + _pairs("A1", "B1", [0.69, 0.70, 0.71], base)
            + _pairs("A2", "B2", [0.80, 0.81, 0.82], base))
    return [_primary(i) for i in range(3)], pd.DataFrame(rows)


P0 = 1 - math.sqrt(27 / 29)  # 0.035099
P2 = 1 - math.sqrt(363 / 365)  # 0.0027435


def test_the_hand_worked_p_values_are_the_engines():
    specs, runs = _family()
    raw = [claims.judge(c, runs) for c in specs]
    assert P0 == pytest.approx(2 * _df2_one_sided(math.sqrt(27)))
    assert [v.p for v in raw] == pytest.approx([P0, 1.0, P2], rel=1e-6)
    assert (raw[0].low, raw[0].high) == pytest.approx((3 - T975_DF2 / math.sqrt(3), 3 + T975_DF2 / math.sqrt(3)),
                                                      rel=1e-6)
    assert [v.verdict for v in raw] == ["supported", "inconclusive", "supported"]


@pytest.mark.parametrize("how", ["judge_all", "adjust"])
def test_a_primary_claim_with_p_below_alpha_but_q_above_is_inconclusive(how):
    specs, runs = _family()
    if how == "judge_all":
        out = claims.judge_all(specs, runs)
    else:
        out = claims.adjust([claims.judge(c, runs) for c in specs])
    q0, q2 = 1.5 * P0, 3 * P2  # 0.052649, 0.0082305 (see _family)
    assert [v.p_adj for v in out] == pytest.approx([q0, 1.0, q2], rel=1e-6)
    assert out[0].p < claims.ALPHA <= out[0].p_adj
    # decided by q: inconclusive; its own interval (raw) would have supported it
    assert out[0].verdict == "inconclusive" and out[0].raw == "supported" and out[0].low > 0
    assert out[0].label() == "inconclusive"
    assert "the adjustment for the paper's other claims does not" in out[0].sentence()
    assert (out[1].verdict, out[1].raw) == ("inconclusive", "inconclusive")
    assert (out[2].verdict, out[2].raw) == ("supported", "supported") and out[2].seeds_needed is None
    assert [v.family for v in out] == [3, 3, 3]
    # adjusting twice changes nothing: the decision is still the raw verdict's, gated by q
    again = claims.adjust(out)
    assert [(v.verdict, v.raw) for v in again] == [(v.verdict, v.raw) for v in out]


def test_the_scorecard_decides_the_same_primary_claim_by_q():
    specs, runs = _family()
    frame = claims.adjust_frame(claims.verdict_frame([claims.judge(c, runs) for c in specs]))
    assert list(frame["verdict"]) == ["inconclusive", "inconclusive", "supported"]
    assert list(frame["raw"]) == ["supported", "inconclusive", "supported"]
    assert frame.loc[0, "p_adj"] == pytest.approx(1.5 * P0, rel=1e-6)


def test_a_contradicted_primary_claim_with_q_above_alpha_is_inconclusive_too():
    # claim 0 mirrored (d = [-2, -3, -4], p = 0.035099, q = 0.052649): contradicted alone, inconclusive adjusted
    specs, runs = _family()
    runs.loc[runs["method"] == "A0", "acc"] = [0.68, 0.67, 0.66]
    out = claims.judge_all(specs, runs)
    assert out[0].raw == "contradicted" and out[0].high < 0
    assert out[0].p_adj == pytest.approx(1.5 * P0, rel=1e-6) and out[0].verdict == "inconclusive"


def test_primary_claims_of_another_paper_are_a_family_of_their_own():
    # claim 0 alone in its paper's family: q = p = 0.035099 < 0.05, supported; the other two stay a family of 2
    specs, runs = _family()
    specs[0] = claims.Claim("p0", "Class imbalance", "Table 1", "A0 beats B0", "acc", "better",
                            a={"method": "A0"}, b={"method": "B0"}, scale=100, primary=True)
    out = claims.judge_all(specs, runs)
    assert out[0].family == 1 and out[0].p_adj == pytest.approx(P0, rel=1e-6) and out[0].verdict == "supported"
    # BH over {1, 0.0027435}: q = min(2 * 0.0027435, 1) = 0.005487 and 1
    assert [v.family for v in out[1:]] == [2, 2]
    assert [v.p_adj for v in out[1:]] == pytest.approx([1.0, 2 * P2], rel=1e-6)


# --- (b) exactly half of a side's runs constant on a threshold metric: not testable -------------------------------

def _half_constant(constant_a: set[int], constant_b: set[int] = frozenset()) -> pd.DataFrame:
    # A - B per seed: [0.10, 0.13, 0.13, 0.13] (a clear gain: supported if the comparison were not degenerate)
    rows = _pairs("A", "B", [0.80, 0.84, 0.82, 0.85], [0.70, 0.71, 0.69, 0.72])
    for r in rows:
        r["constant"] = r["seed"] in (constant_a if r["method"] == "A" else constant_b)
    return pd.DataFrame(rows)


def _better(**kw) -> claims.Claim:
    return claims.Claim("c", "TSynD", "Table 1", "A beats B", "acc", "better", a={"method": "A"},
                        b={"method": "B"}, **kw)


def test_exactly_half_constant_is_not_testable():
    # 2/4 = 0.5 = CONSTANT_SHARE: "at least half", so degenerate
    v = claims.judge(_better(), _half_constant({0, 1}))
    assert v.verdict == "not testable" and v.constant == "A 2/4 runs"
    assert v.reason == "degenerate: A is a constant predictor in 2/4 runs, and acc depends on the threshold"
    # one fewer (1/4) decides; the same comparison on B's side (2/4) does not
    assert claims.judge(_better(), _half_constant({0})).verdict == "supported"
    b_half = claims.judge(_better(), _half_constant(set(), {2, 3}))
    assert b_half.verdict == "not testable" and "B is a constant predictor in 2/4 runs" in b_half.reason
    both = claims.judge(_better(), _half_constant({1, 3}, {0, 2}))
    assert both.verdict == "not testable" and "both sides" in both.reason and both.reason.count("2/4") == 2
    # a threshold-free metric is not made degenerate by constant predictors
    assert claims.judge(_better(threshold=False), _half_constant({0, 1}, {0, 1})).verdict == "supported"


def test_exactly_half_constant_makes_an_equivalence_claim_not_testable():
    # A (x 100) = [80, 84, 82, 85] against 82 +- 5: d = [-2, 2, 0, 3], interval inside the margin when decided
    close = claims.Claim("e", "TSynD", "Sec. 4.2", "A near 82", "acc", "close", a={"method": "A"}, value=82.0,
                         margin=5.0, scale=100)
    assert claims.judge(close, _half_constant({0})).verdict != "not testable"
    v = claims.judge(close, _half_constant({0, 1}))
    assert v.verdict == "not testable" and "A is a constant predictor in 2/4 runs" in v.reason


def test_a_ranking_step_with_half_constant_is_not_testable():
    rows = _pairs("A", "B", [0.80, 0.84, 0.82, 0.85], [0.70, 0.71, 0.69, 0.72])
    rows += [{"method": "C", "seed": s, "acc": v, "constant": s < 2} for s, v in enumerate([0.6, 0.62, 0.59, 0.6])]
    rank = claims.Claim("r", "TSynD", "Table 1", "A > B > C", "acc", "ranking",
                        order=({"method": "A"}, {"method": "B"}, {"method": "C"}))
    v = claims.judge(rank, pd.DataFrame(rows))
    assert v.verdict == "not testable" and v.reason.startswith("B over C: degenerate: C is a constant predictor in 2/4")


# --- (c) repeats within a seed are averaged (a key is one replication) --------------------------------------------

def _repeats() -> pd.DataFrame:
    """A has three backbones per seed, B two; their values differ within a seed.

    A: seed 0 (0.80, 0.83, 0.92) -> mean 0.85 (max 0.92, median 0.83); seed 1 (0.81, 0.84, 0.87) -> 0.84;
       seed 2 (0.78, 0.86, 0.94) -> 0.86.
    B: seed 0 (0.70, 0.74) -> 0.72; seed 1 (0.68, 0.74) -> 0.71; seed 2 (0.69, 0.75) -> 0.72.
    Paired differences x 100: [85 - 72, 84 - 71, 86 - 72] = [13, 13, 14], mean 40/3 = 13.333 over n = 3 keys.
    (max within a seed would give [92 - 74, 87 - 74, 94 - 75] = [18, 13, 19]; min [10, 13, 9].)
    """
    a = {0: (0.80, 0.83, 0.92), 1: (0.81, 0.84, 0.87), 2: (0.78, 0.86, 0.94)}
    b = {0: (0.70, 0.74), 1: (0.68, 0.74), 2: (0.69, 0.75)}
    rows = [{"method": m, "seed": s, "backbone": f"bb{j}", "acc": v, "constant": False}
            for m, table in (("A", a), ("B", b)) for s, vals in table.items() for j, v in enumerate(vals)]
    return pd.DataFrame(rows)


def test_repeats_within_a_seed_are_averaged_before_pairing():
    v = claims.judge(_better(scale=100), _repeats())
    d = [13.0, 13.0, 14.0]
    assert (v.n, v.n_dropped) == (3, 0)
    assert v.diff == pytest.approx(40 / 3)
    assert (v.mean_a, v.mean_b) == pytest.approx((85.0, 215 / 3))  # (85 + 84 + 86) / 3, (72 + 71 + 72) / 3
    low, high = stats.t.interval(0.95, 2, loc=40 / 3, scale=stats.sem(d))
    assert (v.low, v.high) == pytest.approx((low, high))
    assert v.p == pytest.approx(2 * stats.ttest_1samp(d, 0, alternative="greater").pvalue)


def test_repeats_within_a_seed_are_averaged_in_a_pooled_claim():
    # the same runs in two cells; cell y adds 0.01 to every A run: per seed ([13, 13, 14] + [14, 14, 15]) / 2
    grid = _repeats()
    y = grid.assign(dataset="y")
    y.loc[y["method"] == "A", "acc"] += 0.01
    runs = pd.concat([grid.assign(dataset="x"), y], ignore_index=True)
    pooled = claims.Claim("p", "TSynD", "Sec. 4.1", "A beats B everywhere", "acc", "better", a={"method": "A"},
                          b={"method": "B"}, pool=("dataset",), scale=100)
    v = claims.judge(pooled, runs)
    assert (v.n, v.cells) == (3, 2)
    assert v.diff == pytest.approx((13.5 + 13.5 + 14.5) / 3)
    assert v.mean_a == pytest.approx(85.5)  # (85.5 + 84.5 + 86.5) / 3


def test_repeats_within_a_seed_are_averaged_in_an_equivalence_claim():
    # A's seed means x 100: [85, 84, 86] against 85 +- 3: d = [0, -1, 1], mean 0
    close = claims.Claim("e", "TSynD", "Sec. 4.2", "A near 85", "acc", "close", a={"method": "A"}, value=85.0,
                         margin=3.0, scale=100)
    v = claims.judge(close, _repeats())
    assert v.n == 3 and v.diff == pytest.approx(0.0, abs=1e-9) and v.mean_a == pytest.approx(85.0)
    # interval 0 -+ 4.3027 * 1/sqrt(3) = [-2.484, +2.484]: inside +-3
    assert (v.low, v.high) == pytest.approx((-T975_DF2 / math.sqrt(3), T975_DF2 / math.sqrt(3)), rel=1e-6)
    assert v.verdict == "supported"


# --- (d) an equivalence claim is supported only when its interval lies inside the margin ---------------------------

def _close(margin: float = 2.0) -> claims.Claim:
    return claims.Claim("e", "TSynD", "Sec. 4.2", "A near 70", "acc", "close", a={"method": "A"}, value=70.0,
                        margin=margin, scale=100)


def _scores(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame([{"method": "A", "seed": s, "acc": v, "constant": False} for s, v in enumerate(values)])


def test_an_interval_overlapping_the_margin_without_lying_inside_is_not_supported():
    # A x 100 = [71, 72, 73]: d = [1, 2, 3], mean 2, sem 1/sqrt(3); interval 2 -+ 2.484 = [-0.484, +4.484]:
    # it overlaps [-2, +2] but reaches past +2, so inconclusive (neither inside nor wholly outside)
    v = claims.judge(_close(), _scores([0.71, 0.72, 0.73]))
    assert (v.low, v.high) == pytest.approx((2 - T975_DF2 / math.sqrt(3), 2 + T975_DF2 / math.sqrt(3)), rel=1e-6)
    assert -2 < v.low < 2 < v.high
    assert v.verdict == "inconclusive"
    # TOST: p_for = max(P(mean > -2), P(mean < +2)) = max(~0.01, 1/2) = 1/2 (t = 0 against +2), p = 1
    assert v.p == pytest.approx(1.0)


def test_an_interval_overlapping_the_lower_margin_is_not_supported_either():
    # d = [-3, -2, -1]: interval [-4.484, +0.484] overlaps [-2, +2] from below
    v = claims.judge(_close(), _scores([0.67, 0.68, 0.69]))
    assert v.low < -2 < v.high < 2 and v.verdict == "inconclusive"


def test_an_interval_inside_the_margin_is_supported():
    # A x 100 = [69.5, 70, 70.5]: d = [-0.5, 0, 0.5], mean 0, sd 0.5, sem 0.5/sqrt(3) = 0.2887;
    # interval 0 -+ 4.3027 * 0.2887 = [-1.242, +1.242], inside [-2, +2]
    v = claims.judge(_close(), _scores([0.695, 0.70, 0.705]))
    half = T975_DF2 * 0.5 / math.sqrt(3)
    assert (v.low, v.high) == pytest.approx((-half, half), rel=1e-6)
    assert v.verdict == "supported"
    # TOST: t = 2 / 0.2887 = sqrt(48) against either bound, one-sided p = 1/2 - sqrt(48)/(2 sqrt(50)),
    # p = 1 - sqrt(48/50) = 0.020204 < 0.05, in agreement with the interval
    assert v.p == pytest.approx(1 - math.sqrt(48 / 50), rel=1e-6)
    # the same runs with a margin the interval exceeds on both sides (1.0 < 1.242): inconclusive
    assert claims.judge(_close(margin=1.0), _scores([0.695, 0.70, 0.705])).verdict == "inconclusive"


def test_an_interval_wholly_outside_the_margin_is_contradicted():
    # A x 100 = [75, 76, 77]: d = [5, 6, 7], interval [3.516, 8.484], entirely above +2
    v = claims.judge(_close(), _scores([0.75, 0.76, 0.77]))
    assert v.low > 2 and v.verdict == "contradicted"


# --- other changes the mutation run (scripts/mutate_claims.sh) found unnoticed ------------------------------------

def _ab(a: list[float], b: list[float], **extra) -> pd.DataFrame:
    return pd.DataFrame(_pairs("A", "B", a, b, **extra))


GAIN = ([0.80, 0.84, 0.82, 0.85], [0.70, 0.71, 0.69, 0.72])  # A - B x 100 = [10, 13, 13, 13]: supported


def _pooled_runs(degenerate_cells: int) -> pd.DataFrame:
    """Three cells of GAIN; the first ``degenerate_cells`` have A constant in every run."""
    frames = []
    for c in range(3):
        f = _ab(*GAIN).assign(cell=f"c{c}")
        f.loc[f["method"] == "A", "constant"] = c < degenerate_cells
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def _scenarios() -> list[tuple[str, claims.Claim, pd.DataFrame, str, str]]:
    """(id, claim, runs, expected verdict, a phrase of the reason) covering each way to a verdict."""
    better, gain = _better(scale=100), _ab(*GAIN)
    close = claims.Claim("e", "TSynD", "Sec. 4.2", "A near 82", "acc", "close", a={"method": "A"}, value=82.0,
                         margin=5.0, scale=100)
    rank = claims.Claim("r", "TSynD", "Table 1", "A > B", "acc", "ranking", order=({"method": "A"}, {"method": "B"}))
    pooled = claims.Claim("p", "TSynD", "Sec. 4.1", "A beats B", "acc", "better", a={"method": "A"},
                          b={"method": "B"}, pool=("cell",), scale=100)
    pooled_close = claims.Claim("pe", "TSynD", "Sec. 4.2", "A near 82", "acc", "close", a={"method": "A"},
                                value=82.0, margin=5.0, scale=100, pool=("cell",))
    other = gain.assign(seed=gain["seed"] + 10 * (gain["method"] == "B"))
    return [
        ("untestable", _better(untestable="no such data here"), gain, "not testable", "no such data here"),
        ("no column", replace(better, metric="auc"), gain, "not testable", "the runs have no column auc"),
        ("no runs of B", better, gain[gain["method"] == "A"], "not testable", "no runs of B were made"),
        ("undefined", better, gain.assign(acc=float("nan")), "not testable", "undefined"),
        ("no shared seed", better, other, "not testable", "no runs of A and B share a seed"),
        ("zero spread", better, _ab([0.8, 0.9, 0.7], [0.7, 0.8, 0.6]), "not testable", "zero spread"),
        ("constant", better, _half_constant({0, 1, 2}), "not testable", "A is a constant predictor in 3/4"),
        ("pooled, cells degenerate", pooled, _pooled_runs(2), "not testable", "2 of 3 cells are degenerate"),
        ("pooled", pooled, _pooled_runs(0), "supported", ""),
        ("better", better, gain, "supported", ""),
        ("close, no runs", close, gain[gain["method"] == "B"], "not testable", "no runs of A were made"),
        ("close, undefined", close, gain.assign(acc=float("nan")), "not testable", "undefined"),
        ("close, zero spread", close, _ab([0.82] * 3, [0.7] * 3), "not testable", "every run scores 82.0"),
        ("close, cells degenerate", pooled_close, _pooled_runs(2), "not testable", "2 of 3 cells are degenerate"),
        ("close", close, gain, "supported", ""),
        ("ranking, no pairs", rank, other, "not testable", "no paired runs of A and B"),
        ("ranking, constant", rank, _half_constant({0, 1}), "not testable", "A over B: degenerate"),
        ("ranking", rank, gain, "supported", "A over B"),
    ]


@pytest.mark.parametrize("case", _scenarios(), ids=lambda c: c[0])
def test_every_verdict_keeps_its_claim_profile_and_reason(case):
    _, claim, runs, verdict, reason = case
    v = claims.judge(claim, runs, profile="quick")
    assert v.verdict == verdict and v.claim is claim and v.profile == "quick"
    assert reason in v.reason and (v.reason or verdict != "not testable")
    assert "`quick` profile" not in v.sentence() or v.verdict == "inconclusive"
    (w,) = claims.judge_all([claim], runs, profile="quick")
    assert (w.verdict, w.profile, w.reason) == (v.verdict, "quick", v.reason)


def test_a_selector_matches_every_one_of_its_columns():
    # (claims.select is the module synthmed.claims.select, which shadows the function: the selection is checked
    # through judge) A on dataset x: [0.80, 0.84, 0.82, 0.85]; the same method on dataset y, and at fraction 0.1,
    # scores 0.10 lower: only the rows matching every column of the selector may count
    def grid(dataset: str, fraction: float, shift: float) -> pd.DataFrame:
        return _ab([v - shift for v in GAIN[0]], GAIN[1]).assign(dataset=dataset, fraction=fraction)

    runs = pd.concat([grid("x", 0.3, 0.0), grid("y", 0.3, 0.1), grid("x", 0.1, 0.1)], ignore_index=True)
    claim = claims.Claim("s", "TSynD", "Table 1", "A beats B on x", "acc", "better", scale=100,
                         a={"dataset": "x", "fraction": 0.1 + 0.2, "method": "A"},
                         b={"dataset": "x", "fraction": 0.3, "method": "B"})
    v = claims.judge(claim, runs)
    assert v.n == 4 and v.diff == pytest.approx(12.25) and v.mean_a == pytest.approx(82.75)  # (10+13+13+13)/4
    assert claims.label({"method": "A", "fraction": 0.1 + 0.2}) == "A, 0.3" and claims.label({}) == "all runs"
    assert claims.contrast({"method": "A"}, None) == ("A", "")
    assert claims.contrast({"d": "x", "method": "A"}, {"d": "x", "method": "B"}) == ("A", "B")
    assert claims.contrast({"method": "A"}, {"method": "A"}) == ("A", "A")


def test_runs_without_a_constant_column_are_never_degenerate_and_missing_flags_are_not_constant():
    # two seeds: A - B x 100 = [10, 10.5], interval 10.25 -+ 12.706 * 0.25 = [7.07, 13.43]: supported
    runs = _ab([0.80, 0.815], [0.70, 0.71]).drop(columns="constant")
    assert claims.judge(_better(scale=100), runs).verdict == "supported"
    flagged = _half_constant({0})
    flagged["constant"] = flagged["constant"].astype(object)
    flagged.loc[(flagged["method"] == "A") & (flagged["seed"] > 0), "constant"] = None  # unknown: not constant
    v = claims.judge(_better(), flagged)
    assert v.verdict == "supported" and v.constant == "A 1/4 runs"


def test_an_unpooled_claim_is_one_cell_and_a_pooled_claim_means_both_sides():
    assert claims.judge(_better(), _ab(*GAIN)).cells == 1
    close = claims.Claim("e", "TSynD", "Sec. 4.2", "A near 82", "acc", "close", a={"method": "A"}, value=82.0,
                         margin=5.0, scale=100)
    assert claims.judge(close, _ab(*GAIN)).cells == 1
    pooled = claims.Claim("p", "TSynD", "Sec. 4.1", "A beats B", "acc", "better", a={"method": "A"},
                          b={"method": "B"}, pool=("cell",), scale=100)
    v = claims.judge(pooled, _pooled_runs(0))
    # every cell holds GAIN: A means 82.75, B means 70.5 x 100
    assert v.cells == 3 and (v.mean_a, v.mean_b) == pytest.approx((82.75, 70.5))


def test_one_pair_with_identical_arms_is_not_testable():
    runs = _ab([0.80], [0.70]).assign(arm="e1")
    v = claims.judge(_better(), runs)
    assert v.verdict == "not testable" and "identical arms" in v.reason


def test_an_equivalence_claim_contradicted_on_either_side_has_the_outward_p():
    # above: d = [5, 6, 7] against +-2: t = (6 - 2) / (1/sqrt(3)) = sqrt(48), p = 1 - sqrt(48/50) = 0.020204
    above = claims.judge(_close(), _scores([0.75, 0.76, 0.77]))
    # below: d = [-7, -6, -5]: the same distance to -2
    below = claims.judge(_close(), _scores([0.63, 0.64, 0.65]))
    assert (above.verdict, below.verdict) == ("contradicted", "contradicted")
    assert (above.p, below.p) == pytest.approx((1 - math.sqrt(48 / 50), 1 - math.sqrt(48 / 50)), rel=1e-6)
    assert claims.test_p([5.0, 6.0, 7.0], -2.0, 2.0)[1] == "against"
    # a tie (t = 0 both ways: p_for = p_against = 1/2) counts for the claim
    assert claims.test_p([-1.0, 0.0, 1.0], 0.0) == (1.0, "for")


def test_the_papers_size_at_the_bounds_of_our_interval_fits():
    fits, smaller, larger = claims.SIZES
    assert claims.size_against_paper(2.0, 2.0, 5.0) == fits
    assert claims.size_against_paper(5.0, 2.0, 5.0) == fits
    assert claims.size_against_paper(5.5, 2.0, 5.0) == smaller
    assert claims.size_against_paper(1.5, 2.0, 5.0) == larger
    assert claims.size_against_paper(None, 2.0, 5.0) == claims.size_against_paper(1.0, float("nan"), 5.0) == ""
    assert claims.size_against_paper(float("nan"), 2.0, 5.0) == ""
    # an equivalence claim compares the paper's difference with its interval too: [-1.24, +1.24] (see above)
    c = claims.Claim("e", "TSynD", "Sec. 4.2", "A near 70", "acc", "close", a={"method": "A"}, value=70.0,
                     margin=2.0, scale=100, paper_diff=3.0)
    assert claims.judge(c, _scores([0.695, 0.70, 0.705])).size == smaller


def test_an_equivalence_claim_counts_dropped_runs_and_constant_predictors():
    runs = _scores([0.695, 0.70, float("nan"), 0.705])
    runs.loc[0, "constant"] = True  # 1 of 4 runs: below half, noted
    v = claims.judge(_close(), runs)
    assert (v.n, v.n_dropped) == (3, 1) and v.verdict == "supported"
    assert v.constant == "A 1/4 runs"


def test_seeds_needed_only_for_an_inconclusive_verdict_and_from_the_claims_boundary():
    assert claims.judge(_better(), _ab(*GAIN)).seeds_needed is None
    # not worse by more than 5 points: d x 100 = [-4, 1, -6, 2], mean -1.75, interval spans -5
    nw = claims.Claim("n", "TSynD", "Table 1", "A not worse", "acc", "not_worse", a={"method": "A"},
                      b={"method": "B"}, margin=5.0, scale=100)
    v = claims.judge(nw, _ab([0.66, 0.72, 0.63, 0.74], [0.70, 0.71, 0.69, 0.72]))
    assert v.verdict == "inconclusive"
    assert v.seeds_needed == claims.seeds_needed([-4.0, 1.0, -6.0, 2.0], -5.0) != claims.seeds_needed(
        [-4.0, 1.0, -6.0, 2.0], 0.0)
    # a primary claim left inconclusive keeps its estimate through the adjustment
    (w,) = claims.adjust([claims.judge(replace_primary(nw), _ab([0.66, 0.72, 0.63, 0.74],
                                                                [0.70, 0.71, 0.69, 0.72]))])
    assert w.verdict == "inconclusive" and w.seeds_needed == v.seeds_needed


def replace_primary(claim: claims.Claim) -> claims.Claim:
    return replace(claim, primary=True)


def test_a_better_claim_is_decided_against_zero_whatever_its_margin():
    # d x 100 = [-3, -2, -1]: interval [-4.48, +0.48] spans 0 (a margin of 5 would have made it "not worse")
    v = claims.judge(_better(scale=100, margin=5.0), _ab([0.67, 0.68, 0.69], [0.70] * 3))
    assert v.verdict == "inconclusive"
    # d x 100 = [-12, -11, -10]: wholly below 0
    assert claims.judge(_better(scale=100, margin=20.0), _ab([0.58, 0.59, 0.60], [0.70] * 3)).verdict == \
        "contradicted"


def test_a_ranking_is_supported_when_every_step_is_and_reports_its_weakest_step():
    # x over y: d x 100 = [10, 11, 12] (wide margin); y over z: d x 100 = [2, 3, 4] (the weakest step)
    runs = pd.DataFrame([{"bb": b, "seed": s, "acc": v, "constant": False} for b, vals in
                         {"x": [0.80, 0.81, 0.82], "y": [0.70, 0.70, 0.70], "z": [0.68, 0.67, 0.66]}.items()
                         for s, v in enumerate(vals)])
    rank = claims.Claim("r", "GAN ensembles", "Table 5", "x > y > z", "acc", "ranking", scale=100,
                        order=({"bb": "x"}, {"bb": "y"}, {"bb": "z"}))
    v = claims.judge(rank, runs, profile="quick")
    assert v.verdict == "supported" and v.reason == "y over z" and v.n == 3 and v.seeds_needed is None
    assert v.diff == pytest.approx(3.0) and v.p == pytest.approx(P0, rel=1e-6)  # p of [2, 3, 4], see _family
    assert (v.low, v.high) == pytest.approx((3 - T975_DF2 / math.sqrt(3), 3 + T975_DF2 / math.sqrt(3)), rel=1e-6)
    runs.loc[runs["bb"] == "z", "constant"] = [True, False, False]
    assert claims.judge(rank, runs).constant == "z 1/3 runs"
    # the weakest step undecided: inconclusive, with the seeds it would need
    runs.loc[runs["bb"] == "z", "acc"] = [0.71, 0.70, 0.68]  # y over z: [-1, 0, 2]
    w = claims.judge(rank, runs)
    assert w.verdict == "inconclusive" and w.seeds_needed == claims.seeds_needed([-1.0, 0.0, 2.0])
