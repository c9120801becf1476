"""Independent runs, one interface, two backends: local processes (default) or a Ray cluster.

    results = run_all(train_one, specs, workers=2, desc="TSynD runs")   # list, in the order of specs

``fn`` is a top-level (picklable) function of one item, defined in an importable module (not in a notebook);
each call is one independent run, which stores its result through :mod:`synthmed.cache`, so a run finished
anywhere is a cache hit everywhere that shares the cache folder. ``fn`` is an experiment entry point: it picks
its device with :func:`synthmed.device.get_device` where it runs (a Ray task on a GPU node sees that GPU), rather
than receiving the caller's device in the item.

Backends (``$SYNTHMED_EXECUTOR``):

- ``local`` (default): ``workers <= 1`` runs the items here, one after another, with a progress bar;
  ``workers > 1`` runs them in that many *spawned* single-thread processes (each worker limits torch and its
  BLAS/OpenMP pools to one thread itself; the caller's environment is not touched): on a small CPU two
  single-thread processes train about twice as fast as one two-thread process. On a GPU machine keep ``workers``
  at 1 (or use Ray with fractional GPUs).
- ``ray``: one Ray task per item on the cluster at ``$RAY_ADDRESS`` (else a Ray instance started here). A task asks
  for one GPU when the cluster has GPUs (``$SYNTHMED_RAY_GPUS`` overrides, e.g. ``0.5`` to pack two runs per GPU),
  else one CPU; a failed task is retried ``$SYNTHMED_RAY_RETRIES`` times (default 2). ``workers`` is ignored: the
  cluster schedules. On a real cluster ``$SYNTHMED_CACHE_DIR`` and ``$SYNTHMED_DATA_ROOT`` must name a filesystem
  that every node mounts at the same path (results are written there by the node that computed them).

Either way a failed item never loses the others: every item runs, then :class:`RunError` names each item that
failed (index, item, the error) and keeps the finished results in ``.results``.

Records: each item's cache events (hits and misses, wherever it ran) and one ``{"event": "run", ...}`` per item go
to the run context's ``cost_log``, and an item that computed something appends its wall time to
``<cache dir>/costs.jsonl`` with the context's notebook and profile (:mod:`synthmed.executor_base`); the Compute
chapter projects the ``paper`` cost from it (:mod:`synthmed.cost`). Pass the notebook's context
(``context=settings.context``, made by :func:`synthmed.profiles.from_notebook`); without one, the context is read
from the environment the runner gave the kernel (:func:`synthmed.profiles.environment_context`).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import Any

from synthmed import cache
from synthmed.context import RunContext, environment
from synthmed.executor_base import COSTS_FILE, RunError, call, finish, log_run, progress_bar

__all__ = ["BACKENDS", "COSTS_FILE", "RunError", "backend", "call", "log_run", "run_all"]

BACKENDS = ("local", "ray")


def backend() -> str:
    """The backend named by ``$SYNTHMED_EXECUTOR`` (default ``local``); an unknown name is an error."""
    name = (environment("SYNTHMED_EXECUTOR") or "local").strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"SYNTHMED_EXECUTOR={name!r} is not a backend; choose one of {', '.join(BACKENDS)}")
    return name


def _single_thread() -> None:
    """Worker initialiser: one intra-op thread for torch and for every BLAS/OpenMP pool loaded (threadpoolctl),
    set in the worker itself, so that the caller's environment is left as it is."""
    import numpy  # noqa: F401 - load its BLAS before limiting the pools
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1)


def _run_local(fn, items: list, workers: int, desc: str, progress: bool, context: RunContext,
               hits_here: bool = False) -> list:
    results: list = [None] * len(items)
    failures: list[tuple[int, Any, str]] = []

    def record(i: int, outcome: tuple) -> None:
        log_run(fn, desc, outcome, "local", context)
        ok, value = outcome[:2]
        if ok:
            results[i] = value
        else:
            failures.append((i, items[i], value))

    if workers <= 1 or len(items) <= 1:
        with progress_bar(len(items), desc, progress) as bar:
            for i, item in enumerate(items):
                record(i, call(fn, item, context))
                bar.update()
        return finish(desc, results, failures, len(items))
    with progress_bar(len(items), desc, progress) as bar:
        todo = list(range(len(items)))
        if hits_here:  # stored results load here; a pool of workers (each importing torch) only for the misses
            todo = []
            for i, item in enumerate(items):
                try:
                    with cache.hits_only():
                        outcome = call(fn, item, context)
                except cache.CacheMiss:
                    todo.append(i)
                    continue
                record(i, outcome)
                bar.update()
        if todo:
            _pool(fn, items, todo, workers, context, record, failures, bar)
    return finish(desc, results, failures, len(items))


def _pool(fn, items: list, todo: list[int], workers: int, context: RunContext, record, failures: list,
          bar) -> None:
    """Run ``items[i]`` for i in ``todo`` in ``workers`` spawned single-thread processes, recording each outcome."""
    with ProcessPoolExecutor(min(workers, len(todo)), mp_context=get_context("spawn"),
                             initializer=_single_thread) as pool:
        futures = {}
        for i in todo:
            item = items[i]
            try:
                futures[pool.submit(call, fn, item, context)] = i
            except Exception:  # noqa: BLE001 - the pool broke (a worker died) before this item was queued
                failures.append((i, item, traceback.format_exc()))
                bar.update()
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except Exception:  # noqa: BLE001 - the worker died (killed, out of memory) or fn is unpicklable
                outcome = (False, traceback.format_exc(), 0.0, [])
            record(futures[future], outcome)
            bar.update()


def run_all(fn: Callable[[Any], Any], items: Iterable[Any], *, workers: int = 1, desc: str = "runs",
            progress: bool = True, context: RunContext | None = None, hits_here: bool = False) -> list:
    """``[fn(item) for item in items]``, possibly in parallel; results in the order of ``items``.

    fn: a top-level function of one item (picklable, importable by the workers); items: picklable.
    workers: local processes (``<= 1``: run here). context: the notebook's run context (cache folder, where the
    records go, notebook and profile); None reads it from the environment
    (:func:`synthmed.profiles.environment_context`). hits_here: ``fn`` reaches its :func:`synthmed.cache.cached`
    step before any heavy work, so with ``workers > 1`` each item is first tried here under
    :func:`synthmed.cache.hits_only` (a stored result loads in this process) and only the misses go to worker
    processes; a rebuild whose steps are all cached then starts no process (leave it False for a function that
    computes outside the cache). Raises :class:`RunError` naming every failed item, after all the other items
    have finished.
    """
    items = list(items)
    if not items:
        return []
    if context is None:
        from synthmed.profiles import environment_context

        context = environment_context()
    if backend() == "ray":
        from synthmed import executor_ray

        return executor_ray.run_all(fn, items, desc=desc, progress=progress, context=context)
    return _run_local(fn, items, workers, desc, progress, context, hits_here)
