"""Downstream utility: a classifier trained on synthetic images only, tested on the real test split.

The paper (Tronchin et al., Sec. 3.3 and A1) trains ResNet-18 with as many synthetic images as the real training
split, drawn in equal shares from the ensemble's members, early-stopped on the real validation split, and reports
the real test g-mean over 20 repeats and the gap to the same classifier trained on real data.

Training runs for a fixed number of optimiser *steps* (not epochs), so that a small training set in a CPU profile
still gets enough updates to learn more than the majority class; the kept network is the one with the best real
validation balanced accuracy, checked every ``eval_every`` steps. ``arch="small"`` is a 3-conv strided CNN (about
1 M multiply-adds per 28x28 image, so a few hundred steps take seconds on one CPU thread); ``arch="resnet18"`` the
paper's network.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from synthmed.device import get_device
from synthmed.gan.embeddings import resnet18
from synthmed.metrics.classification import summarize


def small_cnn(n_classes: int, in_channels: int = 1, width: int = 16) -> nn.Module:
    """Strided 3-conv CNN: (B, C, S, S) in [0, 1] -> logits (B, n_classes)."""
    w = width
    return nn.Sequential(
        nn.Conv2d(in_channels, w, 3, 2, 1), nn.BatchNorm2d(w), nn.ReLU(),
        nn.Conv2d(w, 2 * w, 3, 2, 1), nn.BatchNorm2d(2 * w), nn.ReLU(),
        nn.Conv2d(2 * w, 4 * w, 3, 1, 1), nn.BatchNorm2d(4 * w), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * w, n_classes))


def make_classifier(arch: str, n_classes: int, in_channels: int = 1) -> nn.Module:
    """``small`` (:func:`small_cnn`) or ``resnet18``."""
    if arch == "small":
        return small_cnn(n_classes, in_channels)
    if arch == "resnet18":
        return resnet18(n_classes, in_channels)
    raise ValueError(f"unknown classifier {arch!r}; choose small or resnet18")


@torch.no_grad()
def predict(net: nn.Module, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Class predictions (N,) for uint8 images (N, C, S, S)."""
    device = get_device()
    net.eval()
    out = [net(x.to(device).float() / 255).argmax(1) for x in images.split(batch_size)]
    return torch.cat(out).cpu()


def train_classifier(images: torch.Tensor, labels: torch.Tensor, val_images: torch.Tensor, val_labels: torch.Tensor,
                     n_classes: int, arch: str = "small", steps: int = 400, eval_every: int = 50,
                     batch_size: int = 64, lr: float = 2e-3, seed: int = 0) -> nn.Module:
    """Train for ``steps`` Adam steps on uint8 images (N, C, S, S) with labels (N,), mini-batches drawn as shuffled
    passes over the data with random horizontal flips; keep the weights with the best real-validation balanced
    accuracy (checked every ``eval_every`` steps and at the end). Returns the network in eval mode."""
    if steps < 1 or eval_every < 1:
        raise ValueError(f"steps and eval_every must be >= 1, got {steps} and {eval_every}")
    if len(images) == 0 or len(images) != len(labels):
        raise ValueError(f"need a non-empty training set with one label per image, got {len(images)} images and "
                         f"{len(labels)} labels")
    device = get_device()
    torch.manual_seed(seed)
    net = make_classifier(arch, n_classes, images.shape[1]).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    x_all, y_all = images.to(device), labels.to(device)
    gen = torch.Generator().manual_seed(seed)
    order, pos = torch.randperm(len(x_all), generator=gen), 0
    best, best_state = -1.0, None
    for step in range(1, steps + 1):
        net.train()
        if pos + batch_size > len(order) and pos > 0:  # start a new shuffled pass
            order, pos = torch.randperm(len(x_all), generator=gen), 0
        idx = order[pos:pos + batch_size].to(device)
        pos += batch_size
        x = x_all[idx].float() / 255
        if torch.rand(1, generator=gen).item() < 0.5:
            x = x.flip(3)
        loss = F.cross_entropy(net(x), y_all[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % eval_every == 0 or step == steps:
            score = summarize(predict(net, val_images), val_labels, n_classes)["balanced_accuracy"]
            if score > best:
                best, best_state = score, copy.deepcopy(net.state_dict())
    net.load_state_dict(best_state)
    return net.eval()


def evaluate_training_set(images: torch.Tensor, labels: torch.Tensor, val, test, n_classes: int, arch: str = "small",
                          steps: int = 400, eval_every: int = 50, repeats: int = 1, seed: int = 0) -> list[dict]:
    """Train ``repeats`` classifiers on (images, labels); return one :func:`summarize` dict (real test split) per
    repeat, with the key "repeat". val, test: splits with ``images`` (uint8) and ``labels``."""
    rows = []
    for r in range(repeats):
        net = train_classifier(images, labels, val.images, val.labels, n_classes, arch, steps, eval_every,
                               seed=seed + r)
        rows.append({"repeat": r, **summarize(predict(net, test.images), test.labels, n_classes)})
    return rows


def gap(g_mean_synthetic: float, g_mean_real: float) -> float:
    """The paper's Delta: relative difference in percent, 100 * (synthetic - real) / real (NaN when real is 0)."""
    if g_mean_real == 0:
        return float("nan")
    return 100.0 * (g_mean_synthetic - g_mean_real) / g_mean_real
