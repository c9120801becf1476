"""The GAN-ensembles chapter's experiment: settings -> independent runs (zoo, features, downstream) -> searches ->
one frame of downstream runs per strategy, shared by the four notebooks.

Independent runs go through :func:`synthmed.executor.run_all` (``workers`` processes); each run is a cached step
in :mod:`synthmed.gan.runs`, so the notebooks after the first load everything from the cache. The searches are
cheap (the fast objective) and are recomputed, never cached.

Strategies (Table 3), all trained with the same repeat seeds, so every comparison is paired by seed:

- ``real``: the real training split; ``naive_all``: every candidate; ``naive_random``: as many random candidates
  as ours; ``ours``: the eq. 6 choice of the Pareto front.
- ``single_top1`` / ``single_top5`` / ``oracle`` are **selected on the test split** (as in the paper): upper
  references, not choices a practitioner could make. ``single_val`` and ``pareto_val`` are the same selections
  made on the real validation split instead (what a practitioner could do).
- ``single_average``: per seed, the mean over every single candidate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from synthmed import profiles
from synthmed.data import load_medmnist
from synthmed.executor import run_all
from synthmed.gan import objective, runs, search
from synthmed.gan.fid_objective import fid_objectives, precompute_fid

METRICS = ("g_mean", "balanced_accuracy", "accuracy", "sensitivity", "specificity", "majority_rate",
           "val_g_mean", "val_loss")
STRATEGY_NAMES = {"real": "Real", "single_top1": "Single (top-1) [test-selected]",
                  "single_top5": "Single (top-5) [test-selected]", "single_val": "Single (val-selected)",
                  "single_average": "Single (average)", "naive_random": "Naive (R)", "naive_all": "Naive (A)",
                  "ours": "Ours (eq. 6)", "pareto_val": "Pareto (val-selected)",
                  "oracle": "Oracle [test-selected]"}
TEST_SELECTED = ("single_top1", "single_top5", "oracle")


def settings(notebook: str, namespace: dict) -> profiles.Settings:
    """A GAN notebook's resolved settings (:func:`synthmed.profiles.from_notebook`)."""
    return profiles.from_notebook(notebook, namespace)


def _item(settings: dict, dataset: str, device, **kw) -> dict:
    return {**dict(settings), "dataset": dataset, "device": str(device), **kw}


def load(dataset: str):
    return load_medmnist(dataset)


# ---- runs ---------------------------------------------------------------------------------------------------------

def train_zoo(settings: dict, device, progress: bool = True) -> dict[str, list[dict]]:
    """{dataset: [trained GAN dicts in settings["gans"] order]}; independent trainings in parallel."""
    items = [_item(settings, d, device, gan=g) for d in settings["datasets"] for g in settings["gans"]]
    out = run_all(runs.gan_run, items, workers=settings["workers"], desc="GAN zoo", progress=progress,
                  context=getattr(settings, "context", None))
    n = len(settings["gans"])
    return {d: out[i * n:(i + 1) * n] for i, d in enumerate(settings["datasets"])}


def features(settings: dict, backbones, device, progress: bool = True) -> dict[tuple[str, str], dict]:
    """{(dataset, backbone): runs.features_run's dict}. The search backbone (the first of settings["backbones"])
    embeds ``n_feat`` real images and as many per candidate; the others (used only for Table 5, where every
    backbone gets the same count) and Inception ``n_inception``."""
    keys = [(d, b) for d in settings["datasets"] for b in backbones]
    items = [_item(settings, d, device, backbone=b,
                   n=settings["n_feat"] if b == settings["backbones"][0] else settings["n_inception"])
             for d, b in keys]
    out = run_all(runs.features_run, items, workers=settings["workers"], desc="features", progress=progress,
                  context=getattr(settings, "context", None))
    return dict(zip(keys, out))


