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


# ---- the attacks against a hand-worked FGSM and ART's own properties (issue 24) --------------------------------

def _hand_fgsm(model, x, y, eps):
    """x + eps * sign(grad of the training loss), clamped: FGSM written out with autograd."""
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(classification_loss(model(x), y), x)
    return (x + eps * g.sign()).clamp(0, 1).detach()


@pytest.mark.parametrize("n_classes", [2, 3])
def test_fgsm_equals_the_hand_worked_formula_on_a_fixed_model_and_image(n_classes):
    from synthmed.tsynd.classifiers import build_classifier

    model = build_classifier("cnn", 1, n_classes, 28, width=8, hidden=16, seed=3).eval()
    x = torch.rand(6, 1, 28, 28, generator=torch.Generator().manual_seed(4))
    y = torch.arange(6) % n_classes
    adv = fgsm(model, x, y, 0.03)
    expected = _hand_fgsm(model, x, y, 0.03)
    # same sign everywhere except where the gradient is ~0 (float32 sign noise between two autograd graphs)
    assert (adv - expected).abs().max() <= 0.06 + 1e-6
    assert float(((adv - expected).abs() < 1e-6).float().mean()) > 0.99


def test_pgd_one_step_from_the_image_is_fgsm_and_more_steps_hurt_more(md):
    from synthmed.tsynd.robustness import pgd

    model, x, y = md
    one = pgd(model, x, y, 0.05, steps=1, step_size=0.05, random_start=False)
    assert float(((one - fgsm(model, x, y, 0.05)).abs() < 1e-6).float().mean()) > 0.99
    many = pgd(model, x, y, 0.05, steps=10, seed=1)
    assert (many - x).abs().max() <= 0.05 + 1e-5 and many.min() >= 0 and many.max() <= 1
    with torch.no_grad():
        assert classification_loss(model(many), y) >= classification_loss(model(one), y)
    assert torch.equal(many, pgd(model, x, y, 0.05, steps=10, seed=1))  # seeded random start
    state = __import__("numpy").random.get_state()[1].copy()
    pgd(model, x, y, 0.05, steps=2, seed=7)
    assert (__import__("numpy").random.get_state()[1] == state).all()  # numpy's global RNG left alone


def test_transfer_from_the_model_itself_is_its_white_box_fgsm(md):
    from synthmed.tsynd.robustness import transfer

    model, x, y = md
    row = transfer(model, model, x, y, 0.05)
    assert row["test_condition"] == "transfer" and row["level"] == 0.05
    assert row["accuracy"] == evaluate(model, x, y, ("fgsm",), eps=0.05)[0]["accuracy"]


def test_pm1_convention_halves_sigma_and_clamping_brightens_black():
    from synthmed.tsynd.robustness import clamp_shift, pm1_sigma

    assert pm1_sigma(0.2) == 0.1
    black = torch.zeros(50, 1, 16, 16)
    # E[max(0, n)] = sigma / sqrt(2 pi) for n ~ N(0, sigma^2)
    assert abs(clamp_shift(black, 0.2) - 0.2 / (2 * torch.pi) ** 0.5) < 0.003
    assert abs(clamp_shift(torch.full((50, 1, 16, 16), 0.5), 0.2)) < 0.003
