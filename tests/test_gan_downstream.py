"""The downstream classifier (models.create + fit.fit with the paper's schedule): learns a separable toy task, is
deterministic under a seed, rejects bad input; the gap is the paper's relative difference."""

import math
from types import SimpleNamespace

import pytest
import torch

from synthmed.gan.downstream import gap, scores, train_and_test

KW = dict(backbone="smallcnn", width=8, epochs=12, patience=None, batch_size=32, lr=1e-3, device="cpu")


def _toy(n, seed):
    """Class 1: a bright left half; class 0: a bright right half (uint8, (n, 1, 28, 28))."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.rand(n, 1, 28, 28, generator=g) * 60
    x[y == 1, :, :, :14] += 150
    x[y == 0, :, :, 14:] += 150
    return x.to(torch.uint8), y


def _split(n, seed):
    x, y = _toy(n, seed)
    return SimpleNamespace(images=x, labels=y)


def test_learns_a_separable_task_and_is_deterministic():
    x, y = _toy(160, 0)
    val, test = _split(60, 1), _split(100, 2)
    before = torch.get_rng_state()
    a = train_and_test(x, y, val, test, 2, seed=3, **KW)
    assert torch.equal(before, torch.get_rng_state())  # the caller's global RNG is untouched
    b = train_and_test(x, y, val, test, 2, seed=3, **KW)
    assert a == b
    assert a["balanced_accuracy"] > 0.9 and a["g_mean"] > 0.9 and a["seed"] == 3
    assert {"val_loss", "val_g_mean", "epochs_run"} <= set(a)
    c = train_and_test(x, y, val, test, 2, seed=4, **KW)
    assert c["val_loss"] != a["val_loss"]  # another seed is another run


def test_bad_input():
    x, y = _toy(8, 0)
    val = _split(8, 1)
    with pytest.raises(ValueError, match="one label per image"):
        train_and_test(x, y[:3], val, val, 2, seed=0, **KW)
    with pytest.raises(ValueError, match="unknown model"):
        train_and_test(x, y, val, val, 2, seed=0, **{**KW, "backbone": "vgg"})


def test_gap_is_relative_difference_in_percent():
    assert gap(0.9, 0.8) == pytest.approx(12.5)
    assert math.isnan(gap(0.5, 0.0))


def test_g_mean_is_the_geometric_mean_of_per_class_recalls_for_any_number_of_classes():
    y = torch.tensor([0, 0, 1, 1, 2, 2])
    p = torch.tensor([0, 1, 1, 1, 2, 0])  # recalls 1/2, 1, 1/2
    assert scores(p, y, 3)["g_mean"] == pytest.approx((0.5 * 1.0 * 0.5) ** (1 / 3))
    assert scores(torch.tensor([0, 0, 0, 0, 0, 0]), y, 3)["g_mean"] == 0.0  # a missed class
    yb, pb = torch.tensor([0, 0, 0, 1, 1]), torch.tensor([0, 0, 1, 1, 0])
    s = scores(pb, yb, 2)
    assert s["g_mean"] == pytest.approx(math.sqrt(s["sensitivity"] * s["specificity"]))
    assert s["g_mean"] == pytest.approx(math.sqrt(2 / 3 * 1 / 2))


def test_weight_decay_reaches_adam_and_is_in_the_paper_profile_and_the_cpu_bundle(monkeypatch):
    """Issue 33 item 5: the authors' configs' Adam weight decay (1e-5) and 32 px under `paper` and the CPU-scale
    bundle; quick keeps 0 and the file's size (its cache keys and verdicts unchanged)."""
    from synthmed import profiles
    from synthmed.gan import cpu_scale, downstream

    seen = []
    real_fit = downstream.fit

    def spy(model, loss_fn, n, evaluate, config, **kw):
        seen.append(config.weight_decay)
        return real_fit(model, loss_fn, n, evaluate, config, **kw)

    monkeypatch.setattr(downstream, "fit", spy)
    x, y = _toy(64, 0)
    val = _split(20, 1)
    train_and_test(x, y, val, val, 2, seed=0, **{**KW, "epochs": 1}, weight_decay=1e-5)
    train_and_test(x, y, val, val, 2, seed=0, **{**KW, "epochs": 1})
    assert seen == [1e-5, 0.0]
    paper, quick = profiles.resolve("gan_ensemble", "paper"), profiles.resolve("gan_ensemble", "quick")
    assert (paper["weight_decay"], paper["image_size"]) == (1e-5, 32)
    assert (quick["weight_decay"], quick["image_size"]) == (0.0, None)
    s = cpu_scale.settings()
    assert (s["weight_decay"], s["image_size"]) == (1e-5, 32)
