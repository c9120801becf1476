"""CycleGAN checkpointing: a run killed with SIGKILL at a random step and resumed ends with the same weights as an
uninterrupted run of the same seed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from synthmed import cache
from synthmed.imbalance import cyclegan

STEPS = 24
CONFIG = dict(ngf=4, ndf=4, n_blocks=1, n_layers_d=2, steps=STEPS, batch_size=2, checkpoint_every=1)


def _domains(n=8, size=16):
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, 1, size, size, generator=g) * 2 - 1, torch.rand(n, 1, size, size, generator=g) * 2 - 1


# The child trains with a checkpoint every step; each step is slowed down (the learning-rate schedule, called once
# per step, sleeps) so that the parent can kill it part-way. The sleep changes no number.
CHILD = textwrap.dedent("""
    import sys, time, torch
    torch.set_num_threads(1)
    from synthmed.imbalance import cyclegan
    from tests_cyclegan_child import CONFIG, domains
    original = cyclegan.lr_factor
    def slow(step, steps):
        time.sleep(0.15)
        return original(step, steps)
    cyclegan.lr_factor = slow
    a, b = domains()
    cyclegan.train_cyclegan(a, b, cyclegan.CycleGANConfig(**CONFIG), seed=3, device="cpu", progress=False,
                            log_every=1, checkpoint=sys.argv[1])
""")


def _saved_step(path) -> int:
    try:
        return cache.load(path)["step"]
    except Exception:  # not written yet
        return 0


@pytest.mark.slow
def test_sigkill_at_a_random_step_then_resume_equals_uninterrupted(tmp_path):
    torch.set_num_threads(1)
    (tmp_path / "tests_cyclegan_child.py").write_text(
        f"import torch\nCONFIG = {CONFIG!r}\n"
        "def domains(n=8, size=16):\n"
        "    g = torch.Generator().manual_seed(0)\n"
        "    return (torch.rand(n, 1, size, size, generator=g) * 2 - 1,\n"
        "            torch.rand(n, 1, size, size, generator=g) * 2 - 1)\n")
    ckpt = tmp_path / "cyclegan.ckpt"
    kill_at = random.Random(os.getpid()).randint(3, STEPS - 6)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(ckpt)], env=env)
    deadline = time.time() + 300
    while _saved_step(ckpt) < kill_at and child.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL, "the child finished before it could be killed"
    stopped = _saved_step(ckpt)
    assert 0 < stopped < STEPS

    a, b = _domains()
    config = cyclegan.CycleGANConfig(**CONFIG)
    rng_before = torch.get_rng_state()
    resumed = cyclegan.train_cyclegan(a, b, config, seed=3, device="cpu", progress=False, log_every=1,
                                      checkpoint=ckpt)
    assert torch.equal(torch.get_rng_state(), rng_before)  # restoring a checkpoint leaves the caller's RNG alone
    full = cyclegan.train_cyclegan(a, b, config, seed=3, device="cpu", progress=False, log_every=1)
    assert resumed["history"].step.tolist() == list(range(1, STEPS + 1))
    for key in ("G_AB", "G_BA"):
        for name, value in full[key].items():
            assert torch.equal(value, resumed[key][name]), f"{key}.{name} differs after resuming at {stopped}"
    assert resumed["history"].equals(full["history"])
