"""synthmed.fit: the one supervised loop, its checkpoint and predict."""

from __future__ import annotations

import random

import pytest
import torch
from torch import nn

from synthmed import fit, models


def _toy(n: int = 64, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 8, 8, generator=g)
    y = (x.mean(dim=(1, 2, 3)) > 0).long()
    return x, y


def _train(config: fit.FitConfig, seed: int = 0, checkpoint=None, evaluate=None):
    x, y = _toy()
    model = models.create("smallcnn", 1, 2, 8, width=4, seed=seed)

    def loss_fn(m, idx, gen):
        return nn.functional.cross_entropy(m(x[idx]), y[idx])

    def default_eval(m):
        pred = fit.classes(fit.predict(m, x, device="cpu"))
        return {"accuracy": float((pred == y).float().mean()), "balanced_accuracy": float((pred == y).float().mean())}

    return fit.fit(model, loss_fn, len(x), evaluate or default_eval, config, seed=seed, device="cpu",
                   checkpoint=checkpoint, progress=False)


def test_same_seed_same_weights_and_global_rng_untouched():
    config = fit.FitConfig(steps=12, eval_every=4, batch_size=16)
    state = torch.get_rng_state()
    a, b = _train(config), _train(config)
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(a.state_dict[k], b.state_dict[k]) for k in a.state_dict)
    c = _train(config, seed=1)
    assert any(not torch.equal(a.state_dict[k], c.state_dict[k]) for k in a.state_dict)


def test_keeps_best_or_last_by_the_named_metric():
    scores = iter([0.2, 0.9, 0.1])  # evaluations at steps 2, 4, 6
    result = _train(fit.FitConfig(steps=6, eval_every=2, monitor="score"), evaluate=lambda m: {"score": next(scores)})
    assert result.step == 4 and result.metrics == {"score": 0.9}
    assert [h["step"] for h in result.history] == [2, 4, 6]
    scores = iter([0.2, 0.9, 0.1])
    last = _train(fit.FitConfig(steps=6, eval_every=2, monitor="score", keep="last"),
                  evaluate=lambda m: {"score": next(scores)})
    assert last.step == 6 and last.metrics == {"score": 0.1}


def test_a_flat_curve_keeps_the_lowest_validation_loss_then_the_later_evaluation():
    # accuracy ties at 0.5 on evaluations 1-4 (steps 2-8); losses pick step 6, and 4 vs 6 tie on loss: later wins
    evals = iter([{"accuracy": 0.5, "loss": 0.9}, {"accuracy": 0.5, "loss": 0.7}, {"accuracy": 0.5, "loss": 0.7},
                  {"accuracy": 0.5, "loss": 0.8}])
    result = _train(fit.FitConfig(steps=8, eval_every=2, monitor="accuracy"), evaluate=lambda m: next(evals))
    assert result.step == 6 and result.metrics == {"accuracy": 0.5, "loss": 0.7}
    assert not result.best_is_first
    # a strictly better monitor value beats any loss
    evals = iter([{"accuracy": 0.5, "loss": 0.1}, {"accuracy": 0.6, "loss": 2.0}, {"accuracy": 0.5, "loss": 0.0}])
    assert _train(fit.FitConfig(steps=6, eval_every=2, monitor="accuracy"), evaluate=lambda m: next(evals)).step == 4


def test_a_flat_curve_without_a_loss_keeps_the_later_evaluation():
    result = _train(fit.FitConfig(steps=8, eval_every=2, monitor="accuracy"), evaluate=lambda m: {"accuracy": 0.5})
    assert result.step == 8 and not result.best_is_first
    losses = iter([0.1, 0.5, 0.9, 1.0])  # tie_break=None ignores the loss
    none = _train(fit.FitConfig(steps=8, eval_every=2, monitor="accuracy", tie_break=None),
                  evaluate=lambda m: {"accuracy": 0.5, "loss": next(losses)})
    assert none.step == 8


