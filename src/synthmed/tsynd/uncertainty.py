"""Predictive entropy and mutual information (BALD) from K Monte-Carlo-dropout predictions.

Everything works on log-probabilities so that confident predictions neither underflow nor produce ``0 * log 0``:

- ``H[mean_k p_k]`` uses ``log mean_k p_k = logsumexp_k(log p_k) - log K``;
- ``MI = H[mean_k p_k] - mean_k H[p_k]`` (Gal et al.; Kirsch et al. 2019, BatchBALD), clamped at 0 against
  rounding.

Binary heads have one logit and use the sigmoid, as the TSynD paper does (its Eq. for p(y|x) uses sigmoid for binary
and softmax for multi-class problems); :func:`log_probs` turns either head into (..., C) log-probabilities.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def log_probs(logits: torch.Tensor) -> torch.Tensor:
    """(..., O) logits -> (..., C) log-probabilities. O == 1: binary sigmoid head, C = 2 with
    [log(1 - sigmoid(z)), log sigmoid(z)]; O >= 2: log-softmax, C = O."""
    if logits.shape[-1] == 1:
        return torch.cat([F.logsigmoid(-logits), F.logsigmoid(logits)], dim=-1)
    return F.log_softmax(logits, dim=-1)


def entropy_from_log_probs(logp: torch.Tensor) -> torch.Tensor:
    """(..., C) log-probabilities -> (...) entropy in nats, exact 0 contribution for p = 0 (log p = -inf)."""
    p = logp.exp()
    return -(p * torch.where(p > 0, logp, torch.zeros_like(logp))).sum(-1)


def mean_log_probs(logp: torch.Tensor) -> torch.Tensor:
    """(K, N, C) per-sample log-probabilities -> (N, C) log of the MC-averaged probability."""
    return torch.logsumexp(logp, dim=0) - math.log(logp.shape[0])


def predictive_entropy(logp: torch.Tensor) -> torch.Tensor:
    """(K, N, C) log-probabilities -> (N,) entropy of the mean prediction, H[mean_k p_k] (total uncertainty)."""
    return entropy_from_log_probs(mean_log_probs(logp))


def expected_entropy(logp: torch.Tensor) -> torch.Tensor:
    """(K, N, C) -> (N,) mean_k H[p_k] (the aleatoric part)."""
    return entropy_from_log_probs(logp).mean(0)


def mutual_information(logp: torch.Tensor) -> torch.Tensor:
    """(K, N, C) log-probabilities -> (N,) BALD mutual information H[mean_k p_k] - mean_k H[p_k] >= 0 (epistemic)."""
    return (predictive_entropy(logp) - expected_entropy(logp)).clamp_min(0.0)


OBJECTIVES = ("mi", "entropy")


def uncertainty(logp: torch.Tensor, objective: str = "mi") -> torch.Tensor:
    """(K, N, C) -> (N,) the uncertainty named by ``objective``: "mi" (mutual information) or "entropy"
    (predictive entropy)."""
    if objective == "mi":
        return mutual_information(logp)
    if objective == "entropy":
        return predictive_entropy(logp)
    raise ValueError(f"unknown uncertainty objective {objective!r}; valid: {', '.join(OBJECTIVES)}")
