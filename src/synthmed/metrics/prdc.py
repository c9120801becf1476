"""Density and coverage (Naeem et al., 2020, "Reliable Fidelity and Diversity Metrics for Generative Models").

Real features x_1..x_N, fake features y_1..y_M, k. The radius r_i of real sample i is the distance to its k-th
nearest neighbour among the *other* real samples (the (k+1)-th smallest distance of its row, the first being the
zero distance to itself). With B_ij = 1[ d(x_i, y_j) < r_i ] (strict):

- density  = 1/(k M) * sum_ij B_ij        (how densely fakes populate real k-NN balls; can exceed 1)
- coverage = 1/N * sum_i 1[ any_j B_ij ]  (share of real balls that hold at least one fake)

This agrees with ``prdc.compute_prdc`` (same Euclidean distances from scikit-learn, same k-th value rule, same
strict inequality), duplicated points included. ``d`` of the GAN-ensembles paper (Tronchin et al.) is the harmonic
mean of density and coverage.
"""

from __future__ import annotations

import numpy as np
import sklearn.metrics


def pairwise_distances(x: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    """(N, M) Euclidean distances between rows of x (N, D) and y (M, D) (y defaults to x), as in ``prdc``."""
    return sklearn.metrics.pairwise_distances(x, x if y is None else y, metric="euclidean")


def knn_radii(real: np.ndarray, k: int) -> np.ndarray:
    """(N,) distance of each row of ``real`` (N, D) to its k-th nearest other row. Needs N > k."""
    real = np.asarray(real)
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if real.shape[0] <= k:
        raise ValueError(f"need more than k={k} real samples for k-NN radii, got {real.shape[0]}")
    dist = pairwise_distances(real)
    return np.partition(dist, k, axis=1)[:, k]


def ball_membership(real: np.ndarray, fake: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """(N, M) bool: fake j lies strictly inside the k-NN ball of real i. real (N, D), fake (M, D), radii (N,)."""
    return pairwise_distances(np.asarray(real), np.asarray(fake)) < np.asarray(radii)[:, None]


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = 5, radii: np.ndarray | None = None
                     ) -> dict[str, float]:
    """Density and coverage of fake (M, D) against real (N, D) features with k nearest neighbours.

    radii: precomputed :func:`knn_radii` of ``real`` (optional). Returns {"density", "coverage", "d"}.
    """
    real, fake = np.asarray(real), np.asarray(fake)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and fake must be (N, D) and (M, D) with the same D, got {real.shape} and {fake.shape}")
    if fake.shape[0] == 0:
        raise ValueError("fake is empty")
    r = knn_radii(real, k) if radii is None else np.asarray(radii)
    inside = ball_membership(real, fake, r)
    density = float(inside.sum() / (k * fake.shape[0]))
    coverage = float(inside.any(axis=1).mean())
    return {"density": density, "coverage": coverage, "d": harmonic_d(density, coverage)}


def harmonic_d(density: float | np.ndarray, coverage: float | np.ndarray) -> float | np.ndarray:
    """d = 2 * density * coverage / (density + coverage), 0 where both are 0. Works element-wise on arrays."""
    dns, cvg = np.asarray(density, dtype=float), np.asarray(coverage, dtype=float)
    s = dns + cvg
    out = np.divide(2 * dns * cvg, s, out=np.zeros_like(s), where=s > 0)
    return float(out) if out.ndim == 0 else out
