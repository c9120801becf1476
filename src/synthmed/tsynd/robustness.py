"""Test conditions of the paper's Table 1: clean test images, Gaussian noise (sigma = 0.2) added to them, and FGSM
(Goodfellow et al. 2014) adversarial images. Both perturbations act in unnormalised pixel space ([0, 1]) and are
clamped back to that range, so a perturbed image is still a valid image."""

from __future__ import annotations

import torch

from synthmed import fit
from synthmed.fit import classes
from synthmed.metrics.classification import summarize
from synthmed.pixels import to_unit
from synthmed.tsynd.classifiers import MCDropoutClassifier, classification_loss

CONDITIONS = ("clean", "gaussian", "fgsm")


def gaussian_noise(images: torch.Tensor, sigma: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """(N, C, H, W) in [0, 1] -> images + N(0, sigma^2), clamped to [0, 1]. Noise drawn on the CPU generator."""
    noise = torch.randn(images.shape, generator=generator).to(images.device, images.dtype)
    return (images + sigma * noise).clamp_(0, 1)


def fgsm(model: MCDropoutClassifier, images: torch.Tensor, labels: torch.Tensor, eps: float) -> torch.Tensor:
    """Fast gradient sign attack: images + eps * sign(d loss / d images), clamped to [0, 1].
    images (N, C, H, W) in [0, 1]; labels (N,); the model is used in eval mode (deterministic)."""
    was_training = model.training
    model.eval()
    x = images.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        loss = classification_loss(model(x), labels)
        (grad,) = torch.autograd.grad(loss, x)
    model.train(was_training)
    return (images + eps * grad.sign()).clamp_(0, 1).detach()


def predict(model: MCDropoutClassifier, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """(N, C, H, W) float in [0, 1] (any device) -> (N,) predicted classes on the CPU (eval mode)."""
    device = next(model.parameters()).device
    return classes(fit.predict(model, images, device=device, batch_size=batch_size))


def perturb(model: MCDropoutClassifier, images: torch.Tensor, labels: torch.Tensor, condition: str, *,
            sigma: float = 0.2, eps: float = 0.02, seed: int = 0, batch_size: int = 512) -> torch.Tensor:
    """The test images under ``condition`` (one of :data:`CONDITIONS`), on the model's device.
    images: (N, C, H, W) uint8 or float in [0, 1]; labels: (N,)."""
    device = next(model.parameters()).device
    images = to_unit(images)
    if condition == "clean":
        return images.to(device)
    if condition == "gaussian":
        return gaussian_noise(images, sigma, torch.Generator().manual_seed(seed)).to(device)
    if condition == "fgsm":
        return torch.cat([fgsm(model, images[i:i + batch_size].to(device), labels[i:i + batch_size].to(device), eps)
                          for i in range(0, len(images), batch_size)])
    raise ValueError(f"unknown test condition {condition!r}; valid: {', '.join(CONDITIONS)}")


def evaluate(model: MCDropoutClassifier, images: torch.Tensor, labels: torch.Tensor,
             conditions: tuple[str, ...] = CONDITIONS, *, sigma: float = 0.2, eps: float = 0.02,
             seed: int = 0) -> list[dict]:
    """One row per condition: {"test_condition", "level" (sigma, eps, or 0 for clean), **summarize(...)}
    (accuracy, balanced accuracy, majority rate, constant-predictor flag, ...).
    images (N, C, H, W) uint8 or float in [0, 1], labels (N,)."""
    levels = {"clean": 0.0, "gaussian": sigma, "fgsm": eps}
    rows = []
    for cond in conditions:
        x = perturb(model, images, labels, cond, sigma=sigma, eps=eps, seed=seed)
        rows.append({"test_condition": cond, "level": levels.get(cond, 0.0),
                     **summarize(predict(model, x), labels, model.n_classes)})
    return rows


def noise_sweep(model: MCDropoutClassifier, images: torch.Tensor, labels: torch.Tensor, sigmas, *,
                seed: int = 0) -> list[dict]:
    """Gaussian test noise at each sigma in ``sigmas``: one row {"test_condition": "gaussian", "level": sigma,
    **summarize(...)} per sigma (the same noise draw, scaled, for every sigma)."""
    return [row for s in sigmas for row in evaluate(model, images, labels, ("gaussian",), sigma=float(s),
                                                    seed=seed)]
