"""The downstream classifier: learns a separable toy task in a fixed number of steps, is deterministic under a
seed, rejects bad input; the gap is the paper's relative difference."""

import math
from types import SimpleNamespace

import pytest
import torch

from synthmed.gan.downstream import evaluate_training_set, gap, make_classifier, train_classifier


def _toy(n, seed):
    """Class 1: a bright left half; class 0: a bright right half (uint8, (n, 1, 28, 28))."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.rand(n, 1, 28, 28, generator=g) * 60
    x[y == 1, :, :, :14] += 150
    x[y == 0, :, :, 14:] += 150
    return x.to(torch.uint8), y


def test_learns_a_separable_task_and_is_deterministic():
    x, y = _toy(200, 0)
    val = SimpleNamespace(images=_toy(60, 1)[0], labels=_toy(60, 1)[1])
    test = SimpleNamespace(images=_toy(100, 2)[0], labels=_toy(100, 2)[1])
    a = evaluate_training_set(x, y, val, test, 2, steps=40, eval_every=10, repeats=1, seed=3)
    b = evaluate_training_set(x, y, val, test, 2, steps=40, eval_every=10, repeats=1, seed=3)
    assert a == b
    assert a[0]["balanced_accuracy"] > 0.9 and a[0]["g_mean"] > 0.9


def test_bad_input():
    x, y = _toy(8, 0)
    with pytest.raises(ValueError, match="steps"):
        train_classifier(x, y, x, y, 2, steps=0)
    with pytest.raises(ValueError, match="one label per image"):
        train_classifier(x, y[:3], x, y, 2, steps=2)
    with pytest.raises(ValueError, match="unknown classifier"):
        make_classifier("vgg", 2)


def test_gap_is_relative_difference_in_percent():
    assert gap(0.9, 0.8) == pytest.approx(12.5)
    assert math.isnan(gap(0.5, 0.0))
