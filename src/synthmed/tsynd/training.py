"""TSynD's three training methods on the shared loop :func:`synthmed.fit.fit`.

Only the batch is TSynD's own (:func:`make_loss`); the loop, best-validation selection, checkpoint/resume and
``predict`` are the shared core's. Every batch of B row indices that ``fit`` draws (shuffled passes over the
labelled subset) is used as:

- ``baseline``: B real images.
- ``noise``: the first half as real images; the second half's *encoder latents* plus Gaussian latent noise,
  decoded (:func:`synthmed.tsynd.latent.synthesize` with ``steps=0``), with those images' labels.
- ``tsynd``: like ``noise``, then the noisy latents are moved by Adam to maximise the *current* classifier's
  MC-dropout uncertainty before decoding; regenerated every step, as the paper does.
- ``noise_matched`` (ours, a control): like ``noise`` (same noisy latents for the same seed), then each noisy latent
  is moved by exactly the length the paired TSynD run's ascent moved it (its recorded per-step, per-image L2
  norms, replayed in order) in a uniformly random direction (:func:`synthmed.tsynd.latent.random_move`), with no
  ascent of its own: the same displacement, untargeted.

Every method but ``baseline`` records, per step, the half-batch's latent noise and move, the decoded pixel change,
and the classifier's uncertainty before and after the move (:func:`ascent_summary` of the run's ``ascent`` log; a
TSynD step also measures the uncertainty after the matched random move on the same frozen classifier). The log is
checkpointed with the run (:func:`synthmed.fit.fit`'s ``log``), so a resumed run records every step.

The latent noise and the random directions are drawn from ``fit``'s own generator (checkpointed), in the same order
for TSynD and noise_matched (:func:`synthmed.tsynd.latent.synthesize`), the dropout masks of the ascent from its
forked global stream, so an interrupted run resumes to the same weights.

Length: ``epochs`` (the paper: 100, keeping the best validation model) gives ``ceil(n / B)`` steps per epoch for
every method, with one evaluation per epoch; without ``epochs`` a fixed number of ``iterations`` with an evaluation
every ``eval_every`` steps (CPU profiles: at 1 % of BreastMNIST, 5 labelled images, an epoch is one step).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from synthmed import fit as fitting
from synthmed import models
from synthmed.metrics.classification import summarize
from synthmed.pixels import to_unit
from synthmed.tsynd.autoencoder import VQVAE, encode_all
from synthmed.tsynd.classifiers import MCDropoutClassifier, build_classifier, classification_loss
from synthmed.tsynd.latent import synthesize

METHODS = ("baseline", "noise", "tsynd", "noise_matched")
# as in the paper's Table 1; "Noise-matched" is our control
METHOD_LABELS = {"baseline": "Baseline", "noise": "Noise", "tsynd": "TSynD", "noise_matched": "Noise-matched"}
_DIRECTION = {"noise": "none", "tsynd": "ascent", "noise_matched": "random"}
LATENT_UNITS = ("std", "absolute")
_GENERATOR_KEYS = {"baseline": ("noise_sigma", "ascent_steps", "ascent_lr", "objective", "latent_units"),
                   "noise": ("ascent_steps", "ascent_lr", "objective")}


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Everything that determines one training run besides data and seed.

    Every field but ``objective`` comes from the notebook's resolved profile (:func:`synthmed.tsynd.experiment.
    train_config`; profile key in brackets where it differs) and has no default here, so a value no profile states
    cannot reach a cache key. ``method``: the arm (the notebook's ``methods``); ``backbone``: the classifier's trunk,
    a :mod:`synthmed.models` name; ``width``: the trunk's base width (``cnn_width``; only ``smallcnn`` uses it);
    ``hidden``, ``dropout``: the MC-dropout head (``mc_hidden``, ``mc_dropout``); ``epochs``: passes over the
    labelled subset (None: train ``iterations`` steps, evaluate every ``eval_every``); ``select_on``: the validation
    metric that picks the kept weights; ``latent_units``: "std" (noise_sigma and ascent_lr in units of the training
    latents' standard deviation) or "absolute" (as the paper states them). ``objective``: what the ascent maximises,
    the paper's "mi" unless Table 2's ablation (``tsynd_uncertainty``'s ``objectives``) asks for "entropy"."""

    method: str
    backbone: str
    width: int
    hidden: int
    dropout: float
    iterations: int | None
    epochs: int | None
    batch_size: int
    lr: float
    weight_decay: float
    eval_every: int | None
    select_on: str
    k: int
    noise_sigma: float
    ascent_steps: int
    ascent_lr: float
    objective: str = "mi"
    latent_units: str

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; valid: {', '.join(METHODS)}")
        models.check(self.backbone)  # ValueError naming the valid models
        if self.batch_size < 2:
            raise ValueError("batch_size must be >= 2 (half real, half synthetic)")
        if self.latent_units not in LATENT_UNITS:
            raise ValueError(f"latent_units must be one of {LATENT_UNITS}, got {self.latent_units!r}")
        if self.epochs is None and (not self.iterations or not self.eval_every):
            raise ValueError("give epochs, or iterations and eval_every")

    def as_dict(self) -> dict:
        """The settings that determine the run (generator knobs dropped where the method does not use them,
        so e.g. a baseline run's cache key does not depend on the ascent settings)."""
        d = asdict(self)
        for key in _GENERATOR_KEYS.get(self.method, ()):
            d.pop(key)
        if self.epochs is not None:
            d.pop("iterations"), d.pop("eval_every")
        return d

    def fit_config(self, n_train: int) -> fitting.FitConfig:
        """The shared loop's settings for a labelled subset of ``n_train`` images."""
        if self.epochs is not None:
            per_epoch = math.ceil(n_train / min(self.batch_size, n_train))
            steps, every = fitting.epochs_to_steps(self.epochs, n_train, self.batch_size), per_epoch
        else:
            steps, every = self.iterations, self.eval_every
        return fitting.FitConfig(steps=steps, eval_every=every, batch_size=self.batch_size, lr=self.lr,
                                 weight_decay=self.weight_decay, monitor=self.select_on, keep="best")


