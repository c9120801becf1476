"""The GAN zoo: every member builds, trains with snapshots, samples deterministically, never touches the global
RNG, and a training killed with SIGKILL at a random step resumes to the weights of an uninterrupted run."""

import os
import random
import signal
import subprocess
import sys
import time

import pytest
import torch

from synthmed.gan.train import generate, train_gan
from synthmed.gan.zoo import GAN_NAMES, build, diff_augment


@pytest.mark.parametrize("name", GAN_NAMES)
def test_members_shapes(name):
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


def _data():
    g = torch.Generator().manual_seed(0)
    return torch.rand(16, 1, 28, 28, generator=g) * 2 - 1, torch.randint(0, 2, (16,), generator=g)


def test_train_snapshots_and_deterministic_sampling():
    x, y = _data()
    before = torch.get_rng_state()
    out = train_gan("style", x, y, 2, n_iter=4, n_snapshots=2, batch_size=4, ch=4, z_dim=8, progress=False)
    assert torch.equal(before, torch.get_rng_state())
    assert out["iters"] == [2, 4] and len(out["snapshots"]) == 2 and len(out["loss_d"]) == 4
    labels = torch.tensor([0, 1, 1])
    a = generate("style", out["config"], out["snapshots"][1], labels, seed=3)
    b = generate("style", out["config"], out["snapshots"][1], labels, seed=3)
    assert a.dtype == torch.uint8 and a.shape == (3, 1, 28, 28)
    assert torch.equal(a, b)
    assert not torch.equal(a, generate("style", out["config"], out["snapshots"][1], labels, seed=4))


def test_diff_augment_keeps_shape():
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    assert diff_augment(x).shape == x.shape


_CHILD = """
import sys, torch
from synthmed.gan.train import train_gan
g = torch.Generator().manual_seed(0)
x, y = torch.rand(16, 1, 28, 28, generator=g) * 2 - 1, torch.randint(0, 2, (16,), generator=g)
train_gan("diffaug", x, y, 2, n_iter=100000, n_snapshots=1, batch_size=4, ch=4, z_dim=8, seed=1,
          checkpoint=sys.argv[1], checkpoint_every=3, progress=False)
"""


def test_sigkill_at_a_random_step_then_resume_equals_uninterrupted(tmp_path):
    """A child process trains (checkpoint every 3 iterations) and is SIGKILLed at a random moment after its
    first checkpoint; resuming from the checkpoint to n_iter gives exactly the uninterrupted run's weights."""
    ckpt = tmp_path / "ckpt.pt"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(ckpt)], env=env)
    try:
        deadline = time.time() + 120
        while not ckpt.exists() and time.time() < deadline and child.poll() is None:
            time.sleep(0.05)
        assert ckpt.exists(), "the child never wrote a checkpoint"
        time.sleep(random.uniform(0.0, 1.0))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    from synthmed.fit import Checkpoint
    from synthmed.gan.zoo import build

    g, d = build("diffaug", 2, 1, 28, 4, 8)
    step, _ = Checkpoint(ckpt).restore(modules={"g": g, "d": d})
    n_iter = step + 6  # finish a few iterations past the kill point
    x, y = _data()
    kw = dict(n_iter=n_iter, n_snapshots=1, batch_size=4, ch=4, z_dim=8, seed=1, checkpoint_every=3,
              progress=False)
    resumed = train_gan("diffaug", x, y, 2, checkpoint=ckpt, **kw)
    full = train_gan("diffaug", x, y, 2, **kw)
    assert resumed["loss_d"] == pytest.approx(full["loss_d"], abs=0)
    assert all(torch.equal(resumed["snapshots"][0][k], full["snapshots"][0][k]) for k in full["snapshots"][0])