def downstream(settings: dict, sets: list[tuple[str, tuple | None]], device, progress: bool = True
               ) -> pd.DataFrame:
    """One row per (training set, repeat): "dataset", "members" (tuple or None), "seed" and the
    :func:`synthmed.gan.downstream.train_and_test` keys. sets: (dataset, members) pairs (duplicates run once)."""
    unique = list(dict.fromkeys(sets))
    items = [_item(settings, d, device, members=None if m is None else list(m), repeat=r)
             for d, m in unique for r in range(settings["repeats"])]
    out = run_all(runs.downstream_run, items, workers=settings["workers"], desc="downstream", progress=progress,
                  context=getattr(settings, "context", None))
    rows = [{"dataset": it["dataset"], "members": None if it["members"] is None else tuple(it["members"]), **o}
            for it, o in zip(items, out)]
    return pd.DataFrame(rows)


# ---- searches -----------------------------------------------------------------------------------------------------

def stats(feats: dict, k: int, subset=None, device="cpu") -> objective.EnsembleStats:
    idx = range(len(feats["fakes"])) if subset is None else subset
    return objective.precompute(feats["real"].numpy(), [feats["fakes"][i].numpy() for i in idx], k=k,
                                device=device)


def run_search(feats: dict, settings: dict, subset=None, kind: str = "dc", device="cpu") -> search.SearchResult:
    """The search over the candidates (or a subset; then the vectors index that subset). kind: "dc" (Intra-d /
    Inter-d, the paper's), "dc_intra" (Intra-d only), "fid" (Intra-FID / Inter-FID), "fid_intra"."""
    idx = list(range(len(feats["fakes"]))) if subset is None else list(subset)
    if kind.startswith("fid"):
        st = precompute_fid(feats["real"].numpy(), [feats["fakes"][i].numpy() for i in idx])
        f = fid_objectives(st)
        obj = f if kind == "fid" else (lambda x: (f(x)[0], np.zeros(len(np.atleast_2d(x)))))
    else:
        st = stats(feats, settings["k"], idx, device)
        obj = search.intra_inter(st) if kind == "dc" else search.intra_only(st)
    return search.search(obj, len(idx), pop_size=settings["pop_size"], n_gen=settings["n_gen"],
                         seed=settings["seed"])


def prefix(feats: dict, n: int) -> dict:
    """The first n real and first n generated features of every candidate (for equal counts across backbones;
    the real rows are a prefix of the same random draw for every n)."""
    return {**feats, "real": feats["real"][:n], "fakes": [f[:n] for f in feats["fakes"]]}


def members_of(res: search.SearchResult, row: int = 0, subset=None) -> tuple:
    """Candidate indices of Pareto row ``row`` (mapped back through subset when the search ran on one)."""
    local = np.flatnonzero(res.pareto_x[row])
    return tuple(int(i) if subset is None else int(subset[i]) for i in local)


def pareto_rows(res: search.SearchResult, max_rows: int) -> list[int]:
    """Up to max_rows Pareto rows, evenly spaced along the front, always including row 0 (eq. 6)."""
    s = len(res.pareto_x)
    return sorted(set(np.linspace(0, s - 1, min(s, max_rows)).round().astype(int).tolist()))


def table4_draws(gans: list[str], sizes, draws: int, seed: int) -> list[dict]:
    """Random search spaces for Table 4: for each m in sizes, ``draws`` random sets of m GAN models (without
    replacement within a draw). Returns [{"m", "draw", "gans"}] (gans in the zoo's order)."""
    rng = np.random.default_rng(seed)
    out = []
    for m in sizes:
        if not 2 <= m <= len(gans):
            raise ValueError(f"a Table 4 search space needs 2..{len(gans)} GAN models, got {m}")
        for j in range(draws):
            pick = set(rng.choice(len(gans), m, replace=False).tolist())
            out.append({"m": int(m), "draw": j, "gans": [g for i, g in enumerate(gans) if i in pick]})
    return out


def subset_of(labels: list[str], gans: list[str]) -> list[int]:
    """Candidate indices whose GAN is in ``gans`` (labels are "name@iter")."""
    return [i for i, lab in enumerate(labels) if lab.split("@")[0] in gans]


# ---- the whole chapter --------------------------------------------------------------------------------------------

