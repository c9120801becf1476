"""Density/coverage against the `prdc` package, and the fast ensemble objective against recomputation."""

import contextlib
import io

import numpy as np
import torch
import pytest
from prdc import compute_prdc

from synthmed.gan.objective import evaluate, pool, precompute, recompute, shares
from synthmed.metrics.prdc import density_coverage, harmonic_d, knn_radii


def _prdc(real, fake, k):
    with contextlib.redirect_stdout(io.StringIO()):  # prdc prints the sample counts
        return compute_prdc(real, fake, k)


@pytest.mark.parametrize("k", [1, 3, 5, 10])
def test_density_coverage_matches_prdc(k):
    rng = np.random.default_rng(k)
    real = rng.normal(size=(120, 8)).astype(np.float32)
    fake = (rng.normal(size=(90, 8)) * 1.3 + 0.2).astype(np.float32)
    ours, ref = density_coverage(real, fake, k), _prdc(real, fake, k)
    assert abs(ours["density"] - ref["density"]) < 1e-6
    assert abs(ours["coverage"] - ref["coverage"]) < 1e-6


@pytest.mark.parametrize("k", [2, 5])
def test_density_coverage_matches_prdc_with_duplicates(k):
    rng = np.random.default_rng(10 + k)
    base = rng.normal(size=(40, 4))
    real = np.concatenate([base, base[:15], base[:5]])  # duplicated real points: zero-distance neighbours
    fake = np.concatenate([base[:10], rng.normal(size=(30, 4)), base[:10]])  # fakes on top of real points
    ours, ref = density_coverage(real, fake, k), _prdc(real, fake, k)
    assert abs(ours["density"] - ref["density"]) < 1e-6
    assert abs(ours["coverage"] - ref["coverage"]) < 1e-6


def test_hand_worked_case():
    real = np.array([[0.0], [1.0], [3.0]])
    # k=1 radii: 1, 1, 2. fake 0.5 lies in balls of 0 and 1 (0.5 < 1); fake 2.5 in ball of 3 (0.5 < 2) only.
    np.testing.assert_allclose(knn_radii(real, 1), [1, 1, 2])
    out = density_coverage(real, np.array([[0.5], [2.5]]), k=1)
    assert out["density"] == pytest.approx(3 / 2)
    assert out["coverage"] == pytest.approx(1.0)
    assert out["d"] == pytest.approx(2 * 1.5 / 2.5)
    assert harmonic_d(0.0, 0.0) == 0.0


def test_bad_input():
    with pytest.raises(ValueError, match="more than k"):
        knn_radii(np.zeros((3, 2)), 5)
    with pytest.raises(ValueError, match="same D"):
        density_coverage(np.zeros((10, 2)), np.zeros((4, 3)))


@pytest.mark.parametrize("pooling", ["equal", "stacked"])
def test_fast_objective_equals_recomputation(pooling):
    rng = np.random.default_rng(0)
    real = rng.normal(size=(80, 6))
    fakes = [rng.normal(size=(23, 6)) * rng.uniform(0.5, 1.5) + rng.normal(0, 0.5, 6) for _ in range(7)]
    stats = precompute(real, fakes, k=3)
    xs = rng.random((25, 7)) < 0.5
    xs[:, :2] = True  # at least two members
    xs[0] = [1, 0, 0, 0, 0, 0, 0]  # a single candidate: all of its 23 samples
    fast = evaluate(stats, xs, pooling)
    for p, x in enumerate(xs):
        ref = recompute(real, fakes, x, k=3, pooling=pooling)
        for key in ("density", "coverage", "intra_d", "inter_d", "n_members"):
            if np.isnan(ref[key]):
                assert np.isnan(fast[key][p])
            else:
                assert fast[key][p] == pytest.approx(ref[key], abs=1e-12), key


def test_every_ensemble_is_scored_on_the_same_number_of_samples():
    rng = np.random.default_rng(2)
    fakes = [rng.normal(size=(23, 2)) for _ in range(7)]
    xs = rng.random((40, 7)) < 0.5
    xs[:, 3] = True
    s = shares(xs, 23)
    assert (s.sum(axis=1) == 23).all()  # single GANs and ensembles alike: 23 synthetic samples
    assert ((s > 0) == xs).all()
    assert (s.max(axis=1) - np.where(xs, s, 99).min(axis=1) <= 1).all()  # equal shares up to one
    for x in xs:
        assert pool(fakes, x).shape == (23, 2)
    with pytest.raises(ValueError, match="same number of samples"):
        precompute(rng.normal(size=(30, 2)), [rng.normal(size=(10, 2)), rng.normal(size=(11, 2))], k=2)


