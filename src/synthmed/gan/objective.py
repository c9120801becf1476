"""Intra-d and Inter-d of GAN ensembles (Tronchin et al., eqs. 1–4), fast.

Candidates g = 1..G each have a fixed set of generated features F_g (M_g, D); the real features R (N, D) have k-NN
radii r. An ensemble is a binary vector x (G,) and its synthetic set is the union of its members' sets.

- Intra-d(x) = d(R, union_{g: x_g=1} F_g), d = harmonic mean of density and coverage against the real set.
- Inter-d(x) = mean over member pairs {g, h} of pair_d[g, h], where pair_d[g, h] = (d(F_g, F_h) + d(F_h, F_g)) / 2
  (the members' sets take turns as the reference; the average makes the pair score symmetric).

:func:`precompute` does the only expensive work once: which real k-NN balls hold each candidate's samples (a
per-candidate count of (real ball, sample) hits for density and a (G, N) "ball covered" matrix for coverage) and the
(G, G) pair matrix. :func:`evaluate` then scores any population of ensembles by matrix products; it equals
:func:`recompute` (density/coverage from the features) exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from synthmed.metrics.prdc import ball_membership, density_coverage, harmonic_d, knn_radii


@dataclass
class EnsembleStats:
    """What each candidate contributes. hits (G,): number of (real ball, sample) pairs with the sample inside;
    n_samples (G,): M_g; covered (G, N) bool: real ball i holds a sample of g; pair_d (G, G): symmetric pair d
    (diagonal 0); k: neighbours."""

    hits: np.ndarray
    n_samples: np.ndarray
    covered: np.ndarray
    pair_d: np.ndarray
    k: int

    @property
    def n_candidates(self) -> int:
        return len(self.hits)


def pair_score(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Symmetric Inter-d of one pair of candidates: mean of d(a -> b) and d(b -> a). a (Ma, D), b (Mb, D)."""
    return 0.5 * (density_coverage(a, b, k)["d"] + density_coverage(b, a, k)["d"])


def precompute(real: np.ndarray, fakes: list[np.ndarray], k: int = 5, pairs: bool = True) -> EnsembleStats:
    """Per-candidate statistics for fast evaluation. real (N, D); fakes: G arrays (M_g, D); pairs: also fill the
    (G, G) pair matrix (G(G-1)/2 density/coverage computations), else leave it zero."""
    radii = knn_radii(real, k)
    g = len(fakes)
    hits = np.zeros(g)
    covered = np.zeros((g, len(real)), dtype=bool)
    for i, f in enumerate(fakes):
        inside = ball_membership(real, f, radii)
        hits[i] = inside.sum()
        covered[i] = inside.any(axis=1)
    pair_d = np.zeros((g, g))
    if pairs:
        for i, j in combinations(range(g), 2):
            pair_d[i, j] = pair_d[j, i] = pair_score(fakes[i], fakes[j], k)
    return EnsembleStats(hits, np.array([len(f) for f in fakes], dtype=float), covered, pair_d, k)


def evaluate(stats: EnsembleStats, x: np.ndarray) -> dict[str, np.ndarray]:
    """Objectives of a population of ensembles. x: (P, G) or (G,) binary. Returns (P,) arrays "density",
    "coverage", "intra_d", "inter_d" (NaN for an ensemble with fewer than two members) and "n_members"."""
    x = np.atleast_2d(np.asarray(x)).astype(float)
    if x.shape[1] != stats.n_candidates:
        raise ValueError(f"x has {x.shape[1]} columns but there are {stats.n_candidates} candidates")
    n = x.sum(axis=1)
    if np.any(n < 1):
        raise ValueError("every ensemble needs at least one member")
    density = (x @ stats.hits) / (stats.k * (x @ stats.n_samples))
    coverage = ((x @ stats.covered.astype(float)) > 0).mean(axis=1)
    n_pairs = n * (n - 1) / 2
    pair_sum = 0.5 * np.einsum("pg,gh,ph->p", x, stats.pair_d, x)
    inter = np.divide(pair_sum, n_pairs, out=np.full_like(n, np.nan), where=n_pairs > 0)
    return {"density": density, "coverage": coverage, "intra_d": harmonic_d(density, coverage),
            "inter_d": inter, "n_members": n}


def recompute(real: np.ndarray, fakes: list[np.ndarray], x: np.ndarray, k: int = 5) -> dict[str, float]:
    """The same objectives for one ensemble x (G,), computed from the features (the slow reference)."""
    members = [i for i in range(len(fakes)) if x[i]]
    out = density_coverage(real, np.concatenate([fakes[i] for i in members]), k)
    pairs = [pair_score(fakes[i], fakes[j], k) for i, j in combinations(members, 2)]
    return {"density": out["density"], "coverage": out["coverage"], "intra_d": out["d"],
            "inter_d": float(np.mean(pairs)) if pairs else float("nan"), "n_members": float(len(members))}
