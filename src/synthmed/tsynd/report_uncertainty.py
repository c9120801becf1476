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
    frame = pd.DataFrame(rows)
    if len(frame):
        from synthmed.tsynd.report import chance_rate

        frame["chance"] = frame["dataset"].map(chance_rate)
    return frame


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


DIFFERENCE = "MI − Entropy"


def with_differences(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` plus one row per (dataset, fraction, seed) with objective :data:`DIFFERENCE` whose metric columns
    hold the paired difference MI - Entropy (the rows the equivalence claims read); their balanced-accuracy
    columns hold the weaker arm's value instead, and ``constant`` whether either arm is a constant predictor."""
    keys = ["dataset", "labelled", "fraction", "seed"]
    cols = list(METRICS)
    wide = runs.pivot_table(index=keys, columns="objective", values=cols)
    if not {"MI", "Entropy"} <= set(runs["objective"]):
        return runs
    diff = pd.DataFrame({c: wide[(c, "MI")] - wide[(c, "Entropy")] for c in cols})
    # an equivalence needs both arms informative: a difference row carries the weaker arm's balanced accuracies
    # (the claims engine's chance rule reads them) and is constant when either arm is
    for c in ("validation_balanced_accuracy", "test_balanced_accuracy"):
        diff[c] = wide[(c, "MI")].combine(wide[(c, "Entropy")], min)
    if "constant" in runs.columns:
        const = runs.assign(constant=runs["constant"].astype(float)).pivot_table(
            index=keys, columns="objective", values="constant")
        diff["constant"] = (const[["MI", "Entropy"]].max(axis=1) > 0).reindex(diff.index)
    if "chance" in runs.columns:
        diff["chance"] = runs.groupby(keys)["chance"].first().reindex(diff.index)
    diff = diff.dropna(subset=cols).reset_index()
    return pd.concat([runs, diff.assign(objective=DIFFERENCE)], ignore_index=True)


def paper_readings(reference: pd.DataFrame) -> pd.DataFrame:
    """The paper's Table 2 (``tsynd_table2``) in both readings of its unlabelled rows: per (dataset, fraction) the
    MI - Entropy difference (points) if row 1 is MI (reading A) and if row 2 is MI (reading B = -A)."""
    wide = reference.pivot_table(index=["dataset", "fraction"], columns="row", values="validation_accuracy")
    return pd.DataFrame({"reading A (row 1 = MI)": wide[1] - wide[2],
                         "reading B (row 2 = MI)": wide[2] - wide[1]}).round(1)


def table2_claims(claims_: list, reference: pd.DataFrame) -> list:
    """The Table 2 claims with the paper's figures of both readings and, for the equivalence ("not large") claims,
    the margin: the largest |MI - Entropy| in the paper's own table, which the paper calls not large."""
    from dataclasses import replace

    readings = paper_readings(reference)
    a = readings.iloc[:, 0]
    margin = float(a.abs().max())
    figure = (f"MI − Entropy per cell: {', '.join(f'{v:+.1f}' for v in a)} if the first row is MI (MI ahead in "
              f"{int((a > 0).sum())} of {len(a)}), the opposite signs if the second is; mean {a.mean():+.2f} or "
              f"{-a.mean():+.2f}")
    chest = readings.xs("chest-xray", level="dataset").iloc[:, 0]
    chest_figure = (f"Chest X-ray, MI − Entropy: {', '.join(f'{v:+.1f}' for v in chest)} (1 %, 10 %) if the first "
                    f"row is MI, the opposite signs if the second is")
    out = []
    for c in claims_:
        if c.a.get("dataset") == "nih1000" and not c.untestable:
            out.append(replace(c, paper_figure=chest_figure))
        elif c.untestable or "fraction" in c.a:
            out.append(c)
        elif c.kind == "close":
            out.append(replace(c, margin=margin, paper_figure=f"largest gap {margin:.1f} points; {figure}"))
        else:
            out.append(replace(c, paper_figure=figure))
    return out
