"""Test metrics of one classifier at two thresholds, so that a gain from a shifted class prior can be told apart from
a better classifier.

- ``"0.5"``: the paper's fixed threshold on the predicted probability. A classifier trained with fewer positives
  than the test split holds is pushed below 0.5 on positives; adding (synthetic) positives to training moves its
  scores up, and sensitivity rises at 0.5 even when the ranking of the images is no better.
- ``"val_spec"``: the threshold chosen on the validation split so that validation specificity is at least a target
  (e.g. 0.8). With the specificity held fixed, only a better ranking raises sensitivity.

ROC-AUC does not depend on the threshold; it is reported under both.
"""

from __future__ import annotations

import numpy as np

from synthmed.metrics.classification import roc_auc, summarize

RULE_LABELS = {"0.5": "threshold 0.5", "val_spec": "validation-specificity threshold"}  # the chapter's one list
RULES = tuple(RULE_LABELS)


def threshold_for_specificity(prob: np.ndarray, labels: np.ndarray, specificity: float) -> float:
    """The smallest threshold t (predict positive where prob > t) whose specificity on (prob, labels) is at least
    ``specificity``: the ``ceil(specificity * n_neg)``-th smallest negative score."""
    if not 0 < specificity <= 1:
        raise ValueError(f"target specificity must be in (0, 1], got {specificity}")
    neg = np.sort(np.asarray(prob, dtype=float)[np.asarray(labels) == 0])
    if len(neg) == 0:
        raise ValueError("no negative validation row to choose a threshold on")
    k = int(np.ceil(specificity * len(neg) - 1e-9))
    return float(neg[max(k, 1) - 1])


def metrics_at(prob: np.ndarray, labels: np.ndarray, threshold: float, *, strict: bool) -> dict:
    """sensitivity, specificity, balanced_accuracy, accuracy, majority_rate, constant (from
    :func:`synthmed.metrics.classification.summarize`) and roc_auc of (N,) scores at ``threshold``
    (positive where prob > threshold if ``strict`` else prob >= threshold)."""
    prob, labels = np.asarray(prob, dtype=float), np.asarray(labels).astype(int)
    pred = (prob > threshold) if strict else (prob >= threshold)
    m = summarize(pred.astype(int), labels, 2)
    return {k: m[k] for k in ("sensitivity", "specificity", "balanced_accuracy", "accuracy", "majority_rate",
                              "constant")} | {"roc_auc": roc_auc(prob, labels), "threshold": float(threshold)}


def score_run(val_prob, val_labels, test_prob, test_labels, *, specificity: float = 0.8) -> list[dict]:
    """Two rows of test metrics, one per threshold rule of :data:`RULES` (column ``threshold_rule``), each with the
    validation specificity and sensitivity the same threshold gives (``val_specificity``, ``val_sensitivity``) and
    the rule's validation target (``target_specificity``: ``specificity`` for "val_spec", NaN for "0.5"), so that a
    reader can see where a threshold set on validation lands on test."""
    t = threshold_for_specificity(np.asarray(val_prob), np.asarray(val_labels), specificity)
    rows = []
    for rule, threshold, strict, target in (("0.5", 0.5, False, float("nan")), ("val_spec", t, True, specificity)):
        val = metrics_at(val_prob, val_labels, threshold, strict=strict)
        rows.append({"threshold_rule": rule, **metrics_at(test_prob, test_labels, threshold, strict=strict),
                     "target_specificity": target, "val_specificity": val["specificity"],
                     "val_sensitivity": val["sensitivity"]})
    return rows
