"""The GAN chapter's experiment plumbing: Table 4 draws, Pareto rows, equal sample counts in fidelity scoring."""

import numpy as np
import pytest
import torch

from synthmed.gan import experiment as ex

GANS = ["dcgan", "sngan", "acgan", "wgangp", "lsgan", "diffaug", "style"]


def test_table4_draws_differ_and_respect_m():
    draws = ex.table4_draws(GANS, [3, 5], draws=4, seed=0)
    assert len(draws) == 8
    for d in draws:
        assert len(d["gans"]) == d["m"] == len(set(d["gans"])) and set(d["gans"]) <= set(GANS)
    for m in (3, 5):
        sets = {tuple(d["gans"]) for d in draws if d["m"] == m}
        assert len(sets) > 1  # not the first m in list order every time
    assert draws == ex.table4_draws(GANS, [3, 5], draws=4, seed=0)
    with pytest.raises(ValueError, match="2..7"):
        ex.table4_draws(GANS, [8], draws=1, seed=0)


def test_subset_of_picks_every_snapshot_of_the_drawn_gans():
    labels = [f"{g}@{i}" for g in GANS for i in (10, 20)]
    assert ex.subset_of(labels, ["sngan", "style"]) == [2, 3, 12, 13]


def test_fidelity_scores_every_strategy_on_the_same_number_of_samples():
    rng = np.random.default_rng(0)
    feats = {"real": torch.as_tensor(rng.normal(size=(40, 3))),
             "fakes": [torch.as_tensor(rng.normal(size=(40, 3))) for _ in range(6)]}
    sizes = {len(m): ex._half(feats, m, 3, seed=1)["n_samples"] for m in [(0,), (1, 2), (0, 2, 4), range(6)]}
    assert set(sizes.values()) == {20}  # one candidate or six: 20 samples, as many as the real half
    assert ex.fidelity_row(feats, (0, 1, 2), 3)["n_samples"] == 40


def test_pareto_rows_keep_eq6_and_spread_along_the_front():
    class R:
        pareto_x = np.zeros((10, 4))
    rows = ex.pareto_rows(R(), 3)
    assert rows[0] == 0 and len(rows) == 3 and rows[-1] == 9
