import math

import numpy as np
import pytest
import torch
from sklearn.metrics import balanced_accuracy_score, confusion_matrix

from synthmed.metrics.classification import (
    CONSTANT_MARK,
    confusion,
    majority_rate,
    mean_std,
    summarize,
    summary_table,
)


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_constant_predictor_scores_one_over_c_and_is_flagged(n_classes):
    target = torch.arange(60) % n_classes
    target[:20] = 0  # imbalanced: the constant majority prediction has accuracy > 1/C
    s = summarize(torch.zeros(60, dtype=torch.long), target, n_classes)
    assert s["balanced_accuracy"] == pytest.approx(1 / n_classes)
    assert s["accuracy"] == pytest.approx(s["majority_rate"])
    assert s["constant"] and s["top_prediction_share"] == 1.0


def test_perfect_predictor_is_not_flagged():
    target = torch.tensor([0, 1, 1, 0, 2, 2])
    s = summarize(target, target)
    assert s["accuracy"] == s["balanced_accuracy"] == 1.0 and not s["constant"]


def test_flag_threshold_is_95_percent():
    target = torch.zeros(100, dtype=torch.long)
    target[50:] = 1
    pred = torch.zeros(100, dtype=torch.long)
    pred[:6] = 1  # 94 % class 0: not flagged
    assert not summarize(pred, target)["constant"]
    pred[5] = 0  # 95 %: flagged
    assert summarize(pred, target)["constant"]


def test_g_mean_matches_hand_worked_confusion_matrix():
    # 8 negatives: 6 right, 2 wrong; 4 positives: 3 right, 1 wrong
    target = np.array([0] * 8 + [1] * 4)
    pred = np.array([0] * 6 + [1] * 2 + [1] * 3 + [0])
    s = summarize(pred, target)
    assert s["specificity"] == pytest.approx(0.75) and s["sensitivity"] == pytest.approx(0.75)
    assert s["g_mean"] == pytest.approx(math.sqrt(0.75 * 0.75))
    assert s["accuracy"] == pytest.approx(9 / 12)
    target2 = np.array([0] * 10 + [1] * 5)
    pred2 = np.array([0] * 9 + [1] + [1] * 2 + [0] * 3)  # spec 0.9, sens 0.4
    assert summarize(pred2, target2)["g_mean"] == pytest.approx(math.sqrt(0.36))


def test_agrees_with_sklearn_on_random_predictions():
    rng = np.random.default_rng(0)
    for c in (2, 4):
        t, p = rng.integers(0, c, 300), rng.integers(0, c, 300)
        assert summarize(p, t, c)["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(t, p))
        assert (confusion(p, t, c) == confusion_matrix(t, p, labels=range(c))).all()


def test_bad_input():
    with pytest.raises(ValueError, match="same length"):
        summarize([0, 1], [0])
    with pytest.raises(ValueError, match="empty"):
        summarize([], [])


def test_majority_rate_and_mean_std():
    assert majority_rate(torch.tensor([1, 1, 1, 0])) == 0.75
    assert mean_std([0.5, 0.7]) == "60.0 ± 14.1"
    assert mean_std([0.5]) == "50.0"


def test_summary_table_marks_constant_cells():
    t = torch.tensor([0, 0, 0, 1])
    rows = [{"method": "a", "seed": s, **summarize(torch.zeros(4, dtype=torch.long), t)} for s in range(2)]
    rows += [{"method": "b", "seed": s, **summarize(t, t)} for s in range(2)]
    table = summary_table(rows, ["method"]).set_index("method")
    assert table.loc["a", "accuracy"] == "75.0 ± 0.0" + CONSTANT_MARK
    assert table.loc["a", "balanced_accuracy"].endswith(CONSTANT_MARK)
    assert table.loc["b", "accuracy"] == "100.0 ± 0.0" and table.loc["a", "constant_runs"] == "2/2"


def test_roc_auc_by_hand_and_for_both_heads():
    from synthmed.metrics.classification import roc_auc

    target = torch.tensor([0, 0, 1, 1])
    one = torch.tensor([[0.1], [0.4], [0.35], [0.8]])  # pairs (pos > neg): 0.35>0.1, 0.8>0.1, 0.8>0.4 -> 3/4
    assert roc_auc(one, target) == pytest.approx(0.75)
    two = torch.cat([torch.zeros(4, 1), one], dim=1)  # softmax head: class 1's log-odds ranks the same
    assert roc_auc(two, target) == pytest.approx(0.75)
    assert np.isnan(roc_auc(one, torch.zeros(4, dtype=torch.long)))
    with pytest.raises(ValueError, match="binary"):
        roc_auc(torch.zeros(4, 3), target)
