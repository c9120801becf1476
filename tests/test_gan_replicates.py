"""A replicate is the whole GAN chapter (issue 33, item 1): replicate r's seed reaches the real subset, the zoo, the
features, the searches, Naive (R)'s draw (per dataset), the synthetic samples and the classifier; the chapter is
deterministic under its seed. Real (tiny) torch GANs, embeddings, searches and classifiers on a toy dataset."""

import numpy as np
import pandas as pd
import pytest
import torch

from synthmed import profiles
from synthmed.gan import experiment as ex
from synthmed.gan import chapter, runs
from test_gan_runs import _toy


def test_replicate_settings_shift_the_seed_and_run_one_classifier_per_set():
    s = {"seed": 7, "repeats": 3, "gans": ["dcgan", "sngan"]}
    reps = ex.replicate_list(s)
    assert [r["seed"] for r in reps] == [7, 8, 9] and {r["repeats"] for r in reps} == {1}
    assert [r["replicate"] for r in reps] == [0, 1, 2] and s["seed"] == 7  # the base settings are untouched


def test_naive_random_draws_differ_per_dataset_and_replicate_and_repeat_under_a_seed():
    draw = {(d, seed): ex.naive_random_draws(21, 4, 1, seed, stream=d)[0]
            for d in ("pneumoniamnist", "breastmnist") for seed in range(5)}
    assert draw == {(d, seed): ex.naive_random_draws(21, 4, 1, seed, stream=d)[0] for d, seed in draw}
    for seed in range(5):  # the two datasets of one replicate draw independently (issue 33: they were equal)
        assert draw[("pneumoniamnist", seed)] != draw[("breastmnist", seed)]
    assert len({draw[("breastmnist", s)] for s in range(5)}) == 5  # replicates draw afresh


def _settings(seed=0):
    s = dict(profiles.resolve("gan_ensemble", "smoke"))
    s.update(datasets=["toy"], gans=["dcgan", "sngan"], gan_iters=4, gan_snapshots=2, gan_width=4, n_train=30,
             n_feat=12, k=2, backbones=["random"], max_oracle=2, epochs=1, table4_sizes=[2], table4_draws=1,
             repeats=2, workers=1, seed=seed)
    return s


@pytest.fixture
def toy(monkeypatch):
    ds = _toy()
    monkeypatch.setattr(runs, "load_medmnist", lambda name: ds)
    runs.dataset.cache_clear()
    yield ds
    runs.dataset.cache_clear()


def _run(tmp, monkeypatch, settings):
    monkeypatch.setenv("SYNTHMED_CACHE_DIR", str(tmp))
    with torch.inference_mode(False):
        return ex.chapter(settings, "cpu", progress=False)


def test_two_replicates_train_two_zoos_and_search_apart_and_the_chapter_repeats_under_its_seed(
        toy, monkeypatch, tmp_path):
    out = _run(tmp_path / "a", monkeypatch, _settings())
    r0, r1 = out["toy"]["replicates"]
    assert (r0["seed"], r1["seed"]) == (0, 1) and out["toy"]["seed"] == 0
    # every random stage differs between replicates: zoo, search features (and so the search), classifier seed
    w0 = next(iter(r0["zoo"][0]["snapshots"][-1].values()))
    w1 = next(iter(r1["zoo"][0]["snapshots"][-1].values()))
    assert not torch.equal(w0, w1)
    assert not torch.equal(r0["feats"]["fakes"][0], r1["feats"]["fakes"][0])
    assert not np.array_equal(r0["result"].seen_f, r1["result"].seen_f)
    assert set(r0["runs"]["seed"]) == {0} and set(r1["runs"]["seed"]) == {1}
    frame = ex.strategy_runs(out)
    assert all(sorted(g) == [0, 1] for _, g in frame.groupby("strategy")["seed"])
    # Table A2 with an enumerated space: eq. 6's choice is the Intra-d maximum, the Intra-d-only optimum
    a2 = ex.a2_choices(out)
    assert len(a2) == 2 and (a2["method"] == "exhaustive").all()
    np.testing.assert_allclose(a2["intra_d_multi"], a2["intra_d_max"])
    np.testing.assert_allclose(a2["intra_d_only"], a2["intra_d_max"])  # different ensembles only in a tie
    assert (a2.loc[a2["same"], "cost"] == 0).all() and ex.ablation_runs(out)["arm"].notna().all()
    # the cost model counts what runs: every replicate's zoo, and every training set a replicate asks for (at most
    # max_oracle front solutions per backbone; a set two strategies share is trained once)
    settings = _settings()
    assert chapter.zoo_workload("gan_zoo", settings)[0].runs == len(list((tmp_path / "a" / "gan_zoo").glob("*.pt")))
    modelled = chapter.downstream_workload("gan_ensemble", settings)[0].runs
    short = sum(min(settings["max_oracle"], 4) - len(b["rows"]) for _, r in ex.replicates(out)
                for b in r["backbones"].values())
    assert modelled == sum(r["requested"] for _, r in ex.replicates(out)) + short
    assert sum(len(r["runs"]) for _, r in ex.replicates(out)) == len(list((tmp_path / "a" / "gan_downstream")
                                                                          .glob("*.pt"))) <= modelled
    # deterministic: a fresh cache and the same seed give the same chapter
    again = _run(tmp_path / "b", monkeypatch, _settings())
    pd.testing.assert_frame_equal(frame, ex.strategy_runs(again))
    assert [r["naive_random"] for r in again["toy"]["replicates"]] == [r0["naive_random"], r1["naive_random"]]
    # the replicate's seed, not its position, decides it: seed 1's replicate 0 is seed 0's replicate 1
    shifted = _run(tmp_path / "c", monkeypatch, _settings(seed=1))["toy"]["replicates"][0]
    assert torch.equal(shifted["feats"]["fakes"][0], r1["feats"]["fakes"][0]) and shifted["ours"] == r1["ours"]
