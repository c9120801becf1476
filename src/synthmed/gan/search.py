"""Pareto search over GAN ensembles with pymoo's NSGA-II (Tronchin et al., Sec. 2.2).

Decision vector x (G,) binary, one bit per candidate (GAN snapshot), at least two set. Objectives: maximise Intra-d,
minimise Inter-d (pymoo minimises (-Intra-d, Inter-d)). The final ensemble is the Pareto solution with the highest
Intra-d (eq. 6: priority to the solution closest to the real distribution).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.core.callback import Callback
from pymoo.core.problem import Problem
from pymoo.operators.crossover.pntx import TwoPointCrossover
from pymoo.operators.mutation.bitflip import BitflipMutation
from pymoo.operators.sampling.rnd import BinaryRandomSampling
from pymoo.optimize import minimize

from synthmed.gan.objective import EnsembleStats, evaluate


class EnsembleProblem(Problem):
    """pymoo problem: F = (-Intra-d, Inter-d), G = 2 - |x| <= 0."""

    def __init__(self, stats: EnsembleStats, min_members: int = 2):
        super().__init__(n_var=stats.n_candidates, n_obj=2, n_ieq_constr=1, xl=0, xu=1, vtype=bool)
        self.stats, self.min_members = stats, min_members

    def _evaluate(self, x, out, *args, **kwargs):
        x = np.asarray(x, dtype=bool)
        n = x.sum(axis=1)
        safe = x.copy()
        safe[n < 1, 0] = True  # an empty vector is infeasible anyway; score it as {0} to keep the arrays finite
        obj = evaluate(self.stats, safe)
        inter = np.nan_to_num(obj["inter_d"], nan=1.0)  # single-member ensembles are infeasible too
        out["F"] = np.column_stack([-obj["intra_d"], inter])
        out["G"] = (self.min_members - n)[:, None].astype(float)


class _History(Callback):
    def __init__(self):
        super().__init__()
        self.x, self.f = [], []

    def notify(self, algorithm):
        pop = algorithm.pop
        feasible = pop.get("CV")[:, 0] <= 0
        self.x.append(pop.get("X")[feasible].astype(bool))
        self.f.append(pop.get("F")[feasible])


@dataclass
class SearchResult:
    """pareto_x (S, G) bool and pareto_f (S, 2) = (Intra-d, Inter-d) of the Pareto set, sorted by Intra-d
    descending (row 0 is the eq. 6 choice); seen_x (T, G), seen_f (T, 2): every feasible solution visited."""

    pareto_x: np.ndarray
    pareto_f: np.ndarray
    seen_x: np.ndarray
    seen_f: np.ndarray

    @property
    def chosen(self) -> np.ndarray:
        """(G,) bool: the eq. 6 ensemble (highest Intra-d on the Pareto front)."""
        return self.pareto_x[0]


def nsga2(stats: EnsembleStats, pop_size: int = 100, n_gen: int = 100, seed: int = 0, min_members: int = 2
          ) -> SearchResult:
    """Run NSGA-II; return the Pareto set and every feasible solution seen (for the Pareto plot)."""
    problem = EnsembleProblem(stats, min_members)
    algorithm = NSGA2(pop_size=pop_size, sampling=BinaryRandomSampling(), crossover=TwoPointCrossover(),
                      mutation=BitflipMutation(), eliminate_duplicates=True)
    hist = _History()
    res = minimize(problem, algorithm, ("n_gen", n_gen), seed=seed, callback=hist, verbose=False)
    px = np.atleast_2d(np.asarray(res.X, dtype=bool))
    pf = np.atleast_2d(np.asarray(res.F, dtype=float)) * np.array([-1.0, 1.0])
    # unique rows, sorted by Intra-d descending then Inter-d ascending
    _, idx = np.unique(px, axis=0, return_index=True)
    px, pf = px[idx], pf[idx]
    order = np.lexsort((pf[:, 1], -pf[:, 0]))
    seen_x = np.concatenate(hist.x) if hist.x else px
    seen_f = np.concatenate(hist.f) * np.array([-1.0, 1.0]) if hist.f else pf
    _, sidx = np.unique(seen_x, axis=0, return_index=True)
    return SearchResult(px[order], pf[order], seen_x[sidx], seen_f[sidx])


def is_non_dominated(f: np.ndarray, others: np.ndarray) -> np.ndarray:
    """(S,) bool: row s of f (S, 2) = (Intra-d to maximise, Inter-d to minimise) is dominated by no row of
    others (T, 2)."""
    f, o = np.asarray(f, float), np.asarray(others, float)
    better_eq = (o[None, :, 0] >= f[:, None, 0]) & (o[None, :, 1] <= f[:, None, 1])
    strict = (o[None, :, 0] > f[:, None, 0]) | (o[None, :, 1] < f[:, None, 1])
    return ~(better_eq & strict).any(axis=1)
