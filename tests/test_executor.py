"""synthmed.executor: results in item order, single-thread workers, failures named after the others finish."""

import json
import os

import pytest

from synthmed import executor


def square(x):
    return x * x


def threads(_):
    import torch

    return os.environ.get("OMP_NUM_THREADS"), torch.get_num_threads(), os.getpid()


def fail_on_three(x):
    if x == 3:
        raise ValueError(f"bad item {x}")
    return x + 100


def test_inline_and_processes_give_the_same_ordered_results():
    items = [5, 1, 4, 2, 3]
    assert executor.run_all(square, items, progress=False) == [25, 1, 16, 4, 9]
    assert executor.run_all(square, items, workers=2, progress=False) == [25, 1, 16, 4, 9]
    assert executor.run_all(square, [], workers=2) == []


def test_workers_are_single_thread_spawned_processes_and_the_parent_env_is_restored(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    out = executor.run_all(threads, range(4), workers=2, progress=False)
    assert {(omp, n) for omp, n, _ in out} == {("1", 1)}
    assert os.getpid() not in {pid for _, _, pid in out}
    assert os.environ["OMP_NUM_THREADS"] == "7"


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failure_names_the_item_after_the_others_finish_and_every_run_is_logged(workers, tmp_path,
                                                                                   monkeypatch):
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv("SYNTHMED_CACHE_LOG", str(log))
    with pytest.raises(executor.RunError) as info:
        executor.run_all(fail_on_three, [1, 3, 5], workers=workers, desc="demo runs", progress=False)
    err = info.value
    assert [(i, item) for i, item, _ in err.failures] == [(1, 3)]
    assert err.results == [101, None, 105]
    assert "1 of 3 demo runs failed" in str(err) and "[1] 3: ValueError: bad item 3" in str(err)
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(e["ok"] for e in events) == [False, True, True]
    assert {e["event"] for e in events} == {"run"} and {e["desc"] for e in events} == {"demo runs"}
    assert all(e["seconds"] >= 0 for e in events)


def test_unknown_backend_is_an_error(monkeypatch):
    monkeypatch.setenv("SYNTHMED_EXECUTOR", "dask")
    with pytest.raises(ValueError, match="SYNTHMED_EXECUTOR='dask' is not a backend; choose one of local, ray"):
        executor.run_all(square, [1])
