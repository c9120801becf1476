import pytest
import torch

from synthmed.data import Split, stratified_indices, subsample


def _split(labels):
    labels = torch.as_tensor(labels)
    n = labels.shape[0]
    return Split(torch.zeros(n, 1, 2, 2, dtype=torch.uint8), labels, torch.arange(n))


@pytest.mark.parametrize("fraction", [0, -0.1, 1.5, "0.1", True, None])
def test_fraction_outside_unit_interval_is_an_error(fraction):
    with pytest.raises(ValueError, match=r"fraction must be a number in \(0, 1\]"):
        subsample(_split([0, 1, 1]), fraction, seed=0)


def test_stratified_with_at_least_one_per_class():
    labels = [0] * 900 + [1] * 95 + [2] * 5
    s = subsample(_split(labels), 0.01, seed=0)
    counts = torch.bincount(s.labels, minlength=3).tolist()
    assert counts == [9, 1, 1]  # round(9.0), round(0.95), max(1, round(0.05))


def test_deterministic_under_seed_and_records_indices():
    split = _split(torch.arange(200) % 4)
    a, b = subsample(split, 0.1, seed=3), subsample(split, 0.1, seed=3)
    assert torch.equal(a.indices, b.indices)
    assert not torch.equal(a.indices, subsample(split, 0.1, seed=4).indices)
    assert torch.equal(split.labels[a.indices], a.labels)
    assert a.indices.unique().numel() == len(a) == 20


def test_full_fraction_is_the_split():
    split = _split([0, 1, 0])
    assert subsample(split, 1.0, seed=0) is split


def test_multilabel_strata():
    labels = torch.zeros(100, 3, dtype=torch.long)
    labels[:10, 2] = 1
    idx = stratified_indices(labels, 0.1, seed=0)
    assert (labels[idx, 2] == 1).sum() == 1 and len(idx) == 10
