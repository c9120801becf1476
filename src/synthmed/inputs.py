"""What an executed notebook depends on, as one digest per kind of input: the runner re-executes a notebook only
when one of them differs from the digests it stored when it last executed it.

    reads = reads.read_record(path)                       # what the kernel read (synthmed.reads.watch)
    now = digests("tsynd", "smoke", {}, reads, where)     # {"source": ..., "settings": ..., "code": ..., ...}
    changed(stored, now)                                  # ["code"]: re-execute; []: keep the executed copy

The kinds (:data:`KINDS`), each a SHA-256 prefix:

- ``source``: the notebook's cells (type, source, tags) in ``notebooks/<name>.ipynb``, what papermill runs;
- ``settings``: the profile, the parameters the runner passes, the notebook's resolved settings
  (:func:`synthmed.profiles.resolve`), the environment variables that change results (:data:`ENVIRONMENT`) and the
  versions of the libraries that compute them (:data:`LIBRARIES`);
- ``code``: the source files of the synthmed modules the kernel had imported when it finished;
- ``files``: the MD5 of every file it read (data files, committed results, the package's claim files) and the
  names in every folder it listed, outside the cache (cache entries are keyed by their own inputs);
- ``verdicts``: for a notebook that writes verdicts, the primary claims (p, leave-one-out p) its sibling notebooks
  stored for the papers it stores claims of, the family its adjusted p rests on
  (:func:`synthmed.claims.in_family`); for one that only reads the verdict store (the Scorecard), every verdict file
  of the profile and the book's published reference verdicts (``results/reference/<profile>.json``, also when
  it did not exist yet);
- ``runs``: for a notebook that read the runner's ``runs.json`` (the Compute page), every other notebook's record;
- ``outputs``: the notebook's own verdict file as it wrote it, so a cleared verdict store re-executes the pages
  that fill it.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthmed.context import environment

KINDS = ("source", "settings", "code", "files", "verdicts", "runs", "outputs")
ENVIRONMENT = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "SYNTHMED_DEVICE", "CUDA_VISIBLE_DEVICES")
LIBRARIES = ("torch", "numpy", "pandas", "scipy", "scikit-learn", "matplotlib", "medmnist")
RUNS_FILE = "runs.json"  # synthmed.runner.RUNS_FILE


@dataclass(frozen=True)
class Where:
    """The folders a build uses: notebooks (sources), executed (copies and ``runs.json``), cache (its
    ``verdicts/`` are the verdict store)."""

    notebooks: Path
    executed: Path
    cache: Path

    @property
    def verdicts(self) -> Path:
        return self.cache / "verdicts"


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _file_md5(path: str) -> str:
    from synthmed.data.checksums import md5sum

    try:
        return md5sum(path)
    except (FileNotFoundError, NotADirectoryError):
        return "missing"


def source_digest(notebook: Path) -> str:
    """Digest of the cells of ``notebook`` (.ipynb): type, source and tags, not outputs or other metadata."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    return _digest([(c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells])


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def settings_digest(name: str, profile: str, parameters: Mapping[str, Any]) -> str:
    """Digest of how the runner runs ``name``: profile, parameters, the resolved settings (when ``name`` is a
    notebook of the chapter registry), :data:`ENVIRONMENT` and the Python and :data:`LIBRARIES` versions."""
    from synthmed import profiles

    resolved = (dict(profiles.resolve(name, profile, **parameters)) if name in profiles.NOTEBOOKS else None)
    return _digest({"profile": profile, "parameters": dict(parameters), "resolved": resolved,
                    "environment": {k: environment(k) for k in ENVIRONMENT},
                    "python": platform.python_version(), "libraries": {p: _version(p) for p in LIBRARIES}})


def code_digest(modules: Iterable[str]) -> str:
    """Digest of the source files of ``modules`` (names; one no longer found counts as "missing")."""
    from synthmed.cache import _module_file

    parts = {}
    for name in sorted(modules):
        path = _module_file(name)
        parts[name] = hashlib.sha256(Path(path).read_bytes()).hexdigest() if path and Path(path).exists() \
            else "missing"
    return _digest(parts)


def _under(path: str, folder: Path) -> bool:
    return Path(path).is_relative_to(folder) or Path(path).resolve().is_relative_to(folder.resolve())


