import random
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import torch

from synthmed.tsynd.autoencoder import VQVAE, VQVAEConfig, reconstruction_mse, train_vqvae
from synthmed.tsynd.report import class_shares, constant_like, paper_constant_cells
from synthmed.tsynd.training import TrainConfig, load_classifier, train_classifier


def _data(n=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 28, 28, generator=g)
    y = (x[:, :, :, :14].mean((1, 2, 3)) > x[:, :, :, 14:].mean((1, 2, 3))).long()
    return x, y


# Every field a profile sets (TrainConfig has no defaults but the ascent objective): small values for speed.
SMALL = {"backbone": "smallcnn", "width": 4, "hidden": 8, "dropout": 0.5, "iterations": 6, "epochs": None,
         "batch_size": 8, "lr": 1e-3, "weight_decay": 1e-4, "eval_every": 3, "select_on": "accuracy", "k": 3,
         "noise_sigma": 0.5, "ascent_steps": 1, "ascent_lr": 0.05, "latent_units": "std"}


def _cfg(method="baseline", **kw):
    return TrainConfig(**{"method": method, **SMALL, **kw})


def _vqvae():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        vq = VQVAE(1, hidden=8, latent_dim=4, codebook_size=16).eval()
        vq.encode(_data()[0])  # a fresh quantiser k-means-initialises its codebook on first use
    return vq


def test_training_is_deterministic_and_keeps_best_state():
    x, y = _data()
    state = torch.get_rng_state()
    a = train_classifier(x, y, x[:10], y[:10], 2, _cfg(), seed=1, progress=False)
    assert torch.equal(torch.get_rng_state(), state)  # no global seed was set
    b = train_classifier(x, y, x[:10], y[:10], 2, _cfg(), seed=1, progress=False)
    c = train_classifier(x, y, x[:10], y[:10], 2, _cfg(), seed=2, progress=False)
    assert all(torch.equal(a["state_dict"][k], b["state_dict"][k]) for k in a["state_dict"])
    assert not all(torch.equal(a["state_dict"][k], c["state_dict"][k]) for k in a["state_dict"])
    assert [h["step"] for h in a["history"]] == [3, 6]
    assert a["best_val"]["accuracy"] == max(h["accuracy"] for h in a["history"])
    # fit's rule on ties: the best accuracy, then the lowest validation loss, then the later evaluation
    best = max(a["history"], key=lambda h: (h["accuracy"], -h["loss"], h["step"]))
    assert a["best_iteration"] == best["step"] and a["best_is_first"] == (best["step"] == 3)
    model = load_classifier(a, 1, 2, 28)
    assert model(x[:2]).shape == (2, 1)


def test_epochs_give_ceil_n_over_b_steps_per_epoch_with_one_evaluation_each():
    cfg = _cfg(epochs=3, iterations=None, eval_every=None)
    assert "iterations" not in cfg.as_dict() and cfg.as_dict()["epochs"] == 3
    fc = cfg.fit_config(20)  # 20 images, batch 8: 3 steps per epoch
    assert (fc.steps, fc.eval_every) == (9, 3)
    fc = cfg.fit_config(5)  # fewer images than a batch: one step per epoch
    assert (fc.steps, fc.eval_every) == (3, 1)
    x, y = _data(20)
    res = train_classifier(x, y, x[:10], y[:10], 2, cfg, seed=0, progress=False)
    assert [h["step"] for h in res["history"]] == [3, 6, 9]


def test_tsynd_uses_the_autoencoder_and_differs_from_noise():
    x, y = _data()
    vq = _vqvae()
    noise = train_classifier(x, y, x[:10], y[:10], 2, _cfg("noise"), seed=3, vqvae=vq, progress=False)
    tsynd = train_classifier(x, y, x[:10], y[:10], 2, _cfg("tsynd"), seed=3, vqvae=vq, progress=False)
    again = train_classifier(x, y, x[:10], y[:10], 2, _cfg("tsynd"), seed=3, vqvae=vq, progress=False)
    assert all(torch.equal(tsynd["state_dict"][k], again["state_dict"][k]) for k in tsynd["state_dict"])
    assert not all(torch.equal(tsynd["state_dict"][k], noise["state_dict"][k]) for k in tsynd["state_dict"])


