"""Execute every notebook with papermill into the book, record what each cost, then build the book.

    python -m synthmed.runner                      # quick profile, all notebooks, then jupyter-book build
    python -m synthmed.runner --profile smoke      # CI
    python -m synthmed.runner --only data tsynd    # a subset (still builds the book)
    python -m synthmed.runner --force              # re-execute every notebook, recompute every cached result
    python -m synthmed.runner --root PATH          # the book at PATH (default: found from the working directory)
    python -m synthmed.runner --list               # the executed notebooks, in book order (what nbval re-runs)
    python -m synthmed.runner --list --chapters gan  # ... of these chapters only (make test's nbval parts)

The book is the working directory or the nearest folder above it that holds ``_toc.yml`` and ``notebooks/``
(:func:`find_root`), so an installed package works on any checkout. Each notebook runs in a fresh kernel whose
environment (only the kernel's: this process's own is never changed) names the profile, the notebook and a
private cache-event log (``SYNTHMED_PROFILE``, ``SYNTHMED_NOTEBOOK``, ``SYNTHMED_CACHE_LOG``; with ``--force`` also
``SYNTHMED_RECOMPUTE=1``).

Per notebook the runner records the wall time, profile, device, and the cache hits and misses the notebook's
kernel logged (through ``$SYNTHMED_CACHE_LOG``) in ``book/executed/runs.json``; the Compute chapter shows that
table. The runs of earlier invocations are kept for notebooks that were not re-run this time.

A notebook is re-executed only when something it depends on changed since its executed copy was made: its cells,
its settings, the code of the synthmed modules it imported, the files it read, the verdicts it collects, the runs
it reports, or its own stored verdicts (:mod:`synthmed.inputs`; what its kernel read is recorded by
:func:`synthmed.reads.watch` and kept in ``book/executed/inputs.json``). Otherwise the runner keeps the executed
copy and says so. Pages whose inputs changed during the build (a page adjusts its paper's primary claims over the
verdicts its sibling notebooks store, the Scorecard reads every verdict) are re-executed before the report pages
and once more at the end (:func:`settle`), every step a cache hit by then.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from synthmed import chapters
from synthmed.context import environment
from synthmed.profiles import DEFAULT_PROFILE, PROFILES

if TYPE_CHECKING:
    from synthmed import inputs

RUNS_FILE = "runs.json"
INPUTS_FILE = "inputs.json"  # per notebook: what its kernel read and the digests of its inputs (synthmed.inputs)
MARKERS = ("_toc.yml", "notebooks")  # what makes a folder the book's root
# Book order comes from the chapter registry (synthmed.chapters.order): the chapters by position, each chapter's
# notebooks as it declares them, then the pages that report on them (scorecard, then compute), always last.


def find_root(start: str | os.PathLike | None = None) -> Path:
    """The book's root: ``start`` (default: the working directory) or the nearest folder above it holding
    ``_toc.yml`` and ``notebooks/``. Raises FileNotFoundError saying where it looked."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if all((folder / marker).exists() for marker in MARKERS):
            return folder
    raise FileNotFoundError(f"no book found at or above {here} (a folder with {' and '.join(MARKERS)}); run from "
                            f"the project's folder or pass --root")


def notebook_folder(root: Path | None = None) -> Path:
    """``<root>/notebooks`` (root: :func:`find_root`)."""
    return (root or find_root()) / "notebooks"


def executed_folder(root: Path | None = None) -> Path:
    """``<root>/book/executed``: where the executed notebooks and ``runs.json`` go (root: :func:`find_root`)."""
    return (root or find_root()) / "book" / "executed"


