"""synthmed.claims: paired verdicts on fixed inputs, claims as data, verdicts on disk."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

from synthmed import claims

ROOT = Path(__file__).resolve().parents[1]


def _runs(a: list[float], b: list[float], constant_a=None) -> pd.DataFrame:
    rows = [{"method": "A", "seed": s, "acc": v, "constant": bool(constant_a and s in constant_a)}
            for s, v in enumerate(a)]
    rows += [{"method": "B", "seed": s, "acc": v, "constant": False} for s, v in enumerate(b)]
    return pd.DataFrame(rows)


def _better(**kw) -> claims.Claim:
    return claims.Claim("c1", "TSynD", "Table 1", "A beats B", "acc", "better", a={"method": "A"},
                        b={"method": "B"}, **kw)


def test_clear_gain_is_supported_with_the_t_interval():
    v = claims.judge(_better(), _runs([0.80, 0.82, 0.85, 0.81, 0.84], [0.70, 0.71, 0.74, 0.72, 0.73]))
    d = [0.10, 0.11, 0.11, 0.09, 0.11]
    half = stats.t.ppf(0.975, 4) * stats.sem(d)
    assert v.verdict == "supported" and v.n == 5
    assert v.diff == pytest.approx(sum(d) / 5)
    assert (v.low, v.high) == pytest.approx((sum(d) / 5 - half, sum(d) / 5 + half))
    assert "supported" in v.sentence() and "5 paired seeds" in v.sentence()


def test_a_sentence_names_the_sides_by_what_differs():
    claim = claims.Claim("c2", "GAN ensembles", "Table 3", "ours beats all", "acc", "better",
                         a={"dataset": "x", "method": "A"}, b={"dataset": "x", "method": "B"})
    runs = _runs([0.80, 0.82, 0.85, 0.81, 0.84], [0.70, 0.71, 0.74, 0.72, 0.73]).assign(dataset="x")
    assert "here: A is 0.1 acc ahead of B on average" in claims.judge(claim, runs).sentence()


def test_decimals_of_a_claim_set_the_printed_precision():
    runs = _runs([0.80, 0.82, 0.85, 0.81, 0.84], [0.70, 0.71, 0.74, 0.72, 0.73])
    assert claims.judge(_better(), runs).interval() == "+0.1 [+0.1, +0.1]"
    v = claims.judge(_better(decimals=3), runs)
    assert v.interval() == f"{v.diff:+.3f} [{v.low:+.3f}, {v.high:+.3f}]" and "+0.104" in v.interval()
    assert "0.104 acc ahead of" in v.sentence()


def test_a_difference_below_the_claims_precision_is_printed_with_two_significant_digits():
    # Fréchet distances in a small network's features: a clear loss of about 0.0003 printed "-0.000 [-0.000, -0.000]"
    a, b = [4.1e-4, 4.3e-4, 4.0e-4, 4.4e-4, 4.2e-4], [1.0e-4, 1.2e-4, 1.1e-4, 1.3e-4, 1.1e-4]
    v = claims.judge(_better(decimals=3), _runs(a, b))
    assert v.decimals() == 5 and v.interval().startswith(f"{v.diff:+.5f} [") and "+0.00031" in v.interval()
    assert "0.00031 acc ahead of" in v.sentence()
    runs = _runs([0.80, 0.82, 0.85, 0.81, 0.84], [0.70, 0.71, 0.74, 0.72, 0.73])
    assert claims.judge(_better(decimals=3), runs).decimals() == 3  # printable at the claim's own precision


def test_clear_loss_is_contradicted():
    v = claims.judge(_better(), _runs([0.60, 0.62, 0.61], [0.70, 0.71, 0.72]))
    assert v.verdict == "contradicted" and v.high < 0


def test_interval_spanning_zero_is_inconclusive_and_says_how_many_seeds():
    v = claims.judge(_better(), _runs([0.70, 0.75, 0.68, 0.74], [0.71, 0.70, 0.70, 0.69]), profile="quick")
    assert v.verdict == "inconclusive" and v.low < 0 < v.high
    assert v.seeds_needed is not None and v.seeds_needed > 4
    assert f"about {v.seeds_needed} seeds" in v.sentence()
    assert "`quick` profile" in v.sentence()
    # the sentence about scale belongs only beside an inconclusive verdict under a profile other than paper
    assert "profile" not in claims.judge(_better(), _runs([0.70, 0.75, 0.68, 0.74], [0.71, 0.70, 0.70, 0.69]),
                                         profile="paper").sentence()


def test_single_seed_is_always_inconclusive():
    v = claims.judge(_better(), _runs([0.99], [0.10]))
    assert v.verdict == "inconclusive" and v.n == 1 and math.isnan(v.low)
    assert "One seed cannot decide" in v.sentence()


def test_constant_predictors_on_a_threshold_metric_are_not_testable():
    v = claims.judge(_better(), _runs([0.8, 0.8, 0.8], [0.7, 0.71, 0.69], constant_a={0, 1, 2}))
    assert v.verdict == "not testable" and v.constant == "A 3/3 runs"
    assert "degenerate: A is a constant predictor in 3/3 runs" in v.sentence()
    # fewer than half constant: decided, and the note stays with the verdict
    few = claims.judge(_better(), _runs([0.8, 0.84, 0.82, 0.85], [0.7, 0.71, 0.69, 0.72], constant_a={0}))
    assert few.verdict == "supported" and "Constant predictors: A 1/4 runs" in few.sentence()
    # a metric that does not depend on a threshold (ROC-AUC) is not made degenerate by a constant predictor
    auc = claims.judge(_better(threshold=False), _runs([0.8, 0.82, 0.85], [0.7, 0.71, 0.74], constant_a={0, 1, 2})
)
    assert auc.verdict == "supported"


def test_both_sides_constant_is_not_testable_even_with_a_gain():
    runs = _runs([0.6, 0.6, 0.6, 0.6], [0.5, 0.5, 0.5, 0.5], constant_a={0, 1, 2, 3})
    runs.loc[runs["method"] == "B", "constant"] = True
    v = claims.judge(_better(), runs)
    assert v.verdict == "not testable" and "both sides are constant predictors" in v.reason


def test_zero_spread_is_not_testable():
    # the old engine read two identical differences as certainty: supported [+0.1, +0.1]
    v = claims.judge(_better(), _runs([0.8, 0.9], [0.7, 0.8]))
    assert v.verdict == "not testable" and "zero spread" in v.reason and v.n == 2
    same = claims.Claim("s", "Class imbalance", "Table 1", "A not worse", "acc", "not_worse", a={"method": "A"},
                        b={"method": "B"}, margin=5, scale=100)
    assert claims.judge(same, _runs([1.0] * 5, [1.0] * 5)).verdict == "not testable"


def test_identical_arms_are_not_testable():
    runs = _runs([0.80, 0.82, 0.85], [0.70, 0.71, 0.74]).assign(arm=["e1", "e2", "e3", "e1", "e2", "e3"])
    v = claims.judge(_better(), runs)
    assert v.verdict == "not testable" and "identical arms" in v.reason
    runs.loc[3, "arm"] = "other"  # one pair differs: the comparison can decide again
    assert claims.judge(_better(), runs).verdict == "supported"


def test_missing_values_are_dropped_and_counted():
    a = [0.80, 0.82, float("nan"), 0.81, float("nan")]
    v = claims.judge(_better(), _runs(a, [0.70, 0.71, 0.74, 0.72, 0.73]))
    assert (v.n, v.n_dropped) == (3, 2)
    assert v.diff == pytest.approx((0.10 + 0.11 + 0.09) / 3)
    assert "2 pairs dropped for a missing value" in v.sentence()
    assert claims.verdict_frame([v]).loc[0, "n_dropped"] == 2
    undefined = claims.judge(_better(), _runs([float("nan")] * 3, [0.7, 0.71, 0.74]))
    assert undefined.verdict == "not testable" and "undefined" in undefined.reason


def test_pairs_only_by_shared_seed_and_lower_is_better():
    runs = _runs([0.2, 0.3, 0.1], [0.55, 0.6])  # seed 2 of A has no partner
    v = claims.judge(_better(higher_is_better=False), runs)
    assert v.n == 2 and v.n_dropped == 1 and v.diff == pytest.approx(0.325)


def test_not_worse_and_close():
    runs = _runs([0.70, 0.69, 0.71, 0.70], [0.71, 0.70, 0.72, 0.70])
    nw = claims.Claim("c2", "GAN ensembles", "Table 3", "A not worse", "acc", "not_worse", a={"method": "A"},
                      b={"method": "B"}, margin=2.0, scale=100)
    assert claims.judge(nw, runs).verdict == "supported"
    close = claims.Claim("c3", "GAN ensembles", "Table 3", "A near 70", "acc", "close", a={"method": "A"},
                         value=70.0, margin=2.0, scale=100)
    assert claims.judge(close, runs).verdict == "supported"
    far = claims.Claim("c4", "GAN ensembles", "Table 3", "A near 90", "acc", "close", a={"method": "A"},
                       value=90.0, margin=2.0, scale=100)
    assert claims.judge(far, runs).verdict == "contradicted"


def test_above_is_one_sided_against_its_bar_hand_worked():
    """A's accuracies 70, 69, 71, 70 (mean 70, sd 0.816, t(0.975, 3) = 3.182: 95 % interval 70 +- 1.30): above 60
    supported, above 80 contradicted, above 70 inconclusive; and the verdict text names the bar."""
    runs = _runs([0.70, 0.69, 0.71, 0.70], [0.71, 0.70, 0.72, 0.70])

    def above(bar):
        return claims.judge(claims.Claim("c5", "GAN ensembles", "Table 3", f"A above {bar}", "acc", "above",
                                         a={"method": "A"}, value=bar, scale=100, chance_on="none"), runs)

    v = above(60.0)
    assert (v.verdict, v.n) == ("supported", 4)
    assert v.low == pytest.approx(10 - 3.1824 * 0.8165 / 2, abs=1e-3)
    assert v.high == pytest.approx(10 + 3.1824 * 0.8165 / 2, abs=1e-3)
    assert above(80.0).verdict == "contradicted" and above(70.0).verdict == "inconclusive"
    assert "against the bar 60" in v.sentence()
    with pytest.raises(ValueError, match="kind 'above' needs a value"):
        claims.Claim("c6", "GAN ensembles", "Table 3", "A above ?", "acc", "above", a={"method": "A"})


def test_ranking_needs_every_step():
    runs = pd.DataFrame([{"bb": b, "seed": s, "acc": v} for b, vals in
                         {"x": [0.9, 0.915, 0.92], "y": [0.8, 0.82, 0.81], "z": [0.85, 0.7, 0.95]}.items()
                         for s, v in enumerate(vals)])
    rank = claims.Claim("r", "GAN ensembles", "Table 5", "x > y > z", "acc", "ranking",
                        order=({"bb": "x"}, {"bb": "y"}, {"bb": "z"}))
    v = claims.judge(rank, runs)
    assert v.verdict == "inconclusive" and "y over z" in v.reason
    reverse = claims.Claim("r2", "GAN ensembles", "Table 5", "y > x", "acc", "ranking",
                           order=({"bb": "y"}, {"bb": "x"}))
    assert claims.judge(reverse, runs).verdict == "contradicted"


def test_not_testable_with_reasons():
    runs = _runs([0.8, 0.9], [0.7, 0.6])
    assert claims.judge(_better(untestable="DermaMNIST is not on this machine"), runs).sentence().endswith(
        "not testable here, because DermaMNIST is not on this machine.")
    other = claims.Claim("c5", "TSynD", "Table 1", "C beats B", "acc", "better", a={"method": "C"},
                         b={"method": "B"})
    assert claims.judge(other, runs).verdict == "not testable"
    assert "no column f1" in claims.judge(_better().__class__(**{**claims.as_dict(_better()), "metric": "f1"}),
                                          runs).reason


def test_sentences_depend_on_the_results():
    gain = claims.judge(_better(), _runs([0.8, 0.82, 0.85], [0.7, 0.71, 0.74])).sentence()
    loss = claims.judge(_better(), _runs([0.6, 0.62, 0.61], [0.7, 0.71, 0.72])).sentence()
    assert gain != loss and "ahead of" in gain and "behind" in loss


def test_bad_claims_are_rejected():
    with pytest.raises(ValueError, match="unknown kind"):
        claims.Claim("x", "p", "s", "t", "m", "greater", a={}, b={})
    with pytest.raises(ValueError, match="needs a selector b"):
        claims.Claim("x", "p", "s", "t", "m", "better", a={})


def test_load_claims_expands_and_keeps_types(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("""
- id: tsynd-{dataset}-{fraction}
  source: Table 1
  text: "TSynD beats Baseline on {dataset} at {fraction:.0%}"
  metric: accuracy
  kind: better
  a: {method: TSynD, dataset: "{dataset}", fraction: "{fraction}"}
  b: {method: Baseline, dataset: "{dataset}", fraction: "{fraction}"}
  expand: {dataset: [breastmnist, retinamnist], fraction: [0.01, 0.1]}
