"""Tables of the Table 2 notebook (``tsynd_uncertainty``: maximise mutual information or predictive entropy),
computed from the TSynD runs of :mod:`synthmed.tsynd.experiment`; nothing here trains or scores."""

from __future__ import annotations

import pandas as pd

from synthmed.display import Grid, compact_grid, t_interval
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


METRICS = {"validation_accuracy": "validation accuracy", "validation_balanced_accuracy": "validation balanced acc.",
           "test_accuracy": "test accuracy", "test_balanced_accuracy": "test balanced acc."}


def _cell(values: pd.Series) -> str:
    lo, hi = t_interval(100 * values)
    return f"{100 * values.mean():.1f} [{lo:.1f}, {hi:.1f}]"


def table2(runs: pd.DataFrame) -> Grid:
    """Our Table 2 in a compact grid: rows (dataset, labelled share, metric), columns the objectives; cells mean
    [95 % t interval over seeds] in percent of validation accuracy (what the paper's Table 2 reports), validation
    balanced accuracy and clean test accuracy / balanced accuracy; the test split's majority-class rate and the
    runs whose clean test predictions are >= 95 % one class as the last rows."""
    rows = []
    for (d, lab, obj), g in runs.groupby(["dataset", "labelled", "objective"], sort=False):
        cells = {name: _cell(g[col]) for col, name in METRICS.items()}
        cells["majority-class rate"] = f"{100 * g['majority_rate'].iloc[0]:.1f}"
        cells["constant runs"] = f"{int(g['constant'].sum())}/{len(g)}"
        rows += [{"dataset": d, "labelled": lab, "metric": m, "objective": obj, "cell": c} for m, c in cells.items()]
    return compact_grid(pd.DataFrame(rows), rows=["dataset", "labelled", "metric"], columns="objective",
                        cell="cell", caption="Mean [95 % t interval over seeds], percent")
