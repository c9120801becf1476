"""Test conditions of the paper's Table 1: clean test images, Gaussian noise (sigma = 0.2) added to them, and FGSM
(Goodfellow et al. 2014) adversarial images; and ours beside them: Gaussian noise in the [-1, 1] convention
(:func:`pm1_sigma`), PGD (Madry et al. 2018) and a transfer attack (:func:`transfer`). Every perturbation acts in
unnormalised pixel space ([0, 1]) and is clamped back to that range, so a perturbed image is still a valid image
(clamping Gaussian noise at 0 and 1 also shifts the mean of dark and bright pixels: :func:`clamp_shift`).

FGSM and PGD come from the Adversarial Robustness Toolbox (ART, ``adversarial-robustness-toolbox``): our classifier
is wrapped as an ART ``PyTorchClassifier`` with clip values (0, 1) (:func:`art_classifier`; a one-logit binary head
becomes the two logits [0, z], whose cross-entropy equals the head's BCE, so the attack follows the training loss).
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import torch
import torch.nn as nn

from synthmed import fit
from synthmed.fit import classes
from synthmed.metrics.classification import summarize
from synthmed.pixels import to_unit
from synthmed.tsynd.classifiers import MCDropoutClassifier

# The chapter's test conditions and their labels, the one list the experiment and the report use: Table 1's ...
CONDITION_LABELS = {"clean": "clean", "gaussian": "Gaussian noise", "fgsm": "FGSM"}
# ... and ours beside them: the paper's sigma read on [-1, 1] pixels, PGD, and FGSM crafted on the paired model
EXTRA_CONDITION_LABELS = {"gaussian_pm1": "Gaussian noise, [−1, 1] convention", "pgd": "PGD",
                          "transfer": "transfer FGSM"}
CONDITIONS = tuple(CONDITION_LABELS)
EXTRA_CONDITIONS = ("gaussian_pm1", "pgd")  # those :func:`evaluate` computes ("transfer" needs the paired model)


def gaussian_noise(images: torch.Tensor, sigma: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """(N, C, H, W) in [0, 1] -> images + N(0, sigma^2), clamped to [0, 1]. Noise drawn on the CPU generator."""
    noise = torch.randn(images.shape, generator=generator).to(images.device, images.dtype)
    return (images + sigma * noise).clamp_(0, 1)


class _TwoLogits(nn.Module):
    """(N, 1) binary logit z -> (N, 2) logits [0, z] (softmax of these = [1 - sigmoid(z), sigmoid(z)]); a
    multi-class head passes through."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.model(x)
        return torch.cat([torch.zeros_like(z), z], 1) if z.shape[1] == 1 else z


def _quiet_tqdm_auto() -> None:
    """Import tqdm.auto with its "IProgress not found" warning silenced: ART imports it, and in a notebook kernel
    without ipywidgets it warns once on import (then draws text bars, as tqdm.std does). Silenced here, the page
    shows no such warning whether its attacks were computed or loaded from the cache."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import tqdm.auto  # noqa: F401


def art_classifier(model: MCDropoutClassifier, image_shape: tuple[int, ...]):
    """ART's PyTorchClassifier around ``model`` (cross-entropy on :class:`_TwoLogits`, clip values (0, 1), the
    model's device). image_shape: (C, H, W). ART runs the model in eval mode (no dropout) for gradients."""
    _quiet_tqdm_auto()
    from art.estimators.classification import PyTorchClassifier

    device = next(model.parameters()).device
    return PyTorchClassifier(model=_TwoLogits(model), loss=nn.CrossEntropyLoss(), input_shape=tuple(image_shape),
                             nb_classes=max(2, model.n_classes), clip_values=(0.0, 1.0),
                             device_type="gpu" if device.type == "cuda" else "cpu")