@dataclass(frozen=True)
class Reads:
    """A kernel's record (:func:`synthmed.reads.watch`) sorted by what depends on it: ``modules``; ``files`` and
    ``dirs`` outside the cache; whether it read the verdict store (``verdicts``) and ``runs.json`` (``runs``)."""

    modules: tuple[str, ...]
    files: tuple[str, ...]
    dirs: tuple[str, ...]
    verdicts: bool
    runs: bool

    @classmethod
    def sort(cls, record: Mapping[str, list[str]], where: Where) -> "Reads":
        runs_file = where.executed / RUNS_FILE
        paths = list(record.get("files", ())) + list(record.get("dirs", ()))
        verdicts = any(_under(p, where.verdicts) for p in paths)
        runs = any(Path(p) == runs_file for p in record.get("files", ()))
        keep = [p for p in record.get("files", ()) if not _under(p, where.cache) and Path(p) != runs_file]
        own = (where.executed, where.notebooks)  # the runner's folders: the kernel's working folder is listed anyway
        dirs = [p for p in record.get("dirs", ()) if not _under(p, where.cache) and Path(p) not in own]
        return cls(tuple(record.get("modules", ())), tuple(sorted(keep)), tuple(sorted(dirs)), verdicts, runs)

    @classmethod
    def load(cls, stored: Mapping[str, Any]) -> "Reads":
        """The reads as :meth:`as_dict` stored them."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in stored.items()})

    def as_dict(self) -> dict[str, Any]:
        return {"modules": list(self.modules), "files": list(self.files), "dirs": list(self.dirs),
                "verdicts": self.verdicts, "runs": self.runs}


def files_digest(files: Iterable[str], dirs: Iterable[str]) -> str:
    """Digest of the MD5 of ``files`` and the sorted entry names of ``dirs`` (missing ones count as such)."""
    listing = {}
    for d in sorted(dirs):
        listing[d] = sorted(os.listdir(d)) if os.path.isdir(d) else "missing"
    return _digest({"files": {f: _file_md5(f) for f in sorted(files)}, "dirs": listing})


def _stored(path: Path) -> list[dict]:
    return json.loads(path.read_text()) if path.exists() else []


def verdicts_digest(name: str, profile: str, writes: bool, where: Where) -> str:
    """Digest of the verdicts ``name`` collects (see the module's docstring): a writer's family, from its siblings'
    stored primary claims of the papers it stores claims of; else every verdict file of ``profile`` and the
    published reference of ``profile`` (the book's root: the folder above ``where.notebooks``)."""
    folder = where.verdicts / profile
    if not writes:
        from synthmed.claims.reference import reference_path

        published = reference_path(where.notebooks.parent, profile)  # read only when it exists: no open to see
        return _digest({"store": {p.name: p.read_text() for p in sorted(folder.glob("*.json"))} if folder.exists()
                        else {}, "reference": published.read_text() if published.exists() else None})
    papers = {r.get("paper") for r in _stored(folder / f"{name}.json") if r.get("role") == "primary"}
    members = []
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        if path.stem == name:
            continue
        members += [(path.stem, r.get("paper"), r.get("profile"), r.get("id"), r.get("p"), r.get("p_loo"))
                    for r in _stored(path) if r.get("role") == "primary" and r.get("paper") in papers]
    return _digest(members)


def runs_digest(name: str, where: Where) -> str:
    """Digest of every run record in ``runs.json`` but ``name``'s own."""
    path = where.executed / RUNS_FILE
    runs = json.loads(path.read_text()) if path.exists() else {}
    return _digest({k: v for k, v in runs.items() if k != name})


def outputs_digest(name: str, profile: str, writes: bool, where: Where) -> str:
    """Digest of the verdict file ``name`` wrote ("missing" when it is gone; "" for a notebook writing none)."""
    if not writes:
        return ""
    path = where.verdicts / profile / f"{name}.json"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else "missing"


def writes_verdicts(name: str) -> bool:
    """Whether ``name`` is a notebook the chapter registry says writes verdicts."""
    from synthmed import chapters

    return name in chapters.verdict_notebooks()


def digests(name: str, profile: str, parameters: Mapping[str, Any], reads: Reads, where: Where) -> dict[str, str]:
    """{kind: digest} for every kind of :data:`KINDS`, as the inputs of ``name`` stand now."""
    writes = writes_verdicts(name)
    return {"source": source_digest(where.notebooks / f"{name}.ipynb"),
            "settings": settings_digest(name, profile, parameters),
            "code": code_digest(reads.modules),
            "files": files_digest(reads.files, reads.dirs),
            "verdicts": verdicts_digest(name, profile, writes, where) if reads.verdicts or writes else "",
            "runs": runs_digest(name, where) if reads.runs else "",
            "outputs": outputs_digest(name, profile, writes, where)}


def changed(stored: Mapping[str, str], now: Mapping[str, str]) -> list[str]:
    """The kinds whose digest differs between ``stored`` and ``now`` (every kind when nothing was stored)."""
    return [k for k in KINDS if stored.get(k) != now.get(k)]


def describe(reads: Reads) -> str:
    """What the inputs cover, for the runner's log line ("source, settings, 41 modules, 3 files, verdicts")."""
    parts = ["source", "settings", f"{len(reads.modules)} modules", f"{len(reads.files)} files"]
    if reads.dirs:
        parts.append(f"{len(reads.dirs)} folders")
    if reads.verdicts:
        parts.append("verdicts")
    if reads.runs:
        parts.append("runs.json")
    return ", ".join(parts)
