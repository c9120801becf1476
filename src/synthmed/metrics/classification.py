"""Accuracy with the diagnostics that show when a classifier is no better than a constant predictor.

On small, imbalanced test splits (BreastMNIST: 114 of 156 test images are one class) a classifier that predicts one
class for everything scores the majority-class rate. :func:`summarize` therefore reports, beside accuracy, the
balanced accuracy (mean per-class recall), the g-mean (binary: sqrt(sensitivity * specificity)), the test split's
majority-class rate, and the share of predictions falling in the most-predicted class; ``constant`` flags a
classifier that puts at least :data:`CONSTANT_SHARE` of the test images in one class.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import torch

CONSTANT_SHARE = 0.95  # a classifier putting >= 95 % of test images in one class is flagged as (near-)constant
CONSTANT_MARK = "†"  # printed after a cell whose classifier is (near-)constant


def _as_numpy(x: torch.Tensor | np.ndarray | Sequence[int]) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x).reshape(-1).astype(np.int64)


def confusion(pred: torch.Tensor | np.ndarray, target: torch.Tensor | np.ndarray, n_classes: int | None = None
              ) -> np.ndarray:
    """(C, C) int64 confusion matrix, rows = true class, columns = predicted class. pred, target: (N,) ints."""
    p, t = _as_numpy(pred), _as_numpy(target)
    if p.shape != t.shape:
        raise ValueError(f"pred and target must have the same length, got {p.shape[0]} and {t.shape[0]}")
    if p.size == 0:
        raise ValueError("cannot summarise an empty set of predictions")
    c = int(n_classes or max(p.max(), t.max()) + 1)
    return np.bincount(t * c + p, minlength=c * c).reshape(c, c)


def summarize(pred: torch.Tensor | np.ndarray, target: torch.Tensor | np.ndarray, n_classes: int | None = None
              ) -> dict[str, float | bool]:
    """Accuracy and trivial-predictor diagnostics for class predictions.

    pred, target: (N,) integer class labels; n_classes: C (default: inferred). Returns a dict with accuracy,
    balanced_accuracy (mean recall over the classes present in target), g_mean (binary only, else NaN;
    sqrt(recall_1 * recall_0)), sensitivity and specificity (binary only, class 1 positive), majority_rate (share
    of the most frequent true class), top_prediction_share (share of the most frequent predicted class) and
    constant (top_prediction_share >= CONSTANT_SHARE).
    """
    cm = confusion(pred, target, n_classes)
    n = cm.sum()
    support = cm.sum(axis=1)
    present = support > 0
    recall = np.divide(np.diag(cm), support, out=np.zeros(len(cm)), where=present)
    top_share = cm.sum(axis=0).max() / n
    binary = len(cm) == 2
    return {
        "accuracy": float(np.trace(cm) / n),
        "balanced_accuracy": float(recall[present].mean()),
        "g_mean": float(math.sqrt(recall[0] * recall[1])) if binary else float("nan"),
        "sensitivity": float(recall[1]) if binary else float("nan"),
        "specificity": float(recall[0]) if binary else float("nan"),
        "majority_rate": float(support.max() / n),
        "top_prediction_share": float(top_share),
        "constant": bool(top_share >= CONSTANT_SHARE),
    }


def majority_rate(labels: torch.Tensor | np.ndarray) -> float:
    """Share of the most frequent class in (N,) labels: the accuracy of always predicting it."""
    counts = np.bincount(_as_numpy(labels))
    return float(counts.max() / counts.sum())


def mean_std(values: Iterable[float], scale: float = 100.0, digits: int = 1) -> str:
    """'mean ± std' of ``values`` times ``scale`` (std with ddof=1; '—' with one value)."""
    v = np.asarray(list(values), dtype=float) * scale
    if v.size == 0:
        return ""
    if v.size == 1:
        return f"{v[0]:.{digits}f}"
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}"


def summary_table(rows: Sequence[dict], group: Sequence[str], metrics: Sequence[str] = ("accuracy",
                  "balanced_accuracy"), scale: float = 100.0, digits: int = 1) -> pd.DataFrame:
    """Aggregate per-run summaries into a table of 'mean ± std' cells, one row per ``group`` combination.

    rows: dicts holding the ``group`` keys and the outputs of :func:`summarize` (one per run/seed). A cell whose
    runs are all constant predictors gets :data:`CONSTANT_MARK` appended; a column ``constant_runs`` counts them.
    """
    frame = pd.DataFrame(rows)
    out = []
    for keys, g in frame.groupby(list(group), sort=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        rec = dict(zip(group, keys))
        all_constant = bool(g["constant"].all())
        for m in metrics:
            cell = mean_std(g[m], scale, digits)
            rec[m] = cell + (CONSTANT_MARK if all_constant and m in ("accuracy", "balanced_accuracy") else "")
        rec["constant_runs"] = f"{int(g['constant'].sum())}/{len(g)}"
        out.append(rec)
    return pd.DataFrame(out)


def roc_auc(scores: torch.Tensor | np.ndarray, target: torch.Tensor | np.ndarray) -> float:
    """ROC AUC of a binary classifier (``sklearn.metrics.roc_auc_score``), NaN when ``target`` has one class only.
    scores: (N,) scores or probabilities of class 1, or (N, O) logits (one logit: a sigmoid head; two: a softmax
    head, scored by class 1's log-odds, which ranks like its probability; more: a ValueError); target: (N,) in
    {0, 1}. Scores are compared in float64, so float64 probabilities keep their ties exactly."""
    from sklearn.metrics import roc_auc_score

    scores = torch.as_tensor(scores).detach().double().cpu()
    if scores.ndim == 1:
        scores = scores[:, None]
    if scores.shape[1] > 2:
        raise ValueError(f"roc_auc is for binary classifiers, got {scores.shape[1]} outputs")
    score = scores[:, 0] if scores.shape[1] == 1 else scores[:, 1] - scores[:, 0]
    t = _as_numpy(target)
    if len(np.unique(t)) < 2:
        return float("nan")
    return float(roc_auc_score(t, score.numpy()))
