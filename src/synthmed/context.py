"""The run context: what a notebook run is (profile, notebook) and where its records go (cache folder, event log).

    settings = profiles.from_notebook("tsynd", globals())
    executor.run_all(fn, items, context=settings.context)

One frozen value, made once per notebook run by :func:`synthmed.profiles.from_notebook` (attached to the settings
it returns) and passed explicitly to the executor, which hands the cache folder to :mod:`synthmed.cache` for each
run. No library module writes an environment variable to carry these between layers; only the runner sets them,
in the environment of the notebook kernel it starts (which :func:`synthmed.profiles.environment_context` reads).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunContext:
    """profile: smoke | quick | paper (None: not known, e.g. a bare script); notebook: the notebook's name (None
    likewise); cache_dir: the cache root every cached step of the run reads and writes; cost_log: a JSON-lines file
    that receives every cache event and one record per executor run (the runner's per-notebook log; None: none)."""

    profile: str | None
    notebook: str | None
    cache_dir: Path
    cost_log: Path | None = None
