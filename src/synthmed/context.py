"""The run context: what a notebook run is (profile, notebook) and where its records go (cache folder, event log).

    settings = profiles.from_notebook("tsynd", globals())
    executor.run_all(fn, items, context=settings.context)

One frozen value, made once per notebook run by :func:`synthmed.profiles.from_notebook` (attached to the settings
it returns) and passed explicitly to the executor, which hands the cache folder to :mod:`synthmed.cache` for each
run. No library module writes an environment variable to carry these between layers; only the runner sets them,
in the environment of the notebook kernel it starts (which :func:`synthmed.profiles.environment_context` reads).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Every environment variable synthmed reads, and what it is for. Only this module reads the environment
# (:func:`environment`, :func:`environment_items`; tests/test_environment.py checks it), so this table is the
# complete list a user can set.
VARIABLES: dict[str, str] = {
    "SYNTHMED_PROFILE": "the profile a notebook resolves when no parameter names one (set by the runner)",
    "SYNTHMED_NOTEBOOK": "the notebook a kernel runs (set by the runner)",
    "SYNTHMED_CACHE_DIR": "the cache root (default ~/.cache/synthmed)",
    "SYNTHMED_CACHE_LOG": "the file that receives every cache event (set by the runner per notebook)",
    "SYNTHMED_RECOMPUTE": "1 / all: recompute every cached step; name1,name2: only those steps",
    "SYNTHMED_DATA_ROOT": "the data folder (medmnist/, nih/)",
    "SYNTHMED_DEVICE": "auto | cpu | cuda | cuda:N",
    "SYNTHMED_EXECUTOR": "local (default) | ray",
    "SYNTHMED_RAY_CPUS": "CPUs of a local Ray instance",
    "SYNTHMED_RAY_GPUS": "GPUs per Ray task",
    "SYNTHMED_RAY_RETRIES": "retries of a failed Ray task",
    "RAY_ADDRESS": "the Ray cluster to join (default: a local instance)",
    "OMP_NUM_THREADS": "threads per process (recorded with a notebook's inputs, forwarded to Ray workers)",
    "MKL_NUM_THREADS": "threads per process (recorded with a notebook's inputs)",
    "CUDA_VISIBLE_DEVICES": "the GPUs a process sees (recorded with a notebook's inputs)",
}


def environment(name: str) -> str | None:
    """The value of environment variable ``name`` (None when unset); ``name`` must be one of :data:`VARIABLES`."""
    if name not in VARIABLES:
        raise KeyError(f"{name} is not one of synthmed's environment variables (synthmed.context.VARIABLES)")
    return os.environ.get(name)


def environment_items(names: Iterable[str] = (), prefix: str | None = None) -> dict[str, str]:
    """{name: value} of the set variables among ``names`` and, with ``prefix``, of every set variable whose name
    starts with it (what a remote worker must see to run as this process does)."""
    names = set(names)
    return {k: v for k, v in os.environ.items() if k in names or (prefix is not None and k.startswith(prefix))}


@dataclass(frozen=True)
class RunContext:
    """profile: smoke | quick | paper (None: not known, e.g. a bare script); notebook: the notebook's name (None
    likewise); cache_dir: the cache root every cached step of the run reads and writes; cost_log: a JSON-lines file
    that receives every cache event and one record per executor run (the runner's per-notebook log; None: none)."""

    profile: str | None
    notebook: str | None
    cache_dir: Path
    cost_log: Path | None = None
