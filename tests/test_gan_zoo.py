"""The GAN zoo: every member builds, trains a few steps with snapshots, and samples deterministically."""

import pytest
import torch

from synthmed.gan.train import generate, train_gan
from synthmed.gan.zoo import GAN_NAMES, build, diff_augment


@pytest.mark.parametrize("name", GAN_NAMES)
def test_members_shapes(name):
    torch.manual_seed(0)
    g, d = build(name, n_classes=3, channels=1, size=28, ch=4, z_dim=8)
    y = torch.tensor([0, 1, 2, 1])
    x = g(torch.randn(4, 8), y)
    assert x.shape == (4, 1, 28, 28) and x.abs().max() <= 1
    out, aux = d(x, y)
    assert out.shape == (4,)
    assert (aux is not None) == (name == "acgan")


def test_unknown_member():
    with pytest.raises(ValueError, match="unknown GAN"):
        build("biggan", 2)


def test_train_snapshots_and_deterministic_sampling():
    torch.manual_seed(0)
    x = torch.rand(16, 1, 28, 28) * 2 - 1
    y = torch.randint(0, 2, (16,))
    out = train_gan("sngan", x, y, 2, n_iter=4, n_snapshots=2, batch_size=4, ch=4, z_dim=8, progress=False)
    assert out["iters"] == [2, 4] and len(out["snapshots"]) == 2 and len(out["loss_d"]) == 4
    labels = torch.tensor([0, 1, 1])
    a = generate("sngan", out["config"], out["snapshots"][1], labels, seed=3)
    b = generate("sngan", out["config"], out["snapshots"][1], labels, seed=3)
    assert a.dtype == torch.uint8 and a.shape == (3, 1, 28, 28)
    assert torch.equal(a, b)


def test_diff_augment_keeps_shape():
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    assert diff_augment(x).shape == x.shape


def test_interrupted_training_resumes_to_the_same_result(tmp_path, monkeypatch):
    """Kill training right after its first checkpoint; the rerun resumes from it and ends where an uninterrupted
    run ends (same snapshots, same losses)."""
    from synthmed.gan import train as train_mod

    torch.manual_seed(0)
    x = torch.rand(16, 1, 28, 28) * 2 - 1
    y = torch.randint(0, 2, (16,))
    kw = dict(n_iter=6, n_snapshots=3, batch_size=4, ch=4, z_dim=8, seed=1, checkpoint_every=2, progress=False)
    full = train_gan("diffaug", x, y, 2, **kw)

    ckpt = tmp_path / "ckpt.pt"
    real_save = train_mod.cache.atomic_save

    def save_then_die(obj, path):
        real_save(obj, path)
        raise KeyboardInterrupt

    monkeypatch.setattr(train_mod.cache, "atomic_save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train_gan("diffaug", x, y, 2, checkpoint=ckpt, **kw)
    monkeypatch.undo()
    assert ckpt.exists()
    resumed = train_gan("diffaug", x, y, 2, checkpoint=ckpt, **kw)
    assert resumed["loss_d"] == pytest.approx(full["loss_d"])
    for a, b in zip(resumed["snapshots"], full["snapshots"]):
        assert all(torch.equal(a[k], b[k]) for k in a)
