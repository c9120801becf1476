"""synthmed.executor: results in item order, single-thread workers, failures named after the others finish."""

import json
import os

import pytest

from synthmed import executor


def square(x):
    return x * x


def probe(seed):
    """A cached run plus what the process looked like: (result, the largest BLAS/OpenMP pool, torch threads,
    pid)."""
    import torch
    from threadpoolctl import threadpool_info

    pools = max(p["num_threads"] for p in threadpool_info())
    return seeded_sum(seed), pools, torch.get_num_threads(), os.getpid()


def seeded_sum(seed):
    """A cached run: the same seed gives the same number in any process."""
    import torch

    from synthmed import cache

    def compute():
        g = torch.Generator().manual_seed(seed)
        return float(torch.randn(1000, generator=g).sum())

    return cache.cached("executor_demo", compute, params={"n": 1000}, seed=seed)


def fail_on_three(x):
    if x == 3:
        raise ValueError(f"bad item {x}")
    return x + 100


def test_ordered_results_from_single_thread_processes_with_costs_beside_the_cache(cache_dir, tmp_path,
                                                                                   monkeypatch):
    log = tmp_path / "log.jsonl"
    for var, value in {"OMP_NUM_THREADS": "7", "SYNTHMED_CACHE_LOG": str(log), "SYNTHMED_NOTEBOOK": "demo",
                       "SYNTHMED_PROFILE": "quick"}.items():
        monkeypatch.setenv(var, value)
    seeds = [5, 1, 4]
    out = executor.run_all(probe, seeds, workers=2, desc="sums", progress=False)
    assert {(pools, n) for _, pools, n, _ in out} == {(1, 1)} and os.getpid() not in {o[3] for o in out}
    assert os.environ["OMP_NUM_THREADS"] == "7"  # the parent's environment is never changed
    # inline (here, from the cache) gives the same results in the same order
    assert executor.run_all(seeded_sum, seeds, progress=False) == [o[0] for o in out]
    assert executor.run_all(square, [], workers=2) == []
    # only the runs that computed something record a cost, with notebook, profile, function and description
    costs = [json.loads(line) for line in (cache_dir / executor.COSTS_FILE).read_text().splitlines()]
    assert [(c["notebook"], c["profile"], c["desc"], c["misses"]) for c in costs] == [("demo", "quick", "sums", 1)] * 3
    assert {c["fn"] for c in costs} == {"test_executor.probe"}
    # the workers' cache events come back to the caller's log, with one run event per item
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["event"] for e in events].count("miss") == 3 and [e["event"] for e in events].count("hit") == 3
    assert sorted(e["misses"] for e in events if e["event"] == "run") == [0] * 3 + [1] * 3


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


def die(x):
    if x == 2:
        os._exit(9)  # a worker killed mid-run (e.g. out of memory)
    return x


def test_a_worker_that_dies_is_reported_with_the_items_it_took_down():
    with pytest.raises(executor.RunError, match="a worker process died") as info:
        executor.run_all(die, [1, 2, 3], workers=2, progress=False)
    failed = [i for i, _, _ in info.value.failures]
    assert 1 in failed and all("BrokenProcessPool" in e for _, _, e in info.value.failures)


def test_unknown_backend_is_an_error(monkeypatch):
    monkeypatch.setenv("SYNTHMED_EXECUTOR", "dask")
    with pytest.raises(ValueError, match="SYNTHMED_EXECUTOR='dask' is not a backend; choose one of local, ray"):
        executor.run_all(square, [1])


# --- Ray backend: a local two-CPU instance -------------------------------------------------------------------