def chapter(settings: dict, device, *, table4: bool = True, ablation: bool = True, progress: bool = True
            ) -> dict:
    """Everything the chapter's tables need, per dataset: {"zoo", "feats" (search backbone: the first of
    ``backbones``), "result" (its search), "ours", "naive_random", "naive_all", "pareto" (trained Pareto rows),
    "searches" (Table A2: {kind: (SearchResult, members)}), "backbones" (Table 5: {backbone: {"result", "rows"}}),
    "table4" (random search spaces with their chosen members), "runs" (the downstream frame)}. The notebooks all
    call it with the same settings, so the first one computes and the others load from the cache."""
    zoo = train_zoo(settings, device, progress)
    search_bb = settings["backbones"][0]
    bbs = list(dict.fromkeys(settings["backbones"]))
    feats = features(settings, bbs, device, progress)
    out, sets = {}, []
    for d in settings["datasets"]:
        f = feats[(d, search_bb)]
        n_c = len(f["fakes"])
        res = run_search(f, settings, device=device)
        ours = members_of(res)
        rng = np.random.default_rng(settings["seed"])
        naive_r = tuple(sorted(rng.choice(n_c, len(ours), replace=False).tolist()))
        pareto = [(r, members_of(res, r)) for r in pareto_rows(res, settings["max_oracle"])]
        rec = {"zoo": zoo[d], "feats": f, "search_backbone": search_bb, "result": res, "ours": ours,
               "naive_random": naive_r,
               "naive_all": tuple(range(n_c)), "pareto": pareto, "searches": {}, "backbones": {}, "table4": []}
        sets += [(d, None), (d, ours), (d, naive_r), (d, tuple(range(n_c)))]
        sets += [(d, (i,)) for i in range(n_c)] + [(d, m) for _, m in pareto]
        if ablation:
            for kind in ("dc_intra", "fid", "fid_intra"):
                r = run_search(f, settings, kind=kind, device=device)
                rec["searches"][kind] = (r, members_of(r))
                sets.append((d, members_of(r)))
        for b in bbs:  # Table 5: every backbone searches on the same number of images (n_inception)
            r = run_search(prefix(feats[(d, b)], settings["n_inception"]), settings, device=device)
            rows = [(j, members_of(r, j)) for j in pareto_rows(r, settings["max_oracle"])]
            rec["backbones"][b] = {"result": r, "rows": rows}
            sets += [(d, m) for _, m in rows]
        if table4:
            for draw in table4_draws(settings["gans"], settings["table4_sizes"], settings["table4_draws"],
                                     settings["seed"]):
                sub = subset_of(f["labels"], draw["gans"])
                r = run_search(f, settings, subset=sub, device=device)
                rec["table4"].append({**draw, "candidates": len(sub), "members": members_of(r, 0, sub)})
                sets.append((d, rec["table4"][-1]["members"]))
        out[d] = rec
    frame = downstream(settings, sets, device, progress)
    for d in out:
        out[d]["runs"] = frame[frame.dataset == d]
    return out


# ---- strategies from the runs -------------------------------------------------------------------------------------

def runs_of(rec: dict, members) -> pd.DataFrame:
    """The downstream rows (one per seed) of one training set."""
    r = rec["runs"]
    key = None if members is None else tuple(members)
    return r[r["members"].map(lambda m: m == key)].sort_values("seed")


