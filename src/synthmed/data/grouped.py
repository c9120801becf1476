"""Patient-grouped splits: no patient in two splits, classes stratified, a cap on images per patient in test.

Chest X-ray sets hold several images per patient. When one patient's images fall in both training and test, a
classifier can score well by recognising the patient rather than the disease; when one patient supplies most of
the test positives, the test measures that patient. :func:`grouped_split` avoids both; :func:`patient_overlap`
and :func:`check_patient_disjoint` measure and enforce the first property on any split frame.

A split frame is a :class:`pandas.DataFrame` with one row per image and (at least) the columns ``split`` (train /
val / test), ``label`` (0/1) and a patient column (``patient_id`` by default).
"""

from __future__ import annotations

import hashlib
from itertools import combinations

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from synthmed import cache

SPLITS = ("train", "val", "test")


def _take_fold(labels: np.ndarray, groups: np.ndarray, fraction: float, seed: int, n_splits: int = 20
               ) -> np.ndarray:
    """(N,) bool: about ``fraction`` of the rows, whole groups only, classes stratified: the union of
    ``round(fraction * n_splits)`` of sklearn's StratifiedGroupKFold folds (``n_splits`` at most the groups)."""
    n_splits = min(n_splits, len(np.unique(groups)))
    k = min(n_splits - 1, max(1, int(round(fraction * n_splits))))
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    mask = np.zeros(len(labels), dtype=bool)
    for _, (_, held) in zip(range(k), folds.split(np.zeros(len(labels)), labels, groups)):
        mask[held] = True
    return mask


def grouped_split(labels, groups, *, val_fraction: float = 0.2, test_fraction: float = 0.2, seed: int = 0,
                  cap: int | None = None) -> np.ndarray:
    """Assign every row to train / val / test with no group (patient) in two splits.

    labels: (N,) 0/1; groups: (N,) patient ids. cap: patients with more than ``cap`` images go to train whole, so
    no patient supplies more than ``cap`` images to validation or test (None: no cap). From the other patients,
    about ``test_fraction * N`` rows go to test and ``val_fraction * N`` to validation, whole patients only, the
    classes stratified (sklearn's StratifiedGroupKFold, shuffled with ``seed``); the rest go to train.
    Returns (N,) object array of split names.
    """
    labels, groups = np.asarray(labels), np.asarray(groups)
    if not 0 < test_fraction < 1 or not 0 <= val_fraction < 1 or val_fraction + test_fraction >= 1:
        raise ValueError(f"fractions must be in (0, 1) and sum below 1, got val {val_fraction}, "
                         f"test {test_fraction}")
    # cached by the rows' content: sklearn's StratifiedGroupKFold loops over the patients in Python (1-2 s per
    # split of NIH1000), and every seed of a chapter reloads the same fixed split
    rows = hashlib.sha256(pd.util.hash_pandas_object(pd.DataFrame({"label": labels, "group": groups}),
                                                     index=False).to_numpy().tobytes()).hexdigest()[:16]
    codes = cache.cached("grouped_split", lambda: _split_codes(labels, groups, val_fraction, test_fraction, seed, cap),
                         params={"rows": rows, "n": len(labels), "val_fraction": val_fraction,
                                 "test_fraction": test_fraction, "seed": seed, "cap": cap})
    return np.array(SPLITS, dtype=object)[codes]


def _split_codes(labels: np.ndarray, groups: np.ndarray, val_fraction: float, test_fraction: float, seed: int,
                 cap: int | None) -> np.ndarray:
    """(N,) int8 index into :data:`SPLITS`: :func:`grouped_split`'s assignment, computed."""
    split = np.full(len(labels), "train", dtype=object)
    sizes = pd.Series(groups).map(pd.Series(groups).value_counts()).to_numpy()
    pool = np.flatnonzero(sizes <= cap) if cap is not None else np.arange(len(labels))
    want = (test_fraction + val_fraction) * len(labels)
    if want > len(pool):
        raise ValueError(f"only {len(pool)} images belong to patients with at most {cap} images; val + test "
                         f"need {want:.0f}: raise the cap or lower the fractions")
    test = _take_fold(labels[pool], groups[pool], test_fraction * len(labels) / len(pool), seed)
    split[pool[test]] = "test"
    rest = pool[~test]
    if val_fraction > 0:
        val = _take_fold(labels[rest], groups[rest], val_fraction * len(labels) / len(rest), seed + 1)
        split[rest[val]] = "val"
    return pd.Categorical(split, categories=SPLITS).codes.astype(np.int8)


def patient_overlap(frame: pd.DataFrame, patient: str = "patient_id") -> pd.DataFrame:
    """One row per pair of splits: patients in both, and the images of those patients in each of the two.

    frame: a split frame. Columns: splits, patients_shared,
    images_in_first, images_in_second.
    """
    used = frame[frame.split.isin(SPLITS)]
    rows = []
    for a, b in combinations(SPLITS, 2):
        shared = set(used.loc[used.split == a, patient]) & set(used.loc[used.split == b, patient])
        rows.append({"splits": f"{a} / {b}", "patients_shared": len(shared),
                     "images_in_first": int(((used.split == a) & used[patient].isin(shared)).sum()),
                     "images_in_second": int(((used.split == b) & used[patient].isin(shared)).sum())})
    return pd.DataFrame(rows)


def check_patient_disjoint(frame: pd.DataFrame, patient: str = "patient_id", name: str = "split") -> None:
    """Raise ValueError naming the shared patients when any patient appears in two of train / val / test."""
    overlap = patient_overlap(frame, patient)
    bad = overlap[overlap.patients_shared > 0]
    if len(bad):
        detail = "; ".join(f"{r.splits}: {r.patients_shared} patients" for r in bad.itertuples())
        raise ValueError(f"{name} is not patient-disjoint: {detail}")


def split_summary(frame: pd.DataFrame, patient: str = "patient_id") -> pd.DataFrame:
    """Per split: images, negatives, positives, patients, the largest number of images of one patient and the
    largest share of the split's positives that one patient supplies."""
    rows = []
    for s in SPLITS:
        part = frame[frame.split == s]
        if not len(part):
            continue
        pos = part[part.label == 1]
        top_pos = int(pos.groupby(patient).size().max()) if len(pos) else 0
        rows.append({"split": s, "images": len(part), "negative": int((part.label == 0).sum()),
                     "positive": len(pos), "patients": part[patient].nunique(),
                     "max_images_one_patient": int(part.groupby(patient).size().max()),
                     "max_positives_one_patient": top_pos})
    return pd.DataFrame(rows)
