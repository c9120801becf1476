"""Cost of the fast ensemble objective: its one-off precomputation against one matrix product of the same size,
and each ensemble's evaluation against recomputing density/coverage (and Inter-d) from the features.

    python scripts/bench_gan_objective.py [--candidates 30] [--samples 500] [--real 500] [--dim 128]
        [--ensembles 20] [--pop 100] [--gens 100] [--device cpu] [--dtype float64]

Random features stand in for embeddings. The precomputation needs every distance between the real set and each
candidate and between every pair of candidates: about one (N + G M) x (N + G M) x D matrix product, so the script
times exactly that product (torch, same device and dtype, same run) and prints the ratio. Both objective paths
score the same random ensembles and must agree. The search's cost is given for pop x gens evaluations, the number
this script is told (the quick profile runs fewer; the authors' code uses Optuna and the paper states no count).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from synthmed.gan.objective import evaluate, precompute, recompute


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--candidates", type=int, default=30)
    p.add_argument("--samples", type=int, default=500)
    p.add_argument("--real", type=int, default=500)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--ensembles", type=int, default=20, help="ensembles recomputed the slow way")
    p.add_argument("--pop", type=int, default=100)
    p.add_argument("--gens", type=int, default=100)
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    device, dtype = torch.device(a.device), getattr(torch, a.dtype)
    rng = np.random.default_rng(a.seed)
    real = rng.normal(size=(a.real, a.dim))
    fakes = [rng.normal(size=(a.samples, a.dim)) * rng.uniform(0.7, 1.3) + rng.normal(0, 0.3, a.dim)
             for _ in range(a.candidates)]
    xs = rng.random((a.ensembles, a.candidates)) < 0.3
    xs[:, :2] = True

    precompute(real[:50], [f[:20] for f in fakes[:3]], k=a.k, device=device, dtype=dtype)  # warm-up
    _sync(device)
    t = time.perf_counter()
    stats = precompute(real, fakes, k=a.k, device=device, dtype=dtype)
    _sync(device)
    t_pre = time.perf_counter() - t

    n_all = a.real + a.candidates * a.samples
    x = torch.as_tensor(np.concatenate([real, *fakes]), dtype=dtype, device=device)
    _ = x[:64] @ x[:64].T
    _sync(device)
    t = time.perf_counter()
    gram = x @ x.T
    _sync(device)
    t_mm = time.perf_counter() - t
    del gram

    t = time.perf_counter()
    fast = evaluate(stats, xs)
    t_fast = (time.perf_counter() - t) / a.ensembles
    t = time.perf_counter()
    slow = [recompute(real, fakes, x, k=a.k) for x in xs]
    t_slow = (time.perf_counter() - t) / a.ensembles
    for key in ("density", "coverage", "intra_d", "inter_d"):
        np.testing.assert_allclose(fast[key], [s[key] for s in slow], rtol=1e-9, atol=1e-9)

    n_eval = a.pop * a.gens
    print(f"{a.candidates} candidates x {a.samples} samples, {a.real} real, D={a.dim}, k={a.k}, "
          f"device {device}, {a.dtype}, torch threads {torch.get_num_threads()}")
    print(f"precompute (once):                      {t_pre:8.3f} s")
    print(f"one {n_all} x {n_all} x {a.dim} matrix product: {t_mm:8.3f} s")
    print(f"ratio precompute / matrix product:      {t_pre / t_mm:8.2f}")
    print(f"recompute per ensemble:  {t_slow * 1e3:10.3f} ms   fast per ensemble: {t_fast * 1e3:10.4f} ms "
          f"(speed-up {t_slow / t_fast:,.0f}x, same results)")
    print(f"{n_eval:,} evaluations (pop {a.pop} x {a.gens} generations): recompute {n_eval * t_slow:,.0f} s, "
          f"fast {t_pre + n_eval * t_fast:,.1f} s including the precomputation")


if __name__ == "__main__":
    main()
