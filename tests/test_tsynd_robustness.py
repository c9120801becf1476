import pytest
import torch

from synthmed.tsynd.classifiers import classification_loss
from synthmed.tsynd.robustness import evaluate, fgsm, gaussian_noise, noise_sweep, perturb, predict


@pytest.fixture(scope="module")
def md(fit_tiny_cnn):
    torch.manual_seed(0)
    x = torch.rand(32, 1, 28, 28)
    y = (x.mean((1, 2, 3)) > x.mean()).long()
    return fit_tiny_cnn(x, y, hidden=16, steps=20), x, y


def test_fgsm_with_zero_eps_leaves_accuracy_unchanged(md):
    model, x, y = md
    clean = evaluate(model, x, y, ("clean",))[0]
    adv = fgsm(model, x, y, 0.0)
    assert torch.equal(adv, x)
    assert torch.equal(predict(model, adv), predict(model, x))
    assert evaluate(model, x, y, ("fgsm",), eps=0.0)[0]["accuracy"] == clean["accuracy"]


def test_fgsm_stays_in_range_and_budget_and_raises_loss(md):
    model, x, y = md
    adv = fgsm(model, x, y, 0.05)
    assert adv.min() >= 0 and adv.max() <= 1
    assert (adv - x).abs().max() <= 0.05 + 1e-6
    with torch.no_grad():
        assert classification_loss(model(adv), y) > classification_loss(model(x), y)


def test_gaussian_noise_is_clamped_and_seeded():
    x = torch.full((10, 1, 8, 8), 0.5)
    a = gaussian_noise(x, 0.2, torch.Generator().manual_seed(0))
    b = gaussian_noise(x, 0.2, torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and a.min() >= 0 and a.max() <= 1
    assert abs(float((a - x).std()) - 0.2) < 0.03


def test_evaluate_rows_carry_balanced_accuracy_and_flag(md):
    model, x, y = md
    rows = evaluate(model, x, y)
    assert [r["test_condition"] for r in rows] == ["clean", "gaussian", "fgsm"]
    assert all({"accuracy", "balanced_accuracy", "constant", "majority_rate"} <= set(r) for r in rows)
    assert [r["level"] for r in rows] == [0.0, 0.2, 0.02]
    # uint8 images score exactly as the same images in [0, 1]
    as_uint8 = (x * 255).round().to(torch.uint8)
    assert evaluate(model, as_uint8, y, ("clean",))[0] == evaluate(model, as_uint8.float() / 255, y, ("clean",))[0]


def test_noise_sweep_rows_and_zero_sigma_equals_clean(md):
    model, x, y = md
    rows = noise_sweep(model, x, y, (0.0, 0.05, 0.5), seed=1)
    assert [(r["test_condition"], r["level"]) for r in rows] == [("gaussian", 0.0), ("gaussian", 0.05),
                                                                 ("gaussian", 0.5)]
    assert rows[0]["accuracy"] == evaluate(model, x, y, ("clean",))[0]["accuracy"]
    assert rows == noise_sweep(model, x, y, (0.0, 0.05, 0.5), seed=1)


def test_unknown_condition(md):
    model, x, y = md
    try:
        perturb(model, x, y, "blur")
    except ValueError as err:
        assert "clean, gaussian, fgsm" in str(err)
    else:
        raise AssertionError("no error")