def fail_once(item):
    marker, x = item
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError(f"transient failure of {x}")
    return x * 10


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory):
    ray = pytest.importorskip("ray")
    cache_root = tmp_path_factory.mktemp("ray-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SYNTHMED_RAY_CPUS", "2")
        mp.setenv("SYNTHMED_CACHE_DIR", str(cache_root))
        mp.setenv("PYTHONPATH", os.pathsep.join([os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")]))
        mp.delenv("RAY_ADDRESS", raising=False)
        mp.delenv("SYNTHMED_CACHE_LOG", raising=False)
        from synthmed import executor_ray

        executor_ray.connect()
        assert ray.cluster_resources()["CPU"] == 2
        yield cache_root
    ray.shutdown()


def test_ray_gives_the_local_results_and_fills_the_same_cache(local_ray, monkeypatch, tmp_path):
    seeds = [3, 0, 2, 1]
    monkeypatch.setenv("SYNTHMED_CACHE_DIR", str(tmp_path / "local-cache"))
    local = executor.run_all(seeded_sum, seeds, workers=2, progress=False)
    # a cache folder chosen after Ray started: the tasks use the caller's settings at call time
    shared = tmp_path / "shared-cache"
    monkeypatch.setenv("SYNTHMED_CACHE_DIR", str(shared))
    monkeypatch.setenv("SYNTHMED_EXECUTOR", "ray")
    assert executor.run_all(seeded_sum, seeds, progress=False) == local
    # what the cluster computed is a cache hit here: four entries, and a local rerun adds none
    entries = sorted(p.name for p in (shared / "executor_demo").glob("*.pt"))
    assert len(entries) == 4
    monkeypatch.setenv("SYNTHMED_EXECUTOR", "local")
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv("SYNTHMED_CACHE_LOG", str(log))
    assert executor.run_all(seeded_sum, seeds, progress=False) == local
    assert [json.loads(line)["event"] for line in log.read_text().splitlines()].count("hit") == 4


def test_ray_retries_a_failed_task_and_reports_one_that_keeps_failing(local_ray, monkeypatch, tmp_path):
    from synthmed.executor_ray import RetryWarning

    monkeypatch.setenv("SYNTHMED_EXECUTOR", "ray")
    monkeypatch.setenv("SYNTHMED_RAY_RETRIES", "1")
    items = [(str(tmp_path / f"m{x}"), x) for x in (1, 2)]
    open(items[0][0], "w").close()  # item 1 succeeds at once, item 2 fails once
    with pytest.warns(RetryWarning) as record:
        assert executor.run_all(fail_once, items, progress=False) == [10, 20]
    assert [str(w.message) for w in record] == [
        f"runs [1] {items[1]!r} failed on attempt 1 of 2 (RuntimeError: transient failure of 2); retrying"]
    with pytest.raises(executor.RunError) as info, pytest.warns(RetryWarning):
        executor.run_all(fail_on_three, [1, 3, 5], desc="ray runs", progress=False)
    assert info.value.results == [101, None, 105]
    assert "1 of 3 ray runs failed" in str(info.value) and "failed 2 attempts" in str(info.value)
    assert "ValueError: bad item 3" in str(info.value)


def test_hits_load_here_and_only_misses_start_workers(cache_dir, monkeypatch):
    """With hits_here, a stored result loads in this process; a rebuild whose items are all cached starts no
    worker process, and a partly cached one sends only its misses to the workers."""
    seeds = [3, 8, 2]
    first = executor.run_all(probe, seeds[:2], workers=2, progress=False, hits_here=True)
    assert all(o[3] != os.getpid() for o in first)  # misses: computed in workers

    class NoPool:
        def __init__(self, *a, **k):
            raise AssertionError("a process pool was started for cached items")

    with monkeypatch.context() as patch:
        patch.setattr(executor, "ProcessPoolExecutor", NoPool)
        again = executor.run_all(probe, seeds[:2], workers=2, progress=False, hits_here=True)
    assert [o[0] for o in again] == [o[0] for o in first] and {o[3] for o in again} == {os.getpid()}
    mixed = executor.run_all(probe, seeds, workers=2, progress=False, hits_here=True)
    assert [o[0] for o in mixed[:2]] == [o[0] for o in first] and mixed[0][3] == os.getpid()
    assert mixed[2][3] != os.getpid()  # the one miss ran in a worker
    assert mixed[2][0] == executor.run_all(seeded_sum, [2], progress=False)[0]


def test_hits_only_refuses_to_compute(cache_dir):
    from synthmed import cache

    with pytest.raises(cache.CacheMiss), cache.hits_only():
        seeded_sum(11)
    assert seeded_sum(11) == seeded_sum(11)  # outside the block it computes, then loads


def test_runs_started_for_a_step_that_is_computing_log_nested_events(cache_dir, tmp_path, monkeypatch):
    """A cached step whose computation starts runs (gan_downstream_all): the runs' own steps, computed in worker
    processes, come back marked nested, so the cold cost counts the outer step's seconds once."""
    from synthmed import cache

    log = tmp_path / "log.jsonl"
    monkeypatch.setenv("SYNTHMED_CACHE_LOG", str(log))

    def outer():
        return executor.run_all(seeded_sum, [1, 2], workers=2, progress=False)

    cache.cached("executor_outer", outer, params={})
    events = [json.loads(line) for line in log.read_text().splitlines()]
    steps = [(e["name"], e["event"], e.get("nested", False)) for e in events if e["event"] != "run"]
    assert steps == [("executor_demo", "miss", True)] * 2 + [("executor_outer", "miss", False)]
