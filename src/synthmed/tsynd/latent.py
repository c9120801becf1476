"""Synthetic samples from an autoencoder's latent space: latent noise (the paper's "Noise") and latent uncertainty
ascent (TSynD). (The paper's Fig. 2 latent walk is :mod:`synthmed.tsynd.fig2`.)

Scale: the step sizes are given *in units of the latent's standard deviation* (``scale``, e.g. the std of the
training latents), because a fixed sigma means something different for every autoencoder. The paper's sigma
(0.1 or 1.0) and Adam learning rate (0.1) are absolute; pass ``scale=1`` to use them as such.
"""

from __future__ import annotations

import torch

from synthmed.tsynd.classifiers import MCDropoutClassifier
from synthmed.tsynd.uncertainty import log_probs, uncertainty


def add_latent_noise(z: torch.Tensor, sigma: float, scale: float = 1.0,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """z + N(0, (sigma*scale)^2) elementwise. z: (N, D, h, w). The noise is drawn on the CPU generator (if
    given) and moved to z's device, so results do not depend on the device."""
    if sigma == 0:
        return z
    eps = torch.randn(z.shape, generator=generator).to(z.device, z.dtype)
    return z + eps * (sigma * scale)


def _frozen(module: torch.nn.Module):
    """Context: parameters do not require grad (gradients flow to the latent only)."""
    class _Ctx:
        def __enter__(self):
            self.flags = [p.requires_grad for p in module.parameters()]
            for p in module.parameters():
                p.requires_grad_(False)

        def __exit__(self, *exc):
            for p, f in zip(module.parameters(), self.flags):
                p.requires_grad_(f)
    return _Ctx()


def uncertainty_ascent(decode, classifier: MCDropoutClassifier, z0: torch.Tensor, *, steps: int, lr: float,
                       scale: float = 1.0, k: int = 10, objective: str = "mi",
                       measure_final: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Maximise the classifier's uncertainty of decoded images over the latents, all N at once, with Adam.

    decode: (N, D, h, w) -> (N, C, H, W) differentiable; z0: (N, D, h, w) start (encoder latent, possibly noised);
    steps: Adam steps; lr: Adam learning rate in units of ``scale``; k: MC-dropout masks; objective: "mi" | "entropy".
    Returns (z*, trace): trace (steps+1, N) holds the per-sample uncertainty before each step and, after the last
    step, of z* (one extra forward without gradients); with ``measure_final=False`` (the training loop, which only
    needs z*) that extra forward is skipped and trace is (steps, N).
    The classifier's trunk runs in eval mode (BatchNorm running statistics); its head's dropout is on.
    Neither the classifier's nor the decoder's parameters receive gradients.
    """
    was_training = classifier.training
    classifier.eval()
    z = z0.detach().clone().requires_grad_(True)
    # fused: one kernel per step instead of a dozen elementwise ops (96 vs 217 us per step on the CPU, measured)
    opt = torch.optim.Adam([z], lr=lr * scale, fused=True)
    trace = []
    with _frozen(classifier), torch.enable_grad():
        for _ in range(steps):
            u = uncertainty(log_probs(classifier.mc_logits(decode(z), k)), objective)
            trace.append(u.detach())
            z.grad = None
            (-u.sum()).backward()
            opt.step()
    if measure_final:
        with torch.no_grad():
            trace.append(uncertainty(log_probs(classifier.mc_logits(decode(z), k)), objective))
    classifier.train(was_training)
    empty = torch.zeros(0, len(z0), device=z0.device)
    return z.detach(), torch.stack(trace) if trace else empty


DIRECTIONS = ("none", "ascent", "random")


def displacement(z: torch.Tensor, z0: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """(N, D, h, w) latents and their starts -> (N,) RMS per latent element of z - z0, in units of ``scale`` (the
    same units as the latent noise sigma, whose RMS displacement is sigma)."""
    return (z - z0).flatten(1).pow(2).mean(1).sqrt() / scale


def random_like_move(z0: torch.Tensor, z_star: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """z0 moved as far as z_star (per-image L2 norm of z_star - z0) in a uniformly random direction.
    z0, z_star: (N, D, h, w); the direction is drawn on the CPU generator (if given)."""
    step = (z_star - z0).flatten(1).norm(dim=1)
    u = torch.randn(z0.shape, generator=generator).to(z0.device, z0.dtype).flatten(1)
    u = u / u.norm(dim=1, keepdim=True).clamp_min(1e-12)
    return z0 + (u * step[:, None]).reshape(z0.shape)


def synthesize(decode, classifier: MCDropoutClassifier | None, z: torch.Tensor, *, noise_sigma: float,
               steps: int, lr: float, scale: float, k: int = 10, objective: str = "mi",
               generator: torch.Generator | None = None, direction: str | None = None,
               record: list | None = None) -> torch.Tensor:
    """One half-batch of synthetic images. z: (N, D, h, w) latents of real images; returns (N, C, H, W) in [0, 1],
    detached. The images keep the labels of the images whose latents they start from.

    direction: "none" -> ``decode(z + noise)`` (the paper's Noise); "ascent" -> ``decode(ascent(z + noise))``
    (TSynD); "random" -> the ascent is run only to measure how far it moves each latent, and ``z + noise`` is
    moved that far in a random direction instead (our matched control). Default: "ascent" if steps > 0 else "none".
    record: if a list is given, one dict is appended with this half-batch's means (over images) of the ascent's
    latent displacement (:func:`displacement`, units of ``scale``) and the classifier's uncertainty (``objective``)
    before and after the move (for "random": of the randomly moved latents). Measuring "after" costs one extra
    K-mask forward without gradients; without ``record`` it is skipped.
    """
    direction = direction or ("ascent" if steps > 0 else "none")
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}; valid: {', '.join(DIRECTIONS)}")
    z = add_latent_noise(z, noise_sigma, scale, generator)
    if direction != "none":
        if classifier is None or steps < 1:
            raise ValueError("uncertainty ascent (direction 'ascent' or 'random') needs a classifier and steps >= 1")
        z_star, trace = uncertainty_ascent(decode, classifier, z, steps=steps, lr=lr, scale=scale, k=k,
                                           objective=objective,
                                           measure_final=record is not None and direction == "ascent")
        moved = z_star if direction == "ascent" else random_like_move(z, z_star, generator)
        if record is not None:
            after = trace[-1] if direction == "ascent" else _measure(decode, classifier, moved, k, objective)
            record.append({"displacement": float(displacement(moved, z, scale).mean()),
                           "before": float(trace[0].mean()), "after": float(after.mean())})
        z = moved
    with torch.no_grad():
        return decode(z).clamp_(0, 1)


def _measure(decode, classifier: MCDropoutClassifier, z: torch.Tensor, k: int, objective: str) -> torch.Tensor:
    """(N,) uncertainty of decode(z) under K dropout masks (no gradients; the trunk in eval mode)."""
    was_training = classifier.training
    classifier.eval()
    with torch.no_grad():
        u = uncertainty(log_probs(classifier.mc_logits(decode(z), k)), objective)
    classifier.train(was_training)
    return u