""")
    loaded = claims.load_claims(path, paper="TSynD", chapter="tsynd")
    assert [c.id for c in loaded][:2] == ["tsynd-breastmnist-0.01", "tsynd-breastmnist-0.1"]
    assert loaded[1].a["fraction"] == 0.1 and loaded[1].text.endswith("at 10%")
    assert loaded[0].paper == "TSynD"
    path.write_text("- {id: a, source: s, text: t, metric: m, kind: close, value: 1, paper: p, colour: red}\n")
    with pytest.raises(ValueError, match="unknown field"):
        claims.load_claims(path)


def test_verdicts_round_trip_and_counts(tmp_path):
    v = [claims.judge(_better(), _runs([0.8, 0.82, 0.85], [0.7, 0.71, 0.74])),
         claims.judge(_better(untestable="no data"), _runs([0.8], [0.7]))]
    claims.write_verdicts("tsynd", "quick", v, tmp_path)
    frame = claims.read_verdicts("quick", tmp_path)
    assert list(frame["verdict"]) == ["supported", "not testable"]
    table = claims.counts(frame)
    assert table.loc["TSynD", "supported"] == 1 and table.loc["TSynD", "total"] == 2
    html = claims.claims_table(v)._repr_html_()
    assert "synthmed-claims" in html and "no data" in html
    assert claims.read_verdicts("paper", tmp_path).empty


def test_publish_stores_the_verdicts_and_returns_table_and_generated_text(cache_dir):
    v = [claims.judge(_better(), _runs([0.8, 0.82, 0.85], [0.7, 0.71, 0.74]))]
    table, text = claims.publish("tsynd", "quick", v)
    assert list(claims.read_verdicts("quick")["verdict"]) == ["supported"]  # under $SYNTHMED_CACHE_DIR
    assert "synthmed-claims" in table._repr_html_() and text.data == claims.summary(v)
    assert claims.publish("tsynd", "quick", v, "own text")[1].data == "own text"
    assert claims.summary([]) == claims.NO_CLAIM
    table, _ = claims.publish("gan_ensemble", "quick", [])  # a dataset no claim concerns: a note, not a KeyError
    assert claims.NO_CLAIM in table._repr_html_()


FIXED_SENTENCES = [
    "a mismatch here does not refute the paper",
    "it says the effect does not show at this scale",
    "both objectives push the same latents",
    "from one seed of a small cpu model",
]


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.py")), ids=lambda p: p.stem)
def test_no_notebook_prints_the_old_result_independent_verdicts(path):
    text = path.read_text().lower()
    for sentence in FIXED_SENTENCES:
        assert sentence not in text, f"{path.name} still prints a fixed verdict: {sentence!r}"
    # a verdict word in a markdown cell is text printed whatever the numbers: verdicts come from claims.judge
    markdown = "\n".join(re.findall(r"# %% \[markdown\]\n((?:#.*\n)+)", path.read_text()))
    for word in ("is supported here", "is contradicted here", "does not reproduce", "reproduces the paper"):
        assert word not in markdown.lower(), f"{path.name}: fixed verdict {word!r} in a markdown cell"


def _grid() -> pd.DataFrame:
    """Two methods x two cells (dataset) x four seeds, with hand-chosen values."""
    a = {"x": [0.80, 0.85, 0.83, 0.90], "y": [0.60, 0.62, 0.66, 0.61]}
    b = {"x": [0.75, 0.80, 0.80, 0.82], "y": [0.61, 0.55, 0.60, 0.58]}
    rows = [{"method": m, "dataset": ds, "seed": s, "acc": v}
            for m, table in (("A", a), ("B", b)) for ds, vals in table.items() for s, v in enumerate(vals)]
    return pd.DataFrame(rows)


def test_a_pooled_claim_is_the_per_seed_mean_over_cells_with_its_t_interval():
    pooled = claims.Claim("p", "TSynD", "Sec. 4.1", "A beats B everywhere", "acc", "better", a={"method": "A"},
                          b={"method": "B"}, pool=("dataset",), scale=100, primary=True)
    v = claims.judge(pooled, _grid())
    # per seed: mean over the two datasets of (A - B), x 100
    d = [100 * ((0.80 - 0.75) + (0.60 - 0.61)) / 2, 100 * ((0.85 - 0.80) + (0.62 - 0.55)) / 2,
         100 * ((0.83 - 0.80) + (0.66 - 0.60)) / 2, 100 * ((0.90 - 0.82) + (0.61 - 0.58)) / 2]
    low, high = stats.t.interval(0.95, len(d) - 1, loc=sum(d) / 4, scale=stats.sem(d))
    assert (v.n, v.cells) == (4, 2)
    assert v.diff == pytest.approx(sum(d) / 4) and (v.low, v.high) == pytest.approx((low, high))
    assert v.p == pytest.approx(2 * stats.ttest_1samp(d, 0, alternative="greater").pvalue)
    assert "each the mean of 2 cells" in v.sentence()
    # a seed missing one cell is dropped as a whole (its mean would be over fewer cells)
    short = _grid().drop(index=_grid().index[(_grid()["dataset"] == "y") & (_grid()["seed"] == 3)])
    assert (claims.judge(pooled, short).n, claims.judge(pooled, short).n_dropped) == (3, 1)


def test_pooled_columns_may_not_be_selected():
    with pytest.raises(ValueError, match="must not be in the selectors"):
        claims.Claim("p", "TSynD", "s", "t", "acc", "better", a={"method": "A", "dataset": "x"},
                     b={"method": "B"}, pool=("dataset",))


def test_benjamini_hochberg_over_a_papers_primary_claims_equals_scipy():
    gen = __import__("numpy").random.default_rng(0)
    rows, specs = [], []
    for i, effect in enumerate([0.0, 0.02, 0.05, 0.3, 0.0]):
        for s in range(5):
            rows += [{"method": f"A{i}", "seed": s, "acc": 0.5 + effect + gen.normal(0, 0.05)},
                     {"method": f"B{i}", "seed": s, "acc": 0.5 + gen.normal(0, 0.05)}]
        specs.append(claims.Claim(f"c{i}", "TSynD", "s", "t", "acc", "better", a={"method": f"A{i}"},
                                  b={"method": f"B{i}"}, primary=True))
    runs = pd.DataFrame(rows)
    raw = [claims.judge(c, runs) for c in specs]
    adjusted = claims.judge_all(specs, runs)
    expected = stats.false_discovery_control([v.p for v in raw], method="bh")
    assert [v.p_adj for v in adjusted] == pytest.approx(list(expected))
    assert all(v.family == 5 for v in adjusted)
    for r, a in zip(raw, adjusted):
        assert a.raw == r.verdict
        assert a.verdict == (r.verdict if r.verdict != "inconclusive" and a.p_adj < 0.05 else "inconclusive")
    # the Scorecard re-adjusts from stored rows and reaches the same decisions
    frame = claims.adjust_frame(claims.verdict_frame(raw))
    assert list(frame["p_adj"]) == pytest.approx(list(expected))
    assert list(frame["verdict"]) == [v.verdict for v in adjusted]


def test_secondary_claims_are_not_adjusted():
    runs = _runs([0.80, 0.82, 0.85, 0.81, 0.84], [0.70, 0.71, 0.74, 0.72, 0.73])
    v = claims.judge_all([_better()], runs)[0]
    assert v.verdict == "supported" and math.isnan(v.p_adj) and v.claim.role == "per cell"


def test_the_papers_size_against_our_interval():
    runs = _runs([0.70, 0.75, 0.68, 0.74], [0.71, 0.70, 0.70, 0.69])  # interval contains zero
    v = claims.judge(_better(scale=100, paper_diff=12.0), runs)
    assert v.verdict == "inconclusive" and v.low < 0 < v.high < 12
    assert v.size == "smaller than the paper reports"
    assert v.label() == "inconclusive: smaller than the paper reports"
    fits = claims.judge(_better(scale=100, paper_diff=1.0), runs)
    assert fits.size == "the paper's size fits" and fits.label() == "inconclusive"
    assert claims.judge(_better(scale=100, paper_diff=-20.0), runs).size == "larger than the paper reports"
    assert claims.judge(_better(scale=100), runs).size == ""


def test_close_is_an_equivalence_test():
    c = claims.Claim("e", "TSynD", "Sec. 4.2", "MI and entropy do not differ much", "acc", "close",
                     a={"method": "A"}, value=70.0, margin=2.0, scale=100)
    runs = _runs([0.70, 0.695, 0.705, 0.70, 0.702], [0.0] * 5)
    v = claims.judge(c, runs)
    d = [100 * x - 70 for x in (0.70, 0.695, 0.705, 0.70, 0.702)]
    p_for = max(stats.ttest_1samp(d, -2, alternative="greater").pvalue,
                stats.ttest_1samp(d, 2, alternative="less").pvalue)
    assert v.verdict == "supported" and v.p == pytest.approx(2 * p_for)


def test_claims_of_ours_say_why_and_only_the_papers_are_primary():
    with pytest.raises(ValueError, match="needs `why`"):
        _better(origin="ours")
    with pytest.raises(ValueError, match="only the paper's own claims can be primary"):
        _better(origin="ours", why="a check", primary=True)
    with pytest.raises(ValueError, match="origin must be one of"):
        _better(origin="both")
    assert _better(origin="ours", why="extension").role == "ours"


@pytest.mark.parametrize("path", sorted((ROOT / "src" / "synthmed").glob("*/claims*.yaml")),
                         ids=lambda p: p.parent.name)
def test_every_registered_claim_says_whose_it_is(path):
    import yaml

    for entry in yaml.safe_load(path.read_text()):
        assert entry.get("origin") in claims.ORIGINS, f"{path.name}: {entry['id']} has no origin"
        if entry["origin"] == "ours":
            assert entry.get("why"), f"{path.name}: {entry['id']} is ours but does not say why"


@pytest.mark.skipif(not __import__("os").environ.get("SYNTHMED_CACHE_DIR"),
                    reason="checks the verdicts of the build `make test` just made ($SYNTHMED_CACHE_DIR)")
def test_no_stored_verdict_is_decided_by_a_degenerate_comparison():
    """Over the verdicts the smoke build of `make test` stored: nothing supported or contradicted with a
    zero-width interval, and every decided primary claim survived the adjustment."""
    frame = claims.read_verdicts("smoke")
    decided = frame[frame["verdict"].isin(["supported", "contradicted"])]
    assert not ((decided["n"] >= 2) & (decided["low"] == decided["high"])).any()
    primary = decided[decided["role"] == "primary"]
    assert (primary["p_adj"] < claims.ALPHA).all()


def test_a_pooled_equivalence_claim_counts_its_cells():
    """A pooled "close" claim averages each seed over the pool's cells, and says how many (it said 0)."""
    rows = [{"method": "A", "seed": s, "cell": c, "acc": 0.70 + 0.001 * s + 0.002 * c, "constant": False}
            for s in range(4) for c in range(3)]
    c = claims.Claim("e2", "TSynD", "Sec. 4.2", "A near 70", "acc", "close", a={"method": "A"}, value=70.0,
                     margin=2.0, scale=100, pool=("cell",))
    v = claims.judge(c, pd.DataFrame(rows))
    assert v.cells == 3 and v.n == 4
    assert v.diff == pytest.approx(100 * (0.0015 + 0.002) )  # mean over seeds 0..3 and cells 0..2
    assert "each the mean of 3 cells" in v.sentence()