def latent_scale(config: TrainConfig, latent_std: float) -> float:
    """The unit of noise_sigma and ascent_lr: the training latents' std, or 1 for absolute values."""
    return latent_std if config.latent_units == "std" else 1.0


def make_loss(config: TrainConfig, images: torch.Tensor, labels: torch.Tensor, *, latents: torch.Tensor | None,
              scale: float = 1.0, decode=None, record: list | None = None,
              replay: list[list[float]] | None = None):
    """The loss_fn of :func:`synthmed.fit.fit` for ``config.method``.

    images: (N, C, H, W) float in [0, 1] on the training device; labels: (N,); latents: (N, D, h, w) encoder
    latents of ``images`` (``noise``/``tsynd``/``noise_matched``); decode: the frozen decoder; scale: see
    :func:`latent_scale`; record: a list that receives one dict per synthetic half-batch (see
    :func:`synthmed.tsynd.latent.synthesize`); replay (``noise_matched`` only, with ``record``): the paired TSynD
    run's per-step lists of per-image move lengths (its record's "norms", in order); the half-batch of the n-th
    synthetic step is moved by ``replay[n]``, where n = len(record) (restored with the record on resume).
    Returns loss_fn(model, idx (B,), generator) -> scalar."""
    steps = config.ascent_steps if config.method == "tsynd" else 0
    direction = _DIRECTION.get(config.method)
    if config.method == "noise_matched" and (replay is None or record is None):
        raise ValueError("noise_matched replays the paired TSynD run's move lengths: give replay= and record=")

    def loss_fn(model: MCDropoutClassifier, idx: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        idx = idx.to(images.device)
        if config.method == "baseline" or len(idx) < 2:
            return classification_loss(model(images[idx]), labels[idx])
        real, seeds = idx[: len(idx) - len(idx) // 2], idx[len(idx) - len(idx) // 2:]
        norms = _replayed(replay, len(record), len(seeds)) if config.method == "noise_matched" else None
        x_syn = synthesize(decode, model, latents[seeds], noise_sigma=config.noise_sigma, steps=steps,
                           lr=config.ascent_lr, scale=scale, k=config.k, objective=config.objective,
                           generator=generator, direction=direction, norms=norms, record=record)
        x = torch.cat([images[real], x_syn])
        return classification_loss(model(x), torch.cat([labels[real], labels[seeds]]))

    return loss_fn


def _replayed(replay: list[list[float]], step: int, n: int) -> torch.Tensor:
    """(n,) move lengths of the paired TSynD run's ``step``-th synthetic half-batch; an error when that run
    recorded fewer steps or another half-batch size (it is not this run's pair)."""
    if step >= len(replay) or len(replay[step]) != n:
        have = f"{len(replay[step])} images" if step < len(replay) else "nothing"
        raise ValueError(f"the paired TSynD run recorded {len(replay)} synthetic half-batches; step {step} needs "
                         f"{n} move lengths and it has {have}: it is not this run's pair")
    return torch.tensor(replay[step], dtype=torch.float32)


def validation_metrics(val_images: torch.Tensor, val_labels: torch.Tensor, n_classes: int,
                       device: torch.device | str):
    """evaluate(model) -> summary dict (accuracy, balanced_accuracy, ...) on the validation split, and "loss" (the
    mean training loss on it: the tie-break of :func:`synthmed.fit.fit`'s selection on a flat curve).
    val_images: (N, C, H, W) uint8 or float in [0, 1]."""
    def evaluate(model: torch.nn.Module) -> dict:
        logits = fitting.predict(model, val_images, device=device, prepare=to_unit)
        pred = fitting.classes(logits)
        out = {k: float(v) for k, v in summarize(pred, val_labels, n_classes).items()}
        return {**out, "loss": float(classification_loss(logits, val_labels.long()))}

    return evaluate


def train_classifier(train_x: torch.Tensor, train_y: torch.Tensor, val_x: torch.Tensor, val_y: torch.Tensor,
                     n_classes: int, config: TrainConfig, *, seed: int = 0, device: torch.device | str = "cpu",
                     vqvae: VQVAE | None = None, latent_std: float = 1.0, checkpoint: Path | None = None,
                     progress: bool = True, replay: list[list[float]] | None = None) -> dict:
    """Train one classifier; returns {"state_dict": kept weights (CPU), "best_iteration" (step of those weights),
    "best_is_first" (they are the first evaluation's), "best_val" (validation summary there), "history" (one dict
    per evaluation), "steps", "config", "ascent" (:func:`ascent_summary`)}.

    train_x: (N, C, H, W) uint8 or float in [0, 1] (the labelled subset); train_y: (N,); val_x/val_y likewise.
    vqvae: needed for every method but ``baseline`` (frozen; the encoder latents of train_x are the starting points).
    latent_std: the std of the training latents (the unit of noise_sigma and ascent_lr when latent_units="std").
    checkpoint: a file to save progress to at every evaluation and resume from (see :func:`synthmed.fit.fit`).
    replay: ``noise_matched`` only, the paired TSynD run's ``ascent["trace"]["norms"]`` (see :func:`make_loss`).
    """
    if config.method != "baseline" and vqvae is None:
        raise ValueError(f"method {config.method!r} needs an autoencoder (vqvae=...)")
    device = torch.device(device)
    images, labels = to_unit(train_x).to(device), train_y.to(device)
    model = build_classifier(config.backbone, images.shape[1], n_classes, images.shape[-1], width=config.width,
                             hidden=config.hidden, dropout=config.dropout, seed=seed)
    latents = decode = None
    if config.method != "baseline":
        vqvae = vqvae.to(device).eval().requires_grad_(False)
        latents, decode = encode_all(vqvae, images), vqvae.decode
    log: list[dict] = []
    loss_fn = make_loss(config, images, labels, latents=latents, scale=latent_scale(config, latent_std),
                        decode=decode, record=log, replay=replay)
    res = fitting.fit(model, loss_fn, len(images), validation_metrics(val_x, val_y, n_classes, device),
                      config.fit_config(len(images)), seed=seed, device=device, checkpoint=checkpoint,
                      progress=progress, desc=config.method, log=log)
    return {"state_dict": res.state_dict, "best_iteration": res.step, "best_is_first": res.best_is_first,
            "best_val": res.metrics, "history": res.history, "steps": res.steps_run, "config": config.as_dict(),
            "ascent": ascent_summary(log, config, latent_std)}


_SUMMARY_KEYS = ("displacement", "noise_rms", "move_rms", "pixel_rms", "before", "after", "after_random")


def ascent_summary(log: list[dict], config: TrainConfig, latent_std: float = 1.0) -> dict | None:
    """The latent record of a run (None for a baseline, which has none): {"steps" (synthetic half-batches),
    the means over steps of the per-step means: "displacement" (RMS move per latent element after the noise, in
    noise_sigma's units), "noise_rms" / "move_rms" (RMS per element of the noise / the move, absolute latent
    units), "pixel_rms" (decoded pixel change from the reconstruction, [0, 1] units), "before" / "after"
    (uncertainty in nats before / after the move; equal for Noise), "after_random" (TSynD only: after the matched
    random move on the same frozen classifier); "latent_std" (the VQ-VAE's training-latent std), "noise_std" and
    "move_std" (noise_rms and move_rms in units of latent_std), "noise_sigma", "objective", and the per-step series
    "trace": {key: [...] for each key above, "norms": [[per-image L2 move length, absolute units], ...]}}."""
    if not log:
        return None
    keys = [k for k in _SUMMARY_KEYS if all(k in r for r in log)]
    means = {k: float(sum(r[k] for r in log) / len(log)) for k in keys}
    return {"steps": len(log), **means, "latent_std": float(latent_std),
            "noise_std": means["noise_rms"] / latent_std, "move_std": means["move_rms"] / latent_std,
            "noise_sigma": config.noise_sigma, "objective": config.objective,
            "trace": {k: [r[k] for r in log] for k in (*keys, "norms")}}


def load_classifier(result: dict, in_channels: int, n_classes: int, image_size: int,
                    device: torch.device | str = "cpu") -> MCDropoutClassifier:
    """The kept classifier of a :func:`train_classifier` result, in eval mode on ``device``."""
    c = result["config"]
    model = build_classifier(c["backbone"], in_channels, n_classes, image_size, width=c["width"], hidden=c["hidden"],
                             dropout=c["dropout"])
    model.load_state_dict(result["state_dict"])
    return model.to(device).eval()
