"""Image classifiers with a Monte-Carlo-dropout head.

Every model is a *trunk* (convolutional feature extractor, deterministic at evaluation) followed by a small *head*
(dropout -> linear -> ReLU -> dropout -> linear). Dropout sits in the head only, so one MC estimate runs the trunk
once and the head K times (K dropout masks, batched as one (K*N, F) call), as the TSynD paper does to keep the cost
of the uncertainty low.

Binary problems get one output logit (sigmoid), multi-class problems C logits (softmax); see
:func:`synthmed.tsynd.uncertainty.log_probs`.

Architectures: ``"cnn"`` (4 conv layers; for smoke/quick runs on a CPU), ``"resnet18"`` (3x3 stem, no max-pool at
28x28, as usual for MedMNIST) and ``"densenet121"`` (the paper's two; random initialisation, no weights download).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

ARCHITECTURES = ("cnn", "resnet18", "densenet121")


def n_outputs(n_classes: int) -> int:
    """Logits the head emits: 1 for a binary problem (sigmoid), else ``n_classes`` (softmax)."""
    if n_classes < 2:
        raise ValueError(f"a classifier needs at least 2 classes, got {n_classes}")
    return 1 if n_classes == 2 else n_classes


class SmallCNN(nn.Module):
    """4 conv blocks (conv3x3-BN-ReLU, 2x2 max-pool after blocks 1 and 2) + global average pool.
    (N, C_in, H, W) -> (N, width*4) features; any H, W >= 4. The last two blocks work at H/4 x W/4 (7x7 at 28x28),
    the resolution of its class-activation maps."""

    def __init__(self, in_channels: int, width: int = 16):
        super().__init__()
        chans = [in_channels, width, width * 2, width * 4, width * 4]
        layers: list[nn.Module] = []
        for i in range(4):
            layers += [nn.Conv2d(chans[i], chans[i + 1], 3, padding=1, bias=False), nn.BatchNorm2d(chans[i + 1]),
                       nn.ReLU()]
            if i <= 1:
                layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.out_features = chans[-1]

    @property
    def last_conv_block(self) -> nn.Module:
        """The layer a class-activation map hooks (output of the last conv block, before pooling)."""
        return self.features[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(self.features(x), 1).flatten(1)


class _TorchvisionTrunk(nn.Module):
    def __init__(self, body: nn.Module, out_features: int, last: nn.Module):
        super().__init__()
        self.body, self.out_features, self._last = body, out_features, [last]

    @property
    def last_conv_block(self) -> nn.Module:
        return self._last[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(self.body(x), 1).flatten(1)


def _resnet18_trunk(in_channels: int, image_size: int) -> nn.Module:
    import synthmed  # noqa: F401  (makes torchvision importable on CPU-only torch)
    from torchvision.models import resnet18

    net = resnet18(weights=None)
    net.conv1 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
    if image_size <= 32:
        net.maxpool = nn.Identity()
    body = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool, net.layer1, net.layer2, net.layer3, net.layer4)
    return _TorchvisionTrunk(body, 512, net.layer4)


def _densenet121_trunk(in_channels: int, image_size: int) -> nn.Module:
    import synthmed  # noqa: F401
    from torchvision.models import densenet121

    net = densenet121(weights=None)
    f = net.features
    if image_size <= 32:
        f.conv0 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
        f.pool0 = nn.Identity()
    else:
        f.conv0 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
    body = nn.Sequential(f, nn.ReLU())
    return _TorchvisionTrunk(body, 1024, f.denseblock4)


class MCDropoutHead(nn.Module):
    """(N, F) features -> (N, O) logits: dropout(p) -> linear(F, hidden) -> ReLU -> dropout(p) -> linear(hidden, O)."""

    def __init__(self, in_features: int, n_out: int, hidden: int = 128, p: float = 0.5):
        super().__init__()
        self.fc1, self.fc2, self.p = nn.Linear(in_features, hidden), nn.Linear(hidden, n_out), p

    def forward(self, h: torch.Tensor, dropout: bool | None = None) -> torch.Tensor:
        """dropout: force masks on (True) or off (False); None follows ``self.training``."""
        on = self.training if dropout is None else dropout
        h = F.dropout(h, self.p, training=on)
        h = F.relu(self.fc1(h))
        return self.fc2(F.dropout(h, self.p, training=on))


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

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """(N, ...) -> (N,) int64 predicted classes from the deterministic logits."""
        logits = self(x)
        return (logits[:, 0] > 0).long() if logits.shape[1] == 1 else logits.argmax(1)


def build_classifier(arch: str, in_channels: int, n_classes: int, image_size: int = 28, *, width: int = 16,
                     hidden: int = 128, dropout: float = 0.5) -> MCDropoutClassifier:
    """A classifier by name (one of :data:`ARCHITECTURES`), randomly initialised."""
    if arch == "cnn":
        trunk = SmallCNN(in_channels, width)
    elif arch == "resnet18":
        trunk = _resnet18_trunk(in_channels, image_size)
    elif arch == "densenet121":
        trunk = _densenet121_trunk(in_channels, image_size)
    else:
        raise ValueError(f"unknown architecture {arch!r}; valid: {', '.join(ARCHITECTURES)}")
    return MCDropoutClassifier(trunk, n_classes, hidden, dropout)


def classification_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean loss: BCE-with-logits for a 1-logit head, cross-entropy otherwise. logits (N, O), labels (N,) int."""
    if logits.shape[1] == 1:
        return F.binary_cross_entropy_with_logits(logits[:, 0], labels.float())
    return F.cross_entropy(logits, labels)
