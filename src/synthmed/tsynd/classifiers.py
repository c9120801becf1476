"""Image classifiers with a Monte-Carlo-dropout head.

Every model is a *trunk* (convolutional feature extractor, deterministic at evaluation) followed by a small *head*
(dropout -> linear -> ReLU -> dropout -> linear). Dropout sits in the head only, so one MC estimate runs the trunk
once and the head K times (K dropout masks, batched as one (K*N, F) call), as the TSynD paper does to keep the cost
of the uncertainty low.

Binary problems get one output logit (sigmoid), multi-class problems C logits (softmax); see
:func:`synthmed.tsynd.uncertainty.log_probs`.

Trunks come from the shared registry :func:`synthmed.models.create`, by the profile's ``backbone`` name (any of
:data:`synthmed.models.MODELS`, randomly initialised, small-image stem at 28x28: the CPU profiles use the small CNN,
the paper ResNet-18 and DenseNet-121); the registry also validates the name. The MC-dropout head is TSynD's own.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from synthmed import models

def n_outputs(n_classes: int) -> int:
    """Logits the head emits: 1 for a binary problem (sigmoid), else ``n_classes`` (softmax)."""
    if n_classes < 2:
        raise ValueError(f"a classifier needs at least 2 classes, got {n_classes}")
    return 1 if n_classes == 2 else n_classes


def inverted_dropout(x: torch.Tensor, p: float, on: bool) -> torch.Tensor:
    """Inverted dropout, as ``F.dropout(x, p, training=on)``: each element kept with probability 1 - p and scaled by
    1 / (1 - p). On the CPU the mask is ``rand_like(x) >= p`` instead of ``F.dropout``'s ``bernoulli_``, which
    draws one element at a time and took 2.5x as long for the head's (K*N, F) inputs (measured on this project's
    2-core machines: 480 vs 190 us per MC estimate of 10 x 16 images, 6 % of a latent-ascent step). On a GPU
    ``F.dropout`` is a fused kernel and is used as is."""
    if not on or p == 0:
        return x
    if x.is_cuda or p >= 1:
        return F.dropout(x, p, training=True)
    with torch.no_grad():
        mask = (torch.rand_like(x) >= p).to(x.dtype).mul_(1.0 / (1.0 - p))
    return x * mask


class MCDropoutHead(nn.Module):
    """(N, F) features -> (N, O) logits: dropout(p) -> linear(F, hidden) -> ReLU -> dropout(p) -> linear(hidden, O)."""

    def __init__(self, in_features: int, n_out: int, hidden: int = 128, p: float = 0.5):
        super().__init__()
        self.fc1, self.fc2, self.p = nn.Linear(in_features, hidden), nn.Linear(hidden, n_out), p

    def forward(self, h: torch.Tensor, dropout: bool | None = None) -> torch.Tensor:
        """dropout: force masks on (True) or off (False); None follows ``self.training``."""
        on = self.training if dropout is None else dropout
        h = F.relu(self.fc1(inverted_dropout(h, self.p, on)))
        return self.fc2(inverted_dropout(h, self.p, on))


class MCDropoutClassifier(nn.Module):
    """trunk + MC-dropout head. ``forward``: (N, C_in, H, W) -> (N, O) logits (dropout as in train/eval mode);
    ``mc_logits``: (N, C_in, H, W) -> (K, N, O), trunk once and head K times with dropout on."""

    def __init__(self, trunk: nn.Module, n_classes: int, hidden: int = 128, p: float = 0.5):
        super().__init__()
        self.trunk, self.n_classes = trunk, n_classes
        self.head = MCDropoutHead(trunk.out_features, n_outputs(n_classes), hidden, p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x))

    def mc_logits(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """(N, C_in, H, W) -> (K, N, O): one trunk pass, K dropout masks on the head in one batched call."""
        if k < 1:
            raise ValueError(f"k (number of MC dropout samples) must be >= 1, got {k}")
        h = self.trunk(x)
        n = h.shape[0]
        out = self.head(h.unsqueeze(0).expand(k, *h.shape).reshape(k * n, -1), dropout=True)
        return out.reshape(k, n, -1)

    def mc_logits_naive(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """Reference: K full forward passes (trunk too), dropout on in the head. (K, N, O)."""
        return torch.stack([self.head(self.trunk(x), dropout=True) for _ in range(k)])


def build_classifier(backbone: str, in_channels: int, n_classes: int, image_size: int = 28, *, width: int = 16,
                     hidden: int = 128, dropout: float = 0.5, seed: int | None = None) -> MCDropoutClassifier:
    """A classifier on the trunk ``backbone`` (a :mod:`synthmed.models` name; :func:`synthmed.models.check` raises
    for another), randomly initialised; with ``seed`` the trunk and the head are initialised under that seed
    without touching the caller's global RNG."""
    backbone = models.check(backbone)
    n_outputs(n_classes)  # rejects n_classes < 2 before building anything
    trunk = models.create(backbone, in_channels, None, image_size, width=width, seed=seed)
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed + 1)
        return MCDropoutClassifier(trunk, n_classes, hidden, dropout)


def classification_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean loss: BCE-with-logits for a 1-logit head, cross-entropy otherwise. logits (N, O), labels (N,) int."""
    if logits.shape[1] == 1:
        return F.binary_cross_entropy_with_logits(logits[:, 0], labels.float())
    return F.cross_entropy(logits, labels)
