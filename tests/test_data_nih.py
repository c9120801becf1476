import pandas as pd
import pytest
import torch

from synthmed.data import DataUnavailableError, default_nih1000, load_nih
from synthmed.data import grouped
from synthmed.data.nih import PAPER_MINORITY_RATIO, MetadataScaler, metadata_only, select_pneumonia

from conftest import DATA_ROOT, requires_data


def _frame(ages, sexes, views):
    return pd.DataFrame({"patient_age": ages, "patient_gender": sexes, "view_position": views})


def test_scaler_is_fitted_on_training_rows_only():
    train = _frame([20.0, 60.0], ["F", "M"], ["PA", "AP"])
    test = _frame([80.0, 40.0], ["M", "F"], ["AP", "PA"])
    scaler = MetadataScaler.fit(train)
    assert scaler.feature_names == ("age", "sex_F", "sex_M", "view_AP", "view_PA")
    x = scaler.transform(test)
    assert torch.allclose(x[:, 0], torch.tensor([1.5, 0.5]))  # (80-20)/40: the test maximum is not used
    assert x[:, 1:].tolist() == [[0, 1, 1, 0], [1, 0, 0, 1]]


def test_missing_paths_are_clear_errors(tmp_path):
    with pytest.raises(DataUnavailableError, match="does not exist"):
        load_nih(tmp_path / "none.csv", tmp_path)
    with pytest.raises(ValueError, match="unknown NIH mode 'x'; valid modes: nih1000, pneumonia"):
        (tmp_path / "m.csv").write_text("a\n")
        load_nih(tmp_path / "m.csv", tmp_path, mode="x")


@requires_data("nih/NIH1000", "nih/NIH1000_metadata.csv")
def test_nih1000_training_minority_follows_paper_ratio():
    ds = default_nih1000(DATA_ROOT / "nih", seed=0)
    n_pos, n_neg = int(ds.train.labels.sum()), int((ds.train.labels == 0).sum())
    assert n_pos == round(PAPER_MINORITY_RATIO * n_neg)
    assert (len(ds.val), len(ds.test)) == (200, 200)  # validation and test untouched
    assert ds.train.images.shape[1:] == (1, 64, 64) and ds.train.metadata.shape[1] == len(ds.feature_names)
    assert 0 <= ds.train.metadata[:, 0].min() and ds.train.metadata[:, 0].max() == 1


@requires_data("nih/Data_Entry_2017.csv")
def test_pneumonia_selection_rule(tmp_path):
    frame = select_pneumonia(DATA_ROOT / "nih" / "Data_Entry_2017.csv", seed=0)
    pos, neg = frame[frame.label == 1], frame[frame.label == 0]
    assert len(pos) == 178 and len(neg) == 700  # the paper reports 212 positives; this file gives 178
    assert pos.finding_labels.str.contains("Pneumonia").all() and (neg.finding_labels == "No Finding").all()
    test_share = (frame.split == "test").mean()
    assert abs(test_share - 0.3) < 0.02
    grouped.check_patient_disjoint(frame)
    other = select_pneumonia(DATA_ROOT / "nih" / "Data_Entry_2017.csv", seed=1)
    assert set(other[other.label == 0].image_index) != set(neg.image_index)  # the seed draws the normals
    with pytest.raises(DataUnavailableError, match="selected NIH images are missing"):
        load_nih(DATA_ROOT / "nih" / "Data_Entry_2017.csv", tmp_path, mode="pneumonia")


@requires_data("nih/Data_Entry_2017.csv")
def test_metadata_only_needs_no_image_file(tmp_path):
    (tmp_path / "Data_Entry_2017.csv").write_bytes((DATA_ROOT / "nih" / "Data_Entry_2017.csv").read_bytes())
    ds = metadata_only(tmp_path / "Data_Entry_2017.csv", seed=0)  # no image folder anywhere under tmp_path
    assert ds.train.images is None and ds.test.images is None
    assert len(ds.train) + len(ds.val) + len(ds.test) == 878
    assert ds.train.metadata.shape == (len(ds.train), len(ds.feature_names))
    with pytest.raises(DataUnavailableError, match="does not exist"):
        metadata_only(tmp_path / "missing.csv")


@requires_data("nih/NIH1000", "nih/NIH1000_metadata.csv")
def test_nih1000_patient_split_keeps_val_and_test_whole():
    ds = default_nih1000(DATA_ROOT / "nih", minority_ratio=None, split="patient", cap=10, size=32)
    frames = pd.concat([ds.split(s).frame for s in ("train", "val", "test")])
    grouped.check_patient_disjoint(frames)
    assert len(frames) == 1000 and ds.train.images.shape[1:] == (1, 32, 32)
    assert frames[frames.split == "test"].groupby("patient_id").size().max() <= 10
    with pytest.raises(ValueError, match="unknown NIH1000 split"):
        default_nih1000(DATA_ROOT / "nih", split="random")


@requires_data("nih/NIH1000", "nih/NIH1000_metadata.csv")
def test_nih1000_images_is_the_patient_split_as_a_28px_image_dataset():
    from synthmed.data import load_images
    from synthmed.data.images import nih1000_images

    ds = nih1000_images(str(DATA_ROOT / "nih"))
    nih = default_nih1000(DATA_ROOT / "nih", minority_ratio=None, split="patient", size=64)
    assert ds.name == "nih1000" and ds.n_classes == 2 and ds.n_channels == 1 and ds.task == "binary-class"
    for name in ("train", "val", "test"):
        mine, theirs = getattr(ds, name), nih.split(name)
        assert mine.images.shape == (len(theirs), 1, 28, 28) and mine.images.dtype == torch.uint8
        assert torch.equal(mine.labels, theirs.labels)  # same rows, same order as the patient re-split
    assert sum(len(getattr(ds, s)) for s in ("train", "val", "test")) == 1000
    assert load_images("breastmnist").name == "breastmnist"  # MedMNIST names pass through


def test_load_images_names_the_valid_forms():
    from synthmed.data import load_images

    with pytest.raises(ValueError, match="not a MedMNIST dataset name.*or one of nih1000"):
        load_images("chestxray")
