"""Classifiers of Aloo et al.: an image backbone (DCNN), a metadata MLP of three fully connected layers, and the
two trained jointly on concatenated features (the "ensemble").

Backbones: ResNet-50, DenseNet-121 and VGG-16 from torchvision with the first convolution replaced by a one-channel
one and the classification layer removed, plus ``smallcnn`` (four conv blocks) for the smoke and quick profiles.
The paper started from ImageNet weights. Nothing here downloads weights: pass a local torchvision state_dict file
to use them (the first convolution's RGB filters are summed into one channel); otherwise the backbone starts from
random initialisation, and :func:`weights_note` says so.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

BACKBONES = ("smallcnn", "resnet50", "densenet121", "vgg16")


class SmallCNN(nn.Module):
    """Four conv-BN-ReLU-maxpool blocks and global average pooling: (N, 1, H, W) -> (N, width * 8)."""

    def __init__(self, channels: int = 1, width: int = 16):
        super().__init__()
        layers, c = [], channels
        for k in (1, 2, 4, 8):
            layers += [nn.Conv2d(c, width * k, 3, padding=1, bias=False), nn.BatchNorm2d(width * k), nn.ReLU(True),
                       nn.MaxPool2d(2)]
            c = width * k
        self.net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.out_features = c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def _first_conv_to_one_channel(state: dict, key: str) -> dict:
    w = state.get(key)
    if w is not None and w.shape[1] == 3:
        state = dict(state)
        state[key] = w.sum(dim=1, keepdim=True)
    return state


def build_backbone(name: str, weights: str | Path | None = None) -> nn.Module:
    """A one-channel feature extractor: (N, 1, H, W) -> (N, backbone.out_features).

    name: one of :data:`BACKBONES`; weights: a local torchvision state_dict file for ``name`` (e.g. ImageNet
    weights), loaded with the first convolution summed over its RGB filters and the classifier dropped.
    """
    import synthmed  # noqa: F401  (makes torchvision importable)
    from torchvision import models

    if name == "smallcnn":
        net = SmallCNN()
        first = None
    elif name == "resnet50":
        net = models.resnet50(weights=None)
        net.conv1 = nn.Conv2d(1, 64, 7, stride=2, padding=3, bias=False)
        net.out_features = net.fc.in_features
        net.fc, first = nn.Identity(), "conv1.weight"
    elif name == "densenet121":
        net = models.densenet121(weights=None)
        net.features.conv0 = nn.Conv2d(1, 64, 7, stride=2, padding=3, bias=False)
        net.out_features = net.classifier.in_features
        net.classifier, first = nn.Identity(), "features.conv0.weight"
    elif name == "vgg16":
        net = models.vgg16(weights=None)
        net.features[0] = nn.Conv2d(1, 64, 3, padding=1)
        net.out_features = net.classifier[-1].in_features
        net.classifier[-1], first = nn.Identity(), "features.0.weight"
    else:
        raise ValueError(f"unknown backbone {name!r}; valid: {', '.join(BACKBONES)}")
    if weights is not None:
        state = torch.load(weights, map_location="cpu", weights_only=True)
        if first is not None:
            state = _first_conv_to_one_channel(state, first)
        own = net.state_dict()
        state = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
        net.load_state_dict(state, strict=False)
    return net


def weights_note(name: str, weights: str | Path | None) -> str:
    """One sentence saying how the backbone was initialised."""
    if weights:
        return f"{name}: initialised from the local weights file {weights} (first convolution summed to one channel)."
    if name == "smallcnn":
        return "smallcnn: a four-block CNN of this project, random initialisation (the paper has no such model)."
    return (f"{name}: random initialisation — the paper used ImageNet weights, which cannot be downloaded here; pass "
            f"a local weights file to use them.")


class MetaMLP(nn.Module):
    """Three fully connected layers on the metadata: (N, F) -> (N, 1) logit; ``features`` gives the (N, hidden[-1])
    output of the second layer, which the fused model concatenates with the image features."""

    def __init__(self, n_features: int, hidden: tuple[int, int] = (64, 32), dropout: float = 0.2):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features, hidden[0]), nn.ReLU(True), nn.Dropout(dropout),
                                  nn.Linear(hidden[0], hidden[1]), nn.ReLU(True))
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden[1], 1))
        self.out_features = hidden[1]

    def features(self, metadata: torch.Tensor) -> torch.Tensor:
        return self.body(metadata)

    def forward(self, metadata: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(metadata))


class Classifier(nn.Module):
    """Binary classifier on images, metadata or both: ``forward(images (N,1,H,W) float in [-1,1] or None, metadata
    (N,F) or None) -> (N,) logits of the positive class``. With both, image features and the MLP's features are
    concatenated and a dropout + linear head gives the logit; everything is trained jointly."""

    def __init__(self, backbone: nn.Module | None = None, n_metadata: int = 0, dropout: float = 0.5):
        super().__init__()
        if backbone is None and n_metadata == 0:
            raise ValueError("a classifier needs an image backbone, metadata, or both")
        self.backbone = backbone
        self.meta = MetaMLP(n_metadata) if n_metadata else None
        width = (backbone.out_features if backbone is not None else 0) + (self.meta.out_features if self.meta else 0)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(width, 1)) if backbone is not None else None

    @property
    def uses_images(self) -> bool:
        return self.backbone is not None

    @property
    def uses_metadata(self) -> bool:
        return self.meta is not None

    def forward(self, images: torch.Tensor | None, metadata: torch.Tensor | None = None) -> torch.Tensor:
        if self.backbone is None:
            return self.meta(metadata).squeeze(1)
        feats = [self.backbone(images)]
        if self.meta is not None:
            feats.append(self.meta.features(metadata))
        return self.head(torch.cat(feats, dim=1)).squeeze(1)


def build_classifier(backbone: str | None, n_metadata: int = 0, weights: str | Path | None = None,
                     dropout: float = 0.5) -> Classifier:
    """backbone: a name from :data:`BACKBONES` or None (metadata MLP only); n_metadata: F, 0 for image-only."""
    net = build_backbone(backbone, weights) if backbone else None
    return Classifier(net, n_metadata, dropout)
