"""The GAN chapter's experiment plumbing: Table 4 draws, Pareto rows, equal sample counts in fidelity scoring,
Naive (R) per repeat, like-for-like training-set sizes, arms, refusing to rank undefined scores."""

import numpy as np
import pandas as pd
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


def test_search_space_fidelity_scores_every_ensemble_on_as_many_samples_as_the_reference():
    rng = np.random.default_rng(0)
    feats = {"real": torch.as_tensor(rng.normal(size=(40, 3))),
             "fakes": [torch.as_tensor(rng.normal(size=(40, 3))) for _ in range(6)]}
    sizes = {len(m): ex.fidelity_row(feats, m, 3)["n_samples"] for m in [(0,), (1, 2), (0, 2, 4), range(6)]}
    assert set(sizes.values()) == {40}


def test_the_search_space_table_is_a_cached_step_equal_to_computing_it(cache_dir):
    """The gan_fidelity page's "what the search saw" table went through no cache (95 s of a warm quick rebuild)."""
    from synthmed import cache

    rng = np.random.default_rng(0)
    feats = {"real": torch.as_tensor(rng.normal(size=(30, 3))),
             "fakes": [torch.as_tensor(rng.normal(size=(30, 3))) for _ in range(4)]}
    sets = {"single_average": [(0,), (1,), (2,), (3,)], "ours": [(0, 2)]}
    with cache.recording() as first:
        rows = ex.search_space_rows("toy", feats, sets, 3)
    with cache.recording() as second:
        again = ex.search_space_rows("toy", feats, sets, 3)
    assert [e["event"] for e in first] == ["miss"] and [e["event"] for e in second] == ["hit"]
    direct = [ex.fidelity_row(feats, m, 3, frechet=True) for m in sets["single_average"]]
    assert again == rows and rows[0]["strategy"] == "single_average" and rows[1]["strategy"] == "ours"
    assert rows[0]["frechet"] == float(np.mean([x["frechet"] for x in direct]))
    with cache.recording() as other:
        ex.search_space_rows("toy", feats, {"ours": [(1, 3)]}, 3)
    assert [e["event"] for e in other] == ["miss"]


def test_pareto_rows_keep_eq6_and_spread_along_the_front():
    class R:
        pareto_x = np.zeros((10, 4))
    rows = ex.pareto_rows(R(), 3)
    assert rows[0] == 0 and len(rows) == 3 and rows[-1] == 9

    assert ex.pareto_rows(R(), 10) == list(range(10))  # a front within the cap is trained whole
    assert ex.pareto_rows(R(), 50) == list(range(10))


def test_naive_random_draws_one_ensemble_per_repeat():
    draws = ex.naive_random_draws(21, 4, repeats=5, seed=0)
    assert len(draws) == 5 and all(len(d) == 4 == len(set(d)) and list(d) == sorted(d) for d in draws)
    assert all(0 <= i < 21 for d in draws for i in d)
    assert len(set(draws)) > 1  # re-drawn, not one draw shared by every repeat
    assert draws == ex.naive_random_draws(21, 4, repeats=5, seed=0)
    assert draws[:3] == ex.naive_random_draws(21, 4, repeats=3, seed=0)  # repeat r's draw does not depend on R
    with pytest.raises(ValueError, match="1..21"):
        ex.naive_random_draws(21, 22, repeats=1, seed=0)


def test_rank_refuses_undefined_scores():
    assert ex.rank([0.2, 0.9, 0.5], "x").tolist() == [1, 2, 0]
    with pytest.raises(ValueError, match="cannot rank the singles: 2 of 3 values are undefined"):
        ex.rank([float("nan"), 0.3, float("nan")], "the singles")


def _rec(n_images=None):
    """A fabricated chapter record: 4 candidates, 2 seeds; g-mean rises with the sum of the members' indices."""
    n_images = n_images or {}
    naive_r = [(1, 2), (0, 3)]
    sets = [None, (0,), (1,), (2,), (3,), (0, 1), (0, 1, 2, 3), (0, 1, 2), *naive_r]
    rows = []
    for m in dict.fromkeys(sets):
        for seed in (0, 1):
            g = 0.5 if m is None else 0.1 * sum(m) / len(m) + 0.01 * len(m) + 0.01 * seed
            rows.append({"dataset": "toy", "members": m, "seed": seed, **{k: g for k in ex.METRICS},
                         "constant": False, "n_images": n_images.get(m, 10)})
    return {"feats": {"fakes": [None] * 4}, "runs": pd.DataFrame(rows), "ours": (0, 1),
            "naive_all": (0, 1, 2, 3), "naive_random": naive_r, "pareto": [(0, (0, 1)), (1, (0, 1, 2))]}


def test_strategies_pair_naive_random_draw_r_with_repeat_r_and_name_their_arms():
    strat = ex.strategies(_rec())
    nr = strat["naive_random"]["runs"]
    assert nr["seed"].tolist() == [0, 1] and nr["arm"].tolist() == ["1,2", "0,3"]
    assert nr["g_mean"].tolist() == pytest.approx([0.17, 0.18])
    assert strat["ours"]["runs"]["arm"].eq("0,1").all() and strat["real"]["runs"]["arm"].eq("real").all()
    assert strat["oracle"]["members"] == (0, 1, 2) and strat["oracle"]["row"] == 1  # best trained Pareto row
    assert strat["single_top1"]["members"] == (3,)
    frame = ex.strategy_runs({"toy": _rec()})
    assert set(frame["n_images"]) == {10} and frame.groupby("strategy").size().eq(2).all()


def test_a_training_set_of_another_size_than_the_real_one_is_refused():
    with pytest.raises(ValueError, match="differ in size from the real one"):
        ex.strategies(_rec({(2,): 12}))
    with pytest.raises(ValueError, match="naive_random"):
        ex.strategies(_rec({(0, 3): 9}))


def test_fidelity_sets_use_each_replicates_own_naive_random_draw():
    rec = _rec()
    strat = ex.strategies(rec)
    s0, s1 = ex.fidelity_sets(rec, strat, 0), ex.fidelity_sets(rec, strat, 1)
    assert s0["naive_random"] == (1, 2) and s1["naive_random"] == (0, 3)
    assert s0["ours"] == (0, 1) and {f"single:{i}" for i in range(4)} <= set(s0)


def test_searches_are_cached_by_the_content_of_their_features(monkeypatch, tmp_path):
    monkeypatch.setenv("SYNTHMED_CACHE_DIR", str(tmp_path))
    rng = np.random.default_rng(0)
    feats = {"real": torch.as_tensor(rng.normal(size=(30, 4)), dtype=torch.float32),
             "fakes": [torch.as_tensor(rng.normal(size=(30, 4)), dtype=torch.float32) for _ in range(5)]}
    settings = {"k": 3, "pop_size": 8, "n_gen": 3, "seed": 0}
    a = ex.run_search(feats, settings)
    assert len(list((tmp_path / "gan_search").glob("*.pt"))) == 1
    b = ex.run_search(feats, settings)
    assert np.array_equal(a.pareto_x, b.pareto_x) and len(list((tmp_path / "gan_search").glob("*.pt"))) == 1
    moved = {**feats, "fakes": [f + 1 for f in feats["fakes"]]}
    ex.run_search(moved, settings)
    ex.run_search(feats, settings, subset=[0, 1, 2])
    assert len(list((tmp_path / "gan_search").glob("*.pt"))) == 3
