"""Shared fixtures. Tests needing the real data files are marked ``data`` and skip when they are absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import torch

import synthmed  # noqa: F401  (makes torchvision importable before any test imports it)

# pytest runs with two xdist workers on a 2-core machine: one torch thread each avoids oversubscription
torch.set_num_threads(1)

DATA_ROOT = Path(os.environ["SYNTHMED_DATA_ROOT"]) if os.environ.get("SYNTHMED_DATA_ROOT") else None


def has_data(*relative: str) -> bool:
    return DATA_ROOT is not None and all((DATA_ROOT / r).exists() for r in relative)


def requires_data(*relative: str):
    """Skip unless every path exists under $SYNTHMED_DATA_ROOT."""
    return pytest.mark.skipif(not has_data(*relative), reason=f"needs {', '.join(relative)} under $SYNTHMED_DATA_ROOT")


def tiny_replicate(chapter: str, root: Path, settings: list[str], capsys, replicate: int = 1) -> dict:
    """Compute replicate ``replicate`` of ``chapter``'s replicate bundle under ``root`` with the ``--set``
    overrides ``settings`` through ``python -m synthmed.bundle``, check what every replicate file holds (its run,
    the key today's plan gives it, the CPU profile's provenance with step costs and the cost from an empty cache),
    that running the command again computes nothing and that today's default settings give the replicate another
    key; return the stored record."""
    import json

    from synthmed import bundle

    spec = bundle.spec(chapter)
    argv = [chapter, "--root", str(root), "--replicates", str(replicate), "--set", *settings]
    assert bundle.main(argv) == 0
    path = spec.where(root) / f"{spec.run_name(replicate, replicate)}.json"
    rec = json.loads(path.read_text())
    prov = rec["provenance"]
    assert rec["run"] == {"replicate": replicate, "seed": replicate}
    assert rec["key"] == spec.plan(bundle.parser().parse_args(argv))[0].key
    assert prov["profile"] == "cpu" and prov["seed"] == replicate and prov["wall_s"] > 0 and prov["version"] == "v1"
    assert set(prov["seconds"]) <= set(prov["step_cost"]) and prov["cold_s"] >= prov["wall_s"]  # bundle.step_seconds
    assert prov["machine"]["threads"] >= 1 and "commit" in prov
    capsys.readouterr()
    assert bundle.main(argv) == 0  # resumed: nothing to compute
    assert "1 of 1 runs already in" in capsys.readouterr().out
    assert json.loads(path.read_text()) == rec
    assert list(spec.current(root)["current"]) == [False]  # today's default settings give another key
    return rec


def copy_replicate(chapter: str, root: Path, rec: dict, replicates) -> None:
    """Store copies of the replicate record ``rec`` as replicates ``replicates`` of ``chapter``'s bundle under
    ``root`` (seed = replicate), so that a page has several replicates to pair."""
    import json

    from synthmed import bundle

    spec = bundle.spec(chapter)
    for r in replicates:
        other = {**rec, "run": {"replicate": r, "seed": r},
                 "rows": [{**row, "seed": r, "replicate": r} for row in rec["rows"]]}
        (spec.where(root) / f"{spec.run_name(r, r)}.json").write_text(json.dumps(other))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """An empty cache root for one test."""
    monkeypatch.setenv("SYNTHMED_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SYNTHMED_RECOMPUTE", raising=False)
    monkeypatch.delenv("SYNTHMED_CACHE_LOG", raising=False)
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def fit_tiny_cnn():
    """A function fit(x (N, 1, 28, 28), y (N,), hidden, steps) -> a small TSynD CNN trained with Adam, in eval mode."""
    import torch

    from synthmed.tsynd.classifiers import build_classifier, classification_loss

    def fit(x, y, hidden: int, steps: int):
        torch.manual_seed(0)
        model = build_classifier("cnn", 1, 2, 28, width=8, hidden=hidden)
        opt = torch.optim.Adam(model.parameters(), 3e-3)
        for _ in range(steps):
            loss = classification_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.zero_grad(set_to_none=True)
        return model.eval()

    return fit


_KILL_PRELUDE = '''
import os, signal, sys
import torch
_kill_at, _count = int(os.environ["KILL_AT"]), [0]
_step = torch.optim.Optimizer.step if hasattr(torch.optim.Optimizer, "step") else None


def _counting_step(original):
    def step(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        _count[0] += 1
        if _count[0] == _kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return out
    return step


for _cls in (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD):
    _cls.step = _counting_step(_cls.step)
CHECKPOINT, OUT = os.environ["CHECKPOINT"], os.environ["OUT"]
'''


@pytest.fixture
def resume_check(tmp_path):
    """``resume_check(script, kill_at)`` runs ``script`` (Python source) in three subprocesses: uninterrupted; killed
    with SIGKILL right after optimiser step ``kill_at`` (every Adam/AdamW/SGD step counts); and resumed from the killed
    run's checkpoint. The script reads the paths ``CHECKPOINT`` (where to checkpoint) and ``OUT`` (where to
    ``torch.save`` a dict of result tensors) from its globals. Returns (uninterrupted, resumed) results; the caller
    asserts they are equal."""
    import subprocess
    import sys

    import torch

    def run(script: str, kill_at: int):
        code = _KILL_PRELUDE + script
        results = []
        for name, kill, expect_killed in (("a", -1, False), ("b", kill_at, True), ("b", -1, False)):
            env = {**os.environ, "KILL_AT": str(kill), "CHECKPOINT": str(tmp_path / f"{name}.ckpt"),
                   "OUT": str(tmp_path / f"{name}.pt"), "OMP_NUM_THREADS": "1"}
            proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
            if expect_killed:
                assert proc.returncode == -9, f"the run was not killed at step {kill_at}: {proc.stderr[-2000:]}"
                assert Path(env["CHECKPOINT"]).exists(), "the killed run left no checkpoint to resume from"
            else:
                assert proc.returncode == 0, proc.stderr[-3000:]
                results.append(torch.load(env["OUT"], weights_only=False))
        return results[0], results[1]

    return run
