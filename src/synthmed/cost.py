"""What a build costs before it starts: runs per profile, measured seconds per run, projected ``paper`` hours.

Measured: every run of :func:`synthmed.executor.run_all` that computed something appends its wall time to
``<cache dir>/costs.jsonl`` (one single-thread process, or one GPU task). Projected: each notebook's cost model
(``workload``, declared in its chapter's record, :mod:`synthmed.chapters`) turns a profile's settings into the
independent runs it starts and the training work of each run (images through the network, times the network's
forward FLOPs counted by :mod:`torch.utils.flop_counter`, times 3 for forward + backward). The ``paper`` projection
on this CPU scales the measured ``quick`` seconds per run by the FLOP ratio (``paper`` FLOPs / ``quick`` FLOPs) and
divides by the processes this CPU runs at once; without a measurement it uses the DESIGN.md throughput of this CPU
(ResNet-18 at 28 px: about 110 images/s on 2 cores). On one GPU it divides the FLOPs by :data:`GPU_FLOPS`, an
assumed sustained rate (not measured). Both are estimates: the FLOP model leaves out evaluation, data loading and
whatever a profile changes besides network, size and steps.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

GPU_FLOPS = 25e12  # assumed sustained FLOP/s of one datacentre GPU (H100 class) on these small convnets, bf16
GPU_NOTE = "FLOPs / 25 TFLOP/s (assumed: about 3 % of an H100's dense bf16 peak; no GPU measurement yet)"
CPU_REFERENCE = ("resnet18", 28, 110.0)  # DESIGN.md: ResNet-18 at 28 px trains at ~110 images/s on this 2-core CPU


@dataclass(frozen=True)
class Workload:
    """One kind of independent run of a notebook under one profile."""

    notebook: str
    kind: str
    runs: int
    images: float  # images through the network per run (forward + backward)
    model: str
    image_size: int
    width: int = 16
    factor: float = 1.0  # extra work per image beyond one forward + backward (e.g. TSynD's latent ascent)

    @property
    def flops(self) -> float:
        """Training FLOPs of all runs: runs * images * 3 * forward FLOPs per image * factor."""
        return self.runs * self.images * 3 * forward_flops(self.model, self.image_size, self.width) * self.factor


@lru_cache(maxsize=None)
def forward_flops(model: str, image_size: int, width: int = 16) -> float:
    """Forward FLOPs of one 1-channel image through ``models.create(model, 1, 2, image_size)``, counted by torch."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from synthmed import models

    net = models.create(model, 1, 2, image_size, width=width, seed=0).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(torch.zeros(1, 1, image_size, image_size))
    return float(counter.get_total_flops())


def count(value) -> int:
    """How many values a setting holds (1 for a scalar)."""
    return len(value) if isinstance(value, (list, tuple)) else 1


