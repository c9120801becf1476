"""Independent runs, one interface, two backends: local processes (default) or a Ray cluster.

    results = run_all(train_one, specs, workers=2, desc="TSynD runs")   # list, in the order of specs

``fn`` is a top-level (picklable) function of one item, defined in an importable module (not in a notebook);
each call is one independent run, which stores its result through :mod:`synthmed.cache`, so a run finished
anywhere is a cache hit everywhere that shares the cache folder. ``fn`` is an experiment entry point: it picks
its device with :func:`synthmed.device.get_device` where it runs (a Ray task on a GPU node sees that GPU), rather
than receiving the caller's device in the item.

Backends (``$SYNTHMED_EXECUTOR``):

- ``local`` (default): ``workers <= 1`` runs the items here, one after another, with a progress bar;
  ``workers > 1`` runs them in that many *spawned* single-thread processes (``OMP_NUM_THREADS=1``,
  ``torch.set_num_threads(1)``): on a small CPU two single-thread processes train about twice as fast as one
  two-thread process. On a GPU machine keep ``workers`` at 1 (or use Ray with fractional GPUs).
- ``ray``: one Ray task per item on the cluster at ``$RAY_ADDRESS`` (else a Ray instance started here). A task asks
  for one GPU when the cluster has GPUs (``$SYNTHMED_RAY_GPUS`` overrides, e.g. ``0.5`` to pack two runs per GPU),
  else one CPU; a failed task is retried ``$SYNTHMED_RAY_RETRIES`` times (default 2). ``workers`` is ignored: the
  cluster schedules. On a real cluster ``$SYNTHMED_CACHE_DIR`` and ``$SYNTHMED_DATA_ROOT`` must name a filesystem
  that every node mounts at the same path (results are written there by the node that computed them).

Either way a failed item never loses the others: every item runs, then :class:`RunError` names each item that
failed (index, item, the error) and keeps the finished results in ``.results``.

Cost records: each item's cache events (hits and misses, wherever it ran) are collected and appended to
``$SYNTHMED_CACHE_LOG`` when that is set (the runner sets it), followed by ``{"event": "run", "desc", "seconds",
"ok", "backend", "misses"}``. An item that computed something (at least one cache miss) also appends its wall time
to ``<cache dir>/costs.jsonl`` with the notebook and the profile (``$SYNTHMED_NOTEBOOK``, ``$SYNTHMED_PROFILE``,
set by :func:`synthmed.profiles.from_notebook`), the function and the backend, so the measured cost per run stays
beside the results it produced; the Compute chapter projects the ``paper`` cost from it (:mod:`synthmed.cost`).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import Any

BACKENDS = ("local", "ray")
_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


class RunError(RuntimeError):
    """Some items failed. ``failures``: [(index, item, error text)]; ``results``: per item, None where failed."""

    def __init__(self, desc: str, failures: list[tuple[int, Any, str]], results: list, n: int):
        self.failures, self.results = failures, results
        lines = [f"{len(failures)} of {n} {desc} failed (the other runs finished and are cached):"]
        for index, item, error in failures:
            lines.append(f"  [{index}] {_short(item)}: {error.strip().splitlines()[-1] if error.strip() else ''}")
        if any("BrokenProcessPool" in error for _, _, error in failures):
            lines.append("a worker process died (killed, out of memory, or a script that calls run_all without "
                         "`if __name__ == '__main__':`, which spawned workers re-run)")
        lines.append(f"first failure, [{failures[0][0]}] {_short(failures[0][1])}:\n{failures[0][2]}")
        super().__init__("\n".join(lines))


def _short(item: Any, limit: int = 300) -> str:
    text = repr(item)
    return text if len(text) <= limit else text[:limit] + "..."


def backend() -> str:
    """The backend named by ``$SYNTHMED_EXECUTOR`` (default ``local``); an unknown name is an error."""
    name = (os.environ.get("SYNTHMED_EXECUTOR") or "local").strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"SYNTHMED_EXECUTOR={name!r} is not a backend; choose one of {', '.join(BACKENDS)}")
    return name


COSTS_FILE = "costs.jsonl"


def _append(path: str | os.PathLike, records: list[dict]) -> None:
    if records:
        with open(path, "a") as f:
            f.write("".join(json.dumps(r) + "\n" for r in records))


def log_run(fn: Callable, desc: str, outcome: tuple, backend_name: str) -> None:
    """Record one finished item: its cache events and a run event in ``$SYNTHMED_CACHE_LOG`` (when set) and, when
    it computed something, its wall time in ``<cache dir>/costs.jsonl``. outcome: what :func:`call` returned."""
    ok, _, seconds, events = outcome
    misses = sum(e.get("event") == "miss" for e in events)
    log = os.environ.get("SYNTHMED_CACHE_LOG")
    if log:
        _append(log, [*events, {"event": "run", "desc": desc, "seconds": round(seconds, 3), "ok": ok,
                                "backend": backend_name, "misses": misses}])
    if ok and misses:
        from synthmed.cache import cache_dir

        root = cache_dir()
        root.mkdir(parents=True, exist_ok=True)
        _append(root / COSTS_FILE, [{
            "notebook": os.environ.get("SYNTHMED_NOTEBOOK"), "profile": os.environ.get("SYNTHMED_PROFILE"),
            "fn": f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}", "desc": desc,
            "seconds": round(seconds, 3), "misses": misses, "backend": backend_name,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}])


def call(fn: Callable[[Any], Any], item: Any) -> tuple[bool, Any, float, list[dict]]:
    """``fn(item)`` -> (ok, result or formatted traceback, seconds, the cache events it logged). Never raises.

    The cache events are captured through a private ``$SYNTHMED_CACHE_LOG`` for the call (restored after), so they
    come back to the caller from any process or node."""
    saved = os.environ.get("SYNTHMED_CACHE_LOG")
    fd, private = tempfile.mkstemp(prefix="synthmed-run-", suffix=".jsonl")
    os.close(fd)
    os.environ["SYNTHMED_CACHE_LOG"] = private
    start = time.perf_counter()
    try:
        ok, value = True, fn(item)
    except Exception:  # noqa: BLE001 - reported by the caller with the item
        ok, value = False, traceback.format_exc()
    seconds = time.perf_counter() - start
    if saved is None:
        os.environ.pop("SYNTHMED_CACHE_LOG", None)
    else:
        os.environ["SYNTHMED_CACHE_LOG"] = saved
    with open(private) as f:
        events = [json.loads(line) for line in f if line.strip()]
    os.unlink(private)
    return ok, value, seconds, events


def _single_thread() -> None:
    """Worker initialiser: one intra-op thread (the environment variables are already set by the parent)."""
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return
    torch.set_num_threads(1)


def _bar(total: int, desc: str, progress: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not progress)


def _finish(desc: str, results: list, failures: list[tuple[int, Any, str]], n: int) -> list:
    if failures:
        raise RunError(desc, sorted(failures, key=lambda f: f[0]), results, n)
    return results


def _run_local(fn, items: list, workers: int, desc: str, progress: bool) -> list:
    results: list = [None] * len(items)
    failures: list[tuple[int, Any, str]] = []
    if workers <= 1 or len(items) <= 1:
        with _bar(len(items), desc, progress) as bar:
            for i, item in enumerate(items):
                outcome = call(fn, item)
                log_run(fn, desc, outcome, "local")
                ok, value = outcome[:2]
                if ok:
                    results[i] = value
                else:
                    failures.append((i, item, value))
                bar.update()
        return _finish(desc, results, failures, len(items))
    saved = {var: os.environ.get(var) for var in _THREAD_VARS}
    os.environ.update({var: "1" for var in _THREAD_VARS})  # inherited by the spawned workers before torch loads
    try:
        with ProcessPoolExecutor(min(workers, len(items)), mp_context=get_context("spawn"),
                                 initializer=_single_thread) as pool, _bar(len(items), desc, progress) as bar:
            futures = {}
            for i, item in enumerate(items):
                try:
                    futures[pool.submit(call, fn, item)] = i
                except Exception:  # noqa: BLE001 - the pool broke (a worker died) before this item was queued
                    failures.append((i, item, traceback.format_exc()))
                    bar.update()
            for future in as_completed(futures):
                i = futures[future]
                try:
                    outcome = future.result()
                except Exception:  # noqa: BLE001 - the worker died (killed, out of memory) or fn is unpicklable
                    outcome = (False, traceback.format_exc(), 0.0, [])
                log_run(fn, desc, outcome, "local")
                ok, value = outcome[:2]
                if ok:
                    results[i] = value
                else:
                    failures.append((i, items[i], value))
                bar.update()
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
    return _finish(desc, results, failures, len(items))


def run_all(fn: Callable[[Any], Any], items: Iterable[Any], *, workers: int = 1, desc: str = "runs",
            progress: bool = True) -> list:
    """``[fn(item) for item in items]``, possibly in parallel; results in the order of ``items``.

    fn: a top-level function of one item (picklable, importable by the workers); items: picklable.
    workers: local processes (``<= 1``: run here). Raises :class:`RunError` naming every failed item, after all
    the other items have finished.
    """
    items = list(items)
    if not items:
        return []
    if backend() == "ray":
        from synthmed import executor_ray

        return executor_ray.run_all(fn, items, desc=desc, progress=progress)
    return _run_local(fn, items, workers, desc, progress)
