"""Training a :class:`~synthmed.imbalance.fusion.Classifier` through :func:`synthmed.fit.fit`, keeping the per-epoch
record of the paper's Figs. 3-5: train loss, validation loss, accuracy, precision, recall and ROC-AUC (validation
split, threshold 0.5)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from synthmed import fit
from synthmed.imbalance.data import Part
from synthmed.imbalance.fusion import Classifier
from synthmed.metrics.classification import roc_auc
from synthmed.pixels import to_unit


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """epochs: passes over the training split (evaluated after each); keep: "best" (by validation ROC-AUC) or
    "last" (the paper reports its final epoch). No defaults: every value comes from the profile
    (:func:`synthmed.imbalance.experiment.specs_from_settings`), so none that a profile does not state reaches a
    cache key."""

    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    keep: str

    def fit_config(self, n_train: int) -> fit.FitConfig:
        per_epoch = fit.epochs_to_steps(1, n_train, self.batch_size)
        return fit.FitConfig(steps=self.epochs * per_epoch, eval_every=per_epoch, batch_size=self.batch_size,
                             lr=self.lr, weight_decay=self.weight_decay, monitor="roc_auc", keep=self.keep)


def _prepare(model: Classifier):
    """The function mapping a batch of stored (images uint8, metadata) rows to the model's inputs."""
    if model.uses_images and model.uses_metadata:
        return lambda images, meta: (to_unit(images), meta)
    if model.uses_images:
        return lambda images: (to_unit(images),)
    return lambda meta: (None, meta)


def _stored(model: Classifier, part: Part) -> tuple[torch.Tensor, ...]:
    return tuple(t for t, used in ((part.images, model.uses_images), (part.metadata, model.uses_metadata)) if used)


def predict_proba(model: Classifier, part: Part, *, device: torch.device | str) -> torch.Tensor:
    """(N,) float probabilities of label 1 for every row of ``part`` (on the CPU)."""
    logits = fit.predict(model, _stored(model, part), device=device, prepare=_prepare(model))
    return torch.sigmoid(logits.reshape(-1))


def binary_metrics(prob: torch.Tensor, labels: torch.Tensor, threshold: float = 0.5) -> dict[str, float]:
    """accuracy, precision, recall (sensitivity), specificity and roc_auc of (N,) probabilities against (N,) 0/1
    labels (precision 0 when nothing is predicted positive; ROC-AUC NaN with one class)."""
    p, y = (prob >= threshold).long(), labels.long()
    tp, fp = int(((p == 1) & (y == 1)).sum()), int(((p == 1) & (y == 0)).sum())
    fn, tn = int(((p == 0) & (y == 1)).sum()), int(((p == 0) & (y == 0)).sum())
    return {"accuracy": (tp + tn) / len(y), "precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / (tp + fn) if tp + fn else float("nan"),
            "specificity": tn / (tn + fp) if tn + fp else float("nan"), "roc_auc": roc_auc(prob, y)}


def sample_weights(labels: torch.Tensor, class_weight: str | None = None) -> torch.Tensor:
    """(N,) float weight of each training row's loss: all ones without ``class_weight``; with ``"balanced"``,
    scikit-learn's ``compute_class_weight("balanced")``, N / (2 * n_c) for a row of class c (the classes then
    weigh equally in the loss and the weights average to 1)."""
    if class_weight is None:
        return torch.ones(len(labels))
    from sklearn.utils.class_weight import compute_class_weight
    y = labels.numpy()
    classes = np.unique(y)
    w = compute_class_weight(class_weight, classes=classes, y=y)
    return torch.as_tensor(w, dtype=torch.float32)[torch.as_tensor(np.searchsorted(classes, y))]


def train_classifier(model: Classifier, train: Part, val: Part, config: TrainConfig, *, seed: int,
                     device: torch.device | str, progress: bool = True,
                     class_weight: str | None = None) -> fit.FitResult:
    """Adam and binary cross-entropy, through :func:`synthmed.fit.fit` with one evaluation per epoch on ``val``.
    class_weight: None (every row weighs 1: balancing is the data's job) or "balanced" (the class-weighted loss of
    :func:`sample_weights`, the control that rebalances without adding images). ``history`` rows: step, epoch,
    train_loss, lr, valid_loss, accuracy, precision, recall, specificity, roc_auc."""
    device = torch.device(device)
    stored = _stored(model, train)
    prepare = _prepare(model)
    labels = train.labels.float()
    weights = sample_weights(train.labels, class_weight)
    loss = nn.BCEWithLogitsLoss(reduction="none")

    def loss_fn(m: Classifier, idx: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        batch = prepare(*(t[idx].to(device, non_blocking=True) for t in stored))
        per_row = loss(m(*batch).float(), labels[idx].to(device, non_blocking=True))
        return (per_row * weights[idx].to(device, non_blocking=True)).mean()

    def evaluate(m: Classifier) -> dict[str, float]:
        prob = predict_proba(m, val, device=device)
        valid = float(nn.functional.binary_cross_entropy(prob.clamp(1e-7, 1 - 1e-7), val.labels.float()))
        return {"valid_loss": valid, **binary_metrics(prob, val.labels)}

    cfg = config.fit_config(len(train))
    result = fit.fit(model, loss_fn, len(train), evaluate, cfg, seed=seed, device=device, progress=progress,
                     desc="classifier")
    for row in result.history:
        row["epoch"] = row["step"] // cfg.eval_every
    return result