def test_best_is_first_when_the_first_evaluation_stays_best():
    evals = iter([{"accuracy": 0.5, "loss": 0.5}, {"accuracy": 0.5, "loss": 0.6}, {"accuracy": 0.4, "loss": 0.1}])
    result = _train(fit.FitConfig(steps=6, eval_every=2, monitor="accuracy"), evaluate=lambda m: next(evals))
    assert result.step == 2 and result.best_is_first
    losses = iter([1.0, 1.0, 2.0])  # min mode ties too: the later of the equal minima
    result = _train(fit.FitConfig(steps=6, eval_every=2, monitor="loss", mode="min"),
                    evaluate=lambda m: {"loss": next(losses)})
    assert result.step == 4 and not result.best_is_first


def test_ties_do_not_reset_early_stopping():
    result = _train(fit.FitConfig(steps=20, eval_every=2, monitor="accuracy", patience=2),
                    evaluate=lambda m: {"accuracy": 0.5})
    assert result.stopped_early and result.steps_run == 6 and result.step == 6


def test_min_mode_and_early_stopping():
    losses = iter([1.0, 0.5, 0.6, 0.7, 0.8, 0.9])
    result = _train(fit.FitConfig(steps=12, eval_every=2, monitor="loss", mode="min", patience=2),
                    evaluate=lambda m: {"loss": next(losses)})
    assert result.stopped_early and result.steps_run == 8 and result.step == 4


def test_warmup_defers_early_stopping():
    losses = [1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1]
    kw = dict(steps=16, eval_every=2, monitor="loss", mode="min", patience=2)
    it = iter(losses)
    result = _train(fit.FitConfig(**kw, warmup=3), evaluate=lambda m: {"loss": next(it)})
    # evaluations 1-3 are warm-up; 4 and 5 are the two without improvement: stops at step 10, keeps step 4
    assert result.stopped_early and result.steps_run == 10 and result.step == 4
    it = iter(losses)
    assert _train(fit.FitConfig(**kw, warmup=0), evaluate=lambda m: {"loss": next(it)}).steps_run == 8


def test_plateau_patience_sets_when_the_learning_rate_drops():
    def lrs(patience):
        config = fit.FitConfig(steps=16, eval_every=2, monitor="score", schedule="plateau", lr=1e-2,
                               plateau_patience=patience)
        return [h["lr"] for h in _train(config, evaluate=lambda m: {"score": 0.5}).history]
    # constant score: the first evaluation is the best, then 1 + patience bad ones lower the LR
    assert lrs(2) == pytest.approx([1e-2] * 4 + [1e-3] * 3 + [1e-4])
    assert lrs(5) == pytest.approx([1e-2] * 7 + [1e-3])
    with pytest.raises(ValueError, match="warmup and plateau_patience"):
        fit.FitConfig(steps=2, eval_every=1, warmup=-1)


def test_plateau_schedule_lowers_the_learning_rate():
    result = _train(fit.FitConfig(steps=10, eval_every=2, monitor="score", schedule="plateau", lr=1e-2),
                    evaluate=lambda m: {"score": 0.5})
    lrs = [h["lr"] for h in result.history]
    assert lrs[0] == pytest.approx(1e-2) and lrs[-1] == pytest.approx(1e-3)


def test_missing_monitor_is_a_clear_error():
    with pytest.raises(KeyError, match="monitored 'balanced_accuracy'"):
        _train(fit.FitConfig(steps=2, eval_every=1), evaluate=lambda m: {"accuracy": 1.0})


@pytest.mark.parametrize("bad", [dict(steps=0, eval_every=1), dict(steps=1, eval_every=1, mode="up"),
                                 dict(steps=1, eval_every=1, schedule="step"), dict(steps=1, eval_every=1, keep="x")])
def test_bad_config_is_rejected(bad):
    with pytest.raises(ValueError):
        fit.FitConfig(**bad)