def notebooks(only: list[str] | None = None, notebook_dir: Path | None = None) -> list[str]:
    """Names of the notebooks in ``notebook_dir`` (default: the book's, :func:`notebook_folder`) to run, in book
    order. Raises ValueError for a name with no notebook."""
    notebook_dir = notebook_dir or notebook_folder()
    present = {p.stem for p in notebook_dir.glob("*.ipynb")}
    book = chapters.order()
    reports = [nb.name for nb in chapters.chapter("reports").notebooks]
    ordered = [n for n in book if n in present] + sorted(present - set(book))
    ordered.sort(key=lambda n: reports.index(n) + 1 if n in reports else 0)
    if only:
        unknown = sorted(set(only) - present)
        if unknown:
            raise ValueError(f"no notebook named {', '.join(unknown)}; available: {', '.join(ordered)}")
        ordered = [n for n in ordered if n in only]
    return ordered


def executed_notebooks(names: list[str], executed_dir: Path) -> list[Path]:
    """The executed copies of ``names`` that exist in ``executed_dir``, in the order of ``names``: what nbval
    re-executes and compares (the scorecard after the chapters whose verdicts it reads)."""
    return [executed_dir / f"{n}.ipynb" for n in names if (executed_dir / f"{n}.ipynb").exists()]


def _device_name() -> str:
    from synthmed.device import describe, get_device

    return describe(get_device())


def _log_summary(log: Path) -> dict:
    """Counts from a notebook's cache log: cache hits and misses, the executor's runs (how many, how many
    computed something, their summed wall time in seconds, how many failed), the seconds spent in its top-level
    cached steps (``step_s``) and those steps with the seconds each took when computed (``steps``, for the
    Compute page's cold cost: :mod:`synthmed.build_cost`)."""
    from synthmed import build_cost

    events = [json.loads(line) for line in log.read_text().splitlines() if line.strip()] if log.exists() else []
    runs = [e for e in events if e["event"] == "run"]
    computed = [r for r in runs if r.get("misses") and r.get("ok")]
    return {"cache_hits": sum(e["event"] == "hit" for e in events),
            "cache_misses": sum(e["event"] == "miss" for e in events),
            "runs": len(runs), "runs_computed": len(computed), "runs_failed": sum(not r.get("ok") for r in runs),
            "run_seconds": round(sum(r["seconds"] for r in computed), 1),
            "step_s": round(build_cost.step_seconds(events), 1), "steps": build_cost.steps_of(events)}


