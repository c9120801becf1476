"""TSynD issue 32: the matched control replays its paired TSynD run's displacement, through the cache; every run
records the latent's scale; the VQ-VAE is a replicate's random stage."""

from dataclasses import replace

import pytest

from synthmed import cache, profiles
from synthmed.tsynd import experiment

from conftest import requires_data


def _specs(seed: int = 0):
    s = profiles.resolve("tsynd", "smoke")
    return {m: experiment.make_specs(s, "breastmnist", 0.1, m, seed)[0] for m in experiment.training.METHODS}


@requires_data("medmnist/breastmnist.npz")
def test_noise_matched_replays_the_paired_tsynd_runs_displacement(cache_dir):
    specs = _specs(seed=1)
    with cache.recording() as events:
        matched = experiment.train(specs["noise_matched"], progress=False)  # cold: computes TSynD first
    misses = [e["name"] for e in events if e["event"] == "miss"]
    assert misses == ["tsynd_vqvae", "tsynd_train", "tsynd_train"]  # VQ-VAE, TSynD, then noise_matched
    with cache.recording() as events:
        tsynd = experiment.train(specs["tsynd"], progress=False)
    assert [e["event"] for e in events] == ["hit"]  # the replayed TSynD run is the cached one
    a, m = tsynd["ascent"], matched["ascent"]
    assert m["steps"] == a["steps"] == len(a["trace"]["norms"]) > 0
    for step, (na, nm) in enumerate(zip(a["trace"]["norms"], m["trace"]["norms"])):
        assert nm == pytest.approx(na, rel=1e-5, abs=1e-6), f"step {step}"
    assert m["trace"]["noise_rms"] == pytest.approx(a["trace"]["noise_rms"], rel=1e-6)  # the same noisy starts
    assert "after_random" in a and "after_random" not in m
    # the latent's scale is recorded: std of the VQ-VAE's latents, noise and move in its units, pixel change
    assert a["latent_std"] == tsynd["vqvae"]["latent_std"] > 0
    assert a["noise_std"] == pytest.approx(specs["tsynd"].train.noise_sigma, rel=0.2)  # latent_units "std"
    assert a["move_std"] > 0 and a["pixel_rms"] > 0
    rows = experiment.ascent_rows([specs["tsynd"], specs["noise_matched"]], [tsynd, matched])
    assert rows[0]["move_std"] == pytest.approx(rows[1]["move_std"], rel=1e-4)
    assert rows[0]["gain_random"] == rows[0]["after_random"] - rows[0]["before"]
    # a changed TSynD setting gives another replay source, so another key for the matched control
    keys = experiment.step_keys(specs["noise_matched"])
    other = replace(specs["noise_matched"], train=replace(specs["noise_matched"].train, ascent_lr=0.3))
    assert experiment.step_keys(other)["tsynd_train"] != keys["tsynd_train"]


@requires_data("medmnist/breastmnist.npz")
def test_the_vqvae_is_trained_under_the_runs_seed(cache_dir):
    s0, s1 = _specs(0)["noise"], _specs(1)["noise"]
    _, info0 = experiment.get_vqvae(s0.dataset, s0.vqvae, s0.seed, progress=False)
    _, info1 = experiment.get_vqvae(s1.dataset, s1.vqvae, s1.seed, progress=False)
    assert info0["seed"] == 0 and info1["seed"] == 1 and info0["latent_std"] != info1["latent_std"]


def test_best_is_first_reaches_the_rows():
    spec = _specs()["baseline"]
    rows = experiment.result_rows([spec], [{"test": [{"test_condition": "clean", "accuracy": 0.7}],
                                            "best_is_first": True}])
    assert rows[0]["best_is_first"] is True
