import math

import pytest
import torch

from synthmed.tsynd.uncertainty import (entropy_from_log_probs, expected_entropy, log_probs, mutual_information,
                                        predictive_entropy, uncertainty)


def naive_mi(probs):  # (K, N, C) probabilities, straightforward formula
    mean = probs.mean(0)
    h_mean = -(mean * mean.log()).sum(-1)
    h_each = -(probs * probs.log()).sum(-1).mean(0)
    return h_mean - h_each


def test_mi_is_zero_when_all_predictions_agree():
    logits = torch.randn(1, 5, 4).expand(10, 5, 4)
    mi = mutual_information(log_probs(logits))
    assert torch.allclose(mi, torch.zeros(5), atol=1e-6)


def test_mi_never_negative_and_matches_naive_formula():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(10, 200, 3, generator=gen) * 3
    logp = log_probs(logits)
    mi = mutual_information(logp)
    assert (mi >= 0).all()
    assert torch.allclose(mi, naive_mi(logp.exp()).clamp_min(0), atol=1e-5)


def test_entropy_of_uniform_prediction_is_log_c():
    for c in (2, 3, 7):
        logp = torch.full((4, 6, c), -math.log(c))
        assert torch.allclose(predictive_entropy(logp), torch.full((6,), math.log(c)), atol=1e-6)
        assert torch.allclose(expected_entropy(logp), torch.full((6,), math.log(c)), atol=1e-6)


def test_binary_sigmoid_head_gives_two_class_log_probs():
    z = torch.tensor([[0.0], [2.0], [-3.0]])
    p = log_probs(z).exp()
    assert p.shape == (3, 2)
    assert torch.allclose(p[:, 1], torch.sigmoid(z[:, 0]))
    assert torch.allclose(p.sum(1), torch.ones(3))
    # sigmoid at 0 is uniform over two classes
    assert math.isclose(float(entropy_from_log_probs(log_probs(torch.zeros(1, 1)))), math.log(2), rel_tol=1e-6)


def test_extreme_logits_do_not_overflow():
    logits = torch.tensor([[[1e4, -1e4, 0.0]], [[-1e4, 1e4, 0.0]]])  # K=2 confident, disagreeing
    logp = log_probs(logits)
    mi = mutual_information(logp)
    assert torch.isfinite(mi).all()
    assert math.isclose(float(mi), math.log(2), rel_tol=1e-5)  # two opposite one-hot predictions: MI = log 2
    binary = log_probs(torch.tensor([[[80.0]], [[-80.0]]]))
    assert torch.isfinite(mutual_information(binary)).all()


def test_unknown_objective_is_rejected():
    with pytest.raises(ValueError, match="valid: mi, entropy"):
        uncertainty(torch.zeros(2, 1, 2), "variance")
