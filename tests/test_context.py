"""The run context travels as a value: no synthmed module writes the environment (issue 22, item 4)."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
from pathlib import Path

import pytest

import synthmed
from synthmed import cache, executor, profiles
from synthmed.context import RunContext
from conftest import requires_data

SRC = Path(synthmed.__file__).parent
# Any way of changing this process's environment: item assignment, update/pop/setdefault/clear, del, putenv.
ENV_WRITE = re.compile(r"os\.environ\[[^\]]+\]\s*=(?!=)|os\.environ\.(update|pop|setdefault|clear|popitem)\("
                       r"|del\s+os\.environ|os\.(putenv|unsetenv)\(")


# Variables that third-party libraries add when imported (not synthmed's): scikit-learn's vendored joblib sets the
# two Intel OpenMP flags; torch's inductor, imported through torch-fidelity, its cache folder.
THIRD_PARTY = {"KMP_DUPLICATE_LIB_OK", "KMP_INIT_AT_FORK", "TORCHINDUCTOR_CACHE_DIR"}


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages([str(SRC)], prefix="synthmed."))


def test_no_module_writes_the_environment():
    writes = [f"{path.relative_to(SRC.parent)}:{i}: {line.strip()}"
              for path in sorted(SRC.rglob("*.py"))
              for i, line in enumerate(path.read_text().splitlines(), 1) if ENV_WRITE.search(line)]
    assert writes == []


def test_the_scanner_sees_each_kind_of_write():
    lines = ['os.environ["A"] = "1"', "os.environ.update(x)", "os.environ.pop('A', None)", "del os.environ['A']",
             "os.putenv('A', '1')", "os.environ.setdefault('A', '1')"]
    assert all(ENV_WRITE.search(line) for line in lines)
    assert not ENV_WRITE.search('os.environ["A"] == "1"') and not ENV_WRITE.search("os.environ.get('A')")


def test_from_notebook_attaches_a_frozen_context_and_leaves_the_environment_alone(cache_dir, tmp_path,
                                                                                   monkeypatch):
    monkeypatch.setenv("SYNTHMED_CACHE_LOG", str(tmp_path / "events.jsonl"))
    monkeypatch.delenv("SYNTHMED_PROFILE", raising=False)
    before = dict(os.environ)
    settings = profiles.from_notebook("compute", {"profile": "smoke"})
    assert settings.context == RunContext("smoke", "compute", cache_dir, tmp_path / "events.jsonl")
    with pytest.raises(AttributeError):
        settings.context.profile = "paper"  # frozen
    assert dict(os.environ) == before
    assert profiles.resolve("compute").profile == profiles.DEFAULT_PROFILE  # no profile leaks into later calls


def _seeded(seed):
    import torch

    def compute():
        return float(torch.randn(10, generator=torch.Generator().manual_seed(seed)).sum())

    return cache.cached("context_demo", compute, params={}, seed=seed)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_executor_writes_where_the_context_says(workers, cache_dir, tmp_path):
    """A context naming another cache folder and a log: the runs are cached and recorded there, not under the
    environment's cache folder, and the environment is unchanged."""
    before = dict(os.environ)
    ctx = RunContext("smoke", "demo", tmp_path / "elsewhere", tmp_path / "log.jsonl")
    assert executor.run_all(_seeded, [1, 2], workers=workers, progress=False, context=ctx) == [_seeded(1), _seeded(2)]
    assert len(list((tmp_path / "elsewhere" / "context_demo").glob("*.pt"))) == 2
    costs = [json.loads(line) for line in (tmp_path / "elsewhere" / executor.COSTS_FILE).read_text().splitlines()]
    assert [(c["notebook"], c["profile"]) for c in costs] == [("demo", "smoke")] * 2
    events = [json.loads(line)["event"] for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert sorted(events) == ["miss", "miss", "run", "run"]
    assert dict(os.environ) == before


def test_recording_scopes_the_cache_folder_and_collects_events(cache_dir, tmp_path):
    with cache.recording(tmp_path / "scoped") as events:
        assert cache.cache_dir() == tmp_path / "scoped"
        _seeded(3)
        with cache.recording() as inner:  # an inner block without a folder keeps the outer one
            assert cache.cache_dir() == tmp_path / "scoped"
            _seeded(3)
    assert cache.cache_dir() == cache_dir
    assert [e["event"] for e in events] == ["miss"] and [e["event"] for e in inner] == ["hit"]


@requires_data("medmnist/breastmnist.npz")
def test_every_module_imports_and_a_smoke_chapter_runs_without_changing_the_environment(cache_dir):
    """Import every synthmed module, then TSynD's smoke path as its notebook runs it (settings -> specs -> two
    worker processes -> rows), and compare the environment before and after."""
    before = dict(os.environ)
    for name in _modules():
        if name != "synthmed.executor_ray" or importlib.util.find_spec("ray"):
            importlib.import_module(name)
    from synthmed.tsynd import experiment

    settings = profiles.from_notebook("tsynd", {"profile": "smoke", "seeds": [0], "workers": 2,
                                                "methods": ["baseline", "tsynd"]})
    specs = experiment.make_specs(settings, settings.datasets, settings.fraction, settings.methods, settings.seeds)
    results = experiment.run_many(specs, workers=settings.workers, scoring=experiment.scoring(settings),
                                  progress=False, context=settings.context)
    rows = experiment.result_rows(specs, results)
    assert {r["method"] for r in rows} == {"Baseline", "TSynD"}
    costs = [json.loads(line) for line in (cache_dir / executor.COSTS_FILE).read_text().splitlines()]
    assert {(c["notebook"], c["profile"]) for c in costs} == {("tsynd", "smoke")}
    after = dict(os.environ)
    assert set(after) - set(before) <= THIRD_PARTY
    assert {k: after[k] for k in before} == before
