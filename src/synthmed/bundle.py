"""Committed result bundles: score rows of long runs, one small JSON file per run, with their provenance.

A run at the papers' settings can take longer than a working session on a CPU. Its *score rows* (never weights) are
written to ``results/<profile>/<chapter>/<run name>.json`` as soon as the run finishes, so that the bundle grows run
by run, can be committed as it grows, and a later session (or another machine) extends it: a run whose file exists
with the same *run key* is not recomputed.

The run key (:func:`run_key`) hashes what determines the run's result: a bundle version, the run's name, its
parameters (every setting its cached steps receive) and the cache keys of those steps, which carry the code version
of each step, the data files' MD5 and the seed. An edit to the code a run reaches therefore makes the run pending
again; a chapter that changes what its runs mean writes a new bundle version to a new folder and keeps the earlier
one as it was committed (the first TSynD bundle, ``results/paper/tsynd/``, was keyed on settings only: its rows are
"earlier code", :func:`code_changed`). Every file also records the code it was computed with (the git commit,
whether the tree had uncommitted edits, the steps' cache keys).

Each file: ``{"key", "run": {...}, "provenance": {...}, "rows": [...]}``; :func:`read` flattens a folder into one
frame with the provenance columns beside each row.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

RESULTS = "results"


def digest(value: Any, length: int = 16) -> str:
    """SHA-256 (``length`` hex digits) of plain data (dicts, lists, numbers, strings), key order ignored."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def run_key(version: str, run: str, steps: Mapping[str, str], **settings: Any) -> str:
    """The key (24 hex digits) of one run: bundle ``version``, run name ``run``, ``steps`` ({cached step name: its
    cache key}, which carries the step's code version, data MD5 and seed) and the run's ``settings`` (plain data:
    every parameter its steps receive)."""
    return digest({"version": version, "run": run, "steps": dict(steps), **settings}, 24)


def folder(root: str | Path, profile: str, chapter: str) -> Path:
    """``<root>/results/<profile>/<chapter>``: where a chapter's bundle for ``profile`` lives."""
    return Path(root) / RESULTS / profile / chapter


def machine() -> dict[str, Any]:
    """The machine a run was computed on: CPU model, logical CPUs, torch threads, the 15-minute load average when
    the run finished (a wall time measured beside other work is longer), torch version, Python, platform."""
    import torch

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    device = "cuda: " + torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    load = round(os.getloadavg()[2], 2) if hasattr(os, "getloadavg") else None  # other work slows a run down
    return {"cpu": cpu, "cpus": os.cpu_count(), "threads": torch.get_num_threads(), "device": device,
            "load_15min": load,
            "torch": torch.__version__, "python": platform.python_version(), "platform": platform.platform()}


def git_state(root: str | Path) -> dict[str, Any]:
    """{"commit": HEAD's hash (or "" outside a git checkout), "dirty": uncommitted edits under src/}."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return ""

    commit = git("rev-parse", "HEAD").strip()
    dirty = bool(git("status", "--porcelain", "--", "src").strip()) if commit else False
    return {"commit": commit, "dirty": dirty}


def path_of(bundle: Path, name: str) -> Path:
    """The file of run ``name`` in ``bundle`` (a name of letters, digits, '-', '_' and '.')."""
    if not name or any(not (ch.isalnum() or ch in "-_.") for ch in name):
        raise ValueError(f"run name {name!r}: use letters, digits, '-', '_' and '.' only")
    return bundle / f"{name}.json"


def write(bundle: Path, name: str, key: str, run: Mapping[str, Any], rows: Sequence[Mapping[str, Any]],
          provenance: Mapping[str, Any]) -> Path:
    """Store one run atomically (temp file, then rename): an interrupted write never leaves half a file."""
    bundle.mkdir(parents=True, exist_ok=True)
    out = path_of(bundle, name)
    record = {"key": key, "run": dict(run), "provenance": dict(provenance), "rows": [dict(r) for r in rows]}
    fd, tmp = tempfile.mkstemp(dir=bundle, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(record, f, indent=1, sort_keys=True, default=_plain)
            f.write("\n")
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} in a bundle")


def records(bundle: Path) -> list[dict[str, Any]]:
    """Every run file of ``bundle`` (sorted by name; none when the folder does not exist). A file that is not a
    run record (writes are atomic, so only an edit by hand or a bad merge makes one) stops with its name."""
    out = []
    for path in sorted(Path(bundle).glob("*.json")):
        try:
            rec = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"{path} is not a run record ({err}); restore it with `git checkout -- {path}` or "
                             f"delete it to recompute that run") from err
        if not isinstance(rec, dict) or not {"key", "run", "provenance", "rows"} <= set(rec):
            raise ValueError(f"{path} is not a run record (it needs key, run, provenance and rows)")
        out.append(rec)
    return out


def read(bundle: Path) -> pd.DataFrame:
    """One row per stored score row: the run's fields, the row's fields, ``run_id`` (one value per stored run: a
    digest of its run fields), ``run_key`` (the key it was stored under; keys written by older code do not tell
    seeds apart, so count runs by ``run_id``) and the provenance fields (prefixed ``prov_``; the machine's as
    ``prov_machine_*``). Empty frame when the bundle is empty."""
    out = []
    for rec in records(bundle):
        prov = {f"prov_{k}": v for k, v in rec["provenance"].items() if k != "machine"}
        prov.update({f"prov_machine_{k}": v for k, v in (rec["provenance"].get("machine") or {}).items()})
        run_id = digest(rec["run"])
        for row in rec["rows"]:
            out.append({**rec["run"], **row, "run_id": run_id, "run_key": rec["key"], **prov})
    return pd.DataFrame(out)


def provenance(root: str | Path, *, profile: str, settings_digest: str, seed: int, wall_s: float,
               steps: Mapping[str, str]) -> dict[str, Any]:
    """The provenance of one run: code commit (and dirty flag), the cache keys of the steps that produced it
    (``steps``: {step name: key}), profile, settings digest, seed, wall time, when, and the machine."""
    return {**git_state(root), "steps": dict(steps), "profile": profile, "settings_digest": settings_digest,
            "seed": seed, "wall_s": round(float(wall_s), 1),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine()}


def code_changed(recorded: Mapping[str, str], current: Mapping[str, str]) -> bool:
    """Whether the code that computed a run has changed since: some step's cache key recorded in its provenance
    (``recorded``: {step name: key}) differs from the key the current code gives the same run (``current``)."""
    return any(recorded.get(name) != key for name, key in current.items())
