"""FID as the distribution-quality metric of the search (Tronchin et al., Table A2 ablation).

Intra-FID(x): Fréchet distance between the real features and the ensemble's pooled features; Inter-FID(x): mean
Fréchet distance over member pairs. Lower Intra-FID is more faithful; higher Inter-FID is more diverse, so the
search maximises (-Intra-FID) and minimises (-Inter-FID).

Fast form: the pool of ensemble x is an equal-share mixture of its members (:func:`synthmed.gan.objective.shares`),
so its mean and covariance are mixtures of the members' first and second moments (weights = shares / M), computed
from each member's full feature set (a population-level approximation of the sampled pool). The Fréchet distance
uses the eigenvalues of S_1 S_2 (D x D), a few milliseconds at D = 128.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from synthmed.gan.objective import shares


@dataclass
class FidStats:
    """mu (G, D) and second moments (G, D, D) of each candidate; real mean (D,) and covariance (D, D); pair (G, G)
    Fréchet distances between candidates; m: samples per candidate."""

    mu: np.ndarray
    second: np.ndarray
    real_mu: np.ndarray
    real_cov: np.ndarray
    pair: np.ndarray
    m: int


def frechet(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """|mu1 - mu2|^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2), the trace term from the eigenvalues of S1 S2."""
    ev = np.linalg.eigvals(cov1 @ cov2)
    tr_sqrt = np.sqrt(np.clip(ev.real, 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(cov1) + np.trace(cov2) - 2 * tr_sqrt)


def precompute_fid(real: np.ndarray, fakes: list) -> FidStats:
    """real (N, D); fakes: G arrays (M, D) with one M."""
    f = np.stack([np.asarray(x, dtype=np.float64) for x in fakes])
    mu = f.mean(axis=1)
    second = np.einsum("gmd,gme->gde", f, f) / f.shape[1]
    covs = second - np.einsum("gd,ge->gde", mu, mu)
    real = np.asarray(real, dtype=np.float64)
    pair = np.zeros((len(f), len(f)))
    for i, j in combinations(range(len(f)), 2):
        pair[i, j] = pair[j, i] = frechet(mu[i], covs[i], mu[j], covs[j])
    return FidStats(mu, second, real.mean(axis=0), np.cov(real, rowvar=False, bias=True), pair, f.shape[1])


def fid_objectives(stats: FidStats):
    """Objectives for :func:`synthmed.gan.search.search`: (-Intra-FID, -Inter-FID) per ensemble of x (P, G)."""
    def f(x):
        x = np.atleast_2d(np.asarray(x, dtype=bool))
        w = shares(x, stats.m) / stats.m  # (P, G)
        mu = w @ stats.mu
        second = np.einsum("pg,gde->pde", w, stats.second)
        intra = np.array([frechet(mu[p], second[p] - np.outer(mu[p], mu[p]), stats.real_mu, stats.real_cov)
                          for p in range(len(x))])
        xf = x.astype(float)
        n = xf.sum(axis=1)
        inter = 0.5 * np.einsum("pg,gh,ph->p", xf, stats.pair, xf) / np.maximum(n * (n - 1) / 2, 1)
        return -intra, -inter
    return f
