"""Synthetic samples from an autoencoder's latent space: latent noise (the paper's "Noise") and latent uncertainty
ascent (TSynD). (The paper's Fig. 2 latent walk is :mod:`synthmed.tsynd.fig2`.)

Scale: the step sizes are given *in units of the latent's standard deviation* (``scale``, e.g. the std of the
training latents), because a fixed sigma means something different for every autoencoder. The paper's sigma
(0.1 or 1.0) and ascent learning rate (0.1) come without a stated scale; the chapter's profiles read them in
latent-std units, and ``scale=1`` uses them as absolute numbers.
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


def move_norms(z: torch.Tensor, z0: torch.Tensor) -> torch.Tensor:
    """(N, D, h, w) latents and their starts -> (N,) L2 norm of z - z0 per image (absolute latent units): the
    length the matched control replays."""
    return (z - z0).flatten(1).norm(dim=1)


def random_direction(shape: torch.Size, generator: torch.Generator | None = None) -> torch.Tensor:
    """(N, ...) unit vectors (L2 norm 1 per image), uniformly distributed on the sphere (normalised Gaussians drawn
    on the CPU generator, if given)."""
    u = torch.randn(shape, generator=generator).flatten(1)
    return (u / u.norm(dim=1, keepdim=True).clamp_min(1e-12)).reshape(shape)


def random_move(z0: torch.Tensor, norms: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    """z0 (N, D, h, w) moved by ``norms`` (N,) (L2 per image, absolute latent units) along ``direction`` (N, D, h,
    w), unit vectors of :func:`random_direction`."""
    return z0 + direction.to(z0.device, z0.dtype) * norms.to(z0.device, z0.dtype).reshape(-1, *[1] * (z0.ndim - 1))


def random_like_move(z0: torch.Tensor, z_star: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """z0 moved as far as z_star (per-image L2 norm of z_star - z0) in a uniformly random direction.
    z0, z_star: (N, D, h, w); the direction is drawn on the CPU generator (if given)."""
    return random_move(z0, move_norms(z_star, z0), random_direction(z0.shape, generator))


def _rms(x: torch.Tensor) -> float:
    """Mean over images of the per-image RMS of x (N, ...)."""
    return float(x.flatten(1).pow(2).mean(1).sqrt().mean())


def synthesize(decode, classifier: MCDropoutClassifier | None, z: torch.Tensor, *, noise_sigma: float,
               steps: int, lr: float, scale: float, k: int = 10, objective: str = "mi",
               generator: torch.Generator | None = None, direction: str | None = None,
               norms: torch.Tensor | None = None, record: list | None = None) -> torch.Tensor:
    """One half-batch of synthetic images. z: (N, D, h, w) latents of real images; returns (N, C, H, W) in [0, 1],
    detached. The images keep the labels of the images whose latents they start from.

    direction: "none" -> ``decode(z + noise)`` (the paper's Noise); "ascent" -> ``decode(ascent(z + noise))``
    (TSynD); "random" -> ``z + noise`` moved by ``norms`` (N,) (L2 per image, absolute latent units: the paired
    TSynD run's ascent lengths for this half-batch) in a uniformly random direction, without an ascent (our matched
    control). Default: "ascent" if steps > 0 else "none".

    Random draws on ``generator``, in this order: the noise, then (for "ascent" and "random") one random direction
    per image. "ascent" draws its direction too (to measure the matched random move on the same frozen classifier),
    so that a TSynD run and its Noise-matched replay consume the generator alike: same seed, same batches, same
    noise, same directions.

    record: if a list is given, one dict is appended for this half-batch: "norms" (N floats: the per-image L2 length
    of the move after the noise, absolute units), "displacement" (mean RMS per element of that move, units of
    ``scale``), "noise_rms" and "move_rms" (mean RMS per element of the noise and of the move, absolute units),
    "pixel_rms" (mean RMS change of the decoded pixels from ``decode(z)``, [0, 1] units), and the classifier's mean
    uncertainty (``objective``, nats) "before" the move (at z + noise) and "after" it; for "ascent" also
    "after_random": the uncertainty after the matched random move (same lengths, same frozen classifier, same
    start). Measuring costs extra K-mask forwards without gradients; without ``record`` they are skipped.
    """
    direction = direction or ("ascent" if steps > 0 else "none")
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}; valid: {', '.join(DIRECTIONS)}")
    if direction == "ascent" and (classifier is None or steps < 1):
        raise ValueError("uncertainty ascent (direction 'ascent') needs a classifier and steps >= 1")
    if direction == "random" and (norms is None or len(norms) != len(z)):
        raise ValueError(f"direction 'random' needs norms, one per latent ({len(z)}); got "
                         f"{None if norms is None else len(norms)}")
    z_noise = add_latent_noise(z, noise_sigma, scale, generator)
    stats = {}
    if direction == "ascent":
        z_out, trace = uncertainty_ascent(decode, classifier, z_noise, steps=steps, lr=lr, scale=scale, k=k,
                                          objective=objective, measure_final=record is not None)
        u = random_direction(z.shape, generator)
        if record is not None:
            matched = random_move(z_noise, move_norms(z_out, z_noise), u)
            stats = {"before": float(trace[0].mean()), "after": float(trace[-1].mean()),
                     "after_random": float(_measure(decode, classifier, matched, k, objective).mean())}
    elif direction == "random":
        z_out = random_move(z_noise, norms, random_direction(z.shape, generator))
    else:
        z_out = z_noise
    if record is not None:
        if direction != "ascent" and classifier is not None:
            before = float(_measure(decode, classifier, z_noise, k, objective).mean())
            after = before if direction == "none" else float(_measure(decode, classifier, z_out, k, objective).mean())
            stats = {"before": before, "after": after}
        record.append(_record(decode, z, z_noise, z_out, scale, stats))
    with torch.no_grad():
        return decode(z_out).clamp_(0, 1)


def _record(decode, z: torch.Tensor, z_noise: torch.Tensor, z_out: torch.Tensor, scale: float, stats: dict) -> dict:
    """One half-batch's record (see :func:`synthesize`): the move's lengths, the noise's size and the decoded pixel
    change, beside ``stats`` (uncertainty before / after)."""
    with torch.no_grad():
        pixels = decode(z_out).clamp(0, 1) - decode(z).clamp(0, 1)
    return {"norms": move_norms(z_out, z_noise).tolist(),
            "displacement": float(displacement(z_out, z_noise, scale).mean()),
            "noise_rms": _rms(z_noise - z), "move_rms": _rms(z_out - z_noise), "pixel_rms": _rms(pixels), **stats}


def _measure(decode, classifier: MCDropoutClassifier, z: torch.Tensor, k: int, objective: str) -> torch.Tensor:
    """(N,) uncertainty of decode(z) under K dropout masks (no gradients; the trunk in eval mode; unclamped, as
    the ascent measures it)."""
    was_training = classifier.training
    classifier.eval()
    with torch.no_grad():
        u = uncertainty(log_probs(classifier.mc_logits(decode(z), k)), objective)
    classifier.train(was_training)
    return u