def _mean_over(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Per seed, the mean of several training sets' metrics (constant: all of them constant)."""
    cat = pd.concat(frames)
    g = cat.groupby("seed")
    out = g[list(METRICS)].mean().reset_index()
    out["constant"] = g["constant"].all().values
    return out


def strategies(rec: dict) -> dict[str, dict]:
    """{strategy: {"runs": frame (one row per seed), "members": tuple or None, "n_gans": int}}."""
    n_c = len(rec["feats"]["fakes"])
    single = [runs_of(rec, (i,)) for i in range(n_c)]
    test_rank = np.argsort([-s["g_mean"].mean() for s in single], kind="stable")
    val_rank = np.argsort([-s["val_g_mean"].mean() for s in single], kind="stable")
    pareto = [(r, m, runs_of(rec, m)) for r, m in rec["pareto"]]
    orc = max(pareto, key=lambda p: p[2]["g_mean"].mean())
    pval = max(pareto, key=lambda p: p[2]["val_g_mean"].mean())
    out = {
        "real": {"runs": runs_of(rec, None), "members": None, "n_gans": 0},
        "single_top1": {"runs": single[test_rank[0]], "members": (int(test_rank[0]),), "n_gans": 1},
        "single_top5": {"runs": _mean_over([single[i] for i in test_rank[:5]]),
                        "members": tuple(int(i) for i in test_rank[:5]), "n_gans": 1},
        "single_val": {"runs": single[val_rank[0]], "members": (int(val_rank[0]),), "n_gans": 1},
        "single_average": {"runs": _mean_over(single), "members": None, "n_gans": 1},
    }
    for k in ("naive_random", "naive_all", "ours"):
        out[k] = {"runs": runs_of(rec, rec[k]), "members": rec[k], "n_gans": len(rec[k])}
    out["pareto_val"] = {"runs": pval[2], "members": pval[1], "n_gans": len(pval[1]), "row": pval[0]}
    out["oracle"] = {"runs": orc[2], "members": orc[1], "n_gans": len(orc[1]), "row": orc[0]}
    return {k: out[k] for k in STRATEGY_NAMES}


def strategy_runs(results: dict) -> pd.DataFrame:
    """One row per (dataset, strategy, seed) with the metrics, "gap" (the paper's Delta in %, against the real
    run of the same seed), "n_gans", "test_selected" and "constant": the frame the claims are judged on."""
    rows = []
    for d, rec in results.items():
        strat = strategies(rec)
        real = strat["real"]["runs"].set_index("seed")["g_mean"]
        for k, s in strat.items():
            for _, r in s["runs"].iterrows():
                rows.append({"dataset": d, "strategy": k, "seed": int(r["seed"]), "n_gans": s["n_gans"],
                             "test_selected": k in TEST_SELECTED,
                             "gap": 100 * (r["g_mean"] - real[r["seed"]]) / real[r["seed"]]
                             if real[r["seed"]] > 0 else float("nan"),
                             "constant": bool(r["constant"]), **{m: r[m] for m in METRICS}})
    return pd.DataFrame(rows)


def fidelity_row(feats: dict, members, k: int) -> dict:
    """Density, coverage and d of an ensemble (members' features pooled in equal shares: as many samples as one
    candidate has, the same as the real reference set) and the Fréchet distance of the same features."""
    from synthmed.metrics.fid import frechet_distance
    from synthmed.metrics.prdc import density_coverage

    x = np.zeros(len(feats["fakes"]), dtype=bool)
    x[list(members)] = True
    fake = objective.pool([f.numpy() for f in feats["fakes"]], x)
    dc = density_coverage(feats["real"].numpy(), fake, k)
    return {**dc, "frechet": frechet_distance(feats["real"], torch.as_tensor(fake)), "n_samples": len(fake)}


def _half(feats: dict, members, k: int, seed: int) -> dict:
    """Density, coverage (and Fréchet distance) of one ensemble on a random half of the real reference set and a
    random half of each member's samples (pooled in equal shares: as many samples as the half reference)."""
    from synthmed.metrics.fid import frechet_distance
    from synthmed.metrics.prdc import density_coverage

    rng = np.random.default_rng(seed)
    real = feats["real"].numpy()
    half = len(real) // 2
    real = real[rng.permutation(len(real))[:half]]
    fakes = [f.numpy()[rng.permutation(len(f))[:half]] for f in feats["fakes"]]
    x = np.zeros(len(fakes), dtype=bool)
    x[list(members)] = True
    fake = objective.pool(fakes, x)
    return {**density_coverage(real, fake, k),
            "fid": frechet_distance(torch.as_tensor(real), torch.as_tensor(fake)), "n_samples": len(fake)}


def fidelity_runs(results: dict, inception: dict, settings: dict) -> pd.DataFrame:
    """Table 6 as a runs frame: per (dataset, strategy, seed) the density and coverage (search backbone) and FID
    (Inception features) of the strategy's synthetic samples, each seed a different random half of the samples
    (so the interval is over sample draws, not trainings). inception: {dataset: Inception features}."""
    rows = []
    seeds = [settings["seed"] + r for r in range(settings["repeats"])]
    for d, rec in results.items():
        strat = strategies(rec)
        n_c = len(rec["feats"]["fakes"])
        for s in ("single_top1", "single_val", "single_average", "naive_random", "naive_all", "ours"):
            for seed in seeds:
                sets = [(i,) for i in range(n_c)] if s == "single_average" else [strat[s]["members"]]
                dc = [_half(rec["feats"], m, settings["k"], seed) for m in sets]
                inc = [_half(inception[d], m, settings["k"], seed) for m in sets]
                rows.append({"dataset": d, "strategy": s, "seed": seed,
                             "density": float(np.mean([v["density"] for v in dc])),
                             "coverage": float(np.mean([v["coverage"] for v in dc])),
                             "fid": float(np.mean([v["fid"] for v in inc])), "n_samples": dc[0]["n_samples"],
                             "n_inception": inc[0]["n_samples"]})
    return pd.DataFrame(rows)


def backbone_runs(results: dict) -> pd.DataFrame:
    """Table 5 as a runs frame: per (dataset, backbone, seed) the oracle Pareto ensemble's downstream metrics
    (test-selected among the trained Pareto rows, as the paper's Table 5) and its number of candidates. Every
    backbone's search used the same number of real and generated images (``n_inception``)."""
    rows = []
    for d, rec in results.items():
        entries = {b: v["rows"] for b, v in rec["backbones"].items()}
        for b, prow in entries.items():
            cand = [(m, runs_of(rec, m)) for _, m in prow]
            m, r = max(cand, key=lambda c: c[1]["g_mean"].mean())
            for _, row in r.iterrows():
                rows.append({"dataset": d, "backbone": b, "seed": int(row["seed"]), "n_gans": len(m),
                             "constant": bool(row["constant"]), **{k: row[k] for k in METRICS}})
    return pd.DataFrame(rows)


def table4_runs(results: dict) -> pd.DataFrame:
    """Table 4 as a runs frame: per (dataset, m, draw) the mean downstream metrics over seeds of the eq. 6 choice
    in that random search space, and its number of candidates and of GAN models."""
    rows = []
    for d, rec in results.items():
        for t in rec["table4"]:
            r = runs_of(rec, t["members"])
            gans = {rec["feats"]["labels"][i].split("@")[0] for i in t["members"]}
            rows.append({"dataset": d, "m": t["m"], "draw": t["draw"], "gans": ", ".join(t["gans"]),
                         "candidates": t["candidates"], "n_gans": len(t["members"]), "n_models": len(gans),
                         **{k: r[k].mean() for k in ("g_mean", "balanced_accuracy", "accuracy")}})
    return pd.DataFrame(rows)


def ablation_runs(results: dict) -> pd.DataFrame:
    """Table A2 as a runs frame: per (dataset, criterion, seed) the downstream metrics of the eq. 6 choice of
    each search: Intra-d/Inter-d (ours), Intra-FID/Inter-FID, Intra-d only, Intra-FID only."""
    rows = []
    names = {"dc": "Intra-d, Inter-d", "fid": "Intra-FID, Inter-FID", "dc_intra": "Intra-d only",
             "fid_intra": "Intra-FID only"}
    for d, rec in results.items():
        sets = {"dc": rec["ours"], **{k: v[1] for k, v in rec["searches"].items()}}
        for k, m in sets.items():
            for _, row in runs_of(rec, m).iterrows():
                rows.append({"dataset": d, "criterion": names[k], "seed": int(row["seed"]), "n_gans": len(m),
                             "constant": bool(row["constant"]), **{q: row[q] for q in METRICS}})
    return pd.DataFrame(rows)
