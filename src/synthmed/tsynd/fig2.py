"""The paper's Fig. 2 (right) as a measurement: how far must an image's latent move before the classifier's
probability of the true class drops below 0.5?

Niemeijer et al. (2024, Fig. 2) lower the true-class probability by optimising the autoencoder latent and show the
image difference after a fixed optimisation. How much the image changes then depends on the learning rate and the
number of steps as much as on the classifier. Here every image walks instead along the normalised gradient of the
true class's log-odds, a fixed distance per step, until the classifier's decision flips; the distance walked at the
flip (interpolated linearly within the last step) is the image's *crossing distance*. A classifier that needs a
larger latent change is the more robust one in the paper's sense.

Units: a distance ``d`` is the root-mean-square change per latent element in units of ``scale`` (the std of the
training latents): ``||z - z0||_2 = d * scale * sqrt(D*h*w)``. The path is steepest descent with a constant step, so
its length bounds the distance to the decision boundary from above (equal for a linear classifier on a linear
decoder, which the tests use as the hand-worked case).
"""

from __future__ import annotations

import math

import torch

# status codes of :func:`crossing_distance`
CROSSED, NOT_CROSSED, MISCLASSIFIED, START_BELOW = 0, 1, 2, 3
STATUS_LABELS = {CROSSED: "crossed", NOT_CROSSED: "not crossed within the budget",
                 MISCLASSIFIED: "misclassified test image", START_BELOW: "reconstruction already below 0.5"}


def true_class_log_odds(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(N, O) logits, (N,) labels -> (N,) log(p_y / (1 - p_y)) of the true class y; > 0 iff p_y > 0.5.
    O == 1 (sigmoid head): the logit signed towards y; O >= 2 (softmax): z_y - logsumexp_{c != y} z_c."""
    if logits.shape[-1] == 1:
        return torch.where(labels.bool(), logits[:, 0], -logits[:, 0])
    own = logits.gather(1, labels.reshape(-1, 1))[:, 0]
    others = logits.scatter(1, labels.reshape(-1, 1), float("-inf"))
    return own - torch.logsumexp(others, dim=1)


def crossing_distance(decode, classifier: torch.nn.Module, z0: torch.Tensor, labels: torch.Tensor, *,
                      step: float, max_steps: int, scale: float = 1.0, correct: torch.Tensor | None = None,
                      check_every: int = 10) -> dict:
    """Walk each latent down its true-class log-odds, ``step`` per iteration, until p_y < 0.5.

    decode: (N, D, h, w) -> images, differentiable; classifier: images -> (N, O) logits (used in eval mode, its
    parameters get no gradient); z0: (N, D, h, w) start latents; labels: (N,) int64; step: distance per iteration
    (RMS per latent element, units of ``scale``); max_steps: the budget (distance ``step * max_steps``);
    correct: optional (N,) bool, whether the classifier got the *original* test image right (False -> skipped as
    misclassified). Images whose reconstruction starts at p_y <= 0.5 are skipped as well.
    Returns, on z0's device: "distance" (N,) float (NaN unless crossed), "status" (N,) int64 (see
    :data:`STATUS_LABELS`), "p_start" (N,) p_y of the reconstruction, "z_end" (N, D, h, w) the latent where each
    walk stopped (just past the crossing; z0 for skipped images).
    """
    if step <= 0 or max_steps < 1:
        raise ValueError(f"step must be > 0 and max_steps >= 1, got step={step}, max_steps={max_steps}")
    was_training = classifier.training
    classifier.eval()
    flags = [p.requires_grad for p in classifier.parameters()]
    for p in classifier.parameters():
        p.requires_grad_(False)
    labels = labels.to(z0.device)
    n, shape = len(z0), (-1,) + (1,) * (z0.dim() - 1)
    stride = step * scale * math.sqrt(z0[0].numel())  # L2 length of one step
    z = z0.detach().clone()
    distance = torch.full((n,), float("nan"), device=z0.device)
    rows = torch.arange(n, device=z0.device)  # the images still walking (pruned every check_every steps)
    try:
        with torch.enable_grad():
            for t in range(max_steps + 1):
                if t % check_every == 1:  # drop finished and skipped walks (one host sync per check)
                    keep = active[rows]
                    rows, m_prev = rows[keep], m_prev[keep]
                    if len(rows) == 0:
                        break
                zr = z[rows].requires_grad_(True)
                m = true_class_log_odds(classifier(decode(zr)), labels[rows])
                m_now = m.detach()
                if t == 0:
                    p_start = torch.sigmoid(m_now)
                    active = m_now > 0
                    if correct is not None:
                        active = active & correct.to(z0.device)
                else:
                    walking = active[rows]
                    newly = walking & (m_now <= 0)
                    frac = (m_prev / (m_prev - m_now)).clamp(0, 1)
                    distance[rows] = torch.where(newly, (t - 1 + frac) * step, distance[rows])
                    active[rows] = walking & ~newly
                if t == max_steps:
                    break
                (grad,) = torch.autograd.grad(m.sum(), zr)
                norm = grad.flatten(1).norm(dim=1).clamp_min(1e-12).reshape(shape)
                z[rows] = zr.detach() - stride * grad / norm * active[rows].reshape(shape)
                m_prev = m_now
    finally:
        for p, f in zip(classifier.parameters(), flags):
            p.requires_grad_(f)
        classifier.train(was_training)
    status = torch.full((n,), NOT_CROSSED, dtype=torch.int64, device=z0.device)
    status[~torch.isnan(distance)] = CROSSED
    status[p_start <= 0.5] = START_BELOW
    if correct is not None:
        status[~correct.to(z0.device)] = MISCLASSIFIED
    return {"distance": distance, "status": status, "p_start": p_start, "z_end": z.detach()}


def status_counts(status: torch.Tensor) -> dict[str, int]:
    """(N,) status codes -> {label: count} for every status in :data:`STATUS_LABELS`."""
    s = torch.as_tensor(status).reshape(-1)
    return {label: int((s == code).sum()) for code, label in STATUS_LABELS.items()}
