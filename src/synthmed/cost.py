"""What a build costs before it starts: runs per profile, measured seconds per run, projected ``paper`` hours.

Measured: every run of :func:`synthmed.executor.run_all` that computed something appends its wall time to
``<cache dir>/costs.jsonl`` (one single-thread process, or one GPU task). Projected: each notebook's
:data:`WORKLOADS` function turns a profile's settings into the independent runs it starts and the training work of
each run (images through the network, times the network's forward FLOPs counted by :mod:`torch.utils.flop_counter`,
times 3 for forward + backward). The ``paper`` projection on this CPU scales the measured ``quick`` seconds per run
by the FLOP ratio (``paper`` FLOPs / ``quick`` FLOPs) and divides by the processes this CPU runs at once; without a
measurement it uses the DESIGN.md throughput of this CPU (ResNet-18 at 28 px: about 110 images/s on 2 cores). On one
GPU it divides the FLOPs by :data:`GPU_FLOPS`, an assumed sustained rate (not measured). Both are estimates: the
FLOP model leaves out evaluation, data loading and whatever a profile changes besides network, size and steps.
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
TSYND_ASCENT_PER_STEP = 0.6  # DESIGN.md probe: 5 ascent steps made a run ~4x a baseline run, 20 steps ~13x
CHAPTERS = {"tsynd": "TSynD", "tsynd_uncertainty": "TSynD", "tsynd_explain": "TSynD", "gan_zoo": "GAN ensembles",
            "gan_ensemble": "GAN ensembles", "gan_backbones": "GAN ensembles", "gan_fidelity": "GAN ensembles",
            "imbalance": "Class imbalance"}


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


def _n(value) -> int:
    return len(value) if isinstance(value, (list, tuple)) else 1


def _list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _size(dataset: str) -> int:
    return 64 if str(dataset).endswith("_64") else 28


def _train_size(dataset: str) -> int:
    import medmnist

    return int(medmnist.INFO[str(dataset).removesuffix("_64")]["n_samples"]["train"])


def _model(name: str) -> str:
    return {"cnn": "smallcnn"}.get(name, name)


def _tsynd_images(s: Mapping) -> float:
    """Images per classifier run: epochs over the labelled subset when the profile trains by epochs, else steps."""
    if s.get("epochs"):
        sizes = [_train_size(d) * f for d in _list(s.get("datasets", s.get("dataset"))) for f in _list(s["fraction"])]
        return s["epochs"] * sum(sizes) / len(sizes)
    return s["iterations"] * s["batch_size"]


def _tsynd(notebook: str, s: Mapping) -> list[Workload]:
    datasets = _list(s.get("datasets", s.get("dataset")))
    methods = _list(s.get("methods", ["tsynd"]))
    n = len(datasets) * _n(s["fraction"]) * _n(s["seeds"]) * _n(s.get("objectives", [None]))
    ascent = 1 + TSYND_ASCENT_PER_STEP * s["ascent_steps"]
    factor = sum(ascent if m == "tsynd" else 1.0 for m in methods) / len(methods)
    return [Workload(notebook, "classifier runs", n * len(methods), _tsynd_images(s), _model(s["arch"]),
                     s.get("image_size") or _size(datasets[0]), factor=factor)]


def _gan_zoo(notebook: str, s: Mapping) -> list[Workload]:
    size = _size(_list(s["datasets"])[0])
    # G and D of the GAN's width, approximated by a small CNN of that width each; D sees real and fake images
    return [Workload(notebook, "GAN trainings", _n(s["gans"]) * _n(s["datasets"]), s["gan_iters"] * s["gan_batch"]
                     * 2, "smallcnn", size, width=s["gan_width"], factor=2.0)]


def _gan_downstream(notebook: str, s: Mapping) -> list[Workload]:
    datasets = _list(s["datasets"])
    n_train = s["n_train"] or sum(_train_size(d) for d in datasets) / len(datasets)
    candidates = _n(s["gans"]) * s["gan_snapshots"] + s.get("max_oracle", 0) // 100 + 4  # singles + ensembles
    return [Workload(notebook, "downstream classifiers", len(datasets) * s["repeats"] * candidates,
                     s["epochs"] * n_train, _model(s["classifier"]), _size(datasets[0]), s["classifier_width"])]


def _imbalance(notebook: str, s: Mapping) -> list[Workload]:
    size, n_train = s.get("image_size") or 64, 700  # NIH1000: 64 px, ~70 % of 1,000 images for training
    runs = [Workload(notebook, f"{b} classifiers", _n(s["variants"]) * _n(s["seeds"]), s["epochs"] * n_train,
                     _model(b), size) for b in _list(s["backbones"])]
    # CycleGAN: two generators and two discriminators, approximated by small CNNs of its width with its blocks
    return runs + [Workload(notebook, "CycleGAN", 1, s["gan_steps"] * s["gan_batch"], "smallcnn", size,
                            width=s["gan_width"], factor=4.0 * (1 + s["gan_blocks"] / 3))]


# The notebooks that start training runs. gan_backbones (SimCLR/supervised embedding nets) and gan_fidelity
# (Inception features) are not modelled; the GAN notebooks share one downstream set (counted under gan_ensemble).
# TSynD's three notebooks share runs where their settings agree; each notebook's runs are counted in full.
WORKLOADS: dict[str, Callable[[str, Mapping], list[Workload]]] = {
    "tsynd": _tsynd, "tsynd_uncertainty": _tsynd, "tsynd_explain": _tsynd, "gan_zoo": _gan_zoo,
    "gan_ensemble": _gan_downstream, "imbalance": _imbalance,
}


# The notebooks whose runs the cost model leaves out, and why. Every notebook of the book is in WORKLOADS or here
# (tests/test_cost.py checks the notebooks on disk), so a new chapter's notebook cannot be forgotten silently.
NOT_MODELLED = {
    "data": "trains nothing",
    "scorecard": "trains nothing (reads the chapters' verdicts)",
    "compute": "trains nothing (reads the run records)",
    "tsynd_paper": "trains nothing at paper scale (reads results/paper/tsynd); its BreastMNIST comparison runs are tsynd's",
    "gan_backbones": "its SimCLR / supervised embedding nets are not modelled; its downstream runs are gan_ensemble's",
    "gan_fidelity": "its Inception features are not modelled; its downstream runs are gan_ensemble's",
}


def unmodelled(notebooks: Iterable[str]) -> list[str]:
    """The notebooks among ``notebooks`` that are neither in :data:`WORKLOADS` nor in :data:`NOT_MODELLED`."""
    return [nb for nb in notebooks if nb not in WORKLOADS and nb not in NOT_MODELLED]


def workloads(profile: str, notebooks: Iterable[str] | None = None) -> list[Workload]:
    """The workloads of ``notebooks`` (default: all with a model) under ``profile``'s settings."""
    from synthmed import profiles

    out = []
    for nb in notebooks or WORKLOADS:
        if nb in WORKLOADS:
            out += WORKLOADS[nb](nb, profiles.resolve(nb, profile))
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


