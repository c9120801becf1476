"""One supervised training loop, one checkpoint format, one ``predict``.

:func:`fit` is Lightning's ``fit`` without the framework: the caller supplies the model, a ``loss_fn`` that turns a
batch of row indices into a loss (so each paper keeps its own batch: TSynD's half-synthetic batch, the imbalance
paper's image + metadata inputs), and an ``evaluate`` callback that scores the model at evaluation points. The loop
owns everything else: shuffled passes over the training rows, Adam, an optional LR schedule, evaluation every N
steps, keeping the best or the last weights by a named metric, early stopping, bf16 autocast on CUDA, and a
:class:`Checkpoint` at every evaluation from which an interrupted run resumes to the same result.

Randomness never leaks: the loop runs inside ``torch.random.fork_rng`` seeded with ``seed`` (dropout draws from that
forked stream), batches come from the loop's own ``torch.Generator``, and both streams (plus CUDA's) are saved in the
checkpoint. The caller's global RNG is the same before and after.

Host synchronisation happens only at evaluation points: the running loss stays on the device between them.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.std import tqdm  # text bars; tqdm.auto warns "IProgress not found" without ipywidgets

from synthmed import cache

SCHEDULES = (None, "plateau", "cosine")


@contextlib.contextmanager
def seeded(seed: int, device: torch.device | str | None = None) -> Iterator[None]:
    """Run a block under ``torch.manual_seed(seed)`` and restore the caller's RNG state afterwards (CPU, and the
    CUDA device when ``device`` is one): code inside may draw from the global RNG (dropout, initialisation)
    without changing anything outside."""
    dev = torch.device(device) if device is not None else None
    cuda = [dev] if dev is not None and dev.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        yield


def epochs_to_steps(epochs: int, n_train: int, batch_size: int) -> int:
    """Optimiser steps of ``epochs`` passes over ``n_train`` rows in batches of ``batch_size`` (last batch kept)."""
    if epochs < 1 or n_train < 1 or batch_size < 1:
        raise ValueError(f"epochs, n_train and batch_size must be >= 1, got {epochs}, {n_train}, {batch_size}")
    return epochs * math.ceil(n_train / batch_size)


@dataclass(frozen=True)
class FitConfig:
    """Everything that determines a training run besides the model, data and seed.

    steps: optimiser steps (see :func:`epochs_to_steps`); eval_every: evaluate every N steps and at the last step;
    monitor: the key of ``evaluate``'s dict that selects weights, schedules and stops; mode: "max" or "min";
    keep: "best" (weights at the best monitored value) or "last"; tie_break: the key of ``evaluate``'s dict (a
    validation loss, lower is better) that decides between evaluations with the same best monitored value (see
    :func:`fit`; None: the later evaluation wins every tie); patience: evaluations without a strict improvement of
    the monitor before stopping (None: never); warmup: evaluations during which early stopping neither counts nor
    stops (the best
    weights are still tracked); schedule: None, "plateau" (ReduceLROnPlateau on the monitor, factor 0.1, patience
    ``plateau_patience`` evaluations) or "cosine" (cosine decay over ``steps``); amp: bf16 autocast (None: on for
    CUDA, off on CPU).
    """

    steps: int
    eval_every: int
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.0
    monitor: str = "balanced_accuracy"
    mode: str = "max"
    keep: str = "best"
    tie_break: str | None = "loss"
    patience: int | None = None
    warmup: int = 0
    schedule: str | None = None
    plateau_patience: int = 2
    amp: bool | None = None

    def __post_init__(self):
        if self.steps < 1 or self.eval_every < 1 or self.batch_size < 1:
            raise ValueError(f"steps, eval_every and batch_size must be >= 1, got {self.steps}, "
                             f"{self.eval_every}, {self.batch_size}")
        if self.mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', got {self.mode!r}")
        if self.keep not in ("best", "last"):
            raise ValueError(f"keep must be 'best' or 'last', got {self.keep!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if self.patience is not None and self.patience < 1:
            raise ValueError(f"patience must be None or >= 1, got {self.patience}")
        if self.warmup < 0 or self.plateau_patience < 0:
            raise ValueError(f"warmup and plateau_patience must be >= 0, got {self.warmup}, "
                             f"{self.plateau_patience}")


@dataclass
class FitResult:
    """state_dict: the kept weights (CPU); step: the step they are from; metrics: ``evaluate``'s dict there;
    history: one {"step", "train_loss", "lr", **metrics} per evaluation; stopped_early; steps_run; best_is_first:
    the kept weights are those of the first evaluation (on a flat validation curve, a model that barely trained)."""

    state_dict: dict[str, torch.Tensor]
    step: int
    metrics: dict[str, float]
    history: list[dict[str, float]] = field(default_factory=list)
    stopped_early: bool = False
    steps_run: int = 0
    best_is_first: bool = False


class Checkpoint:
    """A resumable snapshot of a training run in one file, written atomically.

    Saves named modules, optimisers, LR schedulers and torch Generators, the step, an ``extra`` dict, and the CPU and
    CUDA global RNG states (dropout draws from them). ``restore`` loads all of that in place and returns
    ``(step, extra)``, or None when there is no checkpoint yet. ``path=None`` makes both a no-op, so a loop can call
    them unconditionally.
    """

    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path is not None else None

    def exists(self) -> bool:
        return self.path is not None and self.path.exists()

    def save(self, step: int, *, modules: Mapping[str, nn.Module], optimizers: Mapping[str, Any] = {},
             schedulers: Mapping[str, Any] = {}, generators: Mapping[str, torch.Generator] = {},
             extra: Mapping[str, Any] | None = None) -> None:
        if self.path is None:
            return
        state = {
            "step": int(step),
            "modules": {k: {n: t.detach().cpu() for n, t in m.state_dict().items()} for k, m in modules.items()},
            "optimizers": {k: o.state_dict() for k, o in optimizers.items()},
            "schedulers": {k: s.state_dict() for k, s in schedulers.items()},
            "generators": {k: g.get_state() for k, g in generators.items()},
            "cpu_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            "extra": copy.deepcopy(dict(extra or {})),
        }
        cache.atomic_save(state, self.path)

    def restore(self, *, modules: Mapping[str, nn.Module], optimizers: Mapping[str, Any] = {},
                schedulers: Mapping[str, Any] = {}, generators: Mapping[str, torch.Generator] = {}
                ) -> tuple[int, dict] | None:
        if not self.exists():
            return None
        state = cache.load(self.path)
        for group, objs in (("modules", modules), ("optimizers", optimizers), ("schedulers", schedulers)):
            missing = sorted(set(objs) - set(state[group]))
            if missing:
                raise ValueError(f"checkpoint {self.path} has no {group} {missing}; it has {sorted(state[group])}")
            for k, obj in objs.items():
                obj.load_state_dict(state[group][k])
        for k, g in generators.items():
            g.set_state(state["generators"][k])
        torch.set_rng_state(state["cpu_rng"])
        if state["cuda_rng"] is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        return state["step"], state["extra"]


class _Batches:
    """Shuffled passes over ``n`` rows in batches of ``batch_size``; a pass's short last batch is kept unless it
    holds a single row (BatchNorm cannot train on one). State (order, position) is part of the checkpoint."""

    def __init__(self, n: int, batch_size: int, generator: torch.Generator):
        self.n, self.batch_size, self.generator = n, min(batch_size, n), generator
        self.order, self.pos = torch.randperm(n, generator=generator), 0

    def next(self) -> torch.Tensor:
        if self.pos >= self.n or self.n - self.pos == 1 < self.n:
            self.order, self.pos = torch.randperm(self.n, generator=self.generator), 0
        idx = self.order[self.pos:self.pos + self.batch_size]
        self.pos += len(idx)
        return idx

    def state(self) -> dict:
        return {"order": self.order.clone(), "pos": self.pos}

    def load(self, state: dict) -> None:
        self.order, self.pos = state["order"].clone(), state["pos"]


def _improved(value: float, best: float | None, mode: str) -> bool:
    """``value`` is strictly better than ``best`` (None or NaN: any number is)."""
    if best is None or math.isnan(best):
        return not math.isnan(value)
    return value > best if mode == "max" else value < best


def _keeps(value: float, loss: float | None, best: float | None, best_loss: float | None, mode: str) -> bool:
    """The selection rule: an evaluation replaces the kept one when its monitored ``value`` is strictly better, or
    equal and its tie-break ``loss`` is lower or equal (the later of equal evaluations wins); when either loss is
    missing (None or NaN), a tie goes to the later evaluation."""
    if _improved(value, best, mode):
        return True
    if best is None or value != best:
        return False
    if loss is None or best_loss is None or math.isnan(loss) or math.isnan(best_loss):
        return True
    return loss <= best_loss


def _scheduler(opt: torch.optim.Optimizer, config: FitConfig):
    if config.schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode=config.mode, factor=0.1,
                                                          patience=config.plateau_patience)
    if config.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.steps)
    return None


def fit(model: nn.Module, loss_fn: Callable[[nn.Module, torch.Tensor, torch.Generator], torch.Tensor],
        n_train: int, evaluate: Callable[[nn.Module], Mapping[str, float]], config: FitConfig, *, seed: int,
        device: torch.device | str, checkpoint: str | Path | None = None, progress: bool = True,
        desc: str = "fit", log: list | None = None) -> FitResult:
    """Train ``model`` with Adam for ``config.steps`` steps (or until early stopping) and return the kept weights.

    loss_fn(model, idx, generator) -> scalar loss: idx (B,) int64 CPU row indices of the training set (shuffled passes
    over ``n_train`` rows); generator: the loop's seeded CPU generator for any other randomness (augmentation,
    synthetic samples). evaluate(model) -> {metric: float}, called with the model in eval mode every
    ``config.eval_every`` steps and at the last step; it must contain ``config.monitor``. The model is moved to
    ``device`` and left in eval mode holding the kept weights.

    Selection (``keep="best"``): the kept weights are those of the evaluation with the best ``config.monitor``;
    among evaluations tied on it (a flat validation curve: a small validation split, or a model predicting one
    class), the one with the lowest ``config.tie_break`` value (a validation loss) is kept, and among those still
    tied, the later one. Without a tie-break value in ``evaluate``'s dict, the later of tied evaluations is kept.
    ``FitResult.best_is_first`` says whether the kept weights are the first evaluation's. checkpoint: a file to save
    to at every evaluation and
    resume from when it exists (resume gives the same result as an uninterrupted run). log: a list that
    ``loss_fn`` appends its per-step records to (plain data); it is saved in every checkpoint and restored on
    resume, so a resumed run's log is an uninterrupted run's.
    """
    if n_train < 1:
        raise ValueError(f"need at least one training row, got n_train={n_train}")
    device = torch.device(device)
    amp = config.amp if config.amp is not None else device.type == "cuda"
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sched = _scheduler(opt, config)
    gen = torch.Generator().manual_seed(seed)
    ckpt = Checkpoint(checkpoint)
    with seeded(seed, device):
        batches = _Batches(n_train, config.batch_size, gen)
        run = {"step": 0, "best": None, "best_loss": None, "best_step": 0, "best_metrics": {}, "best_state": None,
               "history": [], "bad_evals": 0, "stopped": False}
        restored = ckpt.restore(modules={"model": model}, optimizers={"opt": opt},
                                schedulers={"sched": sched} if sched is not None else {}, generators={"gen": gen})
        if restored is not None:
            run = restored[1]["run"]
            batches.load(restored[1]["batches"])
            if log is not None:
                log[:] = restored[1].get("log", [])
        running, seen = torch.zeros((), device=device), 0
        bar = tqdm(total=config.steps, initial=run["step"], desc=desc, disable=not progress, leave=False)
        while run["step"] < config.steps and not run["stopped"]:
            model.train()
            idx = batches.next()
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                loss = loss_fn(model, idx, gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if isinstance(sched, torch.optim.lr_scheduler.CosineAnnealingLR):
                sched.step()
            running += loss.detach().float()
            seen += 1
            run["step"] += 1
            bar.update(1)
            if run["step"] % config.eval_every == 0 or run["step"] == config.steps:
                model.eval()
                with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                    metrics = {k: float(v) for k, v in evaluate(model).items()}
                if config.monitor not in metrics:
                    raise KeyError(f"evaluate() returned {sorted(metrics)}, not the monitored {config.monitor!r}")
                value = metrics[config.monitor]
                run["history"].append({"step": run["step"], "train_loss": float(running) / max(seen, 1),
                                       "lr": opt.param_groups[0]["lr"], **metrics})
                running, seen = torch.zeros((), device=device), 0
                loss = metrics.get(config.tie_break) if config.tie_break else None
                improved = _improved(value, run["best"], config.mode)
                if _keeps(value, loss, run["best"], run.get("best_loss"), config.mode):
                    run.update(best=value, best_loss=loss, best_step=run["step"], best_metrics=metrics)
                    if config.keep == "best":
                        run["best_state"] = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
                if improved:
                    run["bad_evals"] = 0
                elif len(run["history"]) > config.warmup:
                    run["bad_evals"] += 1
                if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
                    sched.step(value)
                if config.patience is not None and run["bad_evals"] >= config.patience:
                    run["stopped"] = True
                ckpt.save(run["step"], modules={"model": model}, optimizers={"opt": opt},
                          schedulers={"sched": sched} if sched is not None else {}, generators={"gen": gen},
                          extra={"run": run, "batches": batches.state(), "log": list(log or [])})
        bar.close()
    if config.keep == "best" and run["best_state"] is not None:
        model.load_state_dict(run["best_state"])
        kept_step, kept_metrics = run["best_step"], run["best_metrics"]
    else:
        kept_step = run["step"]
        kept_metrics = run["history"][-1] if run["history"] else {}
        kept_metrics = {k: v for k, v in kept_metrics.items() if k not in ("step", "train_loss", "lr")}
    model.eval()
    first = bool(run["history"]) and kept_step == run["history"][0]["step"]
    return FitResult({k: v.detach().cpu().clone() for k, v in model.state_dict().items()}, kept_step,
                     dict(kept_metrics), run["history"], run["stopped"], run["step"], first)


def _batches_of(inputs: tuple[torch.Tensor, ...], batch_size: int) -> Iterator[tuple[torch.Tensor, ...]]:
    n = len(inputs[0])
    for i in range(0, n, batch_size):
        yield tuple(t[i:i + batch_size] for t in inputs)


@torch.no_grad()
def predict(model: nn.Module, inputs: torch.Tensor | tuple[torch.Tensor, ...], *, device: torch.device | str,
            batch_size: int = 512, prepare: Callable[..., Any] | None = None) -> torch.Tensor:
    """(N, O) float logits on the CPU for ``inputs`` (a tensor or a tuple of tensors with N rows each, batched along
    dim 0). Each batch is moved to ``device`` and, when given, passed through ``prepare`` (e.g.
    :func:`synthmed.pixels.to_unit`; with a tuple, ``prepare(*batch)`` returns the tuple the model takes). The model
    runs in eval mode; its mode is restored afterwards."""
    device = torch.device(device)
    single = isinstance(inputs, torch.Tensor)
    tensors = (inputs,) if single else tuple(inputs)
    if not tensors or len(tensors[0]) == 0:
        raise ValueError("predict needs at least one input row")
    was_training = model.training
    model.eval()
    out = []
    for batch in _batches_of(tensors, batch_size):
        batch = tuple(t.to(device, non_blocking=True) for t in batch)
        if prepare is not None:
            batch = prepare(*batch)
            batch = (batch,) if isinstance(batch, torch.Tensor) else tuple(batch)
        logits = model(*batch)
        out.append(logits.float().reshape(logits.shape[0], -1))
    model.train(was_training)
    return torch.cat(out).cpu()


def classes(logits: torch.Tensor) -> torch.Tensor:
    """(N, O) logits -> (N,) int64 classes: one logit is a binary sigmoid head (class 1 where > 0), else argmax."""
    if logits.ndim == 1 or logits.shape[1] == 1:
        return (logits.reshape(-1) > 0).long()
    return logits.argmax(1)
