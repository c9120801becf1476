"""Shared fixtures. Tests needing the real data files are marked ``data`` and skip when they are absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import synthmed  # noqa: F401  (makes torchvision importable before any test imports it)

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