def _chapter(notebook, fn: str) -> str:
    if notebook in CHAPTERS:
        return CHAPTERS[notebook]
    part = str(fn).split(".")[1] if str(fn).startswith("synthmed.") else ""
    return {"tsynd": "TSynD", "gan": "GAN ensembles", "imbalance": "Class imbalance"}.get(part, "other")


def chapter_rate(chapter: str, costs: pd.DataFrame, base: str = "quick",
                 base_load: pd.DataFrame | None = None) -> tuple[float, float, str]:
    """(measured seconds per ``base`` run, FLOP/s of one process, how found) of a chapter: the measured ``base``
    runs of its notebooks calibrate the rate (their FLOPs per run / seconds per run); without any, the DESIGN.md
    throughput of this CPU (seconds per run NaN). base_load: the chapter's ``base`` workloads (runs, flops)."""
    if base_load is None:
        notebooks = [nb for nb, ch in CHAPTERS.items() if ch == chapter]
        base_load = pd.DataFrame([{"runs": w.runs, "flops": w.flops} for w in workloads(base, notebooks)],
                                 columns=["runs", "flops"])
    measured = costs[costs.profile == base]
    measured = measured.assign(chapter=[_chapter(nb, fn) for nb, fn in zip(measured.notebook, measured.fn)])
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
    notebooks = [nb for nb in (WORKLOADS if notebooks is None else notebooks) if nb in WORKLOADS]
    if not notebooks:
        return pd.DataFrame(columns=["chapter"]).set_index("chapter")
    loads, stale = {p: [] for p in profile_names}, {}
    for nb in notebooks:
        for p in profile_names:
            try:
                loads[p] += [{"chapter": CHAPTERS[nb], "runs": w.runs, "flops": w.flops} for w in workloads(p, [nb])]
            except (KeyError, TypeError, ValueError) as err:  # the profile changed under the cost model
                stale.setdefault(CHAPTERS[nb], f"not estimated: the cost model of {nb} failed on the {p} "
                                               f"settings ({type(err).__name__}: {err}); update synthmed/cost.py")
    loads = {p: pd.DataFrame(rows, columns=["chapter", "runs", "flops"]) for p, rows in loads.items()}
    rows = []
    for chapter in dict.fromkeys(CHAPTERS[nb] for nb in notebooks):
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
