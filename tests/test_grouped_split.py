"""grouped_split: patient-disjoint, stratified, and cached by the rows' content (synthmed.data.grouped)."""

import numpy as np
import pytest

from synthmed import cache
from synthmed.data.grouped import _split_codes, grouped_split


def _rows(seed=0, n=240, patients=80):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, patients, n)
    labels = (rng.random(n) < 0.3).astype(int)
    return labels, groups


def test_a_split_is_computed_once_then_loaded_and_keyed_by_the_rows(cache_dir):
    labels, groups = _rows()
    with cache.recording() as events:
        first = grouped_split(labels, groups, seed=3, cap=6)
        again = grouped_split(labels, groups, seed=3, cap=6)
    assert [e["event"] for e in events] == ["miss", "hit"]
    assert (first == again).all() and first.dtype == object
    computed = np.array(["train", "val", "test"], dtype=object)[_split_codes(labels, groups, 0.2, 0.2, 3, 6)]
    assert (first == computed).all()
    assert {tuple(sorted(set(first[groups == g]))) for g in np.unique(groups)} <= {("train",), ("val",), ("test",)}
    other = labels.copy()
    other[0] = 1 - other[0]
    with cache.recording() as events:
        grouped_split(other, groups, seed=3, cap=6)  # one label changed: another split, not the stored one
        grouped_split(labels, groups, seed=4, cap=6)
    assert [e["event"] for e in events] == ["miss", "miss"]


def test_fractions_outside_their_range_are_refused_before_any_work(cache_dir):
    labels, groups = _rows()
    with pytest.raises(ValueError, match="fractions must be in"):
        grouped_split(labels, groups, val_fraction=0.5, test_fraction=0.5)
    assert not (cache_dir / "grouped_split").exists()
