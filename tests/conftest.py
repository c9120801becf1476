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