@contextlib.contextmanager
def _numpy_seeded(seed: int):
    """ART draws PGD's random start from numpy's global RNG: seed it inside the block, restore it after."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _attack(model: MCDropoutClassifier, attack, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    was_training = model.training
    model.eval()
    x = attack.generate(x=images.detach().cpu().numpy().astype(np.float32), y=labels.cpu().numpy())
    model.train(was_training)
    return torch.from_numpy(x).to(images.device, images.dtype)


def fgsm(model: MCDropoutClassifier, images: torch.Tensor, labels: torch.Tensor, eps: float,
         batch_size: int = 512) -> torch.Tensor:
    """Fast gradient sign attack (ART ``FastGradientMethod``, L-inf, untargeted, true labels):
    images + eps * sign(d loss / d images), clamped to [0, 1]. images (N, C, H, W) in [0, 1]; labels (N,)."""
    _quiet_tqdm_auto()
    from art.attacks.evasion import FastGradientMethod

    if eps == 0:
        return images.detach().clone()
    attack = FastGradientMethod(art_classifier(model, images.shape[1:]), norm=np.inf, eps=eps, eps_step=eps,
                                batch_size=batch_size)
    return _attack(model, attack, images, labels)


def pgd(model: MCDropoutClassifier, images: torch.Tensor, labels: torch.Tensor, eps: float, *, steps: int = 10,
        step_size: float | None = None, random_start: bool = True, seed: int = 0,
        batch_size: int = 512) -> torch.Tensor:
    """Projected gradient descent (ART ``ProjectedGradientDescent``, L-inf, untargeted, true labels): ``steps``
    signed-gradient steps of ``step_size`` (default eps / 4), each projected onto the eps-ball and [0, 1], from a
    uniform random start in the ball (drawn under ``seed``) or from the image. images (N, C, H, W) in [0, 1]."""
    _quiet_tqdm_auto()
    from art.attacks.evasion import ProjectedGradientDescent

    if eps == 0:
        return images.detach().clone()
    attack = ProjectedGradientDescent(art_classifier(model, images.shape[1:]), norm=np.inf, eps=eps,
                                      eps_step=step_size if step_size is not None else eps / 4, max_iter=steps,
                                      num_random_init=1 if random_start else 0, batch_size=batch_size,
                                      verbose=False)
    with _numpy_seeded(seed):
        return _attack(model, attack, images, labels)


def pm1_sigma(sigma: float) -> float:
    """A noise sigma stated for pixels in [-1, 1] (MedMNIST's usual normalisation) in our [0, 1] units: sigma / 2."""
    return sigma / 2


def clamp_shift(images: torch.Tensor, sigma: float, seed: int = 0) -> float:
    """Mean pixel change (in [0, 1] units) that Gaussian noise of ``sigma`` causes through clamping alone (the noise
    itself has mean 0): mean(clamp(x + n, 0, 1)) - mean(x). images (N, C, H, W) uint8 or float in [0, 1]."""
    x = to_unit(images)
    return float(gaussian_noise(x, sigma, torch.Generator().manual_seed(seed)).mean() - x.mean())


def predict(model: MCDropoutClassifier, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """(N, C, H, W) float in [0, 1] (any device) -> (N,) predicted classes on the CPU (eval mode)."""
    device = next(model.parameters()).device
    return classes(fit.predict(model, images, device=device, batch_size=batch_size))


def perturb(model: MCDropoutClassifier, images: torch.Tensor, labels: torch.Tensor, condition: str, *,
            sigma: float = 0.2, eps: float = 0.02, seed: int = 0, batch_size: int = 512,
            pgd_steps: int = 10) -> torch.Tensor:
    """The test images under ``condition`` (one of :data:`CONDITIONS` or :data:`EXTRA_CONDITIONS`), on the model's
    device. "gaussian_pm1": sigma stated on [-1, 1] pixels (:func:`pm1_sigma`). images: (N, C, H, W) uint8 or float
    in [0, 1]; labels: (N,)."""
    device = next(model.parameters()).device
    images = to_unit(images)
    if condition == "clean":
        return images.to(device)
    if condition == "gaussian":
        return gaussian_noise(images, sigma, torch.Generator().manual_seed(seed)).to(device)
    if condition == "gaussian_pm1":
        return gaussian_noise(images, pm1_sigma(sigma), torch.Generator().manual_seed(seed)).to(device)
    if condition == "fgsm":
        return fgsm(model, images.to(device), labels, eps, batch_size)
    if condition == "pgd":
        return pgd(model, images.to(device), labels, eps, steps=pgd_steps, seed=seed, batch_size=batch_size)
    raise ValueError(f"unknown test condition {condition!r}; valid: {', '.join(CONDITIONS + EXTRA_CONDITIONS)}")


def evaluate(model: MCDropoutClassifier, images: torch.Tensor, labels: torch.Tensor,
             conditions: tuple[str, ...] = CONDITIONS, *, sigma: float = 0.2, eps: float = 0.02,
             seed: int = 0, pgd_steps: int = 10) -> list[dict]:
    """One row per condition: {"test_condition", "level" (sigma, eps, or 0 for clean; in [0, 1] pixel units, so
    "gaussian_pm1" has sigma / 2), **summarize(...)} (accuracy, balanced accuracy, majority rate,
    constant-predictor flag, ...). images (N, C, H, W) uint8 or float in [0, 1], labels (N,)."""
    levels = {"clean": 0.0, "gaussian": sigma, "gaussian_pm1": pm1_sigma(sigma), "fgsm": eps, "pgd": eps}
    rows = []
    for cond in conditions:
        x = perturb(model, images, labels, cond, sigma=sigma, eps=eps, seed=seed, pgd_steps=pgd_steps)
        rows.append({"test_condition": cond, "level": levels.get(cond, 0.0),
                     **summarize(predict(model, x), labels, model.n_classes)})
    return rows


def noise_sweep(model: MCDropoutClassifier, images: torch.Tensor, labels: torch.Tensor, sigmas, *,
                seed: int = 0) -> list[dict]:
    """Gaussian test noise at each sigma in ``sigmas``: one row {"test_condition": "gaussian", "level": sigma,
    **summarize(...)} per sigma (the same noise draw, scaled, for every sigma)."""
    return [row for s in sigmas for row in evaluate(model, images, labels, ("gaussian",), sigma=float(s),
                                                    seed=seed)]


def transfer(target: MCDropoutClassifier, source: MCDropoutClassifier, images: torch.Tensor, labels: torch.Tensor,
             eps: float) -> dict:
    """A transfer (black-box) attack: FGSM images crafted on ``source`` at ``eps``, scored on ``target``:
    {"test_condition": "transfer", "level": eps, **summarize(...)}. If ``target`` resists its own (white-box)
    FGSM much better than these, its robustness comes from hiding its gradient rather than from its decisions.
    images (N, C, H, W) uint8 or float in [0, 1]; labels (N,)."""
    device = next(source.parameters()).device
    x = fgsm(source, to_unit(images).to(device), labels, eps)
    return {"test_condition": "transfer", "level": eps, **summarize(predict(target, x), labels, target.n_classes)}
