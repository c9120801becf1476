"""A content-addressed cache for expensive results (trained models, samples, embeddings, metric tables).

A result is stored under a key derived from everything that determines it: a name, the parameters, the source code
of the modules that compute it, the MD5 of the data files and the seed. A rebuild with nothing changed loads every
result instead of recomputing it; changing any of those parts changes the key. Writes are atomic (temp file, then
``os.replace``), so an interrupted run never leaves a half-written entry. Long computations may checkpoint to
:func:`checkpoint_path` and resume from it.

Environment:

- ``SYNTHMED_CACHE_DIR``: where entries live (default ``~/.cache/synthmed``).
- ``SYNTHMED_RECOMPUTE``: ``1``/``all`` recomputes everything; a comma-separated list of names recomputes those.
- ``SYNTHMED_CACHE_LOG``: a file to which every hit and miss is appended as a JSON line (the runner reads it).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import torch

T = TypeVar("T")


def cache_dir() -> Path:
    """The cache root: ``$SYNTHMED_CACHE_DIR`` or ``~/.cache/synthmed``."""
    return Path(os.environ.get("SYNTHMED_CACHE_DIR") or Path.home() / ".cache" / "synthmed")


def code_version(*objects: Any) -> str:
    """SHA-256 (16 hex digits) of the source files of the modules defining ``objects`` (functions, classes or
    modules). Any edit to those modules changes the version, so cached results of old code are never reused."""
    h = hashlib.sha256()
    files = set()
    for obj in objects:
        module = obj if inspect.ismodule(obj) else sys.modules[obj.__module__]
        files.add(inspect.getsourcefile(module))
    for f in sorted(files):
        h.update(Path(f).read_bytes())
    return h.hexdigest()[:16]


def _canonical(value: Any) -> Any:
    """A JSON-serialisable stand-in for a parameter value that is stable across runs."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, torch.Tensor):
        return {"tensor_sha256": hashlib.sha256(value.detach().cpu().contiguous().numpy().tobytes()).hexdigest(),
                "shape": list(value.shape), "dtype": str(value.dtype)}
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _canonical(value.tolist())
    raise TypeError(f"cache parameter of type {type(value).__name__} cannot be hashed; pass plain data")


def cache_key(name: str, *, params: Mapping[str, Any], code: Sequence[Any] = (), data_md5: Sequence[str] = (),
              seed: int | None = None) -> str:
    """The hex key (24 digits) of one result: hashes name, params, code version, data MD5s and seed."""
    payload = {"name": name, "params": _canonical(params), "code": code_version(*code) if code else "",
               "data": list(data_md5), "seed": seed}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]


def atomic_save(obj: Any, path: Path) -> None:
    """``torch.save`` to a temporary file in the same folder, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path) -> Any:
    """Load an entry written by :func:`atomic_save` (onto the CPU)."""
    return torch.load(path, map_location="cpu", weights_only=False)


def _forced(name: str) -> bool:
    flag = os.environ.get("SYNTHMED_RECOMPUTE", "").strip()
    if flag.lower() in {"1", "all", "true", "yes"}:
        return True
    return name in {n.strip() for n in flag.split(",") if n.strip()}


def _log(event: str, name: str, key: str, seconds: float) -> None:
    log = os.environ.get("SYNTHMED_CACHE_LOG")
    if log:
        with open(log, "a") as f:
            f.write(json.dumps({"event": event, "name": name, "key": key, "seconds": round(seconds, 3)}) + "\n")


def entry_path(name: str, key: str) -> Path:
    """Where the entry ``name``/``key`` lives."""
    return cache_dir() / name / f"{key}.pt"


def checkpoint_path(name: str, key: str) -> Path:
    """Where a long computation of ``name``/``key`` keeps its resumable checkpoint (removed once it finishes)."""
    return cache_dir() / name / f"{key}.ckpt"


def cached(name: str, compute: Callable[..., T], *, params: Mapping[str, Any], code: Sequence[Any] = (),
           data_md5: Sequence[str] = (), seed: int | None = None, resumable: bool = False) -> T:
    """Return the cached result of ``compute()``, computing and storing it on a miss.

    name: a short label (also the cache sub-folder); params/code/data_md5/seed: see :func:`cache_key`.
    resumable: call ``compute(checkpoint)`` with a :class:`~pathlib.Path` the computation may save its progress to
    (with :func:`atomic_save`) and resume from; it is deleted once the result is stored.
    """
    key = cache_key(name, params=params, code=code, data_md5=data_md5, seed=seed)
    path = entry_path(name, key)
    start = time.perf_counter()
    if path.exists() and not _forced(name):
        value = load(path)
        _log("hit", name, key, time.perf_counter() - start)
        return value
    ckpt = checkpoint_path(name, key)
    value = compute(ckpt) if resumable else compute()
    atomic_save(value, path)
    ckpt.unlink(missing_ok=True)
    _log("miss", name, key, time.perf_counter() - start)
    return value
