import math

import pytest
import torch

from synthmed.tsynd import fig2
from synthmed.tsynd.explain_runs import pick_test_images


def _linear(weights, bias):
    """A classifier on a flattened (N, 1, 1, 2) 'image': logits = x @ W^T + b."""
    lin = torch.nn.Linear(2, len(bias))
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(weights, dtype=torch.float32))
        lin.bias.copy_(torch.tensor(bias, dtype=torch.float32))
    return torch.nn.Sequential(torch.nn.Flatten(), lin)


def _z(points):
    return torch.tensor(points, dtype=torch.float32).reshape(-1, 1, 1, 2)


def test_linear_case_crossing_distance_is_the_distance_to_the_boundary():
    # logit = 3 x0 + 4 x1 - 5 (|w| = 5): the boundary is the line 3 x0 + 4 x1 = 5.
    clf = _linear([[3.0, 4.0]], [-5.0])
    z0 = _z([[3.0, 4.0], [0.0, 0.0], [1.0, -2.0]])
    labels = torch.tensor([1, 0, 0])
    out = fig2.crossing_distance(lambda z: z, clf, z0, labels, step=0.01, max_steps=1000, scale=2.0)
    # L2 distance |w.z0 + b| / |w|, reported as RMS per element (/ sqrt 2) in units of scale (/ 2)
    l2 = torch.tensor([(25 - 5) / 5, 5 / 5, abs(3 - 8 - 5) / 5])
    expected = l2 / math.sqrt(2) / 2.0
    assert torch.allclose(out["distance"], expected, atol=1e-4)
    assert out["status"].tolist() == [fig2.CROSSED] * 3
    # the walk stopped just past the boundary: the true class lost, by less than one step
    m_end = fig2.true_class_log_odds(clf(out["z_end"]), labels)
    assert (m_end <= 0).all() and (m_end > -5 * 0.01 * 2.0 * math.sqrt(2) - 1e-5).all()
    assert torch.allclose(out["p_start"], torch.sigmoid(torch.tensor([20.0, 5.0, 10.0])))


def test_softmax_head_gives_the_same_distance_as_its_sigmoid_twin():
    # logits [0, 3 x0 + 4 x1 - 5]: the log-odds of class 1 equal the binary logit
    soft = _linear([[0.0, 0.0], [3.0, 4.0]], [0.0, -5.0])
    z0 = _z([[3.0, 4.0], [0.0, 0.0]])
    labels = torch.tensor([1, 0])
    out = fig2.crossing_distance(lambda z: z, soft, z0, labels, step=0.01, max_steps=1000)
    assert torch.allclose(out["distance"], torch.tensor([4.0, 1.0]) / math.sqrt(2), atol=1e-4)


def test_budget_misclassified_and_start_below_are_skipped_and_counted():
    clf = _linear([[3.0, 4.0]], [-5.0])
    z0 = _z([[3.0, 4.0], [30.0, 40.0], [0.0, 0.0], [3.0, 4.0]])
    labels = torch.tensor([1, 1, 1, 1])  # image 2 starts on the wrong side (p < 0.5)
    correct = torch.tensor([True, True, True, False])  # image 3: its original image was misclassified
    out = fig2.crossing_distance(lambda z: z, clf, z0, labels, step=0.1, max_steps=40, correct=correct)
    assert out["status"].tolist() == [fig2.CROSSED, fig2.NOT_CROSSED, fig2.START_BELOW, fig2.MISCLASSIFIED]
    assert torch.isnan(out["distance"][1:]).all()
    assert torch.equal(out["z_end"][2:], z0[2:])  # skipped images do not move
    counts = fig2.status_counts(out["status"])
    assert counts == {"crossed": 1, "not crossed within the budget": 1, "misclassified test image": 1,
                      "reconstruction already below 0.5": 1}


def test_nonlinear_walk_is_deterministic_and_leaves_the_classifier_untouched():
    g = torch.Generator().manual_seed(0)
    clf = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
    with torch.no_grad():
        for p in clf.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    decode = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 8), torch.nn.Unflatten(1, (2, 2, 2)))
    z0 = torch.randn(20, 2, 2, 2, generator=g)
    labels = clf(decode(z0)).argmax(1).detach()
    a = fig2.crossing_distance(decode, clf, z0, labels, step=0.02, max_steps=300)
    b = fig2.crossing_distance(decode, clf, z0, labels, step=0.02, max_steps=300)
    assert torch.equal(a["distance"].nan_to_num(-1.0), b["distance"].nan_to_num(-1.0))
    assert torch.equal(a["z_end"], b["z_end"])
    assert (a["status"] == fig2.CROSSED).sum() >= 10
    assert all(p.grad is None and p.requires_grad for p in clf.parameters())


def test_invalid_budget_is_an_error():
    clf = _linear([[1.0, 0.0]], [0.0])
    with pytest.raises(ValueError, match="step must be > 0"):
        fig2.crossing_distance(lambda z: z, clf, _z([[1.0, 0.0]]), torch.tensor([1]), step=0.0, max_steps=5)


def test_pick_test_images_is_stratified_and_seeded():
    labels = torch.tensor([0] * 90 + [1] * 10)
    idx = pick_test_images(labels, 30)
    assert len(idx) == 30 and torch.equal(idx, pick_test_images(labels, 30))
    assert int((labels[idx] == 1).sum()) == 10 and int((labels[idx] == 0).sum()) == 20
    assert torch.equal(pick_test_images(labels, None), torch.arange(100))
