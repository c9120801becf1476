"""Classifier training with the paper's three methods, best-validation selection, and checkpoint/resume.

- ``baseline``: every batch is B real images.
- ``noise``: B/2 real images + B/2 images decoded from latents of other real training images plus Gaussian latent
  noise (:func:`synthmed.tsynd.latent.synthesize` with ``steps=0``).
- ``tsynd``: like ``noise``, then the noisy latents are moved by Adam to maximise the *current* classifier's
  uncertainty before decoding; regenerated every iteration.

Training runs a fixed number of iterations (at 1 % of BreastMNIST the labelled set holds 5 images, so "epochs"
mean little); the validation split is scored every ``eval_every`` iterations and the best state is kept.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from synthmed import cache
from synthmed.metrics.classification import summarize
from synthmed.tsynd.autoencoder import VQVAE, encode_all
from synthmed.tsynd.classifiers import build_classifier, classification_loss
from synthmed.tsynd.latent import synthesize
from synthmed.tsynd.robustness import predict

METHODS = ("baseline", "noise", "tsynd")
METHOD_LABELS = {"baseline": "Baseline", "noise": "Noise", "tsynd": "TSynD"}  # as in the paper's Table 1


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines one training run besides data and seed.

    noise_sigma and ascent_lr are in units of the training latents' standard deviation (see
    :mod:`synthmed.tsynd.latent`)."""

    method: str = "baseline"
    arch: str = "cnn"
    width: int = 16
    hidden: int = 128
    dropout: float = 0.5
    iterations: int = 400
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-4
    eval_every: int = 25
    select_on: str = "accuracy"
    k: int = 10
    noise_sigma: float = 0.5
    ascent_steps: int = 5
    ascent_lr: float = 0.05
    objective: str = "mi"

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; valid: {', '.join(METHODS)}")
        if self.batch_size < 2:
            raise ValueError("batch_size must be >= 2 (half real, half synthetic)")

    def as_dict(self) -> dict:
        d = asdict(self)
        if self.method == "baseline":  # generator knobs do not affect a baseline run (keeps its cache key shared)
            for key in ("noise_sigma", "ascent_steps", "ascent_lr", "objective"):
                d.pop(key)
        elif self.method == "noise":
            for key in ("ascent_steps", "ascent_lr", "objective"):
                d.pop(key)
        return d


def train_classifier(train_x: torch.Tensor, train_y: torch.Tensor, val_x: torch.Tensor, val_y: torch.Tensor,
                     n_classes: int, config: TrainConfig, *, seed: int = 0, device: torch.device | str = "cpu",
                     vqvae: VQVAE | None = None, latent_scale: float = 1.0, checkpoint: Path | None = None,
                     progress: bool = True) -> dict:
    """Train one classifier; returns {"state_dict": best state (CPU), "best_iteration", "best_val" (summary dict),
    "history": list of per-evaluation dicts, "config": config.as_dict()}.

    train_x: (N, C, H, W) float in [0, 1] (the labelled subset); train_y: (N,); val_x/val_y likewise.
    vqvae: needed for ``noise``/``tsynd`` (frozen; its encoder latents of train_x are the starting points).
    latent_scale: the std of the training latents (unit of noise_sigma and ascent_lr).
    checkpoint: a path to save progress to every evaluation and resume from when it exists.
    """
    if config.method != "baseline" and vqvae is None:
        raise ValueError(f"method {config.method!r} needs an autoencoder (vqvae=...)")
    device = torch.device(device)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    in_ch, size = train_x.shape[1], train_x.shape[-1]
    model = build_classifier(config.arch, in_ch, n_classes, size, width=config.width, hidden=config.hidden,
                             dropout=config.dropout).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    train_x, train_y = train_x.to(device), train_y.to(device)
    latents = None
    if vqvae is not None and config.method != "baseline":
        vqvae = vqvae.to(device).eval().requires_grad_(False)
        latents = encode_all(vqvae, train_x)
    state = {"iteration": 0, "best_val": None, "best_iteration": -1, "best_state": None, "history": []}
    if checkpoint is not None and Path(checkpoint).exists():
        saved = cache.load(checkpoint)
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["opt"])
        gen.set_state(saved["gen"])
        torch.set_rng_state(saved["torch_rng"])
        state = saved["state"]
    half = config.batch_size // 2 if config.method != "baseline" else config.batch_size
    n = len(train_x)
    bar = tqdm(total=config.iterations, initial=state["iteration"], desc=config.method, disable=not progress,
               leave=False)
    running = []
    while state["iteration"] < config.iterations:
        model.train()
        idx = torch.randint(n, (half,), generator=gen).to(device)
        x, y = train_x[idx], train_y[idx]
        u0 = u1 = None
        if config.method != "baseline":
            sidx = torch.randint(n, (config.batch_size - half,), generator=gen).to(device)
            steps = config.ascent_steps if config.method == "tsynd" else 0
            x_syn = synthesize(vqvae.decode, model, latents[sidx], noise_sigma=config.noise_sigma, steps=steps,
                               lr=config.ascent_lr, scale=latent_scale, k=config.k, objective=config.objective,
                               generator=gen)
            x, y = torch.cat([x, x_syn]), torch.cat([y, train_y[sidx]])
        loss = classification_loss(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        running.append(loss.detach())
        state["iteration"] += 1
        bar.update(1)
        if state["iteration"] % config.eval_every == 0 or state["iteration"] == config.iterations:
            val = summarize(predict(model, val_x).cpu(), val_y, n_classes)
            record = {"iteration": state["iteration"], "train_loss": float(torch.stack(running).mean()),
                      "val_accuracy": val["accuracy"], "val_balanced_accuracy": val["balanced_accuracy"]}
            running = []
            state["history"].append(record)
            if state["best_val"] is None or val[config.select_on] > state["best_val"][config.select_on]:
                state["best_val"], state["best_iteration"] = val, state["iteration"]
                state["best_state"] = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            if checkpoint is not None:
                cache.atomic_save({"model": model.state_dict(), "opt": opt.state_dict(), "gen": gen.get_state(),
                                   "torch_rng": torch.get_rng_state(), "state": copy.deepcopy(state)}, checkpoint)
    bar.close()
    return {"state_dict": state["best_state"], "best_iteration": state["best_iteration"],
            "best_val": state["best_val"], "history": state["history"], "config": config.as_dict()}


def load_classifier(result: dict, in_channels: int, n_classes: int, image_size: int,
                    device: torch.device | str = "cpu") -> torch.nn.Module:
    """The best classifier of a :func:`train_classifier` result, in eval mode on ``device``."""
    c = result["config"]
    model = build_classifier(c["arch"], in_channels, n_classes, image_size, width=c["width"], hidden=c["hidden"],
                             dropout=c["dropout"])
    model.load_state_dict(result["state_dict"])
    return model.to(device).eval()
