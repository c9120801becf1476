import numpy as np
import pandas as pd
import pytest
import torch

from synthmed.tsynd.autoencoder import VQVAE, VQVAEConfig, reconstruction_mse, train_vqvae
from synthmed.tsynd.report import class_shares, comparison_table, constant_like, paper_constant_cells
from synthmed.tsynd.training import TrainConfig, load_classifier, train_classifier


def _data(n=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 28, 28, generator=g)
    y = (x[:, :, :, :14].mean((1, 2, 3)) > x[:, :, :, 14:].mean((1, 2, 3))).long()
    return x, y


def _cfg(method="baseline", **kw):
    return TrainConfig(method=method, width=4, hidden=8, iterations=6, batch_size=8, eval_every=3, k=3,
                       ascent_steps=1, **kw)


def test_training_is_deterministic_and_keeps_best_state():
    x, y = _data()
    a = train_classifier(x, y, x[:10], y[:10], 2, _cfg(), seed=1, progress=False)
    b = train_classifier(x, y, x[:10], y[:10], 2, _cfg(), seed=1, progress=False)
    assert all(torch.equal(a["state_dict"][k], b["state_dict"][k]) for k in a["state_dict"])
    assert [h["iteration"] for h in a["history"]] == [3, 6]
    best = max(h["val_accuracy"] for h in a["history"])
    assert a["best_val"]["accuracy"] == best
    model = load_classifier(a, 1, 2, 28)
    assert model(x[:2]).shape == (2, 1)


@pytest.mark.slow
def test_resume_from_checkpoint_gives_the_same_result(tmp_path):
    x, y = _data()
    vq = VQVAE(1, hidden=8, latent_dim=4, codebook_size=16).eval()
    vq.encode(x)  # a fresh quantiser k-means-initialises its codebook on first use; do that before both runs
    full = train_classifier(x, y, x[:10], y[:10], 2, _cfg("tsynd"), seed=2, vqvae=vq, progress=False)
    ckpt = tmp_path / "run.ckpt"
    # "interrupted" after the first evaluation: a run of 3 iterations leaves the checkpoint behind
    train_classifier(x, y, x[:10], y[:10], 2, TrainConfig(**{**_cfg("tsynd").__dict__, "iterations": 3}), seed=2,
                     vqvae=vq, checkpoint=ckpt, progress=False)
    assert ckpt.exists()
    resumed = train_classifier(x, y, x[:10], y[:10], 2, _cfg("tsynd"), seed=2, vqvae=vq, checkpoint=ckpt,
                               progress=False)
    assert [h["iteration"] for h in resumed["history"]] == [3, 6]
    assert all(torch.allclose(full["state_dict"][k].float(), resumed["state_dict"][k].float())
               for k in full["state_dict"])


def test_noise_and_tsynd_need_an_autoencoder_and_bad_method_is_rejected():
    x, y = _data()
    with pytest.raises(ValueError, match="needs an autoencoder"):
        train_classifier(x, y, x, y, 2, _cfg("noise"), progress=False)
    with pytest.raises(ValueError, match="valid: baseline, noise, tsynd"):
        TrainConfig(method="mixup")
    # baseline cache identity does not depend on generator knobs
    assert _cfg(noise_sigma=0.1).as_dict() == _cfg(noise_sigma=2.0).as_dict()


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


def test_comparison_table_difference_and_flag():
    rows = [{"dataset": "toy", "fraction": 0.1, "test_condition": "clean", "method": "Baseline", "seed": s,
             "accuracy": a, "balanced_accuracy": 0.5, "constant": True} for s, a in ((0, 0.70), (1, 0.72))]
    ref = pd.DataFrame({"test_condition": ["clean"], "method": ["Baseline"], "dataset": ["toy"], "fraction": [0.1],
                        "accuracy": [75.0]})
    t = comparison_table(rows, ref, {"toy": 73.1})
    assert t.loc[0, "difference (ours - paper)"] == -4.0
    assert t.loc[0, "accuracy (ours)"].endswith("†")
    assert t.loc[0, "majority-class rate"] == 73.1
