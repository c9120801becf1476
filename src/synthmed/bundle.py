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

One command for every chapter (:func:`main`)::

    python -m synthmed.bundle CHAPTER [--dry-run] [--only NAME ...] [--progress] [chapter's own options]
    scripts/bundle_worker.sh CHAPTER [same options]     # one fresh process per run, commits each file alone

A chapter takes part by naming a function returning its :class:`Spec` as its ``bundle`` stage
(``Chapter.stages["bundle"] = "module:function"``, :mod:`synthmed.chapters`): its runs in plan order (:class:`Run`:
file name, run key, the run's
fields), a function computing one run's rows and provenance, and its folder ``results/<profile>/<folder>``. This
module does the rest the same way for every chapter: what is pending (a run whose file holds another key, or none,
is), the projection, the atomic write, the listing the worker reads.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd

RESULTS = "results"


def digest(value: Any, length: int = 16) -> str:
    """SHA-256 (``length`` hex digits) of plain data (dicts, lists, numbers, strings), key order ignored."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def step_seconds(events: list[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """From one run's cache events ({"event": "hit" | "miss", "name", "seconds", "compute_s"}, :mod:`synthmed.cache`)
    the seconds per kind of step: "computed" (what this run computed, its misses) and "cost" (what its steps took to
    compute, here or in an earlier run whose stored result this one loaded: a hit's recorded "compute_s"). A step's
    time includes its nested steps'. A run re-keyed after an edit that left every step's cache entry valid computes
    nothing ("computed" empty) and keeps its cost; "loaded": the computing time of the steps it loaded (top level).
    Each cache entry counts once: a step that the run computed, or loaded, and then loads again (a GAN of the zoo
    that every later stage reads) adds nothing the second time.
    """
    computed: dict[str, float] = {}
    cost: dict[str, float] = {}
    loaded = 0.0
    seen: set[tuple[str, str]] = set()  # an entry counts once, however often the run loads it again
    for e in events:
        if e.get("event") not in ("hit", "miss"):  # the executor's own records (runs started, workers) sit beside
            continue
        name, entry = e["name"], (e["name"], str(e.get("key", id(e))))
        spent = float(e["seconds"]) if e.get("event") == "miss" else float(e.get("compute_s") or 0.0)
        if e.get("event") == "miss":
            computed[name] = round(computed.get(name, 0.0) + spent, 1)
        elif entry in seen:
            continue
        elif not e.get("nested"):
            loaded += spent
        seen.add(entry)
        cost[name] = round(cost.get(name, 0.0) + spent, 1)
    return {"computed": computed, "cost": cost, "loaded": round(loaded, 1)}


def replicate_provenance(root: str | Path, events: list[Mapping[str, Any]], wall_s: float, *, profile: str,
                         version: str, base_profile: str, settings: Mapping[str, Any], seed: int, step: str,
                         code: str) -> dict[str, Any]:
    """The provenance of one replicate of a chapter bundle: :func:`provenance` (``step``: the replicate's one keyed
    step, ``code`` its code version; the settings digest of ``settings``, the plain settings that decide the
    result) with the bundle's ``version`` and ``base_profile``, what its steps cost (:func:`step_seconds` of its
    cache ``events``: "seconds" computed here, "step_cost" computed here or earlier, "cold_s" from an empty cache),
    the steps it loaded and the settings themselves."""
    times = step_seconds(events)
    prov = provenance(root, profile=profile, settings_digest=digest(settings), seed=seed, wall_s=wall_s,
                      steps={step: code})
    prov.update(version=version, base_profile=base_profile, seconds=times["computed"], step_cost=times["cost"],
                cold_s=round(wall_s + times["loaded"], 1),
                steps_cached=sorted({e["name"] for e in events if e.get("event") == "hit" and not e.get("nested")}),
                settings=dict(settings))
    return prov


def cold_seconds(provenance: Mapping[str, Any]) -> float | None:
    """What a stored run would take from an empty cache, in seconds of one core: its CPU time ("cpu_s", recorded
    since the runs of issue 34's bundle) where recorded, else its wall time, plus the computing time of the steps
    it loaded (its "cold_s" minus its "wall_s"); its wall time when it predates "cold_s" and loaded no step; None
    for a run that loaded its steps and predates "cold_s" (a re-keyed run whose wall time says nothing about the
    cost). The CPU time, because the wall time of a run that shared its core with other work or was paused
    overstates what it costs (a worker runs one single-thread process, so a run's CPU time is its time on one
    core)."""
    if provenance.get("cold_s") is not None:
        loaded = float(provenance["cold_s"]) - float(provenance.get("wall_s") or 0.0)
        spent = provenance.get("cpu_s") if provenance.get("cpu_s") is not None else provenance.get("wall_s")
        return round(float(spent or 0.0) + loaded, 1)
    if provenance.get("steps_cached"):
        return None
    return float(provenance["wall_s"]) if provenance.get("wall_s") else None


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


# ---- one command for every chapter ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    """One run of a chapter's plan: ``name`` (its file's name), ``key`` (:func:`run_key` of what decides its
    result), ``fields`` (what the file stores as its "run": plain data naming the run), ``payload`` (whatever
    the chapter's compute function needs; never stored) and ``folder``: a sub-folder of the bundle for a run whose
    file is not one of the bundle's result runs (TSynD: a run that only trains a seed's VQ-VAE, ``vqvae/``)."""

    name: str
    key: str
    fields: Mapping[str, Any]
    payload: Any = None
    folder: str = ""


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    return None


def replicate_arguments(parser: argparse.ArgumentParser, replicates: Sequence[int], seed: str, example: str) -> None:
    """The options of a bundle whose runs are whole-chapter replicates: ``--replicates`` (default ``replicates``;
    ``seed`` says how a replicate's seed follows from its number) and ``--set NAME=VALUE ...`` (``example``: a
    sample override), read back by :func:`overrides`."""
    parser.add_argument("--replicates", nargs="+", type=int, default=list(replicates),
                        help=f"replicate numbers (replicate r: {seed})")
    parser.add_argument("--set", nargs="+", default=[], metavar="NAME=VALUE",
                        help=f"override settings (tests and probes: e.g. {example}); the run key covers them")


def overrides(args: argparse.Namespace) -> dict[str, str]:
    """``--set NAME=VALUE ...`` (:func:`replicate_arguments`) as {name: value text}; the chapter's settings parse
    the values by the profile's types. A malformed item stops the command, naming it."""
    out = {}
    for item in getattr(args, "set", None) or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--set expects NAME=VALUE, got {item!r}")
        out[name] = value
    return out


@dataclass(frozen=True)
class Spec:
    """A chapter's bundle: what :func:`main` needs to plan, resume, compute and store its runs.

    chapter: the command's name for it (the chapter's registry name); profile, folder: where its files live
    (``results/<profile>/<folder>``); title: its name in messages and commit messages; plan(args) -> [:class:`Run`]
    in the order to compute them; compute(root, run, args, device) -> (rows, provenance) of one run (the provenance
    from :func:`provenance`, plus whatever the chapter records); arguments(parser): the chapter's own options;
    projection(root, pending runs, cpu) -> seconds or None (default: the mean cost of the stored runs; ``cpu``:
    the CPU model to project for, :func:`on_cpu`); verdicts:
    the ``chapter`` its bundle's verdicts carry (the Scorecard counts them apart); command: what its pages tell a
    reader to run; replicate_plan(replicate numbers) -> runs and run_name(replicate, seed): for a bundle of whole
    replicates (:meth:`frames`, :meth:`current`); carried: names of cached steps that several runs share and whose
    entries are committed beside the runs (:func:`restore_steps`, :func:`keep_steps`; TSynD: a seed's VQ-VAE)."""

    chapter: str
    profile: str
    folder: str
    title: str
    plan: Callable[[argparse.Namespace], list[Run]]
    compute: Callable[[Path, Run, argparse.Namespace, Any], tuple[list[Mapping[str, Any]], Mapping[str, Any]]]
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments
    projection: Callable[[Path, list[Run], str | None], float | None] | None = None
    verdicts: str = ""
    description: str = ""
    replicate_plan: Callable[[list[int]], Sequence[Run]] | None = None
    run_name: Callable[[int, int], str] | None = None
    carried: tuple[str, ...] = ()

    def where(self, root: str | Path) -> Path:
        """The bundle's folder under the checkout ``root``."""
        return folder(root, self.profile, self.folder)

    def project(self, root: str | Path, todo: Sequence[Run], cpu: str | None = None) -> float | None:
        """Seconds the runs ``todo`` are projected to take: the chapter's ``projection``; else, for a replicate
        bundle with a current replicate, the mean cost of its current replicates (:func:`current_projection`); else
        :func:`mean_projection` of the stored runs (None while unknown). ``cpu``: project from the runs computed on
        that CPU model where there are any (:func:`on_cpu`; the command passes its machine's), None: from all."""
        if self.projection is not None:
            return self.projection(Path(root), list(todo), cpu)
        if self.replicate_plan is not None and self.run_name is not None:
            eta = current_projection(self.current(root), todo, cpu)
            if eta is not None:
                return eta
        return mean_projection(self.where(root), todo, cpu)

    def frames(self, root: str | Path) -> dict[str, pd.DataFrame]:
        """A replicate bundle's committed rows under ``root``, one frame per ``frame`` name
        (:func:`replicate_frames`)."""
        return replicate_frames(self.where(root))

    def current(self, root: str | Path) -> pd.DataFrame:
        """One row per committed replicate under ``root``, with whether today's code and settings give it the same
        key (:func:`replicate_status`, through the spec's ``replicate_plan`` and ``run_name``)."""
        if self.replicate_plan is None or self.run_name is None:
            raise TypeError(f"{self.title} is not a replicate bundle (it names no replicate_plan and run_name)")
        return replicate_status(self.where(root), self.replicate_plan, self.run_name)

    def judged(self, root: str | Path) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
        """(frames, status): :meth:`frames` restricted by :func:`current_only` to the replicates that the tables and
        verdicts may pool, and :meth:`current` (every committed replicate)."""
        status = self.current(root)
        return current_only(self.frames(root), status), status

    @property
    def command(self) -> str:
        return f"scripts/bundle_worker.sh {self.chapter}"


BUNDLE_STAGE = "bundle"  # the chapter stage (synthmed.chapters.STAGES): a function returning the chapter's Spec


def chapters_with_bundles() -> list[str]:
    """The registered chapters that name a bundle (:data:`BUNDLE_STAGE`), in book order."""
    from synthmed import chapters

    return [c.name for c in chapters.chapters() if BUNDLE_STAGE in c.stages]


def spec(chapter: str) -> Spec:
    """The :class:`Spec` chapter ``chapter`` names (ValueError naming the chapters that have one)."""
    from synthmed import chapters

    have = chapters_with_bundles()
    if chapter not in have:
        raise ValueError(f"chapter {chapter!r} has no bundle; chapters with one: {', '.join(have) or 'none'}")
    found = chapters.chapter(chapter).stage(BUNDLE_STAGE)()
    if not isinstance(found, Spec):
        raise TypeError(f"chapter {chapter!r}: its bundle stage must return a synthmed.bundle.Spec")
    return found


def verdict_chapters() -> set[str]:
    """The ``chapter`` values of every bundle's verdicts (the Scorecard counts those rows apart)."""
    return {spec(c).verdicts for c in chapters_with_bundles() if spec(c).verdicts}


def keys(bundle: Path) -> set[str]:
    """The run keys stored in ``bundle``."""
    return {rec["key"] for rec in records(bundle)}


def pending(root: str | Path, bundle_spec: Spec, runs: Sequence[Run]) -> list[Run]:
    """The runs of ``runs`` whose key is not stored in the bundle under ``root`` (a file of the same name written
    under another key, by other code or settings, is pending again and will be overwritten)."""
    where = bundle_spec.where(root)
    have = {folder: keys(where / folder) for folder in {r.folder for r in runs}}
    return [r for r in runs if r.key not in have[r.folder]]


def on_cpu(cpus: Sequence[str], cpu: str | None) -> list[bool]:
    """Which of the runs computed on the CPU models ``cpus`` to project from on a machine with CPU model ``cpu``:
    those computed on that model, where any is; else (or when ``cpu`` is None) all. Machines of one kind are not
    alike: a paper-scale VQ-VAE took 1,362-1,584 s on an AMD EPYC and 3,646-3,780 s on an Intel Xeon, so a mean over
    both overstates the cost on the first (``--deadline`` refuses runs that fit) and understates it on the second
    (a run starts that the session's end cuts off, and its cache is lost)."""
    here = [c == cpu for c in cpus] if cpu is not None else []
    return here if any(here) else [True] * len(cpus)


def mean_projection(bundle: Path, todo: Sequence[Run], cpu: str | None = None) -> float | None:
    """The default projection: the mean cost from an empty cache of the stored runs (:func:`cold_seconds`; those
    computed on the CPU model ``cpu`` where any is, :func:`on_cpu`) times the number of pending runs (None before
    any run whose cost is known)."""
    known = [(c, (rec["provenance"].get("machine") or {}).get("cpu", "")) for rec in records(bundle)
             if (c := cold_seconds(rec["provenance"])) is not None]
    walls = [c for (c, _), keep in zip(known, on_cpu([m for _, m in known], cpu)) if keep]
    return float(len(todo) * sum(walls) / len(walls)) if walls else (0.0 if not todo else None)


def current_projection(status: pd.DataFrame, todo: Sequence[Run], cpu: str | None = None) -> float | None:
    """A replicate bundle's projection from its current replicates only (``status``: :func:`replicate_status`):
    their mean cost from an empty cache (those computed on the CPU model ``cpu`` where any is, :func:`on_cpu`) times
    the number of pending runs; None when no current replicate has a known cost. A stale replicate was computed
    under other settings (the GAN bundle's downstream batch 64 took other time than 32) and, before CPU times were
    recorded, its cost is a wall time that counts other work."""
    if status.empty:
        return None
    known = status[status["current"].astype(bool)].assign(cold_s=lambda t: pd.to_numeric(t["cold_s"], errors="coerce"))
    known = known[known["cold_s"].notna()]
    cold = known.loc[on_cpu(list(known["cpu"]), cpu), "cold_s"]
    return float(len(todo) * cold.mean()) if not cold.empty else None


# ---- cached steps committed beside the runs -----------------------------------------------------------------------
# A machine's cache ends with its session, and a step that several runs share (TSynD: the VQ-VAE of a seed, an hour
# of one core, used by that seed's Noise, TSynD and Noise-matched runs at every fraction) would otherwise be trained
# again, on another machine and so with other floats, by whichever of its runs falls in the next session. A bundle
# that names such steps (Spec.carried) commits their entries (about 1 MB each) under <bundle>/steps/<name>/<key>.pt:
# every run of the step then uses one trained model, whichever machine runs it.

def steps_folder(bundle: Path) -> Path:
    """Where ``bundle`` keeps the committed entries of its carried steps (``<bundle>/steps``)."""
    return Path(bundle) / "steps"


def _copy_entry(source: Path, source_seconds: Path, target: Path, target_seconds: Path) -> None:
    """Copy a cache entry (``.pt``) and, where it exists, the seconds its computation took (``.json``); the entry
    appears whole or not at all (temp file, then rename)."""
    import shutil

    target.parent.mkdir(parents=True, exist_ok=True)
    if source_seconds.exists():
        shutil.copyfile(source_seconds, target_seconds)
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def restore_steps(bundle: Path, names: Sequence[str]) -> list[tuple[str, str]]:
    """Copy each committed entry of the steps ``names`` (with the seconds its computation took) into the cache
    (:func:`synthmed.cache.entry_path`) where the cache lacks it; the (name, key) pairs copied. The entries are
    content-addressed, so an entry of other code or settings is never used: its key is not asked for."""
    from synthmed import cache

    copied = []
    for name in names:
        for path in sorted((steps_folder(bundle) / name).glob("*.pt")):
            key = path.stem
            if not cache.entry_path(name, key).exists():
                _copy_entry(path, path.with_suffix(".json"), cache.entry_path(name, key),
                            cache.seconds_path(name, key))
                copied.append((name, key))
    return copied


def keep_steps(bundle: Path, names: Sequence[str], events: Sequence[Mapping[str, Any]]) -> list[Path]:
    """Commit-ready copies, under :func:`steps_folder`, of the cache entries of the steps ``names`` that a run used
    (its cache ``events``: {"name", "key", ...}) and the bundle does not hold yet; the files written."""
    from synthmed import cache

    out = []
    for name, key in sorted({(e["name"], e["key"]) for e in events if e["name"] in names}):
        target = steps_folder(bundle) / name / f"{key}.pt"
        if not target.exists() and cache.entry_path(name, key).exists():
            _copy_entry(cache.entry_path(name, key), cache.seconds_path(name, key), target,
                        target.with_suffix(".json"))
            out.append(target)
    return out


#: exit status of a command that stopped before a run it could not finish by ``--deadline``
EXIT_DEADLINE = 3


def deadline(text: str, now: datetime | None = None) -> datetime:
    """``--deadline``'s value as an aware UTC datetime: "HH:MM" is the next such time (today, or tomorrow when it
    has passed), anything else an ISO date and time (UTC when it names no zone)."""
    now = datetime.now(timezone.utc) if now is None else now
    try:
        if len(text) <= 5 and ":" in text:
            hours, minutes = (int(x) for x in text.split(":"))
            at = now.replace(hour=hours, minute=minutes, second=0, microsecond=0)
            return at if at > now else at + timedelta(days=1)
        at = datetime.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (use HH:MM or an ISO date and time)") from err
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def past_deadline(eta_s: float | None, until: datetime | None, now: datetime | None = None) -> bool:
    """Whether a run projected at ``eta_s`` seconds would end after ``until`` (None: no deadline); a run whose
    cost is unknown (``eta_s`` None) counts as past any deadline."""
    if until is None:
        return False
    now = datetime.now(timezone.utc) if now is None else now
    return eta_s is None or now.timestamp() + eta_s > until.timestamp()


def _common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", default=".", help="the book's checkout (results/ is written there)")
    parser.add_argument("--only", nargs="+", default=None, metavar="RUN",
                        help="of the planned runs, only these run names "
                             "(scripts/bundle_worker.sh runs one per process)")
    parser.add_argument("--progress", action="store_true", help="show each run's progress bars")
    parser.add_argument("--dry-run", action="store_true", help="list the pending runs and the projection only")
    parser.add_argument("--where", action="store_true",
                        help="print the bundle's folder (relative to --root) and its title, tab-separated, and stop")
    parser.add_argument("--deadline", type=deadline, default=None, metavar="HH:MM",
                        help="start no run that is projected to end after this time (UTC, today or, if already "
                             "past, tomorrow; or an ISO date and time), nor one whose cost is not known yet: the "
                             "command then stops with exit status 3 (a run cut off at the end of a session is lost "
                             "with the machine's cache)")


def parser() -> argparse.ArgumentParser:
    """``python -m synthmed.bundle``'s parser: one sub-command per chapter with a bundle, with the common options
    and the chapter's own."""
    top = argparse.ArgumentParser(prog="python -m synthmed.bundle",
                                  description="Compute, resume and store a chapter's committed result bundle.")
    sub = top.add_subparsers(dest="chapter", required=True, metavar="CHAPTER")
    for name in chapters_with_bundles():
        s = spec(name)
        p = sub.add_parser(name, help=s.title, description=s.description or s.title)
        _common_arguments(p)
        s.arguments(p)
    return top


def execute(bundle_spec: Spec, args: argparse.Namespace, error: Callable[[str], Any] | None = None) -> int:
    """What :func:`main` does for one chapter: plan, keep ``--only``'s runs, list the pending ones (``--dry-run``:
    one line per run, indented by three spaces, which scripts/bundle_worker.sh reads), else compute each pending
    run and write it (a run another process finished meanwhile is skipped)."""
    root = Path(args.root).resolve()
    where = bundle_spec.where(root)
    if args.where:
        print(f"{where.relative_to(root)}\t{bundle_spec.title}")
        return 0
    runs = bundle_spec.plan(args)
    if args.only is not None:
        unknown = sorted(set(args.only) - {r.name for r in runs})
        if unknown:
            message = f"not in the plan: {', '.join(unknown)}"
            if error is None:
                raise SystemExit(message)
            error(message)
        runs = [r for r in runs if r.name in args.only]
    todo = pending(root, bundle_spec, runs)

    from synthmed.device import describe, get_device

    device = get_device()
    restore_steps(where, bundle_spec.carried)  # before projecting: a committed shared step costs nothing
    here = machine()["cpu"]  # project from the runs timed on this CPU model where there are any (on_cpu)
    eta = bundle_spec.project(root, todo, here)
    print(f"{len(runs) - len(todo)} of {len(runs)} runs already in {where}; {len(todo)} to run on "
          f"{describe(device)}; projected "
          + (f"{eta / 3600:.1f} h" if eta is not None else "unknown until one run of each kind has finished"),
          flush=True)
    if args.dry_run:
        for run in todo:
            print("  ", run.name)
        return 0
    from tqdm.std import tqdm  # text bars; tqdm.auto warns "IProgress not found" without ipywidgets

    bar = tqdm(todo, desc=bundle_spec.title, unit="run", file=sys.stdout)
    for i, run in enumerate(bar):
        if not pending(root, bundle_spec, [run]):  # another process finished it meanwhile
            continue
        eta = bundle_spec.project(root, [run], here)
        if past_deadline(eta, getattr(args, "deadline", None)):
            bar.write(f"not starting {run.name}: projected at "
                      + (f"{eta / 3600:.2f} h" if eta is not None else "an unknown cost")
                      + f", it would not end by the deadline {args.deadline:%Y-%m-%d %H:%M} UTC", file=sys.stdout)
            return EXIT_DEADLINE
        bar.set_postfix_str(run.name)
        bar.write(f"starting {run.name} at {time.strftime('%H:%M:%S')}")
        restore_steps(where, bundle_spec.carried)  # another process may have committed one meanwhile
        cpu = time.process_time()
        rows, prov = _compute_carrying(bundle_spec, root, run, args, device)
        # the run's CPU time besides its wall time: the wall time of a run that shared its cores with other work
        # (or was paused) overstates what it costs, its CPU time does not (a worker runs one single-thread process)
        prov["cpu_s"] = round(time.process_time() - cpu, 1)
        path = write(where / run.folder, run.name, run.key, run.fields, rows, prov)
        left = bundle_spec.project(root, todo[i + 1:], here)
        bar.write(f"wrote {path.relative_to(root)}; remaining "
                  + (f"{left / 3600:.2f} h (projected)" if left is not None else "unknown"), file=sys.stdout)
    return 0


def _compute_carrying(bundle_spec: Spec, root: Path, run: Run, args: argparse.Namespace,
                      device) -> tuple[list[Mapping[str, Any]], dict[str, Any]]:
    """``bundle_spec.compute`` of one run; for a bundle with carried steps, the entries of those the run used are
    kept beside the bundle (:func:`keep_steps`), and its provenance's ``carried`` says, per step, whether the run
    loaded an entry the bundle had committed before it ran, loaded one the cache held, or computed it:
    {step name: {"key", "from": "bundle" | "cache" | "computed"}} (the step's first use in the run)."""
    if not bundle_spec.carried:
        rows, prov = bundle_spec.compute(root, run, args, device)
        return rows, dict(prov)
    from synthmed import cache

    where = bundle_spec.where(root)
    committed = {p.stem for name in bundle_spec.carried for p in (steps_folder(where) / name).glob("*.pt")}
    with cache.recording() as events:
        rows, prov = bundle_spec.compute(root, run, args, device)
    keep_steps(where, bundle_spec.carried, events)
    used = {}
    for e in events:
        if e["name"] in bundle_spec.carried and e["name"] not in used:
            source = "computed" if e["event"] == "miss" else "bundle" if e["key"] in committed else "cache"
            used[e["name"]] = {"key": e["key"], "from": source}
    return rows, {**prov, "carried": used}


def main(argv: Sequence[str] | None = None) -> int:
    top = parser()
    args = top.parse_args(argv)
    sub = top._subparsers._group_actions[0].choices[args.chapter]  # the chapter's parser, for its error messages
    return execute(spec(args.chapter), args, sub.error)


if __name__ == "__main__":  # run through the imported module, whose Spec class the chapters' specs are made of
    from synthmed import bundle as _bundle

    raise SystemExit(_bundle.main())


def ledger(root: str | Path, chapters: Sequence[str] | None = None) -> pd.DataFrame:
    """What every bundle (or those of ``chapters``) holds and what is left, for the Compute page: one row per
    bundle with its title, folder, the runs of its default plan, how many of them are committed under today's key
    (``current``), the files committed under another key (``stale``: other code or settings), the measured cost of a
    run from an empty cache (:func:`cold_seconds`, mean over the stored runs whose cost is known, in hours of one
    core), the core-hours those stored runs took, and the projected core-hours of the pending runs (the chapter's
    projection, else, for a replicate bundle, :func:`current_projection`, else :func:`mean_projection`; NaN while no
    run of a kind has been timed)."""
    root = Path(root).resolve()
    rows = []
    for name in chapters_with_bundles() if chapters is None else chapters:
        s = spec(name)
        runs = s.plan(parser().parse_args([name, "--root", str(root)]))
        todo = pending(root, s, runs)
        where = s.where(root)
        recs = records(where)
        planned = {r.key for r in runs}
        costs = [c for c in (cold_seconds(rec["provenance"]) for rec in recs) if c is not None]
        left = s.project(root, todo)
        rows.append({"bundle": s.title, "folder": str(where.relative_to(root)), "planned": len(runs),
                     "current": len(runs) - len(todo), "stale": sum(rec["key"] not in planned for rec in recs),
                     "core-h per run": sum(costs) / len(costs) / 3600 if costs else float("nan"),
                     "core-h stored": sum(costs) / 3600, "core-h left (projected)":
                         float("nan") if left is None else left / 3600})
    return pd.DataFrame(rows)


def ledger_text(table: pd.DataFrame, cores: int = 2) -> str:
    """Markdown under :func:`ledger`'s table: the runs still to compute and the core-hours they are projected to
    take in all, with the wall time on ``cores`` workers; the bundles whose projection is still unknown."""
    left = table["core-h left (projected)"]
    known = table[left.notna()]
    todo = int((table["planned"] - table["current"]).sum())
    text = (f"{todo} of {int(table['planned'].sum())} planned runs are still to compute. "
            if todo else "Every planned run is committed. ")
    if len(known) and todo:
        hours = float(known["core-h left (projected)"].sum())
        text += (f"Those of {', '.join(known['bundle'])} are projected at {hours:.1f} core-hours, "
                 f"{hours / cores:.1f} h of wall time on {cores} single-thread workers (each bundle's projection: "
                 "the measured cost of its committed runs, timed beside other work and so an upper bound, or "
                 "before any, its probes' estimate). ")
    unknown = table[left.isna()]
    if len(unknown):
        text += (f"No projection yet for {', '.join(unknown['bundle'])}: a kind of run planned there has no "
                 "committed run with a known cost yet.")
    return text.strip()


def replicate_rows(frames: Mapping[str, pd.DataFrame], r: int) -> list[dict[str, Any]]:
    """One replicate's frames as bundle rows: every row of every frame, with ``frame`` (the frame's name) and
    ``replicate`` (``r``) beside its columns (:func:`replicate_frames` reads them back)."""
    return [{"frame": name, "replicate": int(r), **row} for name, frame in frames.items()
            for row in frame.to_dict("records")]


def replicate_frames(folder: Path) -> dict[str, pd.DataFrame]:
    """A replicate bundle's committed rows (column ``frame`` names the frame each row belongs to), one frame per
    name, each without the columns none of its rows has; {} when nothing is committed."""
    rows = read(folder)
    if rows.empty:
        return {}
    return {name: g.dropna(axis=1, how="all").drop(columns="frame").reset_index(drop=True).infer_objects()
            for name, g in rows.groupby("frame", sort=False)}  # infer: a column other frames lack is no object


def current_only(frames: Mapping[str, pd.DataFrame], status: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The rows of ``frames`` (:func:`replicate_frames`) that a replicate bundle's tables and verdicts use: those of
    the replicates whose key today's code and settings give (``status["current"]``, :func:`replicate_status`)
    where any is, else every row (all stale: the page shows what the earlier code gave, and says so). A stale
    replicate pooled with current ones would pair arms computed under different settings (seen: the GAN bundle's
    downstream batch 64 vs 32)."""
    if status.empty or not status["current"].astype(bool).any():
        return dict(frames)
    keep = set(status.loc[status["current"].astype(bool), "key"])  # by key: a row's own fields may name another
    return {name: f[f["run_key"].isin(keep)].reset_index(drop=True) for name, f in frames.items()}


def status_text(status: pd.DataFrame, where: str, of: str = "") -> str:
    """The sentences a replicate bundle's page opens its status with (``status``: :func:`replicate_status`, not
    empty; ``where``: the bundle's folder as shown; ``of``: what a replicate is of, e.g. " of Exp 1"): how many
    replicates are committed, their seeds, commits and machines, their mean cost from an empty cache
    (:func:`cold_seconds`) per CPU model (machines of one kind differ about 2x, :func:`on_cpu`), over the current
    replicates where any is (a stale one ran other settings), then :func:`stale_text`."""
    n = len(status)
    commits = ", ".join(f"`{c}`" for c in dict.fromkeys(status["commit"]))
    current = status["current"].astype(bool)
    basis = status[current] if current.any() else status
    hours = pd.to_numeric(basis["cold_s"], errors="coerce") / 3600
    per_cpu = hours.groupby(basis["cpu"].fillna(""), sort=False).agg(["mean", "count"])
    which = "current " if current.any() and not current.all() else ""
    cost = "; ".join(f"{m:.2f} h on {cpu or 'an unrecorded CPU'} (mean of {k} {which}replicate{'s' if k != 1 else ''})"
                     for cpu, m, k in zip(per_cpu.index, per_cpu["mean"], per_cpu["count"].astype(int)) if k)
    return (f"{n} replicate{'s' if n != 1 else ''}{of} committed ({where}, seeds "
            f"{', '.join(map(str, status['seed']))}), computed at commit(s) {commits} on "
            f"{', '.join(dict.fromkeys(status['cpu']))}"
            + (f"; one replicate costs one core, from an empty cache, {cost}" if cost else "") + ". "
            + stale_text(status))


def stale_text(status: pd.DataFrame) -> str:
    """One sentence on a replicate bundle's stale replicates (``status``: :func:`replicate_status`): how many, and
    whether the page leaves them out (some replicate is current: :func:`current_only`) or shows them."""
    stale = int((~status["current"].astype(bool)).sum())
    if not stale:
        return "Every one was computed by today's code and settings."
    what = f"{stale} of them {'were' if stale != 1 else 'was'} computed by code or settings other than today's " \
           "(their run key differs)"
    if stale < len(status):
        return (f"{what}: the tables and verdicts below leave {'them' if stale != 1 else 'it'} out and use the "
                f"{len(status) - stale} current one{'s' if len(status) - stale != 1 else ''} until the worker "
                "recomputes the rest.")
    return f"{what}: they show what that code gave until the worker recomputes them."


def replicate_status(folder: Path, plan: Callable[[list[int]], Sequence[Run]],
                     run_name: Callable[[int, int], str]) -> pd.DataFrame:
    """One row per committed replicate of the bundle in ``folder``: run, replicate, seed, commit (``+edits`` when
    the tree had uncommitted edits), finished, wall time, ``cold_s`` (its cost from an empty cache,
    :func:`cold_seconds`: a run that resumed from cached steps took less wall time than that), CPU, ``current``:
    whether its key is the one that ``plan`` (replicate numbers -> runs, today's code and settings) gives it (False:
    other code or settings), and ``key``, the key it was stored under."""
    recs = records(folder)
    if not recs:
        return pd.DataFrame(columns=["run", "replicate", "seed", "commit", "finished", "wall_s", "cold_s", "cpu",
                                     "current", "key"])
    now = {r.key for r in plan(sorted({int(rec["run"]["replicate"]) for rec in recs}))}
    return pd.DataFrame([{"run": run_name(rec["run"]["replicate"], rec["run"]["seed"]),
                          "replicate": rec["run"]["replicate"], "seed": rec["run"]["seed"],
                          "commit": rec["provenance"].get("commit", "")[:10]
                          + ("+edits" if rec["provenance"].get("dirty") else ""),
                          "finished": rec["provenance"].get("finished", ""), "wall_s": rec["provenance"].get("wall_s"),
                          "cold_s": cold_seconds(rec["provenance"]),
                          "cpu": (rec["provenance"].get("machine") or {}).get("cpu", ""), "current": rec["key"] in now,
                          "key": rec["key"]}
                         for rec in recs])
