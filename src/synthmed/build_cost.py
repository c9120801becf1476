"""What the book costs from scratch, from the seconds the cache recorded when each step was computed, apart from
what the last build took (mostly loading those steps back).

    steps = steps_of(events)               # one notebook's cache events -> {key: {"name", "compute_s"}}
    table = cold_table(runs, order)        # per notebook: page seconds + the steps it is the first to use

A notebook's cold cost is the time its page takes besides its cached steps (its last execution's wall time minus
the seconds spent in those steps, :func:`page_seconds`) plus the recorded computing time of every step it is the
first notebook, in book order, to use (the GAN pages share one chapter's steps: the first computes them, the others
load them). Only top-level steps count: a step computed inside another (``nested`` events) is in the outer step's
time. Steps add up one after another; runs the executor spreads over worker processes finish sooner than their sum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd


def steps_of(events: Iterable[Mapping]) -> dict[str, dict]:
    """{key: {"name", "compute_s" (None: not recorded)}} of the top-level cached steps among a notebook's cache
    ``events`` (hits and misses of :mod:`synthmed.cache`; ``nested`` ones and other events left out), one per
    key."""
    out: dict[str, dict] = {}
    for e in events:
        if e.get("event") not in ("hit", "miss") or e.get("nested"):
            continue
        seconds = e.get("compute_s", e["seconds"] if e["event"] == "miss" else None)
        if e["key"] not in out or out[e["key"]]["compute_s"] is None:
            out[e["key"]] = {"name": e["name"], "compute_s": seconds}
    return out


def step_seconds(events: Iterable[Mapping]) -> float:
    """Seconds a notebook's run spent in its top-level cached steps (loading hits, computing misses)."""
    return sum(e["seconds"] for e in events if e.get("event") in ("hit", "miss") and not e.get("nested"))


def page_seconds(run: Mapping) -> float:
    """A run record's seconds outside its cached steps (kernel start, imports, tables, figures), at least 0."""
    return max(0.0, float(run.get("wall_s", 0.0)) - float(run.get("step_s", 0.0)))


def cold_table(runs: Mapping[str, Mapping], order: Sequence[str]) -> pd.DataFrame:
    """Per notebook of ``order`` that has a run record in ``runs`` (the runner's ``runs.json``): "page s"
    (:func:`page_seconds`), "steps" (the top-level steps it is the first in ``order`` to use), "steps s" (their
    recorded computing time), "not recorded" (its steps stored before times were kept), "cold s" (page s +
    steps s) and "last build s" (its last execution's wall time)."""
    seen: set[str] = set()
    rows = []
    for name in order:
        run = runs.get(name)
        if run is None:
            continue
        own = {k: v for k, v in run.get("steps", {}).items() if k not in seen}
        seen.update(own)
        known = [v["compute_s"] for v in own.values() if v["compute_s"] is not None]
        page = page_seconds(run)
        rows.append({"notebook": name, "page s": page, "steps": len(own), "steps s": sum(known),
                     "not recorded": len(own) - len(known), "cold s": page + sum(known),
                     "last build s": float(run.get("wall_s", 0.0))})
    columns = ["notebook", "page s", "steps", "steps s", "not recorded", "cold s", "last build s"]
    return pd.DataFrame(rows, columns=columns).set_index("notebook")


def cold_text(cold: pd.DataFrame) -> str:
    """Markdown: the book's cost from scratch in minutes, from a :func:`cold_table`."""
    unknown = int(cold["not recorded"].sum())
    return (f"From scratch: **{cold['cold s'].sum() / 60:.1f} min** of notebooks over {len(cold)} pages "
            f"({int(cold['steps'].sum())} cached steps)"
            + (f"; {unknown} steps have no recorded time and are not counted." if unknown else "."))


LAST_COLUMNS = {"profile": "profile", "device": "device", "wall_s": "wall time (s)", "cache_hits": "cache hits",
                "cache_misses": "cache misses", "runs": "runs", "runs_computed": "runs computed",
                "run_seconds": "run time (s, summed)", "status": "status", "finished": "finished"}


def last_table(runs: Mapping[str, Mapping]) -> pd.DataFrame:
    """One row per run record of ``runs`` (its last execution), the columns of :data:`LAST_COLUMNS`, renamed."""
    frame = pd.DataFrame([{"notebook": name, **r} for name, r in runs.items()])
    return frame.set_index("notebook").reindex(columns=list(LAST_COLUMNS)).rename(columns=LAST_COLUMNS)


def last_text(last: pd.DataFrame) -> str:
    """Markdown: the summed wall time, cache hits and misses of a :func:`last_table`."""
    return (f"Total: **{last['wall time (s)'].sum():.0f} s** over {len(last)} notebooks; "
            f"{int(last['cache hits'].sum())} cache hits and {int(last['cache misses'].sum())} misses.")


def cold_figure(cold: pd.DataFrame):
    """Per notebook, the cost from scratch beside its last execution (horizontal bars, seconds); ``cold``:
    :func:`cold_table`."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 0.35 * len(cold) + 1))
    cold[["cold s", "last build s"]][::-1].plot.barh(ax=ax, color=["tab:blue", "tab:orange"])
    ax.set(xlabel="seconds", ylabel="")
    ax.legend(["from scratch", "last execution"])
    fig.tight_layout()
    return fig
