"""Classifiers of Aloo et al.: an image backbone (DCNN), a metadata MLP of three fully connected layers, and the
two trained jointly on concatenated features (the "ensemble"; the paper merges "the outputs of the networks"
without saying how: the concatenation before one joint output layer is ours).

The image trunks come from :func:`synthmed.models.create`, by the names of the profile's ``backbones`` (the paper's
ResNet-50, DenseNet-121, VGG-16 with a one-channel input; the small CNN for the CPU profiles; any name of
:data:`synthmed.models.MODELS`, which is also the check); local weights load strictly there. What is this paper's own
is here:
the metadata MLP and the fused head.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from synthmed import models

class MetaMLP(nn.Module):
    """The paper's three fully connected layers on the metadata (MLP-meta). Alone (``head=True``): (N, F) -> (N, 1)
    logit, the third layer being its output layer. In the fused model (``head=False``) only the first two layers
    are built: ``features`` gives their (N, hidden[-1]) output, and the fused model's joint output layer, which reads
    these features beside the image features, takes the third layer's place (no layer is left unused)."""

    def __init__(self, n_features: int, hidden: tuple[int, int] = (64, 32), dropout: float = 0.2,
                 head: bool = True):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features, hidden[0]), nn.ReLU(True), nn.Dropout(dropout),
                                  nn.Linear(hidden[0], hidden[1]), nn.ReLU(True))
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden[1], 1)) if head else None
        self.out_features = hidden[1]

    def features(self, metadata: torch.Tensor) -> torch.Tensor:
        return self.body(metadata)

    def forward(self, metadata: torch.Tensor) -> torch.Tensor:
        if self.head is None:
            raise RuntimeError("this MetaMLP is a fused model's metadata branch: it has no output layer of its own")
        return self.head(self.body(metadata))


class Classifier(nn.Module):
    """Binary classifier on images, metadata or both: ``forward(images (N,1,H,W) float in [0,1] or None, metadata
    (N,F) or None) -> (N,) logits of the positive class``. With both, image features and the MLP's features are
    concatenated and a dropout + linear head gives the logit; everything is trained jointly. (The paper says only
    that it "merges the outputs of the networks"; joining features before one output layer is ours.)"""

    def __init__(self, backbone: nn.Module | None = None, n_metadata: int = 0, dropout: float = 0.5):
        super().__init__()
        if backbone is None and n_metadata == 0:
            raise ValueError("a classifier needs an image backbone, metadata, or both")
        self.backbone = backbone
        self.meta = MetaMLP(n_metadata, head=backbone is None) if n_metadata else None
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


def build_classifier(backbone: str | None, n_metadata: int = 0, *, image_size: int = 64,
                     weights: str | Path | None = None, dropout: float = 0.5, seed: int | None = None
                     ) -> Classifier:
    """backbone: a :mod:`synthmed.models` name (:func:`synthmed.models.check` raises for another) or None
    (metadata MLP only); n_metadata: F, 0 for image-only;
    image_size: H of the square input images; weights: a local state_dict for the trunk (strict); seed: initialise
    everything under it without touching the caller's global RNG."""
    if backbone is not None:
        backbone = models.check(backbone)
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        net = models.create(backbone, 1, None, image_size, weights=weights) if backbone else None
        return Classifier(net, n_metadata, dropout)
