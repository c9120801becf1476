"""Downstream utility: a classifier trained on synthetic images only, tested on the real test split.

The paper (Tronchin et al., Sec. 3.3 and A1) trains ResNet-18 with Adam (lr 1e-3, batch 64), reduces the learning
rate tenfold when the validation loss stalls, stops early on the validation loss (max 100 epochs), uses as many
synthetic images as the real training split (equal shares per ensemble member), and reports the real-test g-mean
over 20 repeats and the gap to the same classifier trained on real data.

Here the network comes from :func:`synthmed.models.create` and the loop is :func:`synthmed.fit.fit` with that
schedule: evaluation once per epoch on the real validation split, weights kept at the lowest validation loss,
``plateau`` learning-rate schedule after ``plateau_patience`` epochs without improvement (the paper: five), early
stopping after ``patience`` such epochs once ``warmup`` epochs have passed (the paper: 25 and 25). No
augmentation (the paper states none; the authors' configuration has flipping off). A repeat is one seed: it fixes
the initialisation and the batch order, so two training sets trained with the same repeat seed are paired.

g-mean: for two classes the paper's sqrt(sensitivity * specificity); for more than two classes (an extension of
ours: the paper's datasets are binary) the geometric mean of the per-class recalls
(``imblearn.metrics.geometric_mean_score``), so a multi-class run is scored and ranked like a binary one.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from synthmed import models
from synthmed.fit import FitConfig, classes, epochs_to_steps, fit, predict
from synthmed.metrics.classification import summarize
from synthmed.pixels import to_unit


def scores(pred: torch.Tensor, labels: torch.Tensor, n_classes: int) -> dict[str, float | bool]:
    """:func:`synthmed.metrics.classification.summarize` of class predictions (N,) against labels (N,), with
    ``g_mean`` defined for any number of classes: the geometric mean of the per-class recalls (for two classes
    sqrt(sensitivity * specificity), the same value)."""
    from imblearn.metrics import geometric_mean_score

    out = summarize(pred, labels, n_classes)
    if n_classes > 2:
        out["g_mean"] = float(geometric_mean_score(labels.numpy(), pred.numpy(), labels=list(range(n_classes)),
                                                   average="multiclass"))
    return out


def val_scores(net: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, n_classes: int,
               device: torch.device | str) -> dict[str, float]:
    """{"val_loss", "val_g_mean", "val_balanced_accuracy"} of ``net`` on uint8 images (N, C, S, S)."""
    logits = predict(net, images, device=device, prepare=to_unit)
    s = scores(classes(logits).cpu(), labels.cpu(), n_classes)
    return {"val_loss": float(F.cross_entropy(logits, labels)), "val_g_mean": s["g_mean"],
            "val_balanced_accuracy": s["balanced_accuracy"]}


def train_and_test(images: torch.Tensor, labels: torch.Tensor, val, test, n_classes: int, *, backbone: str,
                   width: int, epochs: int, patience: int | None, batch_size: int, lr: float, seed: int,
                   device: torch.device | str, warmup: int = 0, plateau_patience: int = 2,
                   progress: bool = False, weight_decay: float = 0.0) -> dict:
    """Train one classifier on uint8 images (N, C, S, S) with labels (N,); val, test: splits with ``images`` and
    ``labels``; backbone: its network, a :mod:`synthmed.models` name (width: the small CNN's first-block width).
    Returns {"seed", "n_images" (N), "epochs_run", "stopped_early", the validation scores at the kept
    weights, and the
    real-test :func:`summarize` keys}."""
    if len(images) == 0 or len(images) != len(labels):
        raise ValueError(f"need a non-empty training set with one label per image, got {len(images)} images and "
                         f"{len(labels)} labels")
    net = models.create(backbone, images.shape[1], n_classes, images.shape[2], width=width, seed=seed)
    x_all, y_all = images.to(device), labels.to(device)

    def loss_fn(model, idx, generator):
        idx = idx.to(device)
        return F.cross_entropy(model(to_unit(x_all[idx])), y_all[idx])

    steps_per_epoch = epochs_to_steps(1, len(images), batch_size)
    config = FitConfig(steps=epochs * steps_per_epoch, eval_every=steps_per_epoch, batch_size=batch_size, lr=lr,
                       monitor="val_loss", mode="min", keep="best", patience=patience, warmup=warmup,
                       schedule="plateau", plateau_patience=plateau_patience, weight_decay=weight_decay)
    result = fit(net, loss_fn, len(images), lambda m: val_scores(m, val.images, val.labels, n_classes, device),
                 config, seed=seed, device=device, progress=progress, desc="downstream")
    test_scores = scores(classes(predict(net, test.images, device=device, prepare=to_unit)).cpu(),
                         test.labels.cpu(), n_classes)
    return {"seed": seed, "n_images": len(images), "epochs_run": result.steps_run / steps_per_epoch,
            "stopped_early": result.stopped_early,
            **{k: result.metrics[k] for k in ("val_loss", "val_g_mean", "val_balanced_accuracy")}, **test_scores}


def gap(g_mean_synthetic: float, g_mean_real: float) -> float:
    """The paper's Delta: relative difference in percent, 100 * (synthetic - real) / real (NaN when real is 0)."""
    if g_mean_real == 0:
        return float("nan")
    return 100.0 * (g_mean_synthetic - g_mean_real) / g_mean_real
