"""Every split the class-imbalance chapter trains or tests on is patient-disjoint; NIH1000's own split is not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthmed.data import grouped
from synthmed.data.nih import select_nih1000
from synthmed.imbalance import balance, experiment

from conftest import DATA_ROOT, requires_data


def _toy(n_patients=150, seed=0):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 9, n_patients)
    patient = np.repeat(np.arange(n_patients), sizes)
    label = (rng.random(len(patient)) < 0.4).astype(int)
    return pd.DataFrame({"patient_id": patient, "label": label})


def test_grouped_split_is_disjoint_capped_stratified_and_seeded():
    f = _toy()
    f["split"] = grouped.grouped_split(f.label, f.patient_id, val_fraction=0.2, test_fraction=0.2, seed=1, cap=6)
    grouped.check_patient_disjoint(f)
    assert (grouped.patient_overlap(f).patients_shared == 0).all()
    per_patient = f[f.split != "train"].groupby("patient_id").size()
    assert per_patient.max() <= 6  # the cap: no patient gives more than 6 images to validation or test
    heavy = f.groupby("patient_id").size()
    assert set(f[f.patient_id.isin(heavy[heavy > 6].index)].split) == {"train"}
    share = f.groupby("split").label.mean()
    assert abs(share["test"] - f.label.mean()) < 0.15 and abs(share["val"] - f.label.mean()) < 0.15
    again = grouped.grouped_split(f.label, f.patient_id, val_fraction=0.2, test_fraction=0.2, seed=1, cap=6)
    assert (again == f.split.to_numpy()).all()
    other = grouped.grouped_split(f.label, f.patient_id, val_fraction=0.2, test_fraction=0.2, seed=2, cap=6)
    assert (other != f.split.to_numpy()).any()


def test_grouped_split_errors_name_the_problem():
    f = _toy()
    with pytest.raises(ValueError, match="sum below 1"):
        grouped.grouped_split(f.label, f.patient_id, val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(ValueError, match="raise the cap"):
        grouped.grouped_split(f.label, f.patient_id, test_fraction=0.4, cap=1)


def test_overlap_is_counted_and_refused():
    f = pd.DataFrame({"patient_id": [1, 1, 2, 3, 3, 4], "label": [0, 1, 0, 1, 1, 0],
                      "split": ["train", "test", "train", "val", "test", "test"]})
    t = grouped.patient_overlap(f).set_index("splits")
    assert t.loc["train / test"].tolist() == [1, 1, 1] and t.loc["val / test"].tolist() == [1, 1, 1]
    assert t.loc["train / val", "patients_shared"] == 0
    with pytest.raises(ValueError, match="train / test: 1 patients; val / test: 1 patients"):
        grouped.check_patient_disjoint(f, name="toy split")


@requires_data("nih/NIH1000_metadata.csv")
def test_nih1000_original_split_is_not_patient_disjoint():
    original = select_nih1000(DATA_ROOT / "nih" / "NIH1000_metadata.csv", minority_ratio=None)
    overlap = grouped.patient_overlap(original).set_index("splits").patients_shared
    assert overlap.to_dict() == {"train / val": 15, "train / test": 8, "val / test": 9}  # issue 12's count
    with pytest.raises(ValueError, match="not patient-disjoint"):
        grouped.check_patient_disjoint(original)


@requires_data("nih/NIH1000", "nih/NIH1000_metadata.csv", "nih/Data_Entry_2017.csv")
@pytest.mark.parametrize("name", ["nih_patient", "metadata_only"])
def test_every_split_the_chapter_uses_is_patient_disjoint(name):
    """Each seed's data (subsample / selection and split) with synthetic images added where the chapter adds them:
    no patient id in two splits, and no more than the cap of one patient's images in validation or test."""
    for seed in range(3):
        data = experiment.prepare_data(name, seed, str(DATA_ROOT), size=16, cap=10)
        frame = data.split_frame()
        assert frame.patient_id.notna().all()
        grouped.check_patient_disjoint(frame, name=f"{name} seed {seed}")
        assert frame[frame.split != "train"].groupby("patient_id").size().max() <= 10
        if data.has_images:
            src = balance.source_indices(data, 20, seed)
            synth = balance.add_synthetic(data, data.train.images[src], src, seed=seed)
            grouped.check_patient_disjoint(synth.split_frame(), name=f"{name} seed {seed} + synthetic")
