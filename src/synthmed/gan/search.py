"""Pareto search over GAN ensembles (Tronchin et al., Sec. 2.2).

Decision vector x (G,) binary, one bit per candidate (GAN snapshot), at least two set. Objectives: maximise the
fidelity term, minimise the overlap term (Intra-d / Inter-d by default; any pair of per-population objective
functions can be passed, e.g. FID-based ones for the Table A2 ablation). The paper does not name its optimiser
(the authors' code uses Optuna); here pymoo's NSGA-II runs when the space is too large to enumerate, and every
subset is enumerated when it is small. Either way the Pareto front is taken over **every candidate evaluated**
(an archive of all decision vectors the optimiser scored), not only the final population, and the final ensemble
is the front's solution with the highest fidelity (eq. 6).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import product

import numpy as np
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.core.problem import Problem
from pymoo.operators.crossover.pntx import TwoPointCrossover
from pymoo.operators.mutation.bitflip import BitflipMutation
from pymoo.operators.sampling.rnd import BinaryRandomSampling
from pymoo.optimize import minimize

from synthmed.gan.objective import EnsembleStats, evaluate

#: objectives(x (P, G) bool) -> (fidelity (P,) to maximise, overlap (P,) to minimise)
Objectives = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def intra_inter(stats: EnsembleStats, pooling: str = "equal") -> Objectives:
    """The paper's objectives: (Intra-d, Inter-d) from the fast statistics; pooling: how an ensemble's samples
    are pooled for Intra-d (:func:`synthmed.gan.objective.member_rows`)."""
    def f(x):
        out = evaluate(stats, x, pooling)
        return out["intra_d"], out["inter_d"]
    return f


def intra_only(stats: EnsembleStats) -> Objectives:
    """Table A2's uni-objective ablation: Intra-d alone (the overlap term is constant 0)."""
    def f(x):
        intra = evaluate(stats, x)["intra_d"]
        return intra, np.zeros_like(intra)
    return f


class EnsembleProblem(Problem):
    """pymoo problem: F = (-fidelity, overlap), G = min_members - |x| <= 0. Keeps an archive of every feasible
    decision vector it scores (``archive_x``, ``archive_f``)."""

    def __init__(self, objectives: Objectives, n_var: int, min_members: int = 2):
        super().__init__(n_var=n_var, n_obj=2, n_ieq_constr=1, xl=0, xu=1, vtype=bool)
        self.objectives, self.min_members = objectives, min_members
        self.archive_x, self.archive_f = [], []

    def _evaluate(self, x, out, *args, **kwargs):
        x = np.asarray(x, dtype=bool)
        n = x.sum(axis=1)
        ok = n >= self.min_members
        fid = np.zeros(len(x))
        ovl = np.ones(len(x))  # infeasible rows: any finite value (pymoo ranks them by the violation)
        if ok.any():
            fid[ok], ovl[ok] = self.objectives(x[ok])
            self.archive_x.append(x[ok].copy())
            self.archive_f.append(np.column_stack([fid[ok], ovl[ok]]))
        out["F"] = np.column_stack([-fid, ovl])
        out["G"] = (self.min_members - n)[:, None].astype(float)


@dataclass
class SearchResult:
    """pareto_x (S, G) bool and pareto_f (S, 2) = (fidelity, overlap) of the Pareto front over every evaluated
    candidate, sorted by fidelity descending then overlap ascending (row 0 is the eq. 6 choice); seen_x (T, G),
    seen_f (T, 2): every distinct feasible ensemble evaluated; method: "nsga2" or "exhaustive"."""

    pareto_x: np.ndarray
    pareto_f: np.ndarray
    seen_x: np.ndarray
    seen_f: np.ndarray
    method: str = "nsga2"

    @property
    def chosen(self) -> np.ndarray:
        """(G,) bool: the eq. 6 ensemble (highest fidelity on the Pareto front)."""
        return self.pareto_x[0]


def is_non_dominated(f: np.ndarray, others: np.ndarray) -> np.ndarray:
    """(S,) bool: row s of f (S, 2) = (fidelity to maximise, overlap to minimise) is dominated by no row of
    others (T, 2)."""
    f, o = np.asarray(f, float), np.asarray(others, float)
    better_eq = (o[None, :, 0] >= f[:, None, 0]) & (o[None, :, 1] <= f[:, None, 1])
    strict = (o[None, :, 0] > f[:, None, 0]) | (o[None, :, 1] < f[:, None, 1])
    return ~(better_eq & strict).any(axis=1)


def pareto_front(x: np.ndarray, f: np.ndarray) -> SearchResult:
    """The front of the evaluated ensembles x (T, G) with objectives f (T, 2); duplicates removed."""
    x, idx = np.unique(np.asarray(x, dtype=bool), axis=0, return_index=True)
    f = np.asarray(f, float)[idx]
    front = np.zeros(len(x), dtype=bool)
    for start in range(0, len(x), 4096):  # blocked, so T x T never has to fit at once
        front[start:start + 4096] = is_non_dominated(f[start:start + 4096], f)
    px, pf = x[front], f[front]
    order = np.lexsort((pf[:, 1], -pf[:, 0]))
    return SearchResult(px[order], pf[order], x, f)


def exhaustive(objectives: Objectives, n_var: int, min_members: int = 2) -> SearchResult:
    """Score every subset with at least ``min_members`` members (2^n_var - n_var - 1 of them for 2)."""
    x = np.array(list(product([False, True], repeat=n_var)), dtype=bool)
    x = x[x.sum(axis=1) >= min_members]
    fid, ovl = objectives(x)
    res = pareto_front(x, np.column_stack([fid, ovl]))
    res.method = "exhaustive"
    return res


def nsga2(objectives: Objectives, n_var: int, pop_size: int = 100, n_gen: int = 100, seed: int = 0,
          min_members: int = 2) -> SearchResult:
    """Run NSGA-II; return the front over every feasible ensemble it evaluated."""
    problem = EnsembleProblem(objectives, n_var, min_members)
    algorithm = NSGA2(pop_size=pop_size, sampling=BinaryRandomSampling(), crossover=TwoPointCrossover(),
                      mutation=BitflipMutation(), eliminate_duplicates=True)
    minimize(problem, algorithm, ("n_gen", n_gen), seed=seed, verbose=False)
    if not problem.archive_x:
        raise RuntimeError("NSGA-II evaluated no feasible ensemble; raise pop_size or n_gen")
    return pareto_front(np.concatenate(problem.archive_x), np.concatenate(problem.archive_f))


def search(objectives: Objectives, n_var: int, pop_size: int = 100, n_gen: int = 100, seed: int = 0,
           min_members: int = 2, exhaustive_up_to: int = 4096) -> SearchResult:
    """Enumerate when the space has at most ``exhaustive_up_to`` subsets (2^n_var), else NSGA-II with
    pop_size x n_gen evaluations at most."""
    if 2 ** n_var <= exhaustive_up_to:
        return exhaustive(objectives, n_var, min_members)
    return nsga2(objectives, n_var, pop_size, n_gen, seed, min_members)