def as_list(value) -> list:
    """A setting as a list (a scalar becomes a one-item list)."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def image_size(dataset: str) -> int:
    """Pixels per side of a MedMNIST dataset name (``*_64``: 64, else 28)."""
    return 64 if str(dataset).endswith("_64") else 28


NIH1000_TRAIN = 600  # about 60 % of the 1,000 NIH1000 images train after the patient re-split (synthmed.data.images)


def train_size(dataset: str) -> int:
    """Training images of a MedMNIST dataset (from ``medmnist.INFO``, no file needed), or about
    :data:`NIH1000_TRAIN` for ``nih1000``."""
    import medmnist

    if dataset == "nih1000":
        return NIH1000_TRAIN
    return int(medmnist.INFO[str(dataset).removesuffix("_64")]["n_samples"]["train"])


def model_name(name: str) -> str:
    """The :mod:`synthmed.models` name of a profile's ``backbone`` setting (:func:`synthmed.models.check`: an alias
    resolved, an unknown name a ValueError naming the valid ones)."""
    from synthmed import models  # here: models imports torch, which a cost table does not otherwise need

    return models.check(name)


# Each notebook's cost model comes from its chapter's record (synthmed.chapters): a ``workload`` function for a
# notebook that starts training runs, or ``not_modelled`` saying why it has none. Every registered notebook has
# exactly one of the two (Notebook checks), so a new chapter's notebook cannot be forgotten silently.
def workload_models() -> dict[str, Callable[[str, Mapping], list[Workload]]]:
    """{notebook: its cost model} for the notebooks that start training runs, in book order."""
    from synthmed import chapters

    return {name: nb.workload for name, nb in chapters.notebooks().items() if nb.workload is not None}


def not_modelled() -> dict[str, str]:
    """{notebook: why it has no cost model} for the others."""
    from synthmed import chapters

    return {name: nb.not_modelled for name, nb in chapters.notebooks().items() if nb.workload is None}


def chapter_titles() -> dict[str, str]:
    """{notebook: its chapter's title}, for every registered notebook."""
    from synthmed import chapters

    return {nb.name: c.title for c in chapters.chapters() for nb in c.notebooks}


def unmodelled(notebooks: Iterable[str]) -> list[str]:
    """The notebooks among ``notebooks`` with neither a cost model nor a reason for having none (i.e. not
    registered by any chapter)."""
    known = {**workload_models(), **not_modelled()}
    return [nb for nb in notebooks if nb not in known]


def workloads(profile: str, notebooks: Iterable[str] | None = None) -> list[Workload]:
    """The workloads of ``notebooks`` (default: all with a model) under ``profile``'s settings."""
    from synthmed import profiles

    models = workload_models()
    out = []
    for nb in notebooks or models:
        if nb in models:
            out += models[nb](nb, profiles.resolve(nb, profile))
    return out


def load_costs(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The measured runs (``<cache dir>/costs.jsonl``): notebook, profile, fn, desc, seconds, misses, backend."""
    if path is None:
        from synthmed.cache import cache_dir
        from synthmed.executor import COSTS_FILE

        path = cache_dir() / COSTS_FILE
    path = Path(path)
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    return pd.DataFrame(rows, columns=["notebook", "profile", "fn", "desc", "seconds", "misses", "backend",
                                       "finished"])


def _chapter(notebook, fn: str, titles: Mapping[str, str] | None = None) -> str:
    """The chapter title of a measured run: its notebook's, else the package of its function (a run started outside
    a notebook), else "other"."""
    from synthmed import chapters

    titles = chapter_titles() if titles is None else titles
    if notebook in titles:
        return titles[notebook]
    part = str(fn).split(".")[1] if str(fn).startswith("synthmed.") else ""
    return next((c.title for c in chapters.chapters() if c.name == part), "other")


def chapter_rate(chapter: str, costs: pd.DataFrame, base: str = "quick",
                 base_load: pd.DataFrame | None = None) -> tuple[float, float, str]:
    """(measured seconds per ``base`` run, FLOP/s of one process, how found) of a chapter: the measured ``base``
    runs of its notebooks calibrate the rate (their FLOPs per run / seconds per run); without any, the DESIGN.md
    throughput of this CPU (seconds per run NaN). base_load: the chapter's ``base`` workloads (runs, flops)."""
    if base_load is None:
        notebooks = [nb for nb, ch in chapter_titles().items() if ch == chapter]
        base_load = pd.DataFrame([{"runs": w.runs, "flops": w.flops} for w in workloads(base, notebooks)],
                                 columns=["runs", "flops"])
    measured = costs[costs.profile == base]
    titles = chapter_titles()
    measured = measured.assign(chapter=[_chapter(nb, fn, titles) for nb, fn in zip(measured.notebook, measured.fn)])
    mine = measured[measured.chapter == chapter]
    if len(mine) and base_load.runs.sum():
        per_run = float(mine.seconds.mean())
        return per_run, base_load.flops.sum() / base_load.runs.sum() / per_run, f"{len(mine)} measured {base} runs"
    model, size, images_per_s = CPU_REFERENCE
    return (math.nan, images_per_s * 3 * forward_flops(model, size) / 2,
            f"no {base} run measured: DESIGN.md CPU throughput (ResNet-18 28 px, 110 img/s) x FLOPs")


def projection(costs: pd.DataFrame, *, base: str = "quick", target: str = "paper",
               notebooks: Iterable[str] | None = None, processes: int | None = None,
               profile_names: Iterable[str] = ("smoke", "quick", "paper")) -> pd.DataFrame:
    """One row per chapter: runs per profile, measured ``base`` seconds per run, projected ``target`` hours on this
    CPU (``processes`` single-thread processes at once, default all cores) and on one GPU, and how each was found.

    costs: :func:`load_costs`; the ``base`` rows of a chapter calibrate its FLOP rate (FLOPs per run / seconds per
    run); a chapter without them uses the DESIGN.md throughput of this CPU.
    """
    processes = processes or os.cpu_count() or 1
    models, titles = workload_models(), chapter_titles()
    notebooks = [nb for nb in (models if notebooks is None else notebooks) if nb in models]
    if not notebooks:
        return pd.DataFrame(columns=["chapter"]).set_index("chapter")
    loads, stale = {p: [] for p in profile_names}, {}
    for nb in notebooks:
        for p in profile_names:
            try:
                loads[p] += [{"chapter": titles[nb], "runs": w.runs, "flops": w.flops} for w in workloads(p, [nb])]
            except (KeyError, TypeError, ValueError) as err:  # the profile changed under the cost model
                stale.setdefault(titles[nb], f"not estimated: the cost model of {nb} failed on the {p} "
                                               f"settings ({type(err).__name__}: {err}); update synthmed/cost.py")
    loads = {p: pd.DataFrame(rows, columns=["chapter", "runs", "flops"]) for p, rows in loads.items()}
    rows = []
    for chapter in dict.fromkeys(titles[nb] for nb in notebooks):
        row = {"chapter": chapter}
        for p in profile_names:
            row[f"runs ({p})"] = int(loads[p].query("chapter == @chapter").runs.sum())
        base_load = loads[base].query("chapter == @chapter")
        target_flops = loads[target].query("chapter == @chapter").flops.sum()
        per_run, rate, how = chapter_rate(chapter, costs, base, base_load)
        if not math.isnan(per_run):
            how = (f"{how} x FLOP ratio {target}/{base} ({target_flops / base_load.flops.sum():.0f}x), "
                   f"{processes} processes")
        row.update({f"s/run ({base}, measured)": per_run,
                    f"{target} h, this CPU (est.)": target_flops / rate / processes / 3600,
                    f"{target} h, one GPU (est.)": target_flops / GPU_FLOPS / 3600,
                    "how estimated": how})
        if chapter in stale:
            row.update({f"{target} h, this CPU (est.)": float("nan"), f"{target} h, one GPU (est.)": float("nan"),
                        "how estimated": stale[chapter]})
        rows.append(row)
    return pd.DataFrame(rows).set_index("chapter")


def projection_text(table: pd.DataFrame, target: str = "paper") -> str:
    """Markdown sentences computed from a :func:`projection` table: totals, the dearest chapter, how estimated."""
    if table.empty:
        return "No notebook of this book starts training runs, so there is nothing to project."
    cpu, gpu = table[f"{target} h, this CPU (est.)"], table[f"{target} h, one GPU (est.)"]
    measured = table["s/run (quick, measured)"].notna()
    parts = [f"Projected `{target}` cost: about **{cpu.sum():,.0f} h on this CPU** and **{gpu.sum():,.1f} h on one "
             f"GPU** (estimates). The dearest chapter is {cpu.idxmax()} ({cpu.max() / cpu.sum():.0%} of the CPU "
             f"total)."]
    if measured.all():
        parts.append("Every chapter's CPU projection starts from runs measured under `quick` on this machine.")
    else:
        parts.append(f"No `quick` run was measured for {', '.join(table.index[~measured])}: their CPU projection "
                     f"uses the DESIGN.md throughput of this CPU instead, and is rougher.")
    parts.append(f"GPU: {GPU_NOTE}.")
    return " ".join(parts)
