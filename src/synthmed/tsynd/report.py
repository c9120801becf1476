"""Tables for the TSynD chapter: our Table 1 cells beside the paper's, and the trivial-predictor context the paper's
accuracies need (issue 6): each test split's class shares, and which of the paper's cells sit within rounding of
the accuracy that always predicting one class would score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthmed.metrics.classification import summary_table

CONDITION_LABELS = {"clean": "clean", "gaussian": "Gaussian noise σ", "fgsm": "FGSM ε"}


def class_shares(labels) -> np.ndarray:
    """(C,) share of each class in (N,) labels, in percent."""
    counts = np.bincount(np.asarray(labels).reshape(-1))
    return 100.0 * counts / counts.sum()


def constant_like(accuracy: float, shares: np.ndarray, tol: float = 0.5) -> int | None:
    """The class whose test share (percent) lies within ``tol`` points of ``accuracy`` (percent), i.e. the class
    a constant predictor would need to predict to score it; None if no class is that close. ``tol`` covers the
    paper's one-decimal rounding plus small differences between test-set versions."""
    diff = np.abs(np.asarray(shares) - accuracy)
    c = int(diff.argmin())
    return c if diff[c] <= tol else None


def paper_constant_cells(reference: pd.DataFrame, shares: dict[str, np.ndarray], tol: float = 0.5) -> pd.DataFrame:
    """Rows of the paper's table (columns test_condition, method, dataset, fraction, accuracy) whose accuracy equals a
    class share of that dataset's test split within ``tol`` points; adds columns ``class`` and ``class_share``.
    shares: dataset -> (C,) percent, for the datasets whose test split could be read."""
    out = []
    for _, r in reference.iterrows():
        if r["dataset"] not in shares:
            continue
        c = constant_like(float(r["accuracy"]), shares[r["dataset"]], tol)
        if c is not None:
            out.append({**r.to_dict(), "class": c, "class_share": float(shares[r["dataset"]][c])})
    return pd.DataFrame(out, columns=[*reference.columns, "class", "class_share"])


def comparison_table(rows: list[dict], reference: pd.DataFrame, majority: dict[str, float]) -> pd.DataFrame:
    """Our Table 1 beside the paper's.

    rows: per-run dicts from :func:`synthmed.tsynd.experiment.result_rows`; reference: the paper's table;
    majority: dataset -> majority-class rate of its test split (percent). One row per (dataset, fraction,
    test_condition, method) with: ours (accuracy mean ± std, † if every run predicts one class for >= 95 % of the
    test images), balanced accuracy, constant runs, paper accuracy, difference (our mean - paper) and the majority
    rate.
    """
    group = ["dataset", "fraction", "test_condition", "method"]
    table = summary_table(rows, group, metrics=("accuracy", "balanced_accuracy"))
    frame = pd.DataFrame(rows)
    means = frame.groupby(group, sort=False)["accuracy"].mean().mul(100).rename("mean").reset_index()
    ref = reference.rename(columns={"accuracy": "paper"})
    ref = ref.assign(fraction=ref["fraction"].round(4))
    table = table.merge(means, on=group, how="left")
    table = table.assign(fraction=table["fraction"].round(4)).merge(ref, on=group, how="left")
    table["difference"] = (table["mean"] - table["paper"]).round(1) + 0.0  # + 0.0 turns -0.0 into 0.0
    table["majority_rate"] = table["dataset"].map(majority).round(1)
    table = table.drop(columns="mean").rename(columns={"accuracy": "accuracy (ours)",
                                                       "balanced_accuracy": "balanced accuracy (ours)",
                                                       "paper": "accuracy (paper)",
                                                       "difference": "difference (ours - paper)",
                                                       "majority_rate": "majority-class rate"})
    return table


def unavailable_rows(reference: pd.DataFrame, local: list[str]) -> pd.DataFrame:
    """The paper's datasets that were not re-run here, one row each with the reason."""
    missing = sorted(set(reference["dataset"]) - set(local))
    return pd.DataFrame({"dataset": missing, "status": ["not re-run (data unavailable)"] * len(missing)})
