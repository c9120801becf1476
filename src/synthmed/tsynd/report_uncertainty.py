"""Tables of the Table 2 notebook (``tsynd_uncertainty``: maximise mutual information or predictive entropy),
computed from the TSynD runs of :mod:`synthmed.tsynd.experiment`; nothing here trains or scores."""

from __future__ import annotations

import pandas as pd

from synthmed.display import t_interval
from synthmed.tsynd.report_explain import labelled

OBJECTIVE_LABELS = {"mi": "MI", "entropy": "Entropy"}


def objective_runs(specs: list, results: list[dict]) -> pd.DataFrame:
    """One row per run: dataset, labelled, fraction, objective (MI / Entropy), seed, validation accuracy and
    balanced accuracy of the kept (best-validation) model, clean test accuracy and balanced accuracy, the test
    split's majority-class rate and ``constant`` (clean test predictions >= 95 % one class)."""
    rows = []
    for spec, res in zip(specs, results):
        clean = next(t for t in res["test"] if t["test_condition"] == "clean")
        rows.append({"dataset": spec.dataset, "labelled": labelled(spec.fraction), "fraction": spec.fraction,
                     "objective": OBJECTIVE_LABELS[spec.train.objective], "seed": spec.seed,
                     "validation_accuracy": res["best_val"]["accuracy"],
                     "validation_balanced_accuracy": res["best_val"]["balanced_accuracy"],
                     "test_accuracy": clean["accuracy"], "test_balanced_accuracy": clean["balanced_accuracy"],
                     "majority_rate": clean["majority_rate"], "constant": bool(clean["constant"])})
    return pd.DataFrame(rows)


def _cell(values: pd.Series) -> str:
    lo, hi = t_interval(100 * values)
    return f"{100 * values.mean():.1f} [{lo:.1f}, {hi:.1f}]"


def table2(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (dataset, labelled, objective): mean [95 % t interval over seeds] in percent of validation accuracy
    (what the paper's Table 2 reports), validation balanced accuracy and clean test accuracy / balanced accuracy,
    the majority-class rate and the number of (near-)constant runs."""
    keys = ["dataset", "labelled", "objective"]
    out = runs.groupby(keys, sort=False).agg(
        seeds=("seed", "count"), validation_accuracy=("validation_accuracy", _cell),
        validation_balanced_accuracy=("validation_balanced_accuracy", _cell), test_accuracy=("test_accuracy", _cell),
        test_balanced_accuracy=("test_balanced_accuracy", _cell),
        majority_rate=("majority_rate", lambda v: f"{100 * v.iloc[0]:.1f}"), constant_runs=("constant", "sum"))
    return out.reset_index().rename(columns=lambda c: c.replace("_", " "))
