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
PAPER_POSITIVES = 212  # Sec. 4.1: first-visit pneumonia images
PAPER_TEST_FRACTION = 0.3  # Sec. 4.2: "split in the ratio of 7:3"
VAL_FRACTION_READING = 0.2  # ours: a reading (a 20 % validation cut of the training part); the paper gives none


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


def consistent_denominators(values, tolerances, candidates) -> list[int]:
    """The n among ``candidates`` for which every value is k/n for an integer k within its tolerance."""
    v, tol = np.asarray(values, dtype=float), np.asarray(tolerances, dtype=float)
    return [int(n) for n in candidates if np.all(np.abs(v - np.round(v * n) / n) <= tol + 1e-12)]


def _table1_raw() -> pd.DataFrame:
    with resources.as_file(resources.files(reference) / "imbalance_table1.csv") as path:
        return pd.read_csv(path, comment="#", dtype=str).set_index("model")


def table1() -> pd.DataFrame:
    """The paper's Table 1 (test sensitivity, 0-1) as floats: rows resnet50, densenet121, vgg16; columns real,
    real_meta, ensemble."""
    return _table1_raw().astype(float)


def epochs_matching(model: str, value: str) -> list[int]:
    """The epochs of ``model``'s per-epoch figure whose validation recall equals ``value`` (as printed: its digits
    set the tolerance)."""
    figs = paper_figures()
    rows = figs[figs.model == model]
    return rows.epoch[np.abs(rows.recall - float(value)) <= _tolerance(value)].astype(int).tolist()


def table1_analysis() -> dict:
    """The facts behind the chapter's reading of Table 1, all computed from the paper's printed numbers:
    fig_positives / fig_images (validation positives and images of Figs. 3-5, from the denominators of recall and
    accuracy); real_denominators / ensemble_denominators (the n <= 100 that fit each column); test_positives (the
    real positives a 7 : 3 split of the paper's 212 leaves for test, rounded down and up); val_positives_reading
    (212 x 0.7 x 0.2); test_fits_real (whether a 7:3 test set's positives fit the real columns); matches
    {model: [epochs whose validation recall equals the ensemble value]}; last_epoch {model: the figure's last}."""
    raw = _table1_raw()
    tol = {c: [_tolerance(t) for t in raw[c]] for c in raw.columns}
    real_vals = np.r_[raw.real.astype(float), raw.real_meta.astype(float)]
    real_tol = tol["real"] + tol["real_meta"]
    figs = paper_figures()
    test = PAPER_POSITIVES * PAPER_TEST_FRACTION
    test_positives = (int(np.floor(test)), int(np.ceil(test)))
    return {"fig_positives": denominator(figs.recall), "fig_images": denominator(figs.accuracy),
            "real_denominators": consistent_denominators(real_vals, real_tol, range(1, 101)),
            "ensemble_denominators": consistent_denominators(raw.ensemble.astype(float), tol["ensemble"],
                                                             range(1, 101)),
            "test_positives": test_positives,
            "test_fits_real": any(consistent_denominators(real_vals, real_tol, test_positives)),
            "val_positives_reading": PAPER_POSITIVES * (1 - PAPER_TEST_FRACTION) * VAL_FRACTION_READING,
            "matches": {m: epochs_matching(m, raw.loc[m, "ensemble"]) for m in raw.index},
            "last_epoch": figs.groupby("model").epoch.max().astype(int).to_dict()}
