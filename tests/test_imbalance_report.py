"""Thresholds, the paper's Table 1 check and the chapter's generated text, on hand-worked inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthmed import claims
from synthmed.imbalance import paper_check, report, scoring


def test_threshold_for_specificity_hand_worked():
    prob = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.9, 0.35])
    labels = np.array([0, 0, 0, 0, 0, 1, 1])
    # 5 negatives: specificity >= 0.8 needs 4 of them at or below t -> t = 4th smallest negative score
    assert scoring.threshold_for_specificity(prob, labels, 0.8) == 0.4
    assert scoring.threshold_for_specificity(prob, labels, 0.6) == 0.3
    with pytest.raises(ValueError, match="in \\(0, 1\\]"):
        scoring.threshold_for_specificity(prob, labels, 0.0)


def test_score_run_separates_a_prior_shift_from_a_better_ranking():
    """Scores shifted upwards (as more training positives do) raise sensitivity at 0.5 with specificity falling;
    at a threshold fixed on validation specificity both classifiers score the same: same ranking, same AUC."""
    rng = np.random.default_rng(0)
    labels = np.r_[np.zeros(200), np.ones(200)].astype(int)
    logits = rng.normal(size=400) + labels
    low, high = 1 / (1 + np.exp(-(logits - 1.5))), 1 / (1 + np.exp(-(logits + 0.5)))
    a = {r["threshold_rule"]: r for r in scoring.score_run(low, labels, low, labels)}
    b = {r["threshold_rule"]: r for r in scoring.score_run(high, labels, high, labels)}
    assert b["0.5"]["sensitivity"] > a["0.5"]["sensitivity"] + 0.3
    assert b["0.5"]["specificity"] < a["0.5"]["specificity"] - 0.3
    assert b["val_spec"]["sensitivity"] == pytest.approx(a["val_spec"]["sensitivity"])
    assert a["val_spec"]["specificity"] >= 0.8 and a["0.5"]["roc_auc"] == pytest.approx(b["0.5"]["roc_auc"])


def test_table1_check_from_the_papers_figures():
    table, facts = paper_check.table1_check()
    assert table.ensemble_equals_last_recall.all()  # ensemble column = last-epoch validation recall
    assert (facts["denominator_real"], facts["denominator_real_meta"], facts["denominator_ensemble"]) == (30, 30, 28)
    assert (facts["denominator_fig_recall"], facts["denominator_fig_accuracy"]) == (84, 201)
    assert paper_check.denominator([0.5, 0.25]) == 4 and paper_check.denominator([0.314159], max_n=100) is None
    _, text = report.table1_check()
    assert "equals the recall of the last epoch" in text and "1/84" in text and "30 test positives" in text


def _results(gain: float, seeds=range(5)) -> pd.DataFrame:
    rows = []
    for s in seeds:
        for variant, shift in (("real", 0.0), ("real_meta", gain)):
            for rule in ("0.5", "val_spec"):
                rows.append({"experiment": "nih_patient", "variant": variant, "backbone": "smallcnn", "seed": s,
                             "threshold_rule": rule, "sensitivity": 0.5 + shift + 0.01 * s,
                             "specificity": 0.7, "balanced_accuracy": 0.6 + shift / 2 + 0.01 * s,
                             "roc_auc": 0.65 + shift / 2, "constant": False, "majority_rate": 0.63,
                             "n_train_neg": 256, "n_train_pos": 78})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("gain, expected", [(0.1, "supported"), (-0.1, "contradicted")])
def test_generated_text_follows_the_results(gain, expected):
    verdicts = claims.judge_all(report.load_claims(), _results(gain), profile="quick")
    by_id = {v.claim.id: v for v in verdicts}
    assert by_id["imbalance-meta-vs-real-sensitivity-0.5"].verdict == expected
    assert by_id["imbalance-pneumonia-synth-vs-real-sensitivity-0.5"].verdict == "not testable"
    text = report.findings(_results(gain), verdicts, 5)
    assert "interval above 50" in text and ("none" not in text.split("above 50")[1].split("\n")[0])
    assert "test majority-class rate 63.0" in text
    shift = report.prior_shift_text(verdicts)
    assert ("ranks positives better" in shift) == (gain > 0)
    grid = report.headline_grid(_results(gain), verdicts)
    assert grid.cells.shape == (2, 4)  # two classifiers; 3 metrics at threshold 0.5 + ROC-AUC
    assert report.headline_grid(_results(gain), verdicts, "val_spec").cells.shape == (2, 3)
    with pytest.raises(ValueError, match="val_spec"):
        report.headline_grid(_results(gain), verdicts, "0.3")


def test_claims_file_covers_the_issue():
    ids = {c.id for c in report.load_claims()}
    for cmp in ("meta-vs-real", "synth-meta-vs-meta", "pneumonia-synth-vs-real"):
        for metric in ("sensitivity", "specificity", "balanced_accuracy"):
            assert {f"imbalance-{cmp}-{metric}-0.5", f"imbalance-{cmp}-{metric}-val_spec"} <= ids
