"""Speed-up of the fast ensemble objective over recomputing density/coverage (and Inter-d) per candidate ensemble.

    python scripts/bench_gan_objective.py [--candidates 30] [--samples 500] [--real 1000] [--dim 128] [--ensembles 50]

Random features stand in for embeddings. Both paths score the same random ensembles and must agree; the script
prints their times per ensemble and the ratio. The one-off precomputation is reported separately (it is shared by
every ensemble NSGA-II evaluates: population x generations, 10 000 in the paper's 1 000-iteration run).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from synthmed.gan.objective import evaluate, precompute, recompute


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--candidates", type=int, default=30)
    p.add_argument("--samples", type=int, default=500)
    p.add_argument("--real", type=int, default=1000)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--ensembles", type=int, default=20, help="ensembles recomputed the slow way")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    real = rng.normal(size=(a.real, a.dim)).astype(np.float32)
    fakes = [(rng.normal(size=(a.samples, a.dim)) * rng.uniform(0.7, 1.3) + rng.normal(0, 0.3, a.dim)
              ).astype(np.float32) for _ in range(a.candidates)]
    xs = rng.random((a.ensembles, a.candidates)) < 0.3
    xs[:, :2] = True

    t = time.perf_counter()
    stats = precompute(real, fakes, k=a.k)
    t_pre = time.perf_counter() - t

    t = time.perf_counter()
    fast = evaluate(stats, xs)
    t_fast = (time.perf_counter() - t) / a.ensembles

    t = time.perf_counter()
    slow = [recompute(real, fakes, x, k=a.k) for x in xs]
    t_slow = (time.perf_counter() - t) / a.ensembles

    for key in ("density", "coverage", "intra_d", "inter_d"):
        np.testing.assert_allclose(fast[key], [s[key] for s in slow], rtol=1e-12, atol=1e-12)
    print(f"{a.candidates} candidates x {a.samples} samples, {a.real} real, D={a.dim}, k={a.k}, "
          f"{a.ensembles} random ensembles (mean size {xs.sum(1).mean():.1f})")
    print(f"precompute (once):            {t_pre:8.3f} s")
    print(f"recompute per ensemble:       {t_slow * 1e3:10.3f} ms")
    print(f"fast objective per ensemble:  {t_fast * 1e3:10.4f} ms")
    print(f"speed-up: {t_slow / t_fast:,.0f}x (results identical)")
    n_eval = 100 * 100
    print(f"for {n_eval} evaluations (pop 100 x 100 generations): recompute {n_eval * t_slow:,.0f} s, "
          f"fast {t_pre + n_eval * t_fast:,.1f} s including the precomputation "
          f"({n_eval * t_slow / (t_pre + n_eval * t_fast):,.0f}x)")


if __name__ == "__main__":
    main()
