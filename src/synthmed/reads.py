"""What a notebook's kernel read: the synthmed modules it imported, the files it opened for reading and the folders
it listed under the roots it was given, written as JSON after every cell.

    watch("/tmp/reads-tsynd.json", ["/work/book", "/data"])   # the runner's kernel runs this before the first cell

The runner starts each notebook's kernel with this call (:func:`synthmed.runner.kernel_args`) and keeps the record
beside the executed copy; :mod:`synthmed.inputs` digests what it names to decide whether the next build has to
re-execute the notebook. Files are seen through Python's audit hooks (``open``, ``os.listdir``, ``os.scandir``
events), so every reader counts: ``np.load``, ``pd.read_csv``, PIL, ``torch.load``, a glob over a folder. The record
is rewritten after each cell (IPython's ``post_run_cell``), so it is complete whenever the kernel stops.

State: the sets the hook fills live in the closure of this one call, in the kernel process the runner started for
one notebook; an audit hook cannot be removed, and the kernel ends with the notebook.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

PACKAGE = "synthmed"
SKIPPED_SUFFIXES = (".py", ".pyc", ".ipynb")  # code is recorded as modules; notebooks are the runner's own
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def _prefixes(paths: Iterable[str | os.PathLike]) -> tuple[str, ...]:
    """Each path as given (absolute) and resolved, with a trailing separator (for ``str.startswith``)."""
    out = set()
    for p in paths:
        for form in (os.path.abspath(p), os.path.realpath(p)):
            out.add(os.path.join(form, ""))
    return tuple(sorted(out))


def is_read(mode: str | None, flags: int) -> bool:
    """Whether an ``open`` audit event (its ``mode`` string, None for ``os.open``, and its ``flags``) only reads."""
    if mode is None:
        return not flags & WRITE_FLAGS
    return not any(c in mode for c in "wax+")


def loaded_modules() -> list[str]:
    """The names of the synthmed modules imported in this process, sorted."""
    return sorted(n for n in list(sys.modules) if n == PACKAGE or n.startswith(PACKAGE + "."))


def watch(record: str | os.PathLike, roots: Iterable[str | os.PathLike], shell=None) -> None:
    """From now on, note every file opened for reading and every folder listed under ``roots`` (paths; files under
    this interpreter's own prefix, ending in :data:`SKIPPED_SUFFIXES`, are not noted), and after every cell of
    ``shell`` (default: the running IPython) write ``{"modules": [...], "files": [...], "dirs": [...]}`` (absolute
    paths, sorted) to ``record`` (atomically)."""
    inside = _prefixes(roots)
    outside = _prefixes({sys.prefix, sys.base_prefix, sys.exec_prefix})
    files: set[str] = set()
    dirs: set[str] = set()

    def noted(path) -> str | None:
        if isinstance(path, int) or path is None:
            return None
        text = os.path.abspath(os.fsdecode(path))
        if not text.startswith(inside) or text.startswith(outside):
            return None
        return text

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            try:
                path, mode, flags = args
                text = noted(path) if is_read(mode, flags or 0) else None
                if text is not None and not text.endswith(SKIPPED_SUFFIXES):
                    files.add(text)
            except Exception:  # noqa: BLE001 - an audit hook that raises would fail the notebook's own call
                pass
        elif event in ("os.listdir", "os.scandir"):
            try:
                text = noted(args[0] if args and args[0] is not None else ".")
                if text is not None:
                    dirs.add(text)
            except Exception:  # noqa: BLE001
                pass

    def write(*_result) -> None:
        payload = {"modules": loaded_modules(), "files": sorted(files), "dirs": sorted(dirs)}
        path = Path(record)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(payload))
        os.replace(tmp, path)

    sys.addaudithook(hook)
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is not None:
        shell.events.register("post_run_cell", write)
    write()


def read_record(record: str | os.PathLike) -> dict[str, list[str]] | None:
    """What :func:`watch` wrote to ``record`` ({"modules", "files", "dirs"}), None when there is no record."""
    path = Path(record)
    return json.loads(path.read_text()) if path.exists() else None
