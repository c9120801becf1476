import numpy as np
import pytest
import torch

from synthmed.data import ChecksumError, DataUnavailableError, available, load_medmnist, parse_name
from synthmed.data.medmnist import _labels, expected_md5, locate

from conftest import DATA_ROOT, requires_data


def test_parse_name():
    assert parse_name("breastmnist") == ("breastmnist", 28)
    assert parse_name("breastmnist_64") == ("breastmnist", 64)
    with pytest.raises(ValueError, match="unsupported MedMNIST size 32; valid sizes: 28, 64, 128, 224"):
        parse_name("breastmnist_32")
    with pytest.raises(ValueError, match="unknown 2D MedMNIST flag 'organmnist3d'"):
        parse_name("organmnist3d")
    with pytest.raises(ValueError, match="not a MedMNIST dataset name"):
        parse_name("mnist.npz")


def test_missing_file_offline_names_file_md5_folder_and_url(tmp_path):
    with pytest.raises(DataUnavailableError) as err:
        load_medmnist("dermamnist_64", root=tmp_path, download=False)
    msg = str(err.value)
    assert "dermamnist_64.npz" in msg and expected_md5("dermamnist", 64) in msg and str(tmp_path) in msg
    assert "zenodo.org" in msg and "SYNTHMED_DATA_ROOT" in msg


def test_corrupt_file_is_an_md5_mismatch(tmp_path):
    (tmp_path / "breastmnist.npz").write_bytes(b"not an npz file")
    with pytest.raises(ChecksumError, match="MD5 mismatch.*expected 750601b1f35ba3300ea97c75c52ff8f6"):
        load_medmnist("breastmnist", root=tmp_path, download=False)


def test_available_reports_reasons(tmp_path):
    status = available(["breastmnist"], root=tmp_path)
    assert status["breastmnist"].startswith("MedMNIST file breastmnist.npz")


def test_labels_shapes_per_task():
    single = _labels(np.array([[1], [0], [2]], dtype=np.uint8), "multi-class")
    assert single.shape == (3,) and single.dtype == torch.int64
    multi = _labels(np.zeros((4, 14), dtype=np.uint8), "multi-label, binary-class")
    assert multi.shape == (4, 14)


@requires_data("medmnist/breastmnist.npz")
def test_breastmnist_loads_as_official_split():
    ds = load_medmnist("breastmnist", download=False)
    assert (len(ds.train), len(ds.val), len(ds.test)) == (546, 78, 156)
    assert ds.train.images.shape == (546, 1, 28, 28) and ds.train.images.dtype == torch.uint8
    assert ds.test.labels.shape == (156,) and set(ds.test.labels.tolist()) == {0, 1}
    assert ds.n_classes == 2 and ds.task == "binary-class"
    assert torch.equal(ds.train.indices, torch.arange(546))
    f = ds.train.float_images()
    assert f.dtype == torch.float32 and 0 <= f.min() and f.max() <= 1


@requires_data("medmnist/breastmnist_64.npz", "medmnist/retinamnist.npz")
def test_sizes_and_rgb():
    assert load_medmnist("breastmnist_64", download=False).test.images.shape == (156, 1, 64, 64)
    assert load_medmnist("breastmnist", size=64, download=False).size == 64
    retina = load_medmnist("retinamnist", download=False)
    assert retina.train.images.shape == (1080, 3, 28, 28) and retina.n_classes == 5
    assert retina.task == "ordinal-regression"


@requires_data("medmnist/breastmnist.npz")
def test_locate_verifies_the_real_file():
    assert locate("breastmnist", root=DATA_ROOT / "medmnist", download=False).name == "breastmnist.npz"