def load_runs(executed_dir: Path | None = None) -> dict[str, dict]:
    """The run records in ``<executed_dir>/runs.json`` (default: the book's, :func:`executed_folder`), {} if none."""
    path = (executed_dir or executed_folder()) / RUNS_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def _save_json(value: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(value, f, indent=1)
    os.replace(tmp, path)


def _save_runs(runs: dict[str, dict], executed_dir: Path) -> None:
    _save_json(runs, executed_dir / RUNS_FILE)


def load_inputs(executed_dir: Path) -> dict[str, dict]:
    """{notebook: {"profile", "reads", "digests"}} from ``<executed_dir>/inputs.json`` ({} if none)."""
    path = executed_dir / INPUTS_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def _kernel_manager(env: dict[str, str], arguments: list[str] = (), sockets: Path | None = None) -> type:
    """A jupyter kernel manager class whose kernels start with ``env`` added to this process's environment and
    ``arguments`` added to the kernel's command line. Its kernels talk over local sockets (IPC) in the folder
    ``sockets`` (default: the temporary folder), not TCP: nothing leaves the machine, and the kernel has no
    unencrypted port to warn about in every notebook's log."""
    from jupyter_client import AsyncKernelManager

    class KernelManager(AsyncKernelManager):
        def __init__(self, **kw):
            kw.setdefault("transport", "ipc")
            kw.setdefault("ip", str(Path(sockets or tempfile.gettempdir()) / "kernel"))
            super().__init__(**kw)

        async def start_kernel(self, **kw):
            kw["env"] = {**os.environ, **kw.get("env", {}), **env}
            kw["extra_arguments"] = [*kw.get("extra_arguments", []), *arguments]
            return await super().start_kernel(**kw)

    return KernelManager


def watched_roots(root: Path) -> list[Path]:
    """Where a kernel's reads are recorded (:func:`synthmed.reads.watch`): the book, the data root, the synthmed
    package (its claim and reference files) and the cache (only its verdict store counts, :mod:`synthmed.inputs`)."""
    from synthmed.cache import cache_dir
    from synthmed.data.paths import data_root, medmnist_root

    package = Path(__file__).resolve().parent
    return [p for p in (root, data_root(), medmnist_root(), package, cache_dir()) if p is not None]


def kernel_args(record: Path, roots: list[Path]) -> list[str]:
    """The kernel's command-line arguments that make it record what it reads into ``record`` before the first cell
    (:func:`synthmed.reads.watch`); nothing is left in the notebook's namespace."""
    call = f"import synthmed.reads as _r; _r.watch({str(record)!r}, {[str(r) for r in roots]!r}); del _r"
    return [f"--IPKernelApp.exec_lines={call}"]


def where(root: Path) -> "inputs.Where":
    """The folders :mod:`synthmed.inputs` reads for the book at ``root`` (cache: this process's cache folder)."""
    from synthmed import inputs
    from synthmed.cache import cache_dir

    return inputs.Where(notebooks=notebook_folder(root), executed=executed_folder(root), cache=cache_dir())


def stale(name: str, profile: str, folders: "inputs.Where") -> list[str]:
    """Why ``name`` has to be executed under ``profile``: "not executed yet", "failed last time", "inputs not
    recorded" (executed before the runner kept them, or with parameters of its own), "profile", or
    the kinds of :data:`synthmed.inputs.KINDS` whose digest changed since its executed copy was made (with
    "verdicts" also when :func:`synthmed.claims.store.stale_families` names it). [] when nothing did."""
    from synthmed import inputs
    from synthmed.claims.store import stale_families

    stored = load_inputs(folders.executed).get(name)
    record = load_runs(folders.executed).get(name)
    if record is None or not (folders.executed / f"{name}.ipynb").exists():
        return ["not executed yet"]
    if record.get("status") != "ok":
        return ["failed last time"]
    if stored is None:
        return ["inputs not recorded"]
    if stored.get("profile") != profile or record.get("profile") != profile:
        return ["profile"]
    reads = inputs.Reads.load(stored["reads"])
    reasons = inputs.changed(stored["digests"], inputs.digests(name, profile, {}, reads, folders))
    if "verdicts" not in reasons and stale_families(profile, [name], folders.verdicts):
        reasons.append("verdicts")
    return reasons


def kernel_env(name: str, profile: str, log: Path, force: bool = False) -> dict[str, str]:
    """The variables a notebook's kernel gets (its own environment only; see the module's docstring)."""
    env = {"SYNTHMED_PROFILE": profile, "SYNTHMED_NOTEBOOK": name, "SYNTHMED_CACHE_LOG": str(log)}
    return {**env, "SYNTHMED_RECOMPUTE": "1"} if force else env


def execute(name: str, profile: str, executed_dir: Path | None = None, notebook_dir: Path | None = None,
            parameters: dict | None = None, force: bool = False) -> dict:
    """Run ``<notebook_dir>/<name>.ipynb`` with papermill into ``executed_dir`` (defaults: the book's, see
    :func:`find_root`) and return its run record. force: recompute every cached result (in that kernel).

    papermill writes into ``<name>.partial.ipynb`` (not in the table of contents, so never built) and the copy
    replaces ``<name>.ipynb`` only once the notebook has finished or raised: a run that is interrupted (Ctrl-C,
    a killed job) leaves the last complete copy in the book instead of a half-executed one."""
    import papermill

    executed_dir = executed_dir or executed_folder()
    notebook_dir = notebook_dir or notebook_folder()
    executed_dir.mkdir(parents=True, exist_ok=True)
    fd, log_name = tempfile.mkstemp(prefix=f"cache-{name}-", suffix=".jsonl")
    os.close(fd)
    log = Path(log_name)
    fd, record_name = tempfile.mkstemp(prefix=f"reads-{name}-", suffix=".json")
    os.close(fd)
    read_record = Path(record_name)
    root = notebook_dir.parent
    inputs_file = executed_dir / INPUTS_FILE
    known = load_inputs(executed_dir)
    if known.pop(name, None) is not None:  # until it has finished, its executed copy answers to no inputs
        _save_json(known, inputs_file)
    start = time.perf_counter()
    status = "ok"
    partial = executed_dir / f"{name}.partial.ipynb"
    try:
        with tempfile.TemporaryDirectory(prefix="synthmed-kernel-") as sockets:
            papermill.execute_notebook(
                str(notebook_dir / f"{name}.ipynb"), str(partial),
                parameters={"profile": profile, **(parameters or {})}, cwd=str(notebook_dir), progress_bar=False,
                kernel_name="python3", kernel_manager_class=_kernel_manager(
                    kernel_env(name, profile, log, force), kernel_args(read_record, watched_roots(root)),
                    Path(sockets)),
            )
        hide_injected_parameters(partial)
        os.replace(partial, executed_dir / f"{name}.ipynb")
        _store_inputs(name, profile, parameters or {}, read_record, executed_dir, notebook_dir)
    except Exception as err:
        status = "failed"
        if isinstance(err, papermill.PapermillExecutionError):  # it ran and raised: show the error in the book
            os.replace(partial, executed_dir / f"{name}.ipynb")
        raise
    finally:
        summary = _log_summary(log)
        log.unlink(missing_ok=True)
        read_record.unlink(missing_ok=True)
        record = {"notebook": name, "profile": profile, "wall_s": round(time.perf_counter() - start, 1),
                  "device": _device_name(), **summary, "status": status,
                  "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        runs = load_runs(executed_dir)
        runs[name] = record
        _save_runs(runs, executed_dir)
    return record


def _store_inputs(name: str, profile: str, parameters: dict, read_record: Path, executed_dir: Path,
                  notebook_dir: Path) -> None:
    """Keep what ``name``'s kernel read and the digests of its inputs as they stand after it ran, in
    ``inputs.json`` (a notebook run with parameters of its own is not the book's page: nothing is kept)."""
    from synthmed import inputs
    from synthmed.cache import cache_dir
    from synthmed.reads import read_record as read

    record = read(read_record) if read_record.stat().st_size else None
    known = load_inputs(executed_dir)
    if record is None or parameters:
        return
    folders = inputs.Where(notebooks=notebook_dir, executed=executed_dir, cache=cache_dir())
    reads = inputs.Reads.sort(record, folders)
    known[name] = {"profile": profile, "reads": reads.as_dict(),
                   "digests": inputs.digests(name, profile, parameters, reads, folders)}
    _save_json(known, executed_dir / INPUTS_FILE)


def hide_injected_parameters(path: Path) -> None:
    """Give papermill's injected-parameters cell the visibility tags of the notebook's own parameters cell (a
    page that hides its parameters, such as the Scorecard, must not show papermill's copy of them either)."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    tags = next((c.metadata.get("tags", []) for c in nb.cells if "parameters" in c.metadata.get("tags", [])), [])
    hide = [t for t in tags if t.startswith("remove-") or t.startswith("hide-")]
    changed = False
    for cell in nb.cells:
        own = cell.metadata.get("tags", [])
        if "injected-parameters" in own and hide and not set(hide) <= set(own):
            cell.metadata["tags"] = own + [t for t in hide if t not in own]
            changed = True
    if changed:
        nbformat.write(nb, str(path))


CONFIRM_HOURS = 2.0  # a paper build projected above this asks for --yes


def confirm_cost(names: list[str], yes: bool) -> bool:
    """Print the projected ``paper`` cost of ``names`` (synthmed.cost) on this machine's device; False (do not
    start) when it exceeds :data:`CONFIRM_HOURS` and ``yes`` is not given."""
    import pandas as pd

    from synthmed import cost
    from synthmed.device import get_device

    table = cost.projection(cost.load_costs(), notebooks=names)
    gpu = get_device().type == "cuda"
    column = "paper h, one GPU (est.)" if gpu else "paper h, this CPU (est.)"
    hours = float(table[column].sum()) if len(table) else 0.0
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 90):
        print(table.round(2).to_string(), flush=True)
    print(f"projected paper cost of {', '.join(names)}: {hours:.1f} h on {'one GPU' if gpu else 'this CPU'} "
          f"(an estimate: {cost.GPU_NOTE if gpu else 'measured quick runs scaled by FLOPs'})", flush=True)
    unknown = list(table.index[table[column].isna()]) if len(table) else []
    if unknown:
        print(f"not estimated: {', '.join(unknown)} (see the 'how estimated' column)", flush=True)
    if (hours > CONFIRM_HOURS or unknown) and not yes:
        print(f"not started: the projection exceeds {CONFIRM_HOURS:g} h or is incomplete. Run again with --yes to "
              f"start it "
              f"(`make book PROFILE=paper` passes YES=1 as --yes), or choose notebooks with --only.",
              file=sys.stderr, flush=True)
        return False
    return True


SETTLE_ROUNDS = 3  # inputs flow forward in book order, so one round settles a build; the others are a guard


def settle(names: list[str], profile: str, root: Path) -> list[str]:
    """Re-execute, in book order, every notebook among ``names`` whose inputs changed since it ran in this build
    (:func:`stale`): a page whose sibling stored other primary claims after it, the Scorecard after a chapter
    stored new verdicts, the Compute page after another page ran. Every step is a cache hit by then. Repeats
    while a round re-executed something, at most :data:`SETTLE_ROUNDS` times. Returns the re-executed names."""
    done: list[str] = []
    for _ in range(SETTLE_ROUNDS):
        again = []
        for name in names:
            reasons = stale(name, profile, where(root))
            if not reasons:
                continue
            print(f"[settle] {name}: {', '.join(reasons)} changed during this build; re-executing ...", flush=True)
            rec = execute(name, profile, executed_folder(root), notebook_folder(root), force=False)
            print(f"    {rec['wall_s']:.1f} s, cache {rec['cache_hits']} hit / {rec['cache_misses']} miss",
                  flush=True)
            again.append(name)
        done += again
        if not again:
            break
    return done


def describe_inputs(name: str, root: Path) -> str:
    """What the stored inputs of ``name`` cover (:func:`synthmed.inputs.describe`), for the log line."""
    from synthmed import inputs

    return inputs.describe(inputs.Reads.load(load_inputs(executed_folder(root))[name]["reads"]))


def store_reference(root: Path, profile: str) -> Path:
    """Write the verdicts of this build under ``profile`` as the book's reference
    (:func:`synthmed.claims.reference.write_reference`)."""
    from synthmed import claims

    frame = claims.adjust_frame(claims.read_verdicts(profile))
    return claims.write_reference(frame, root, profile)


BUILT_MARKER = ".synthmed-built"  # in _build/: the last jupyter-book build succeeded


def build_book(root: Path, full: bool = False) -> None:
    """``jupyter-book build`` with warnings as errors (the notebooks are executed already, never by the book).

    Sphinx re-reads only the pages whose sources changed (an executed copy the runner kept is unchanged), so
    editing one page rebuilds in seconds. Every page is rebuilt (``--all``) when ``full``, when no build has
    succeeded since the last one that failed (a page's warning is then reported again until it is fixed), and on
    the first build."""
    marker = root / "_build" / BUILT_MARKER
    full = full or not marker.exists()
    marker.unlink(missing_ok=True)
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(root), "--warningiserror",
           "--keep-going", *(["--all"] if full else [])]
    subprocess.run(cmd, check=True)
    marker.write_text(datetime.now(timezone.utc).isoformat(timespec="seconds") + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synthmed.runner", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default=environment("SYNTHMED_PROFILE") or DEFAULT_PROFILE,
                        choices=PROFILES)
    parser.add_argument("--only", nargs="+", metavar="NOTEBOOK", help="run only these notebooks")
    parser.add_argument("--chapters", nargs="+", metavar="CHAPTER",
                        help="run only these chapters' notebooks (with --list: list only those)")
    parser.add_argument("--force", action="store_true",
                        help="re-execute every notebook (unchanged ones too) and recompute every cached result")
    parser.add_argument("--no-build", action="store_true", help="execute the notebooks but do not build the book")
    parser.add_argument("--list", action="store_true",
                        help="print the executed notebooks present (book/executed/*.ipynb) in book order, run nothing")
    parser.add_argument("--root", type=Path, help="the book's folder (default: found from the working directory)")
    parser.add_argument("--reference", action="store_true",
                        help="store this build's verdicts as the book's reference (results/reference/<profile>.json)")
    parser.add_argument("--yes", action="store_true",
                        help=f"start a paper build even when it is projected at more than {CONFIRM_HOURS:g} hours")
    args = parser.parse_args(argv)
    root = find_root(args.root)
    try:
        names = notebooks(args.only, notebook_folder(root))
        if args.chapters:
            wanted = {nb.name for c in args.chapters for nb in chapters.chapter(c).notebooks}
            names = [n for n in names if n in wanted]
    except ValueError as err:  # a mistyped notebook or chapter: the usage line and the valid names, no traceback
        parser.error(str(err))
    if args.list:
        print("\n".join(str(p) for p in executed_notebooks(names, executed_folder(root))))
        return 0
    if args.profile == "paper" and not confirm_cost(names, args.yes):
        return 2
    total = time.perf_counter()
    failed, ran = [], []
    reports = {nb.name for nb in chapters.chapter("reports").notebooks}
    settled = False
    for i, name in enumerate(names, 1):
        if name in reports and not settled:  # the chapters' pages settle before the reports read them
            settled = True
            if ran and not failed:
                ran += settle([n for n in names if n not in reports], args.profile, root)
        reasons = ["--force"] if args.force else stale(name, args.profile, where(root))
        if not reasons:
            kept = load_runs(executed_folder(root))[name]
            print(f"[{i}/{len(names)}] {name} (profile {args.profile}): unchanged "
                  f"({describe_inputs(name, root)}); kept the executed copy of {kept.get('finished', '?')}",
                  flush=True)
            continue
        print(f"[{i}/{len(names)}] {name} (profile {args.profile}): {', '.join(reasons)}; executing ...",
              flush=True)
        ran.append(name)
        try:
            rec = execute(name, args.profile, executed_folder(root), notebook_folder(root), force=args.force)
        except Exception as err:  # noqa: BLE001 - go on with the others, fail at the end
            failed.append(name)
            print(f"    FAILED: {type(err).__name__}: {str(err)[-2000:]}", flush=True)
            continue
        print(f"    {rec['wall_s']:.1f} s, cache {rec['cache_hits']} hit / {rec['cache_misses']} miss", flush=True)
    if not failed and ran:
        ran += settle(names, args.profile, root)
    print(f"executed {len(ran)} of {len(names)} notebook(s) ({len(names) - len(set(ran))} unchanged) in "
          f"{time.perf_counter() - total:.1f} s", flush=True)
    if failed:
        print(f"{len(failed)} notebook(s) raised: {', '.join(failed)} (executed copies with the error under "
              f"{executed_folder(root)}); the book was not built", file=sys.stderr, flush=True)
        return 1
    if args.reference:
        print(f"reference stored: {store_reference(root, args.profile)}", flush=True)
    if not args.no_build:
        build_book(root, full=args.force)
        print(f"book built: {root / '_build' / 'html' / 'index.html'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