def test_inter_d_is_one_direction_as_the_authors_code():
    """pair (g < h): density/coverage of g's samples against h's as the reference (prdc_bin_combinations.py)."""
    rng = np.random.default_rng(3)
    real = rng.normal(size=(40, 3))
    a, b = rng.normal(size=(20, 3)) * 0.3, rng.normal(size=(20, 3)) * 2.0  # very unequal spreads
    stats = precompute(real, [a, b], k=3)
    one_way = density_coverage(b, a, 3)["d"]
    other_way = density_coverage(a, b, 3)["d"]
    assert abs(one_way - other_way) > 0.05  # the direction matters on this pair
    assert stats.pair_d[0, 1] == stats.pair_d[1, 0] == pytest.approx(one_way, abs=1e-12)


def test_single_member_has_no_inter_d():
    rng = np.random.default_rng(1)
    stats = precompute(rng.normal(size=(30, 3)), [rng.normal(size=(10, 3)) for _ in range(3)], k=2)
    out = evaluate(stats, np.array([1, 0, 0]))
    assert np.isnan(out["inter_d"][0])
    with pytest.raises(ValueError, match="columns"):
        evaluate(stats, np.ones((1, 4)))


@pytest.mark.slow
def test_frechet_distance_matches_torch_fidelity():
    import torch

    import synthmed  # noqa: F401
    from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric

    from synthmed.metrics.fid import frechet_distance

    g = torch.Generator().manual_seed(0)
    for n, m, d in [(200, 150, 16), (30, 20, 64)]:  # full-rank and low-rank covariances
        x = torch.randn(n, d, generator=g, dtype=torch.float64)
        y = torch.randn(m, d, generator=g, dtype=torch.float64) * 1.3 + 0.2
        ref = fid_statistics_to_metric(fid_features_to_statistics(x), fid_features_to_statistics(y), verbose=False)
        assert frechet_distance(x, y) == pytest.approx(ref["frechet_inception_distance"], rel=1e-6, abs=1e-8)


class _Images(torch.utils.data.Dataset):
    def __init__(self, x):
        self.x = x

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i]


@pytest.mark.slow
def test_fid_through_torch_fidelity_matches_low_rank_formula():
    """The offline Inception network registered with torch-fidelity: calculate_metrics (scipy sqrtm) equals the
    low-rank Fréchet distance on the same extractor's features."""
    import torch_fidelity

    from synthmed.metrics import fid

    g = torch.Generator().manual_seed(0)
    real = (torch.rand(10, 3, 28, 28, generator=g) * 255).to(torch.uint8)
    fake = (torch.rand(8, 3, 28, 28, generator=g) * 160 + 40).to(torch.uint8)
    ref = torch_fidelity.calculate_metrics(input1=_Images(real), input2=_Images(fake), fid=True, cuda=False,
                                           feature_extractor=fid.register(), verbose=False, batch_size=16,
                                           save_cpu_ram=True)["frechet_inception_distance"]
    ext = fid.inception_extractor()
    with torch.no_grad():
        ours = fid.frechet_distance(ext(real)[0], ext(fake)[0])
    assert ours == pytest.approx(ref, rel=1e-4)
    with pytest.raises(ValueError, match="uint8"):
        ext(real.float())


def test_stacked_pooling_keeps_every_members_samples_and_grows_coverage():
    rng = np.random.default_rng(3)
    fakes = [rng.normal(size=(10, 2)) + i for i in range(4)]
    x = np.array([1, 1, 1, 0], bool)
    assert len(pool(fakes, x, "stacked")) == 30 and len(pool(fakes, x)) == 10
    real = rng.normal(size=(60, 2)) + 1
    stats = precompute(real, fakes, k=3)
    nested = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]], bool)
    cov = evaluate(stats, nested, "stacked")["coverage"]
    assert np.all(np.diff(cov) >= 0)  # stacking more members never uncovers a real ball
    with pytest.raises(ValueError, match="unknown pooling"):
        evaluate(stats, nested, "mixed")
