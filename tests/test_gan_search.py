"""NSGA-II ensemble search: the Pareto set is non-dominated, respects >= 2 members, and eq. 6 picks max Intra-d."""

import numpy as np

from synthmed.gan.objective import evaluate, precompute
from synthmed.gan.search import is_non_dominated, nsga2


def _stats(seed=0, g=10):
    rng = np.random.default_rng(seed)
    real = rng.normal(size=(100, 5))
    fakes = [rng.normal(size=(20, 5)) * rng.uniform(0.3, 1.5) + rng.normal(0, 0.7, 5) for _ in range(g)]
    return precompute(real, fakes, k=3)


def test_nsga2_front_is_non_dominated_and_feasible():
    stats = _stats()
    res = nsga2(stats, pop_size=30, n_gen=20, seed=0)
    assert res.pareto_x.shape[1] == 10
    assert (res.pareto_x.sum(axis=1) >= 2).all()
    assert (res.seen_x.sum(axis=1) >= 2).all()
    # objectives reported are the true objectives
    obj = evaluate(stats, res.pareto_x)
    np.testing.assert_allclose(res.pareto_f[:, 0], obj["intra_d"])
    np.testing.assert_allclose(res.pareto_f[:, 1], obj["inter_d"])
    # nothing seen during the search dominates a Pareto solution
    assert is_non_dominated(res.pareto_f, res.seen_f).all()
    # eq. 6: the chosen ensemble has the highest Intra-d on the front
    assert res.pareto_f[0, 0] == res.pareto_f[:, 0].max()
    assert (res.chosen == res.pareto_x[0]).all()


def test_nsga2_is_deterministic_under_seed():
    stats = _stats(1)
    a, b = nsga2(stats, pop_size=20, n_gen=10, seed=3), nsga2(stats, pop_size=20, n_gen=10, seed=3)
    np.testing.assert_array_equal(a.pareto_x, b.pareto_x)


def test_is_non_dominated_hand_case():
    f = np.array([[0.9, 0.5], [0.5, 0.1], [0.4, 0.6]])
    np.testing.assert_array_equal(is_non_dominated(f, f), [True, True, False])
