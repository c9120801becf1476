"""The paper's Fig. 2, the pictures: where a classifier looks (EigenGradCAM, from the ``grad-cam`` package) and
which image regions changed on the latent walk that flipped its decision (:mod:`synthmed.tsynd.fig2`)."""

from __future__ import annotations

import numpy as np
import torch

import synthmed  # noqa: F401  (makes torchvision importable before pytorch_grad_cam imports it)
from synthmed.tsynd.classifiers import MCDropoutClassifier


class ClassLogitTarget:
    """grad-cam target for one image: the logit of ``label`` (multi-class), or for a 1-logit binary head the logit
    signed towards ``label`` (+z for class 1, -z for class 0)."""

    def __init__(self, label: int):
        self.label = int(label)

    def __call__(self, output: torch.Tensor) -> torch.Tensor:
        if output.shape[-1] == 1:
            return output[..., 0] if self.label == 1 else -output[..., 0]
        return output[..., self.label]


def eigen_gradcam(model: MCDropoutClassifier, images: torch.Tensor, labels: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) images in [0, 1], (N,) labels -> (N, H, W) EigenGradCAM maps in [0, 1] for the true class,
    hooked on the trunk's last conv block; the model is used in eval mode."""
    from pytorch_grad_cam import EigenGradCAM

    model.eval()
    device = next(model.parameters()).device
    with EigenGradCAM(model=model, target_layers=[model.trunk.last_conv_block]) as cam:
        return cam(input_tensor=images.to(device), targets=[ClassLogitTarget(c) for c in labels.tolist()])


