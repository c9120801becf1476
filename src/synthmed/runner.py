"""Execute every notebook with papermill into the book, record what each cost, then build the book.

    python -m synthmed.runner                      # quick profile, all notebooks, then jupyter-book build
    python -m synthmed.runner --profile smoke      # CI
    python -m synthmed.runner --only data tsynd    # a subset (still builds the book)
    python -m synthmed.runner --force              # recompute every cached result (SYNTHMED_RECOMPUTE=1)

Per notebook the runner records the wall time, profile, device, and the cache hits and misses the notebook's
kernel logged (through ``$SYNTHMED_CACHE_LOG``) in ``book/executed/runs.json``; the Compute chapter shows that
table. The runs of earlier invocations are kept for notebooks that were not re-run this time.
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

from synthmed.profiles import DEFAULT_PROFILE, PROFILES

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
EXECUTED_DIR = ROOT / "book" / "executed"
RUNS_FILE = "runs.json"
# Book order; compute comes last because it reports on the others. Notebooks not listed run before compute.
ORDER = ["data", "tsynd", "tsynd_uncertainty", "tsynd_explain", "gan_zoo", "gan_ensemble", "gan_backbones",
         "gan_fidelity", "imbalance", "compute"]


def notebooks(only: list[str] | None = None, notebook_dir: Path = NOTEBOOK_DIR) -> list[str]:
    """Names of the notebooks to run, in book order. Raises ValueError for a name with no notebook."""
    present = {p.stem for p in notebook_dir.glob("*.ipynb")}
    ordered = [n for n in ORDER if n in present] + sorted(present - set(ORDER))
    ordered.sort(key=lambda n: n == "compute")
    if only:
        unknown = sorted(set(only) - present)
        if unknown:
            raise ValueError(f"no notebook named {', '.join(unknown)}; available: {', '.join(ordered)}")
        ordered = [n for n in ordered if n in only]
    return ordered


def _device_name() -> str:
    from synthmed.device import describe, get_device

    return describe(get_device())


def _count_cache_events(log: Path) -> tuple[int, int]:
    if not log.exists():
        return 0, 0
    events = [json.loads(line)["event"] for line in log.read_text().splitlines() if line.strip()]
    return events.count("hit"), events.count("miss")


def load_runs(executed_dir: Path = EXECUTED_DIR) -> dict[str, dict]:
    path = executed_dir / RUNS_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def _save_runs(runs: dict[str, dict], executed_dir: Path) -> None:
    executed_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=executed_dir, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(runs, f, indent=1)
    os.replace(tmp, executed_dir / RUNS_FILE)


def execute(name: str, profile: str, executed_dir: Path = EXECUTED_DIR, notebook_dir: Path = NOTEBOOK_DIR,
            parameters: dict | None = None) -> dict:
    """Run ``notebooks/<name>.ipynb`` with papermill into ``executed_dir`` and return its run record."""
    import papermill

    executed_dir.mkdir(parents=True, exist_ok=True)
    log = Path(tempfile.mkstemp(prefix=f"cache-{name}-", suffix=".jsonl")[1])
    os.environ["SYNTHMED_CACHE_LOG"] = str(log)
    start = time.perf_counter()
    status = "ok"
    try:
        papermill.execute_notebook(
            str(notebook_dir / f"{name}.ipynb"), str(executed_dir / f"{name}.ipynb"),
            parameters={"profile": profile, **(parameters or {})}, cwd=str(notebook_dir), progress_bar=False,
            kernel_name="python3",
        )
    except Exception:
        status = "failed"
        raise
    finally:
        hits, misses = _count_cache_events(log)
        log.unlink(missing_ok=True)
        os.environ.pop("SYNTHMED_CACHE_LOG", None)
        record = {"notebook": name, "profile": profile, "wall_s": round(time.perf_counter() - start, 1),
                  "device": _device_name(), "cache_hits": hits, "cache_misses": misses, "status": status,
                  "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        runs = load_runs(executed_dir)
        runs[name] = record
        _save_runs(runs, executed_dir)
    return record


def build_book(root: Path = ROOT) -> None:
    """``jupyter-book build`` with warnings as errors (the notebooks are executed already, never by the book)."""
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(root), "--warningiserror",
           "--keep-going", "--all"]
    subprocess.run(cmd, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synthmed.runner", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default=os.environ.get("SYNTHMED_PROFILE") or DEFAULT_PROFILE,
                        choices=PROFILES)
    parser.add_argument("--only", nargs="+", metavar="NOTEBOOK", help="run only these notebooks")
    parser.add_argument("--force", action="store_true", help="recompute every cached result")
    parser.add_argument("--no-build", action="store_true", help="execute the notebooks but do not build the book")
    args = parser.parse_args(argv)
    if args.force:
        os.environ["SYNTHMED_RECOMPUTE"] = "1"
    os.environ["SYNTHMED_PROFILE"] = args.profile
    names = notebooks(args.only)
    total = time.perf_counter()
    for i, name in enumerate(names, 1):
        print(f"[{i}/{len(names)}] {name} (profile {args.profile}) ...", flush=True)
        rec = execute(name, args.profile)
        print(f"    {rec['wall_s']:.1f} s, cache {rec['cache_hits']} hit / {rec['cache_misses']} miss", flush=True)
    print(f"executed {len(names)} notebook(s) in {time.perf_counter() - total:.1f} s", flush=True)
    if not args.no_build:
        build_book()
        print(f"book built: {ROOT / '_build' / 'html' / 'index.html'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