_CHILD = textwrap.dedent("""
    import os, signal, sys
    import torch
    torch.set_num_threads(1)
    sys.path.insert(0, {tests!r})
    import test_tsynd_training as t
    from synthmed.tsynd import training
    kill_at, calls = {kill_at}, [0]
    real = training.synthesize
    def counting(*a, **kw):
        calls[0] += 1
        if calls[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*a, **kw)
    training.synthesize = counting
    vq = t.VQVAE(1, hidden=8, latent_dim=4, codebook_size=16)
    vq.load_state_dict(torch.load({vq_path!r}))
    x, y = t._data()
    training.train_classifier(x, y, x[:10], y[:10], 2, t._cfg("tsynd", iterations=8, eval_every=2), seed=5,
                              vqvae=vq.eval(), checkpoint={ckpt!r}, progress=False)
""")


def test_resume_after_sigkill_equals_an_uninterrupted_run(tmp_path):
    """A TSynD run killed (SIGKILL, in a subprocess) at a random step resumes from its last checkpoint to the
    same final weights as a run that was never interrupted."""
    vq, x, y = _vqvae(), *_data()
    vq_path, ckpt = tmp_path / "vq.pt", tmp_path / "run.ckpt"
    torch.save(vq.state_dict(), vq_path)
    kill_at = random.randrange(3, 9)  # after the first checkpoint (step 2), before the end (step 8)
    child = _CHILD.format(tests=str(__import__("pathlib").Path(__file__).parent), kill_at=kill_at,
                          vq_path=str(vq_path), ckpt=str(ckpt))
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, f"child was not killed at step {kill_at}: {proc.stderr[-2000:]}"
    assert ckpt.exists()
    cfg = _cfg("tsynd", iterations=8, eval_every=2)
    resumed = train_classifier(x, y, x[:10], y[:10], 2, cfg, seed=5, vqvae=vq, checkpoint=ckpt, progress=False)
    full = train_classifier(x, y, x[:10], y[:10], 2, cfg, seed=5, vqvae=vq, progress=False)
    assert [h["step"] for h in resumed["history"]] == [2, 4, 6, 8]
    assert resumed["best_iteration"] == full["best_iteration"]
    assert resumed["ascent"]["trace"] == full["ascent"]["trace"]  # the per-step record survives the kill
    assert resumed["ascent"]["steps"] == 8
    for k in full["state_dict"]:
        assert torch.equal(full["state_dict"][k], resumed["state_dict"][k]), f"{k} differs (killed at {kill_at})"


def test_bad_settings_are_rejected_with_their_name():
    x, y = _data()
    with pytest.raises(ValueError, match="needs an autoencoder"):
        train_classifier(x, y, x, y, 2, _cfg("noise"), progress=False)
    with pytest.raises(ValueError, match="valid: baseline, noise, tsynd"):
        _cfg("mixup")
    with pytest.raises(ValueError, match="latent_units"):
        _cfg(latent_units="pixels")
    with pytest.raises(ValueError, match="epochs, or iterations"):
        _cfg(iterations=None)
    with pytest.raises(ValueError, match="valid: smallcnn, resnet18"):
        _cfg(backbone="resnet19")
    for key in SMALL:  # no defaults: every value comes from the profile
        with pytest.raises(TypeError, match=key):
            TrainConfig(method="baseline", **{k: v for k, v in SMALL.items() if k != key})
    # baseline cache identity does not depend on generator knobs
    assert _cfg(noise_sigma=0.1).as_dict() == _cfg(noise_sigma=2.0).as_dict()
    assert _cfg("noise", ascent_lr=0.1).as_dict() == _cfg("noise", ascent_lr=0.3).as_dict()


@pytest.mark.slow
def test_vqvae_learns_to_reconstruct():
    g = torch.Generator().manual_seed(0)
    x = torch.nn.functional.interpolate(torch.rand(64, 1, 7, 7, generator=g), size=28, mode="bilinear")
    untrained = VQVAE(1, hidden=8, latent_dim=4, codebook_size=16).eval()
    model = train_vqvae(x, 1, VQVAEConfig(hidden=8, latent_dim=4, codebook_size=16, steps=60, batch_size=32, lr=5e-3),
                        progress=False)
    assert reconstruction_mse(model, x) < 0.8 * reconstruction_mse(untrained, x)


def test_paper_cells_matching_a_class_share_are_found():
    shares = {"toy": class_shares([0] * 114 + [1] * 42)}
    assert np.isclose(shares["toy"][0], 100 * 114 / 156)
    assert constant_like(73.1, shares["toy"]) == 0 and constant_like(26.9, shares["toy"]) == 1
    assert constant_like(80.0, shares["toy"]) is None
    ref = pd.DataFrame({"test_condition": ["clean", "gaussian"], "method": ["Baseline"] * 2, "dataset": ["toy"] * 2,
                        "fraction": [0.1, 0.1], "accuracy": [80.0, 73.1]})
    cells = paper_constant_cells(ref, shares)
    assert list(cells["test_condition"]) == ["gaussian"]
