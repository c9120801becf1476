"""Does the paper's Table 1 compare like with like? A check computed from the paper's own printed numbers.

Table 1 (test sensitivity) has three columns. If its "ensemble" column equals the last-epoch *validation* recall of
the per-epoch Figs. 3-5, and the other two columns are fractions with another denominator (a different set of
positives), then the columns were measured on different images and their differences are not the effect of the
training data alone. :func:`denominator` finds the smallest number of positives that reproduces printed values;
:func:`table1_check` puts the evidence in one table.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from synthmed import reference

FIGURES_CSV = Path(__file__).with_name("paper_figs3to5.csv")


def paper_figures() -> pd.DataFrame:
    """The per-epoch validation metrics printed in the paper's Figs. 3-5 (one row per model and epoch)."""
    return pd.read_csv(FIGURES_CSV, comment="#")


def _tolerance(text: str) -> float:
    """Half a unit of the last printed digit: '0.5667' -> 5e-5, '0.400' -> 5e-4."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10.0 ** -decimals


def denominator(values, tolerances=None, max_n: int = 300) -> int | None:
    """The smallest n <= max_n such that every value is k/n for an integer k within its tolerance (default 1e-6:
    one unit of the sixth printed decimal, as the figures truncate some values, e.g. 165/201 printed 0.820895),
    or None."""
    v = np.asarray(values, dtype=float)
    tol = np.full(len(v), 1e-6) if tolerances is None else np.asarray(tolerances, dtype=float)
    for n in range(1, max_n + 1):
        if np.all(np.abs(v - np.round(v * n) / n) <= tol + 1e-12):
            return n
    return None


def table1_check() -> tuple[pd.DataFrame, dict]:
    """(table, facts). table: one row per backbone with Table 1's three columns, the last-epoch validation recall
    of its figure and whether it equals the ensemble column. facts: denominators of each Table 1 column, of the
    figures' recall and accuracy columns, and whether every ensemble value equals its figure's last recall."""
    with resources.as_file(resources.files(reference) / "imbalance_table1.csv") as path:
        raw = pd.read_csv(path, comment="#", dtype=str)  # as printed: the digits set the rounding tolerance
    table = raw.set_index("model").astype(float)
    figs = paper_figures()
    last = figs.sort_values("epoch").groupby("model").last()
    rows = []
    for model in table.index:
        rows.append({"model": model, "real": table.loc[model, "real"], "real_meta": table.loc[model, "real_meta"],
                     "ensemble": table.loc[model, "ensemble"], "figure": int(last.loc[model, "figure"]),
                     "epochs_in_figure": int(figs[figs.model == model].epoch.max()),
                     "last_epoch_val_recall": last.loc[model, "recall"],
                     "ensemble_equals_last_recall": bool(abs(table.loc[model, "ensemble"] - last.loc[model, "recall"])
                                                         <= _tolerance(raw.set_index("model").loc[model, "ensemble"]))})
    facts = {f"denominator_{c}": denominator(table[c], [_tolerance(t) for t in raw[c]])
             for c in ("real", "real_meta", "ensemble")}
    facts["denominator_fig_recall"] = denominator(figs.recall)
    facts["denominator_fig_accuracy"] = denominator(figs.accuracy)
    facts["all_ensemble_equal_last_recall"] = all(r["ensemble_equals_last_recall"] for r in rows)
    return pd.DataFrame(rows), facts
