"""The Ray backend of :func:`synthmed.executor.run_all` (``SYNTHMED_EXECUTOR=ray``; needs ``.[cluster]``).

Connects to the cluster at ``$RAY_ADDRESS`` (e.g. ``ray://head:10001`` or ``head:6379``) or, when that is unset,
starts a Ray instance on this machine with ``$SYNTHMED_RAY_CPUS`` CPUs (default: all). Each item is one task
asking for 1 CPU and, when the cluster has GPUs, 1 GPU (``$SYNTHMED_RAY_GPUS`` sets the fraction, ``0`` for
none). Retries: Ray itself re-runs a task whose worker or node died (``max_retries``); a task whose ``fn`` raised
is resubmitted by this module, so that every retry is reported (a :class:`RetryWarning` naming the item and the
error) and an item that fails ``1 + $SYNTHMED_RAY_RETRIES`` times (default 2 retries) is reported in the
:class:`~synthmed.executor.RunError`, never lost.

Ray starts its workers with this process's ``SYNTHMED_*`` variables (and ``OMP_NUM_THREADS``) as they are when
Ray is first connected (its ``runtime_env``); each task receives the caller's
:class:`~synthmed.context.RunContext` as a value, so its cache folder is the caller's at call time. Results are
written by ``fn`` through :mod:`synthmed.cache` on the node that ran it: on a multi-node cluster the cache folder
and ``SYNTHMED_DATA_ROOT`` must be paths of a filesystem shared by every node, and ``synthmed`` must be installed
on every node (same commit, so that cache keys agree).
"""

from __future__ import annotations

import os
import traceback
import warnings

from synthmed.context import RunContext, environment, environment_items
from synthmed.executor_base import call, finish, log_run, progress_bar, short

DEFAULT_RETRIES = 2
_FORWARDED = ("OMP_NUM_THREADS",)


class RetryWarning(UserWarning):
    """A run failed and was resubmitted."""


def _env_float(name: str, default: float | None) -> float | None:
    text = environment(name)
    if text is None or not text.strip():
        return default
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number") from None


def _forwarded_env() -> dict[str, str]:
    forwarded = environment_items(_FORWARDED, prefix="SYNTHMED_")
    forwarded.pop("SYNTHMED_EXECUTOR", None)
    return forwarded


def connect():
    """``ray``, initialised: the cluster at ``$RAY_ADDRESS``, else a local instance (reused if already up)."""
    try:
        import ray
    except ImportError:
        raise ImportError("SYNTHMED_EXECUTOR=ray needs Ray: pip install -c constraints.txt -e '.[cluster]'") from None
    if ray.is_initialized():
        return ray
    kwargs = {"runtime_env": {"env_vars": _forwarded_env()}, "log_to_driver": True}
    if not environment("RAY_ADDRESS"):
        cpus = _env_float("SYNTHMED_RAY_CPUS", None)
        kwargs.update(num_cpus=int(cpus) if cpus else os.cpu_count(), include_dashboard=False)
    ray.init(**kwargs)
    return ray


def run_all(fn, items: list, *, desc: str = "runs", progress: bool = True, context: RunContext) -> list:
    """See :func:`synthmed.executor.run_all`: one Ray task per item under ``context``, results in item order."""
    ray = connect()
    retries = int(_env_float("SYNTHMED_RAY_RETRIES", DEFAULT_RETRIES))
    gpus = _env_float("SYNTHMED_RAY_GPUS", None)
    if gpus is None:
        gpus = 1.0 if ray.cluster_resources().get("GPU", 0) > 0 else 0.0
    task = ray.remote(call).options(num_cpus=1, num_gpus=gpus, max_retries=retries)
    fn_ref = ray.put(fn)
    results: list = [None] * len(items)
    failures: list[tuple[int, object, str]] = []
    pending = {task.remote(fn_ref, item, context): (i, 1) for i, item in enumerate(items)}
    with progress_bar(len(items), desc, progress) as bar:
        while pending:
            (ref,), _ = ray.wait(list(pending), num_returns=1)
            i, attempt = pending.pop(ref)
            try:
                outcome = ray.get(ref)
            except Exception:  # noqa: BLE001 - the task's worker or node died beyond Ray's own retries
                outcome = (False, traceback.format_exc(), 0.0, [])
            log_run(fn, desc, outcome, "ray", context)
            ok, value = outcome[:2]
            if ok:
                results[i] = value
                bar.update()
            elif attempt <= retries:
                last = value.strip().splitlines()[-1] if value.strip() else "?"
                warnings.warn(f"{desc} [{i}] {short(items[i])} failed on attempt {attempt} of {retries + 1} "
                              f"({last}); retrying", RetryWarning, stacklevel=2)
                pending[task.remote(fn_ref, items[i], context)] = (i, attempt + 1)
            else:
                failures.append((i, items[i], f"failed {attempt} attempts; last error:\n{value}"))
                bar.update()
    return finish(desc, results, failures, len(items))
