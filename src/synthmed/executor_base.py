"""What both executor backends (:mod:`synthmed.executor`, :mod:`synthmed.executor_ray`) share: running one item
with its cache events captured (:func:`call`), recording it (:func:`log_run`), the error that names failed items
(:class:`RunError`) and the progress bar.

Records of a run go where its :class:`~synthmed.context.RunContext` says: cache events and one
``{"event": "run", "desc", "seconds", "ok", "backend", "misses"}`` per item to ``context.cost_log`` (when set), and,
for an item that computed something, its wall time with notebook, profile, function and backend to
``<context.cache_dir>/costs.jsonl`` (read by :mod:`synthmed.cost`).
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Callable
from typing import Any

from synthmed.context import RunContext

COSTS_FILE = "costs.jsonl"


class RunError(RuntimeError):
    """Some items failed. ``failures``: [(index, item, error text)]; ``results``: per item, None where failed."""

    def __init__(self, desc: str, failures: list[tuple[int, Any, str]], results: list, n: int):
        self.failures, self.results = failures, results
        lines = [f"{len(failures)} of {n} {desc} failed (the other runs finished and are cached):"]
        for index, item, error in failures:
            lines.append(f"  [{index}] {short(item)}: {error.strip().splitlines()[-1] if error.strip() else ''}")
        if any("BrokenProcessPool" in error for _, _, error in failures):
            lines.append("a worker process died (killed, out of memory, or a script that calls run_all without "
                         "`if __name__ == '__main__':`, which spawned workers re-run)")
        lines.append(f"first failure, [{failures[0][0]}] {short(failures[0][1])}:\n{failures[0][2]}")
        super().__init__("\n".join(lines))


def short(item: Any, limit: int = 300) -> str:
    """``repr(item)``, cut to ``limit`` characters."""
    text = repr(item)
    return text if len(text) <= limit else text[:limit] + "..."


def _append(path: str | os.PathLike, records: list[dict]) -> None:
    if records:
        with open(path, "a") as f:
            f.write("".join(json.dumps(r) + "\n" for r in records))


def call(fn: Callable[[Any], Any], item: Any, context: RunContext) -> tuple[bool, Any, float, list[dict]]:
    """``fn(item)`` -> (ok, result or formatted traceback, seconds, the cache events it logged). Never raises.

    The run reads and writes the cache under ``context.cache_dir``; its cache events are captured by
    :func:`synthmed.cache.recording` and returned, so they come back to the caller from any process or node."""
    from synthmed import cache

    start = time.perf_counter()
    with cache.recording(context.cache_dir) as events:
        try:
            ok, value = True, fn(item)
        except Exception:  # noqa: BLE001 - reported by the caller with the item
            ok, value = False, traceback.format_exc()
    return ok, value, time.perf_counter() - start, list(events)


def log_run(fn: Callable, desc: str, outcome: tuple, backend_name: str, context: RunContext) -> None:
    """Record one finished item: its cache events and a run event in ``context.cost_log`` (when set) and, when it
    computed something, its wall time in ``<context.cache_dir>/costs.jsonl``. outcome: what :func:`call` returned."""
    from synthmed import cache

    ok, _, seconds, events = outcome
    misses = sum(e.get("event") == "miss" for e in events)
    if cache.inside_step():  # run for a step that is computing here: its seconds include this item's
        events = [{**e, "nested": True} for e in events]
    if context.cost_log:
        _append(context.cost_log, [*events, {"event": "run", "desc": desc, "seconds": round(seconds, 3), "ok": ok,
                                             "backend": backend_name, "misses": misses}])
    if ok and misses:
        root = context.cache_dir
        root.mkdir(parents=True, exist_ok=True)
        _append(root / COSTS_FILE, [{
            "notebook": context.notebook, "profile": context.profile,
            "fn": f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}", "desc": desc,
            "seconds": round(seconds, 3), "misses": misses, "backend": backend_name,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}])


def progress_bar(total: int, desc: str, progress: bool):
    """A tqdm bar (disabled when ``progress`` is False)."""
    from tqdm.std import tqdm  # text bars; tqdm.auto warns "IProgress not found" without ipywidgets

    return tqdm(total=total, desc=desc, disable=not progress)


def finish(desc: str, results: list, failures: list[tuple[int, Any, str]], n: int) -> list:
    """``results``, or :class:`RunError` naming ``failures`` (sorted by index) when there are any."""
    if failures:
        raise RunError(desc, sorted(failures, key=lambda f: f[0]), results, n)
    return results