def test_epochs_to_steps():
    assert fit.epochs_to_steps(3, 10, 4) == 9
    with pytest.raises(ValueError):
        fit.epochs_to_steps(0, 10, 4)


def test_predict_batches_and_restores_mode():
    model = models.create("smallcnn", 1, 3, 8, width=4, seed=0)
    model.train()
    x = torch.randn(10, 1, 8, 8)
    full = fit.predict(model, x, device="cpu", batch_size=100)
    parts = fit.predict(model, x, device="cpu", batch_size=3)
    assert full.shape == (10, 3) and torch.allclose(full, parts, atol=1e-5)
    assert model.training
    assert fit.classes(torch.tensor([[0.3], [-0.2]])).tolist() == [1, 0]
    assert fit.classes(torch.tensor([[0.1, 0.7, 0.2]])).tolist() == [1]


def test_predict_with_prepare_and_tuple_inputs():
    class Two(nn.Module):
        def forward(self, a, b):
            return (a + b).sum(1, keepdim=True)

    a, b = torch.arange(6.0).reshape(3, 2), torch.ones(3, 2)
    out = fit.predict(Two(), (a, b), device="cpu", batch_size=2, prepare=lambda p, q: (p * 2, q))
    assert out.reshape(-1).tolist() == [4.0, 12.0, 20.0]


def test_checkpoint_round_trip(tmp_path):
    model = models.create("smallcnn", 1, 2, 8, width=4, seed=0)
    opt = torch.optim.Adam(model.parameters())
    gen = torch.Generator().manual_seed(3)
    ckpt = fit.Checkpoint(tmp_path / "c.ckpt")
    assert ckpt.restore(modules={"m": model}) is None
    ckpt.save(7, modules={"m": model}, optimizers={"o": opt}, generators={"g": gen}, extra={"note": "x"})
    expected = torch.rand(1, generator=gen)
    other = models.create("smallcnn", 1, 2, 8, width=4, seed=1)
    step, extra = ckpt.restore(modules={"m": other}, optimizers={"o": opt}, generators={"g": gen})
    assert (step, extra) == (7, {"note": "x"})
    assert torch.equal(torch.rand(1, generator=gen), expected)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), other.state_dict().values()))
    with pytest.raises(ValueError, match="no modules"):
        ckpt.restore(modules={"other": other})


FIT_SCRIPT = '''
import torch
from torch import nn
from synthmed import fit, models
g = torch.Generator().manual_seed(0)
x = torch.randn(64, 1, 8, 8, generator=g)
y = (x.mean(dim=(1, 2, 3)) > 0).long()
model = models.create("smallcnn", 1, 2, 8, width=4, seed=0)
def loss_fn(m, idx, gen):
    flip = torch.rand(1, generator=gen) < 0.5  # the loop's generator must resume too
    xb = x[idx].flip(3) if bool(flip) else x[idx]
    return nn.functional.cross_entropy(nn.functional.dropout(m(xb), 0.3), y[idx])  # global RNG (dropout)
def evaluate(m):
    pred = fit.classes(fit.predict(m, x, device="cpu"))
    return {"balanced_accuracy": float((pred == y).float().mean())}
res = fit.fit(model, loss_fn, 64, evaluate, fit.FitConfig(steps=40, eval_every=5, batch_size=16,
              schedule="plateau"), seed=0, device="cpu", checkpoint=CHECKPOINT, progress=False)
torch.save({"state": res.state_dict, "history": res.history, "step": res.step}, OUT)
'''


def test_killed_fit_resumes_to_the_uninterrupted_result(resume_check):
    kill_at = random.Random().randint(6, 38)
    full, resumed = resume_check(FIT_SCRIPT, kill_at)
    assert full["step"] == resumed["step"] and full["history"] == resumed["history"], kill_at
    for k, v in full["state"].items():
        assert torch.equal(v, resumed["state"][k]), (k, kill_at)
