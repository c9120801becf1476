"""The claims engine's rules of issue 31: informative sides (constant predictors, models at chance), degenerate
cells before pooling, fragility, the paper's size on the paper's cells, constant members of averaged arms, one
Benjamini-Hochberg family per paper across notebooks, and the comparison with the published reference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from synthmed import claims, stats
from synthmed.claims import Claim


def runs(rows):
    return pd.DataFrame(rows)


def arm(method, values, ba=None, seed0=0, **extra):
    """Rows of one arm: metric ``values`` per seed, balanced accuracy ``ba`` per seed (default 0.8)."""
    ba = ba if ba is not None else [0.8] * len(values)
    return [{"method": method, "seed": seed0 + i, "accuracy": v, "balanced_accuracy": b, "constant": False, **extra}
            for i, (v, b) in enumerate(zip(values, ba))]


def better(**kw):
    return Claim(**{"id": "c", "paper": "P", "source": "T1", "text": "A beats B", "metric": "accuracy",
                    "kind": "better", "a": {"method": "A"}, "b": {"method": "B"}, **kw})


def test_chance_column_follows_the_split_the_claim_reads():
    frame = runs([{"validation_accuracy": 1, "validation_balanced_accuracy": 1, "test_balanced_accuracy": 1,
                   "balanced_accuracy": 1}])
    assert claims.chance_column(better(metric="validation_accuracy"), frame) == "validation_balanced_accuracy"
    assert claims.chance_column(better(metric="test_accuracy"), frame) == "test_balanced_accuracy"
    assert claims.chance_column(better(metric="g_mean"), frame) == "balanced_accuracy"
    assert claims.chance_column(better(metric="val_auc"), frame) == "val_auc"
    assert claims.chance_column(better(metric="g_mean", chance_on="none"), frame) is None
    assert claims.chance_column(better(metric="fid"), runs([{"fid": 1.0}])) is None


def test_the_side_ahead_at_chance_makes_a_better_claim_not_testable():
    # A ahead by 10 points on accuracy, but its balanced accuracy hovers at 0.5: a "gain" between models at chance
    frame = runs(arm("A", [0.70, 0.72, 0.71, 0.69], ba=[0.50, 0.52, 0.49, 0.51])
                 + arm("B", [0.60, 0.61, 0.62, 0.60], ba=[0.50, 0.50, 0.50, 0.50]))
    v = claims.judge(better(), frame)
    assert v.verdict == "not testable"
    assert "not above chance" in v.reason and "A" in v.reason


def test_a_winner_above_chance_over_a_loser_at_chance_is_judged():
    frame = runs(arm("A", [0.70, 0.72, 0.71, 0.69], ba=[0.70, 0.72, 0.71, 0.69])
                 + arm("B", [0.60, 0.61, 0.62, 0.60], ba=[0.50, 0.50, 0.50, 0.50]))
    assert claims.judge(better(), frame).verdict == "supported"


def test_chance_level_comes_from_the_rows_chance_column():
    # five classes: chance balanced accuracy 0.2, so 0.35 +- a little is above chance; without the column it is not
    ba = [0.35, 0.36, 0.34, 0.35]
    rows = arm("A", [0.5, 0.52, 0.51, 0.5], ba=ba) + arm("B", [0.4, 0.41, 0.42, 0.4], ba=ba)
    assert claims.judge(better(), runs(rows)).verdict == "not testable"
    assert claims.judge(better(), runs(rows).assign(chance=0.2)).verdict == "supported"


def test_an_equivalence_needs_its_side_informative():
    close = Claim(id="e", paper="P", source="T2", text="small", metric="accuracy", kind="close", value=0.0,
                  margin=5.0, scale=100, a={"method": "D"})
    at_chance = runs(arm("D", [0.001, -0.002, 0.0, 0.001], ba=[0.5, 0.49, 0.51, 0.5]))
    v = claims.judge(close, at_chance)
    assert v.verdict == "not testable" and v.reason.startswith("uninformative")
    learning = runs(arm("D", [0.001, -0.002, 0.0, 0.001], ba=[0.8, 0.79, 0.81, 0.8]))
    assert claims.judge(close, learning).verdict == "supported"


def test_not_worse_needs_both_sides_informative():
    claim = better(kind="not_worse", margin=5.0, scale=100)
    frame = runs(arm("A", [0.70, 0.72, 0.71, 0.69]) + arm("B", [0.60, 0.61, 0.62, 0.60], ba=[0.5, 0.5, 0.5, 0.5]))
    v = claims.judge(claim, frame)
    assert v.verdict == "not testable" and "B is not above chance" in v.reason


def pooled_rows(degenerate_cells=()):
    rows = []
    for cell in ("x", "y", "z"):
        a = arm("A", [0.71, 0.72, 0.70, 0.73], cell=cell)
        b = arm("B", [0.70, 0.70, 0.71, 0.70], cell=cell)
        if cell in degenerate_cells:  # A is a constant predictor here, and far ahead
            a = arm("A", [0.99, 0.99, 0.99, 0.99], cell=cell)
            for r in a:
                r["constant"] = True
        rows += a + b
    return runs(rows)


def test_a_degenerate_cell_is_dropped_before_pooling_and_named():
    claim = better(pool=("cell",), scale=100)
    v = claims.judge(claim, pooled_rows(degenerate_cells=("z",)))
    assert v.verdict != "not testable"
    assert v.dropped_cells.startswith("z:") and "constant predictor" in v.dropped_cells
    # the pooled effect is that of x and y only (A +1.5 points ahead per seed on average), not inflated by z
    assert v.diff == pytest.approx(100 * np.mean([0.01, 0.02, -0.01, 0.03]), abs=1e-9)


def test_too_few_informative_cells_make_a_pooled_claim_not_testable():
    v = claims.judge(better(pool=("cell",)), pooled_rows(degenerate_cells=("x", "z")))
    assert v.verdict == "not testable" and "2 of 3 cells" in v.reason


def test_a_cell_only_one_side_ran_is_left_out_of_the_pool():
    # a bundle being filled: A has run cell w, B not yet; the verdict is that of the cells both ran
    claim = better(pool=("cell",), scale=100)
    both = pooled_rows()
    filling = pd.concat([both, runs(arm("A", [0.90, 0.91, 0.92, 0.93], cell="w"))], ignore_index=True)
    v, ref = claims.judge(claim, filling), claims.judge(claim, both)
    assert (v.verdict, v.n) == (ref.verdict, ref.n) and v.diff == pytest.approx(ref.diff)
    # with the other cells degenerate, the one-sided cell does not count as an informative one either
    v = claims.judge(claim, pd.concat([pooled_rows(degenerate_cells=("x", "z")),
                                       runs(arm("A", [0.9] * 4, cell="w"))], ignore_index=True))
    assert v.verdict == "not testable" and "2 of 3 cells" in v.reason


def test_fragile_when_one_replicate_carries_the_decision():
    # d = (1, 1.2, 0.1, 1.1): mean 0.85, sd 0.507, t(3) 3.182 -> [0.043, 1.657], supported; without the 1.2 the
    # three left, (1, 0.1, 1.1), give mean 0.733, sd 0.551, t(2) 4.303 -> low -0.636: the decision flips
    d = [1.0, 1.2, 0.1, 1.1]
    v = claims.judge(better(), runs(arm("A", d) + arm("B", [0.0] * 4)))
    assert v.verdict == "supported" and v.low == pytest.approx(0.043, abs=1e-3)
    assert v.fragile and v.label() == "supported (fragile)" and "fragile" in v.sentence()
    robust = claims.judge(better(), runs(arm("A", [0.8, 0.81, 0.82, 0.8, 0.81]) + arm("B", [0.7, 0.7, 0.71, 0.7, 0.7])))
    assert robust.verdict == "supported" and not robust.fragile and robust.label() == "supported"


def test_fragility_of_hand_worked_differences():
    # d = (1, 1, 1, 10): the interval [-3.9, 10.4] is inconclusive -> never fragile; d = (2, 2.1, 1.9): robust;
    # d = (0.5, 3, 3.2): supported (low 0.08 > 0?), leaving out 0.5 keeps it, leaving out 3 leaves (0.5, 3.2)
    assert claims.fragility(np.array([1, 1, 1, 10.0]), "inconclusive", 0.0) == (False, math.nan)
    fragile, p_loo = claims.fragility(np.array([2, 2.1, 1.9]), "supported", 0.0)
    assert not fragile and p_loo < 0.05
    fragile, _ = claims.fragility(np.array([2.0, 2.1]), "supported", 0.0)
    assert fragile  # one pair left cannot decide


def test_the_paper_size_is_compared_on_the_paper_cells():
    rows = []
    for cell, (da, db) in {"paper": (0.70, 0.70), "ours": (0.90, 0.70)}.items():
        rows += arm("A", [da + e for e in (0.0, 0.01, -0.01, 0.005)], cell=cell)
        rows += arm("B", [db] * 4, cell=cell)
    claim = better(pool=("cell",), scale=100, paper_diff=0.2, paper_cells=({"cell": "paper"},))
    v = claims.judge(claim, runs(rows))
    # pooled over both cells A is ~10 points ahead; on the paper's cell ~0.1: the paper's +0.2 fits there
    assert v.diff == pytest.approx(10.125, abs=1e-6)  # cells: +0.125 and +20.125 points
    assert v.size == claims.SIZES[0] and "paper" in v.paper_cells
    with pytest.raises(ValueError, match="paper_cells"):
        better(pool=("cell",), paper_cells=({"dataset": "x"},))


def test_constant_members_of_an_averaged_arm_are_shown_left_out():
    rows = []
    for seed in range(4):
        for member, (value, const) in enumerate([(0.8 + 0.01 * seed, False), (0.0, True), (0.78, False)]):
            rows.append({"method": "A", "seed": seed, "member": member, "accuracy": value, "balanced_accuracy": 0.8,
                         "constant": const})
        rows.append({"method": "B", "seed": seed, "member": 0, "accuracy": 0.7, "balanced_accuracy": 0.8,
                     "constant": False})
    v = claims.judge(better(metric="accuracy", threshold=False), runs(rows))
    assert "4/12 constant members" in v.nonconstant
    assert v.nonconstant.startswith("+0.1")  # without the zeros A is ~0.095 ahead, not ~-0.17


def primary(cid, chapter, d):
    return Claim(id=cid, paper="P", source="T", text=cid, metric="accuracy", kind="better", a={"method": "A"},
                 b={"method": "B"}, primary=True, chapter=chapter), d


def frame_with(d):
    return runs([{"method": "A", "seed": i, "accuracy": x, "constant": False} for i, x in enumerate(d)]
                + [{"method": "B", "seed": i, "accuracy": 0.0, "constant": False} for i in range(len(d))])


def test_primary_claims_split_across_notebooks_show_the_scorecard_adjusted_p(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHMED_CACHE_DIR", str(tmp_path))
    one = [primary("p1", "nb1", [0.9, 1.1, 1.0, 1.2]), primary("p2", "nb1", [0.1, 0.5, -0.2, 0.4])]
    two = [primary("p3", "nb2", [0.3, 0.35, 0.2, 0.3]), primary("p4", "nb2", [0.05, 0.3, 0.1, 0.2])]
    judged = {nb: [claims.judge(c, frame_with(d), profile="quick") for c, d in group]
              for nb, group in (("nb1", one), ("nb2", two))}
    # nb1 runs first (sees no sibling), then nb2 (sees nb1): nb1 is now stale and is re-run, as the runner does
    for nb in ("nb1", "nb2"):
        claims.write_verdicts(nb, "quick", claims.in_family(nb, "quick", judged[nb]))
    assert claims.stale_families("quick", ["nb1", "nb2"]) == ["nb1"]
    pages = {nb: claims.in_family(nb, "quick", judged[nb]) for nb in ("nb1", "nb2")}
    claims.write_verdicts("nb1", "quick", pages["nb1"])
    assert claims.stale_families("quick", ["nb1", "nb2"]) == []
    card = claims.adjust_frame(claims.read_verdicts("quick")).set_index("id")
    for v in pages["nb1"] + pages["nb2"]:
        assert v.family == 4
        assert v.p_adj == pytest.approx(card.loc[v.claim.id, "p_adj"], rel=1e-12)
        assert v.verdict == card.loc[v.claim.id, "verdict"]
    expected = stats.bh_adjust([v.p for v in pages["nb1"] + pages["nb2"]])
    assert [v.p_adj for v in pages["nb1"] + pages["nb2"]] == pytest.approx(list(expected))


def test_the_paper_scale_family_is_apart_from_the_profile_family():
    (c1, d1), (c2, d2) = primary("q1", "nbq", [1, 1.1, 0.9]), primary("s1", "nbs", [1, 1.2, 0.8])
    vs = claims.adjust([claims.judge(c1, frame_with(d1), profile="quick"),
                        claims.judge(c2, frame_with(d2), profile="paper")])
    assert [v.family for v in vs] == [1, 1]


def test_the_scorecard_compares_with_a_reference_that_differs_in_two_verdicts(tmp_path):
    frame = pd.DataFrame({"chapter": ["a", "a", "b", "b"], "id": ["x", "y", "z", "w"], "paper": ["P"] * 4,
                          "role": ["primary", "per cell", "ours", "ours"],
                          "verdict": ["supported", "inconclusive", "contradicted", "not testable"],
                          "label": ["supported"] * 4, "fragile": [False, False, False, False],
                          "diff": [1.0] * 4, "low": [0.5] * 4, "high": [1.5] * 4, "p": [0.01] * 4,
                          "p_adj": [0.02] * 4, "n": [5] * 4})
    old = frame.copy()
    old.loc[0, "verdict"], old.loc[0, "fragile"] = "inconclusive", True
    old.loc[2, "verdict"] = "supported"
    path = claims.write_reference(old, tmp_path, "quick", env={"commit": "abc123", "date": "2026-12-05",
                                                               "cpu": "test cpu", "torch": "2.13.0"})
    assert path == tmp_path / "results" / "reference" / "quick.json"
    ref = claims.read_reference(tmp_path, "quick")
    table = claims.compare(frame, ref)
    assert (table["status"] == "changed").sum() == 2
    text = claims.comparison_text(table, ref)
    assert "**2 of 4**" in text
    assert "`x` (primary): inconclusive → supported (the reference's decision was fragile)" in text
    assert "`z` (ours): supported → contradicted" in text
    assert claims.read_reference(tmp_path, "smoke") is None


def test_the_side_ahead_is_b_when_b_wins():
    # B ahead and at chance, A behind but above chance: a "contradiction" between a learner and a model at chance
    # whose lead comes from guessing is not decided; with B learning it is
    a = arm("A", [0.60, 0.61, 0.62, 0.60], ba=[0.7, 0.72, 0.71, 0.7])
    b_chance = arm("B", [0.70, 0.72, 0.71, 0.69], ba=[0.50, 0.51, 0.49, 0.50])
    v = claims.judge(better(), runs(a + b_chance))
    assert v.verdict == "not testable" and "B is not above chance" in v.reason and "(the side ahead)" in v.reason
    b_learns = arm("B", [0.70, 0.72, 0.71, 0.69], ba=[0.70, 0.72, 0.71, 0.69])
    assert claims.judge(better(), runs(a + b_learns)).verdict == "contradicted"


def test_balanced_accuracy_in_percent_reads_chance_in_percent():
    ba = [52.0, 53.0, 51.0, 52.0]  # balanced accuracy stored in percent: chance is read in percent too
    rows = runs(arm("A", [70, 72, 71, 69], ba=ba) + arm("B", [60, 61, 62, 60], ba=ba))
    col = claims.chance_column(better(), rows)
    assert col == "balanced_accuracy"
    from synthmed.claims.judge import chance_levels
    assert (chance_levels(rows, col) == 50.0).all()
    assert chance_levels(rows.assign(chance=0.2), col).to_numpy() == pytest.approx(20.0)


def test_a_cell_where_only_b_is_degenerate_is_dropped():
    rows = pooled_rows()
    z_b = (rows["cell"] == "z") & (rows["method"] == "B")
    rows.loc[z_b, "constant"] = True
    v = claims.judge(better(pool=("cell",)), rows)
    assert v.dropped_cells.startswith("z:") and "B is a constant predictor" in v.dropped_cells and v.cells == 2


def test_a_primary_claim_whose_leave_one_out_p_crosses_alpha_after_bh_is_fragile():
    # a family of two, p = (0.001, 0.03): BH q = (0.002, 0.03). With the first claim's leave-one-out p 0.04 in its
    # place q = (0.04, 0.04), still decided; with 0.2 it would be 0.2: fragile
    q, q_loo = claims.bh_family([0.001, 0.03], [0.04, math.nan])
    assert q == pytest.approx([0.002, 0.03])
    assert q_loo[0] == pytest.approx(0.04) and q_loo[1] == pytest.approx(0.03)
    q, q_loo = claims.bh_family([0.001, 0.03], [0.2, math.nan])
    assert q_loo[0] == pytest.approx(0.2) and q_loo[0] >= claims.ALPHA


def test_a_pooled_claim_over_cells_with_different_chance_is_not_judged_as_one_mixture():
    # two informative cells: a binary one (chance 0.5, BA ~0.75) and a five-class one (chance 0.2, BA ~0.32). Each
    # is above its own chance; the mixture of both, read against one chance of 0.5, would not be.
    pooled = Claim(id="p", paper="P", source="T", text="A beats B", metric="accuracy", kind="better",
                   a={"method": "A"}, b={"method": "B"}, pool=("cell",))
    rows = []
    for cell, chance, ba in (("bin", 0.5, 0.75), ("five", 0.2, 0.32)):
        for seed, jitter in enumerate([0.0, 0.01, -0.01, 0.02, -0.02]):
            for method, acc, j in (("A", 0.70, jitter), ("B", 0.60, jitter * (seed % 2))):
                rows.append({"seed": seed, "cell": cell, "method": method, "accuracy": acc + j,
                             "balanced_accuracy": ba + jitter, "chance": chance, "constant": False})
    frame = pd.DataFrame(rows)
    v = claims.judge(pooled, frame)
    assert v.verdict == "supported", v.reason
    assert not v.dropped_cells
    # the same five-class cell at its chance is dropped by itself, and then too few cells remain
    at_chance = frame.assign(balanced_accuracy=np.where(frame["cell"] == "five", 0.2 + frame["seed"] % 2 * 0.01,
                                                        frame["balanced_accuracy"]))
    v = claims.judge(pooled, at_chance)
    assert "five" in v.dropped_cells and "not above chance" in v.dropped_cells


def test_a_side_mixing_chance_levels_reads_each_run_against_its_own_chance():
    from synthmed.claims.judge import above_chance
    claim = Claim(id="m", paper="P", source="T", text="t", metric="balanced_accuracy", kind="ranking",
                  order=({"method": "A"}, {"method": "B"}), pool=("cell",))
    rows = pd.DataFrame({"seed": [0, 1, 2, 0, 1, 2], "cell": ["bin"] * 3 + ["five"] * 3,
                         "balanced_accuracy": [0.70, 0.72, 0.71, 0.30, 0.31, 0.29],
                         "chance": [0.5] * 3 + [0.2] * 3})
    ok, why = above_chance(rows, claim, "balanced_accuracy")
    assert ok, why
    ok, why = above_chance(rows.assign(balanced_accuracy=[0.70, 0.72, 0.71, 0.10, 0.12, 0.11]), claim,
                           "balanced_accuracy")
    assert not ok and "excess over each run's chance (0.2 to 0.5)" in why


# --- the paired differences a verdict is computed from (the bundles' per-replicate figure) -------------------------

def test_the_differences_are_what_the_verdict_is_computed_from():
    rows = runs(arm("A", [0.80, 0.82, 0.85, 0.81]) + arm("B", [0.70, 0.71, 0.74, 0.72]))
    d = claims.differences(better(scale=100), rows)
    assert list(d.index) == [0, 1, 2, 3]
    assert d.to_numpy() == pytest.approx([10.0, 11.0, 11.0, 9.0])
    v = claims.judge(better(scale=100), rows)
    assert (v.diff, v.n) == (pytest.approx(d.mean()), len(d))
    # lower is better: positive still favours A
    worse = claims.differences(better(scale=100, higher_is_better=False), rows)
    assert worse.to_numpy() == pytest.approx([-10.0, -11.0, -11.0, -9.0])


def test_a_pooled_claims_differences_leave_out_the_cells_the_verdict_drops():
    rows = pooled_rows(degenerate_cells=("z",))
    d = claims.differences(better(pool=("cell",)), rows)
    v = claims.judge(better(pool=("cell",)), rows)
    assert v.dropped_cells.startswith("z:") and len(d) == v.n == 4
    # the mean over cells x and y only: A - B per seed is the same in both
    assert d.to_numpy() == pytest.approx([0.01, 0.02, -0.01, 0.03])
    assert d.mean() == pytest.approx(v.diff)


def test_only_comparisons_with_both_sides_have_differences():
    rows = runs(arm("A", [0.80, 0.82, 0.85]) + arm("B", [0.70, 0.71, 0.74]))
    close = better(kind="close", value=80.0, margin=5.0, b={}, scale=100)
    assert claims.differences(close, rows).empty
    assert claims.differences(better(untestable="no data here"), rows).empty
    assert claims.differences(better(b={"method": "C"}), rows).empty  # B was not run
    assert claims.differences(better(metric="auc"), rows).empty  # a column the runs lack


def test_paired_differences_route_each_claim_to_its_frame_and_narrow_it():
    a = better(id="a")
    other = better(id="o", metric="auc")
    frames = {"acc": runs(arm("A", [0.8, 0.9, 0.7], cell="x") + arm("B", [0.7, 0.7, 0.7], cell="x")
                          + arm("A", [0.1, 0.1, 0.1], cell="y") + arm("B", [0.0, 0.0, 0.0], cell="y")),
              "auc": runs([{"method": m, "seed": s, "auc": v} for m, vals in (("A", [0.9, 0.8]), ("B", [0.5, 0.6]))
                           for s, v in enumerate(vals)])}
    keep = lambda c, f: f[f["cell"] == "x"] if "cell" in f else f  # noqa: E731
    d = claims.paired_differences([a, other], frames, keep)
    assert list(d.columns) == ["claim", "key", "difference"]
    assert d[d["claim"] == "a"]["difference"].to_numpy() == pytest.approx([0.1, 0.2, 0.0])
    assert d[d["claim"] == "o"]["difference"].to_numpy() == pytest.approx([0.4, 0.2])
    assert claims.paired_differences([], frames).empty
