import pytest
import torch

from synthmed import fit
from synthmed.tsynd.classifiers import build_classifier, classification_loss, inverted_dropout, n_outputs


@pytest.mark.parametrize("size,channels,classes", [(28, 1, 2), (28, 3, 5), (64, 1, 3)])
def test_cnn_shapes(size, channels, classes):
    model = build_classifier("cnn", channels, classes, size).eval()
    x = torch.rand(4, channels, size, size)
    assert model(x).shape == (4, n_outputs(classes))
    assert model.mc_logits(x, 7).shape == (7, 4, n_outputs(classes))
    assert fit.classes(model(x)).shape == (4,)


def test_trunk_runs_once_per_mc_estimate():
    model = build_classifier("cnn", 1, 3, 28).eval()
    calls = []
    model.trunk.register_forward_hook(lambda *a: calls.append(1))
    out = model.mc_logits(torch.rand(2, 1, 28, 28), 10)
    assert len(calls) == 1
    # the K head samples differ (dropout on), the deterministic forward does not
    assert not torch.allclose(out[0], out[1])
    x = torch.rand(2, 1, 28, 28)
    assert torch.equal(model(x), model(x))


def test_mc_logits_mean_close_to_naive_scheme_distribution():
    torch.manual_seed(0)
    model = build_classifier("cnn", 1, 3, 28, width=8).eval()
    x = torch.rand(3, 1, 28, 28)
    fast = model.mc_logits(x, 1000).mean(0)
    naive = model.mc_logits_naive(x, 100).mean(0)
    assert torch.allclose(fast, naive, atol=0.1)


def test_binary_loss_and_bad_inputs():
    logits = torch.tensor([[10.0], [-10.0]])
    assert float(classification_loss(logits, torch.tensor([1, 0]))) < 1e-3
    with pytest.raises(ValueError, match="at least 2 classes"):
        build_classifier("cnn", 1, 1)
    with pytest.raises(ValueError, match="valid: smallcnn, resnet18, resnet50, densenet121, vgg16"):
        build_classifier("vgg", 1, 2)
    with pytest.raises(ValueError, match="k"):
        build_classifier("cnn", 1, 2).mc_logits(torch.rand(1, 1, 28, 28), 0)


def test_seeded_build_is_reproducible_and_leaves_the_global_rng_alone():
    state = torch.get_rng_state()
    a, b = build_classifier("smallcnn", 1, 2, seed=3), build_classifier("cnn", 1, 2, seed=3)
    c = build_classifier("smallcnn", 1, 2, seed=4)
    assert torch.equal(torch.get_rng_state(), state)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not torch.equal(sa["head.fc1.weight"], sc["head.fc1.weight"])
    assert not torch.equal(sa["trunk.body.0.weight"], sc["trunk.body.0.weight"])


@pytest.mark.slow
@pytest.mark.parametrize("backbone", ["resnet18", "densenet121"])
def test_paper_architectures(backbone):
    model = build_classifier(backbone, 3, 4, 28).eval()
    x = torch.rand(2, 3, 28, 28)
    assert model.mc_logits(x, 3).shape == (3, 2, 4)


def test_inverted_dropout_keeps_1_minus_p_scaled_and_passes_gradient_through_the_mask():
    x = torch.full((200, 100), 3.0, requires_grad=True)
    torch.manual_seed(0)
    y = inverted_dropout(x, 0.25, on=True)
    kept = y != 0
    assert torch.allclose(y[kept], torch.tensor(4.0))  # 3 / (1 - 0.25)
    assert abs(float(kept.float().mean()) - 0.75) < 0.01  # 20,000 draws: std of the rate 0.003
    y.sum().backward()
    assert torch.equal(x.grad, kept.float() * 4 / 3)
    torch.manual_seed(0)
    assert torch.equal(inverted_dropout(x, 0.25, on=True), y)  # seeded
    assert inverted_dropout(x, 0.5, on=False) is x and inverted_dropout(x, 0.0, on=True) is x
    assert torch.equal(inverted_dropout(x, 1.0, on=True), torch.zeros_like(x))
