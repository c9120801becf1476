"""Intra-d and Inter-d of GAN ensembles (Tronchin et al., eqs. 1–4), fast and on equal sample counts.

Candidates g = 1..G each have generated features F_g (M, D), the same M for every candidate; the real reference
features R (N, D) have k-NN radii r. An ensemble is a binary vector x (G,) with n members.

- **Equal sample counts.** An ensemble is scored on M synthetic samples in all, like a single candidate: its
  members contribute equal shares, the first ``M // n`` rows of each member's features (the first ``M % n``
  members in index order one row more), which mirrors the paper's eq. 7 training set. So single GANs and
  ensembles of any size are compared on the same number of samples (the paper's own setting: a fixed number of
  images per evaluated ensemble).
- Intra-d(x) = d(R, pooled samples of x), d = harmonic mean of density and coverage against R.
- Inter-d(x) = mean over member pairs g < h (candidate order) of d(reference F_h, samples F_g): one direction, as
  in the authors' code (``prdc_bin_combinations.py`` computes each pair once, the later set as the reference).

:func:`precompute` does the only expensive work once, as blocked matrix products in torch on the device passed
in: for each candidate, how many real-ball hits its first s samples make (a (G, M + 1) prefix count, for
density), the index of its first sample inside each real ball (a (G, N) matrix, for coverage), and the (G, G)
one-direction pair matrix. :func:`evaluate` then scores any population of ensembles by gathers and reductions; it
equals :func:`recompute` (density/coverage from the features with :mod:`synthmed.metrics.prdc`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import torch

from synthmed.metrics.prdc import density_coverage, harmonic_d


@dataclass
class EnsembleStats:
    """What each candidate contributes. hits_prefix (G, M + 1): real-ball hits of the first s samples;
    first_hit (G, N) int: index of the first sample inside real ball i (M when none is); pair_d (G, G): symmetric
    matrix of the one-direction pair scores d(F_h -> F_g), g < h (diagonal 0); k: neighbours."""

    hits_prefix: np.ndarray
    first_hit: np.ndarray
    pair_d: np.ndarray
    k: int

    @property
    def n_candidates(self) -> int:
        return self.hits_prefix.shape[0]

    @property
    def n_samples(self) -> int:
        """M: synthetic samples per candidate and per ensemble."""
        return self.hits_prefix.shape[1] - 1


def shares(x: np.ndarray, n_samples: int) -> np.ndarray:
    """(P, G) int: rows each member of the ensembles x (P, G) bool contributes to its pool of n_samples rows;
    0 for non-members. Equal shares; the first n_samples % n members (index order) get one more."""
    x = np.atleast_2d(np.asarray(x, dtype=bool))
    n = x.sum(axis=1, keepdims=True)
    if np.any(n < 1):
        raise ValueError("every ensemble needs at least one member")
    if np.any(n > n_samples):
        raise ValueError(f"an ensemble has more members than the {n_samples} samples it is scored on")
    rank = np.cumsum(x, axis=1) - 1
    return np.where(x, n_samples // n + (rank < n_samples % n), 0)


POOLINGS = ("equal", "stacked")


def member_rows(x: np.ndarray, n_samples: int, pooling: str = "equal") -> np.ndarray:
    """(P, G) int: rows each member contributes to its ensemble's pool. "equal" (ours, Sec. A2.1's same number of
    synthetic and real images): :func:`shares` of ``n_samples`` in all; "stacked" (the authors' code): every
    member's ``n_samples`` rows, so a pool of n members has n x n_samples rows."""
    if pooling == "equal":
        return shares(x, n_samples)
    if pooling == "stacked":
        x = np.atleast_2d(np.asarray(x, dtype=bool))
        if np.any(x.sum(axis=1) < 1):
            raise ValueError("every ensemble needs at least one member")
        return np.where(x, n_samples, 0)
    raise ValueError(f"unknown pooling {pooling!r}; valid: {', '.join(POOLINGS)}")


def pool(fakes: list, x: np.ndarray, pooling: str = "equal") -> np.ndarray:
    """The pooled samples of ensemble x (G,) under :func:`member_rows`; fakes: G arrays (M, D)."""
    s = member_rows(x, len(fakes[0]), pooling)[0]
    return np.concatenate([np.asarray(fakes[g])[: s[g]] for g in np.flatnonzero(s)])


def _sq_dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(A, B) Euclidean distances between rows of a (A, D) and b (B, D): one matrix product."""
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return d2.clamp_min_(0).sqrt_()


def _radii(block: torch.Tensor, k: int) -> torch.Tensor:
    """(B,) k-th nearest-other distance within block (B, D) (self excluded, as prdc)."""
    d = _sq_dist(block, block)
    d.fill_diagonal_(0.0)
    return d.kthvalue(k + 1, dim=1).values


def precompute(real, fakes: list, k: int = 5, pairs: bool = True, device: str | torch.device = "cpu",
               dtype: torch.dtype = torch.float64) -> EnsembleStats:
    """Per-candidate statistics for fast evaluation. real (N, D); fakes: G arrays (M, D), one M for all; pairs:
    also fill the (G, G) one-direction pair matrix, else leave it zero. Blocked: one (M, N + G M) distance block
    per candidate, computed by one matrix product on ``device``."""
    ms = {len(f) for f in fakes}
    if len(ms) != 1:
        raise ValueError(f"every candidate must have the same number of samples, got {sorted(ms)}")
    (m,), g = ms, len(fakes)
    dev = torch.device(device)
    r = torch.as_tensor(np.asarray(real), dtype=dtype).to(dev)
    f = torch.stack([torch.as_tensor(np.asarray(x), dtype=dtype) for x in fakes]).to(dev)  # (G, M, D)
    if len(r) <= k or m <= k:
        raise ValueError(f"need more than k={k} real and generated samples, got {len(r)} and {m}")
    r_real = _radii(r, k)
    r_fake = torch.stack([_radii(f[i], k) for i in range(g)]) if pairs else None  # (G, M)
    flat = f.reshape(g * m, -1)
    arange = torch.arange(m, device=dev)
    hits_prefix = torch.zeros(g, m + 1, dtype=torch.int64, device=dev)
    first_hit = torch.empty(g, len(r), dtype=torch.int64, device=dev)
    pair = torch.zeros(g, g, dtype=torch.float64, device=dev)
    for i in range(g):
        # candidate i against the real set and against every later candidate: one matrix product
        cols = torch.cat([r, flat[(i + 1) * m:]]) if pairs else r
        dist = _sq_dist(cols, f[i])  # (N + (G - i - 1) M, M)
        inside = dist[: len(r)] < r_real[:, None]  # (N, M): sample j of i in real ball
        hits_prefix[i, 1:] = inside.sum(0).cumsum(0)
        first_hit[i] = torch.where(inside, arange, m).amin(dim=1)
        if pairs and i + 1 < g:
            later = dist[len(r):].view(g - i - 1, m, m) < r_fake[i + 1:, :, None]  # (G-i-1, M_ref, M_fake)
            dns = later.sum(dim=(1, 2), dtype=torch.float64) / (k * m)
            cvg = later.any(dim=2).to(torch.float64).mean(dim=1)
            s = dns + cvg
            pair[i, i + 1:] = torch.where(s > 0, 2 * dns * cvg / s.clamp_min(1e-300), torch.zeros_like(s))
    pair = pair + pair.T
    return EnsembleStats(hits_prefix.cpu().numpy(), first_hit.cpu().numpy(), pair.cpu().numpy(), k)


def evaluate(stats: EnsembleStats, x: np.ndarray, pooling: str = "equal") -> dict[str, np.ndarray]:
    """Objectives of a population of ensembles. x: (P, G) or (G,) binary; pooling: how members' samples are
    pooled (:func:`member_rows`). Returns (P,) arrays "density", "coverage", "intra_d", "inter_d" (NaN for an
    ensemble with fewer than two members) and "n_members"."""
    x = np.atleast_2d(np.asarray(x)).astype(bool)
    if x.shape[1] != stats.n_candidates:
        raise ValueError(f"x has {x.shape[1]} columns but there are {stats.n_candidates} candidates")
    m = stats.n_samples
    s = member_rows(x, m, pooling)  # (P, G)
    hits = np.take_along_axis(stats.hits_prefix[None].repeat(len(x), 0), s[:, :, None], axis=2)[..., 0]
    density = hits.sum(axis=1) / (stats.k * s.sum(axis=1))  # prdc: hits over k x the pool's rows
    coverage = ((stats.first_hit[None] < s[:, :, None]).any(axis=1)).mean(axis=1)
    n = x.sum(axis=1).astype(float)
    xf = x.astype(float)
    n_pairs = n * (n - 1) / 2
    pair_sum = 0.5 * np.einsum("pg,gh,ph->p", xf, stats.pair_d, xf)
    inter = np.divide(pair_sum, n_pairs, out=np.full_like(n, np.nan), where=n_pairs > 0)
    return {"density": density, "coverage": coverage, "intra_d": harmonic_d(density, coverage),
            "inter_d": inter, "n_members": n}


def pair_score(ref: np.ndarray, fake: np.ndarray, k: int) -> float:
    """One-direction Inter-d of a pair: d of ``fake`` (M, D) against ``ref`` (M, D) as the reference set."""
    return density_coverage(ref, fake, k)["d"]


def recompute(real: np.ndarray, fakes: list, x: np.ndarray, k: int = 5, pooling: str = "equal"
              ) -> dict[str, float]:
    """The same objectives for one ensemble x (G,), computed from the features (the slow reference)."""
    members = [i for i in range(len(fakes)) if x[i]]
    out = density_coverage(real, pool(fakes, np.asarray(x, bool), pooling), k)
    pairs = [pair_score(fakes[j], fakes[i], k) for i, j in combinations(members, 2)]
    return {"density": out["density"], "coverage": out["coverage"], "intra_d": out["d"],
            "inter_d": float(np.mean(pairs)) if pairs else float("nan"), "n_members": float(len(members))}
