"""The GAN-ensembles chapter's experiment: settings -> independent runs (zoo, features, downstream) -> searches ->
one frame of downstream runs per strategy, shared by the four notebooks.

Independent runs go through :func:`synthmed.executor.run_all` (``workers`` processes); each run is a cached step
in :mod:`synthmed.gan.runs`, so the notebooks after the first load everything from the cache. The searches are
cheap (the fast objective) but many; they are cached too, keyed by the content of the features they read.

Strategies (Table 3), all trained with the same repeat seeds, so every comparison is paired by seed; every training
set has exactly as many images as the real one (:func:`synthmed.gan.runs.real_training`; checked in
:func:`strategies`):

- ``real``: the chapter's real training images; ``naive_all``: every candidate; ``naive_random``: as many random
  candidates as ours, **drawn afresh for every repeat** (repeat r's classifier is trained on draw r, so the
  interval covers which candidates were drawn); ``ours``: the eq. 6 choice of the Pareto front.
- ``single_top1`` / ``single_top5`` / ``oracle`` are **selected on the test split** (as in the paper): upper
  references, not choices a practitioner could make. The oracle is the best of every trained Pareto solution (all
  of the front up to ``max_oracle``, evenly spaced beyond). ``single_val`` and ``pareto_val`` are the same
  selections made on the real validation split instead (what a practitioner could do).
- ``single_average``: per seed, the mean over every single candidate.

Every strategy row carries ``arm``: what it trained on (the sorted candidate indices, or a description of the
mean it is), so that two strategies that picked the same ensemble are recognised as one arm.
"""

from __future__ import annotations

import hashlib
import zlib

import numpy as np
import pandas as pd
import torch
from threadpoolctl import threadpool_limits

from synthmed import cache, models, profiles
from synthmed.data import load_medmnist
from synthmed.executor import run_all
from synthmed.gan import embeddings, objective, runs, search
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
    """A GAN notebook's resolved settings (:func:`synthmed.profiles.from_notebook`), their model names checked
    (:func:`check_models`)."""
    s = profiles.from_notebook(notebook, namespace)
    check_models(s)
    return s


def check_models(settings) -> None:
    """Every network name of the settings through the one registry (:func:`synthmed.models.check`, a ValueError
    naming the valid models) before anything trains: the downstream classifier's ``backbone`` and the trunks of
    the embeddings (``simclr_model``, ``embedding_model``); ``image_size`` (None or a size the GANs build); and
    ``gans`` (an ensemble needs at least two GAN models) with the Table 4 sizes it allows (``table4_sizes``)."""
    gans = list(dict.fromkeys(settings["gans"]))
    if len(gans) < 2:
        raise ValueError(f"parameter 'gans' needs at least two GAN models (an ensemble, a search space and Naive "
                         f"(A) need two or more), got {settings['gans']!r}")
    bad = [m for m in settings.get("table4_sizes") or () if not 2 <= int(m) <= len(gans)]
    if bad:
        raise ValueError(f"parameter 'table4_sizes': a Table 4 search space needs 2..{len(gans)} GAN models (the "
                         f"number in 'gans'), got {bad}")
    for key in ("backbone", "simclr_model", "embedding_model"):
        models.check(settings[key])
    size = settings["image_size"]
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 8 or size % 4):
        raise ValueError(f"image_size must be None (the file's size) or a multiple of 4 of at least 8 (the GANs "
                         f"upsample twice from size / 4), got {size!r}")


def _item(settings: dict, dataset: str, device, **kw) -> dict:
    return {**dict(settings), "dataset": dataset, "device": str(device), **kw}


def load(dataset: str):
    return load_medmnist(dataset)


# ---- runs ---------------------------------------------------------------------------------------------------------

def replicate_settings(settings: dict, r: int) -> dict:
    """Replicate ``r`` of the chapter: the settings with seed = seed + r and one downstream run per training set
    ("repeats" 1). Its seed reaches every random stage: the real training subset, the GAN zoo, the embeddings'
    training and the search features, the searches, Naive (R)'s and Table 4's draws, the synthetic training sets
    and the classifiers; replicate 0 is the chapter of the base seed (the zoo page's)."""
    return {**dict(settings), "seed": int(settings["seed"]) + int(r), "repeats": 1, "replicate": int(r)}


def replicate_list(settings: dict) -> list[dict]:
    """Every replicate's settings (:func:`replicate_settings`), ``repeats`` of them."""
    return [replicate_settings(settings, r) for r in range(int(settings["repeats"]))]


def _zoos(settings, reps: list[dict], device, progress: bool) -> dict[tuple[int, str], list[dict]]:
    """{(replicate, dataset): trained GAN dicts in ``gans`` order}: every replicate's zoo, all trainings
    independent runs in one parallel batch."""
    keys = [(r, d) for r in range(len(reps)) for d in settings["datasets"]]
    items = [_item(reps[r], d, device, gan=g) for r, d in keys for g in settings["gans"]]
    out = run_all(runs.gan_run, items, workers=settings["workers"], desc="GAN zoo", progress=progress,
                  context=getattr(settings, "context", None), hits_here=True)
    n = len(settings["gans"])
    return {k: out[i * n:(i + 1) * n] for i, k in enumerate(keys)}


def train_zoo(settings: dict, device, progress: bool = True) -> dict[str, list[dict]]:
    """{dataset: [trained GAN dicts in settings["gans"] order]} of replicate 0 (the base seed); independent
    trainings in parallel."""
    zoos = _zoos(settings, [replicate_settings(settings, 0)], device, progress)
    return {d: zoos[(0, d)] for d in settings["datasets"]}


def _features(settings, reps: list[dict], backbones, device, progress: bool, n: int
              ) -> dict[tuple[int, str, str], dict]:
    """{(replicate, dataset, backbone): runs.features_run's dict} for every replicate, in one parallel batch."""
    keys = [(r, d, b) for r in range(len(reps)) for d in settings["datasets"] for b in backbones]
    items = [_item(reps[r], d, device, embedding=b, n=n) for r, d, b in keys]
    out = run_all(runs.features_run, items, workers=settings["workers"], desc="features", progress=progress,
                  context=getattr(settings, "context", None), hits_here=True)
    return dict(zip(keys, out))


def features(settings: dict, backbones, device, progress: bool = True, n: int | None = None
             ) -> dict[tuple[str, str], dict]:
    """{(dataset, backbone): runs.features_run's dict} of replicate 0: ``n`` real images and as many per candidate
    (default ``n_inception``, the FID count; the searches of every backbone use ``n_feat``)."""
    n = settings["n_inception"] if n is None else n
    out = _features(settings, [replicate_settings(settings, 0)], backbones, device, progress, n)
    return {(d, b): v for (_, d, b), v in out.items()}


def downstream(settings: dict, sets: list[tuple], device, progress: bool = True,
               reps: list[dict] | None = None) -> pd.DataFrame:
    """One row per training set: "dataset", "members" (tuple or None), "replicate", "seed" and the
    :func:`synthmed.gan.downstream.train_and_test` keys. sets: (replicate, dataset, members), one classifier each
    with the replicate's seed (``reps``: :func:`replicate_list`'s settings, default the settings' replicates);
    duplicates run once."""
    reps = replicate_list(settings) if reps is None else reps
    unique = list(dict.fromkeys((int(r), d, None if m is None else tuple(m)) for r, d, m in sets))
    items = [_item(reps[r], d, device, members=None if m is None else list(m), repeat=0) for r, d, m in unique]

    def compute():
        return run_all(runs.downstream_run, items, workers=settings["workers"], desc="downstream",
                       progress=progress, context=getattr(settings, "context", None), hits_here=True)

    # one entry for the whole list as well as one per run: a rebuild then checks one key, not hundreds (each
    # check derives its step's code version, ~60 ms); the runs stay cached one by one for partial reuse
    keys = ("dataset", "members", "repeat", "n_train") + runs.ZOO_KEYS + runs.DOWNSTREAM_KEYS
    wd = {"weight_decay": float(settings["weight_decay"])} if settings.get("weight_decay") else {}  # keys kept at 0
    out = cache.cached("gan_downstream_all", compute, params={"runs": [{**{k: it[k] for k in keys}, **wd}
                                                                       for it in items]})
    rows = [{"dataset": d, "members": m, "replicate": r, **o} for (r, d, m), o in zip(unique, out)]
    return pd.DataFrame(rows)


# ---- searches -----------------------------------------------------------------------------------------------------

def stats(feats: dict, k: int, subset=None, device="cpu") -> objective.EnsembleStats:
    idx = range(len(feats["fakes"])) if subset is None else subset
    return objective.precompute(feats["real"].numpy(), [feats["fakes"][i].numpy() for i in idx], k=k,
                                device=device)


def features_digest(feats: dict) -> str:
    """SHA-256 (16 hex digits) of a features dict's real and generated features: what a search depends on."""
    h = hashlib.sha256()
    for t in [feats["real"], *feats["fakes"]]:
        h.update(t.numpy().tobytes())
    return h.hexdigest()[:16]


def run_search(feats: dict, settings: dict, subset=None, kind: str = "dc", device="cpu") -> search.SearchResult:
    """The search over the candidates (or a subset; then the vectors index that subset). kind: "dc" (Intra-d /
    Inter-d, the paper's, members pooled in equal shares), "dc_stacked" (the same with every member's samples
    stacked, as the authors' code pools them), "dc_intra" (Intra-d only), "fid" (Intra-FID / Inter-FID),
    "fid_intra". Cached, keyed by
    the features' content, so a rebuild does not search again."""
    idx = list(range(len(feats["fakes"]))) if subset is None else [int(i) for i in subset]

    def compute():
        if kind.startswith("fid"):
            st = precompute_fid(feats["real"].numpy(), [feats["fakes"][i].numpy() for i in idx])
            f = fid_objectives(st)
            obj = f if kind == "fid" else (lambda x: (f(x)[0], np.zeros(len(np.atleast_2d(x)))))
        else:
            st = stats(feats, settings["k"], idx, device)
            obj = {"dc": lambda: search.intra_inter(st), "dc_stacked": lambda: search.intra_inter(st, "stacked"),
                   "dc_intra": lambda: search.intra_only(st)}[kind]()
        # one BLAS thread: the search's work is thousands of small matrix operations (the FID objective's
        # eigenvalues of D x D products), which a multi-threaded BLAS slows down, badly so on a busy machine
        # (a quick FID search took 11 min in a notebook kernel beside other jobs, 12 s single-threaded)
        with threadpool_limits(1):
            return search.search(obj, len(idx), pop_size=settings["pop_size"], n_gen=settings["n_gen"],
                                 seed=settings["seed"])

    params = {"features": features_digest(feats), "subset": idx, "kind": kind,
              **{k: settings[k] for k in ("k", "pop_size", "n_gen", "seed")}}
    return cache.cached("gan_search", compute, params=params)


def members_of(res: search.SearchResult, row: int = 0, subset=None) -> tuple:
    """Candidate indices of Pareto row ``row`` (mapped back through subset when the search ran on one)."""
    local = np.flatnonzero(res.pareto_x[row])
    return tuple(int(i) if subset is None else int(subset[i]) for i in local)


def pareto_rows(res: search.SearchResult, max_rows: int) -> list[int]:
    """Every Pareto row when the front has at most max_rows, else max_rows of them evenly spaced along the front;
    always including row 0 (eq. 6)."""
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


def naive_random_draws(n_candidates: int, size: int, repeats: int, seed: int, stream: str = ""
                       ) -> list[tuple[int, ...]]:
    """Naive (R): one random ensemble of ``size`` candidates per repeat (repeat r: draw r, from its own
    generator, seeded by (seed, r, ``stream``): the chapter passes the dataset's name, so two datasets of one
    replicate draw independently), sorted indices."""
    if not 1 <= size <= n_candidates:
        raise ValueError(f"Naive (R) draws 1..{n_candidates} candidates, got {size}")
    extra = [zlib.crc32(stream.encode())] if stream else []
    return [tuple(sorted(np.random.default_rng([seed, r, *extra]).choice(n_candidates, size, replace=False)
                         .tolist())) for r in range(repeats)]


def subset_of(labels: list[str], gans: list[str]) -> list[int]:
    """Candidate indices whose GAN is in ``gans`` (labels are "name@iter")."""
    return [i for i, lab in enumerate(labels) if lab.split("@")[0] in gans]


# ---- the whole chapter --------------------------------------------------------------------------------------------

def chapter(settings: dict, device, *, table4: bool = True, ablation: bool = True, progress: bool = True
            ) -> dict:
    """Everything the chapter's tables need, per dataset: replicate 0's record (:func:`replicate_record`) with
    "replicates": every replicate's record (:func:`replicate_list`; each with its own zoo, features, searches,
    draws, samples and one classifier per training set, "runs" its downstream frame). Independent runs of every
    replicate go through one parallel batch per stage (zoo, features, downstream); the searches are cached.
    Every backbone searches on ``n_feat`` real and generated images per candidate. The notebooks all call it with
    the same settings, so the first one computes and the others load from the cache."""
    check_models(settings)
    reps = replicate_list(settings)
    bbs = list(dict.fromkeys(settings["backbones"]))
    zoos = _zoos(settings, reps, device, progress)
    feats = _features(settings, reps, bbs, device, progress, settings["n_feat"])
    recs, sets = {}, []
    for r, rs in enumerate(reps):
        for d in settings["datasets"]:
            rec, rec_sets = replicate_record(rs, d, zoos[(r, d)], {b: feats[(r, d, b)] for b in bbs}, device,
                                             table4=table4, ablation=ablation)
            recs[(r, d)] = rec
            sets += [(r, d, m) for m in rec_sets]
    frame = downstream(settings, sets, device, progress, reps)
    for (r, d), rec in recs.items():
        rec["runs"] = frame[(frame["dataset"] == d) & (frame["replicate"] == r)]
    return {d: {**recs[(0, d)], "replicates": [recs[(r, d)] for r in range(len(reps))]}
            for d in settings["datasets"]}


def replicate_record(rs: dict, d: str, zoo: list[dict], feats: dict, device, *, table4: bool = True,
                     ablation: bool = True) -> tuple[dict, list]:
    """One replicate's record on dataset ``d`` (rs: :func:`replicate_settings`; feats: {backbone: features}) and
    the training sets its tables need (members tuples, None for real). The record: {"replicate", "seed", "zoo",
    "feats" (search backbone: the first of ``backbones``), "result" (its search), "front_size", "ours",
    "naive_random" (this replicate's draw, in a list), "naive_all", "pareto" (trained Pareto rows), "searches"
    (Table A2: {kind: (SearchResult, members)}), "backbones" (Table 5: {backbone: {"result", "rows",
    "front_size"}}), "table4" (random search spaces with their chosen members), "naive_im" (when the profile's
    ``naive_im``: :func:`naive_im_sets`)}."""
    search_bb = rs["backbones"][0]
    f = feats[search_bb]
    n_c = len(f["fakes"])
    res = run_search(f, rs, device=device)
    ours = members_of(res)
    naive_r = naive_random_draws(n_c, len(ours), 1, rs["seed"], stream=d)
    pareto = [(j, members_of(res, j)) for j in pareto_rows(res, rs["max_oracle"])]
    rec = {"replicate": rs["replicate"], "seed": rs["seed"], "zoo": zoo, "feats": f, "search_backbone": search_bb,
           "result": res, "ours": ours, "front_size": len(res.pareto_x), "naive_random": naive_r,
           "naive_all": tuple(range(n_c)), "pareto": pareto, "searches": {}, "backbones": {}, "table4": []}
    sets = [None, ours, tuple(range(n_c)), *naive_r, *[(i,) for i in range(n_c)], *[m for _, m in pareto]]
    if rs["naive_im"]:  # Tables A3-A5: Naive (I) per GAN, Naive (M) per snapshot
        rec["naive_im"] = naive_im_sets(f["labels"])
        sets += list(rec["naive_im"].values())
    if ablation:
        for kind in ("dc_intra", "fid", "fid_intra", "dc_stacked"):
            r = run_search(f, rs, kind=kind, device=device)
            rec["searches"][kind] = (r, members_of(r))
            sets.append(members_of(r))
    for b in feats:  # Table 5: every backbone searches on the same n_feat images as the search backbone
        r = res if b == search_bb else run_search(feats[b], rs, device=device)
        rows = [(j, members_of(r, j)) for j in pareto_rows(r, rs["max_oracle"])]
        rec["backbones"][b] = {"result": r, "rows": rows, "front_size": len(r.pareto_x)}
        if b != search_bb:  # the search backbone's trained front is "pareto", asked for above
            sets += [m for _, m in rows]
    if table4:
        for draw in table4_draws(rs["gans"], rs["table4_sizes"], rs["table4_draws"], rs["seed"]):
            sub = subset_of(f["labels"], draw["gans"])
            r = run_search(f, rs, subset=sub, device=device)
            rec["table4"].append({**draw, "candidates": len(sub), "members": members_of(r, 0, sub)})
            sets.append(rec["table4"][-1]["members"])
    rec["requested"] = len(sets)  # training sets asked for, duplicates included (what the cost model counts)
    return rec, sets


def replicate_seed(rec: dict) -> int:
    """A replicate record's seed (its runs' seed for a record built without one)."""
    return int(rec["seed"]) if "seed" in rec else int(rec["runs"]["seed"].min())


def replicates(results: dict) -> list[tuple[str, dict]]:
    """(dataset, record) for every dataset and replicate of :func:`chapter`'s results (a record without
    "replicates" is one replicate itself)."""
    return [(d, r) for d, rec in results.items() for r in rec.get("replicates", [rec])]


# ---- strategies from the runs -------------------------------------------------------------------------------------

def runs_of(rec: dict, members) -> pd.DataFrame:
    """The downstream rows (one per seed) of one training set."""
    r = rec["runs"]
    key = None if members is None else tuple(members)
    return r[r["members"].map(lambda m: m == key)].sort_values("seed")


def arm_of(members) -> str:
    """An arm's identifier: its sorted candidate indices ("3,7,12"), "real" for the real training images."""
    return "real" if members is None else ",".join(str(i) for i in sorted(members))


def _mean_over(frames: list[pd.DataFrame], arm: str) -> pd.DataFrame:
    """Per seed, the mean of several training sets' metrics (constant: all of them constant; n_images: the
    common size, checked by :func:`strategies`)."""
    cat = pd.concat(frames)
    g = cat.groupby("seed")
    out = g[list(METRICS)].mean().reset_index()
    out["constant"] = g["constant"].all().values
    out["n_images"] = g["n_images"].max().values if g["n_images"].nunique().max() == 1 else -1
    out["arm"] = arm
    return out


def _with_arm(frame: pd.DataFrame, members) -> pd.DataFrame:
    return frame.assign(arm=arm_of(members))


def rank(values: list[float], what: str) -> np.ndarray:
    """Indices of ``values`` from best (highest) to worst; refuses undefined (NaN) values rather than rank them."""
    v = np.asarray(values, dtype=float)
    if np.isnan(v).any():
        raise ValueError(f"cannot rank {what}: {int(np.isnan(v).sum())} of {len(v)} values are undefined (NaN)")
    return np.argsort(-v, kind="stable")


def _naive_random(rec: dict) -> pd.DataFrame:
    """Naive (R)'s runs: repeat r's classifier trained on draw r (one row per seed)."""
    seeds = sorted(rec["runs"]["seed"].unique())
    rows = []
    for m, seed in zip(rec["naive_random"], seeds):
        r = runs_of(rec, m)
        rows.append(_with_arm(r[r["seed"] == seed], m))
    return pd.concat(rows).sort_values("seed")


def strategies(rec: dict) -> dict[str, dict]:
    """{strategy: {"runs": frame (one row per seed, with "arm"), "members": tuple, list of tuples (Naive (R): one
    per repeat) or None, "n_gans": int}}. Raises when a strategy's training sets differ in size from the real
    one (like with like)."""
    n_c = len(rec["feats"]["fakes"])
    single = [_with_arm(runs_of(rec, (i,)), (i,)) for i in range(n_c)]
    test_rank = rank([s["g_mean"].mean() for s in single], "the single candidates by test g-mean")
    val_rank = rank([s["val_g_mean"].mean() for s in single], "the single candidates by validation g-mean")
    pareto = [(r, m, _with_arm(runs_of(rec, m), m)) for r, m in rec["pareto"]]
    orc = pareto[rank([p[2]["g_mean"].mean() for p in pareto], "the Pareto solutions by test g-mean")[0]]
    pval = pareto[rank([p[2]["val_g_mean"].mean() for p in pareto], "the Pareto solutions by validation "
                       "g-mean")[0]]
    top5 = [int(i) for i in test_rank[:5]]
    out = {
        "real": {"runs": _with_arm(runs_of(rec, None), None), "members": None, "n_gans": 0},
        "single_top1": {"runs": single[test_rank[0]], "members": (int(test_rank[0]),), "n_gans": 1},
        "single_top5": {"runs": _mean_over([single[i] for i in top5], "mean of singles " + arm_of(top5)),
                        "members": tuple(top5), "n_gans": 1,
                        "member_runs": pd.concat([single[i] for i in top5], ignore_index=True)},
        "single_val": {"runs": single[val_rank[0]], "members": (int(val_rank[0]),), "n_gans": 1},
        "single_average": {"runs": _mean_over(single, "mean of every single"), "members": None, "n_gans": 1,
                           "member_runs": pd.concat(single, ignore_index=True)},
        "naive_random": {"runs": _naive_random(rec), "members": list(rec["naive_random"]),
                         "n_gans": len(rec["ours"])},
    }
    for k in ("naive_all", "ours"):
        out[k] = {"runs": _with_arm(runs_of(rec, rec[k]), rec[k]), "members": rec[k], "n_gans": len(rec[k])}
    out["pareto_val"] = {"runs": pval[2], "members": pval[1], "n_gans": len(pval[1]), "row": pval[0]}
    out["oracle"] = {"runs": orc[2], "members": orc[1], "n_gans": len(orc[1]), "row": orc[0]}
    check_sizes(out)
    return {k: out[k] for k in STRATEGY_NAMES}


def check_sizes(strats: dict[str, dict]) -> None:
    """Raise unless every strategy's classifiers were trained on as many images as the real one."""
    real = set(strats["real"]["runs"]["n_images"])
    bad = {k: sorted(set(s["runs"]["n_images"])) for k, s in strats.items()
           if set(s["runs"]["n_images"]) != real}
    if len(real) != 1 or bad:
        raise ValueError(f"training sets differ in size from the real one ({sorted(real)} images): {bad}")


def strategy_runs(results: dict, members: bool = False) -> pd.DataFrame:
    """One row per (dataset, strategy, seed) with the metrics, "gap" (the paper's Delta in %, against the real
    run of the same seed), "n_gans", "n_images", "arm", "test_selected" and "constant". ``members=True``: an
    averaged arm (Single (average), Single top-5) as its member runs instead, one row per single candidate and
    seed (the claims engine averages them per seed as before, and counts their constant predictors one by one:
    the frame the claims are judged on)."""
    rows = []
    for d, rec in replicates(results):
        strat = strategies(rec)
        real = strat["real"]["runs"].set_index("seed")["g_mean"]
        for k, s in strat.items():
            runs = s["member_runs"] if members and "member_runs" in s else s["runs"]
            for _, r in runs.iterrows():
                rows.append({"dataset": d, "strategy": k, "seed": int(r["seed"]), "n_gans": s["n_gans"],
                             "n_images": int(r["n_images"]), "arm": r["arm"], "test_selected": k in TEST_SELECTED,
                             "gap": 100 * (r["g_mean"] - real[r["seed"]]) / real[r["seed"]]
                             if real[r["seed"]] > 0 else float("nan"),
                             "constant": bool(r["constant"]), **{m: r[m] for m in METRICS}})
    return pd.DataFrame(rows)


def naive_im_sets(labels: list[str]) -> dict[tuple[str, str], tuple[int, ...]]:
    """The paper's Sec. A4 ensembles without selection, from the candidates' labels ("name@iter"):
    {("I", gan): every snapshot of that GAN (Naive (I)), ("M", iteration): every GAN at that snapshot (Naive (M))},
    GANs and iterations in the order the labels first give them. Members are sorted candidate indices."""
    by_gan: dict[str, list[int]] = {}
    by_iter: dict[str, list[int]] = {}
    for i, lab in enumerate(labels):
        gan, _, it = lab.partition("@")
        by_gan.setdefault(gan, []).append(i)
        by_iter.setdefault(it, []).append(i)
    return {**{("I", g): tuple(sorted(m)) for g, m in by_gan.items()},
            **{("M", it): tuple(sorted(m)) for it, m in by_iter.items()}}


def single_frame(rec: dict) -> pd.DataFrame:
    """One row per single candidate and seed: "gan", "iteration" (int), "candidate", "seed", "n_images", the
    metrics and "constant" (Tables A3-A5's cells, one training set each)."""
    rows = []
    for i, lab in enumerate(rec["feats"]["labels"]):
        gan, _, it = lab.partition("@")
        r = runs_of(rec, (i,))
        rows += [{"gan": gan, "iteration": int(it), "candidate": i, "seed": int(x["seed"]),
                  "n_images": int(x["n_images"]), "constant": bool(x["constant"]), **{m: x[m] for m in METRICS}}
                 for _, x in r.iterrows()]
    return pd.DataFrame(rows)


def naive_im_runs(results: dict) -> dict[str, pd.DataFrame]:
    """Sec. A4 as two runs frames, per dataset and seed: "a4_i" — per GAN, Naive (I) (one classifier on all its
    snapshots; kind "naive_i") and Mean (I) (the mean of its snapshots' single classifiers; kind "mean_i");
    "a4_m" — per snapshot iteration, Naive (M) (all GANs at that snapshot) and Mean (M). Empty frames when the
    profile does not train them (``naive_im``)."""
    rows_i, rows_m = [], []
    for d, rec in replicates(results):
        if "naive_im" not in rec:
            continue
        single = single_frame(rec)
        for (kind, key), members in rec["naive_im"].items():
            col, name = ("gan", key) if kind == "I" else ("iteration", int(key))
            naive = runs_of(rec, members)
            mean = _mean_over([single[single[col] == name]], "")
            out = rows_i if kind == "I" else rows_m
            for label, frame in ((f"naive_{kind.lower()}", naive), (f"mean_{kind.lower()}", mean)):
                out += [{"dataset": d, col: name, "kind": label, "seed": int(x["seed"]),
                         "n_gans": len(members), "constant": bool(x["constant"]),
                         **{m: x[m] for m in METRICS}} for _, x in frame.iterrows()]
    cols = ["dataset", "kind", "seed", "n_gans", "constant", *METRICS]
    return {"a4_i": pd.DataFrame(rows_i, columns=["gan", *cols]),
            "a4_m": pd.DataFrame(rows_m, columns=["iteration", *cols])}


def fig3_frame(results: dict, k: int) -> pd.DataFrame:
    """Fig. 3's points: per dataset and single candidate, its density (fidelity) and coverage (diversity) on the
    search backbone's features (the real reference and samples the search used; no selection is involved for a
    single candidate) and its mean downstream test g-mean over seeds."""
    rows = []
    for d, rec in results.items():
        single = single_frame(rec).groupby("candidate")["g_mean"].mean()
        for i, lab in enumerate(rec["feats"]["labels"]):
            fr = fidelity_row(rec["feats"], (i,), k)
            rows.append({"dataset": d, "candidate": i, "label": lab, "gan": lab.split("@")[0],
                         "density": fr["density"], "coverage": fr["coverage"], "g_mean": single[i]})
    return pd.DataFrame(rows)


def fig3_relations(results: dict, k: int) -> pd.DataFrame:
    """The claim frame of Fig. 3 (d-f): per dataset and replicate ("seed"), the Spearman correlation across that
    replicate's single candidates of their test g-mean with their coverage (relation "coverage") and with their
    density ("density"), both on the replicate's own search features (:func:`fig3_frame`). NaN where g-mean or the
    measure is constant across candidates."""
    from scipy.stats import spearmanr

    rows = []
    for d, rec in replicates(results):
        pts = fig3_frame({d: rec}, k).set_index("candidate")
        single = single_frame(rec)
        for seed, g in single.groupby("seed"):
            g = g.set_index("candidate").loc[pts.index]
            for rel in ("coverage", "density"):
                x, y = pts[rel].to_numpy(float), g["g_mean"].to_numpy(float)
                rho = float(spearmanr(x, y).statistic) if np.ptp(x) > 0 and np.ptp(y) > 0 else float("nan")
                rows.append({"dataset": d, "seed": int(seed), "relation": rel, "rho": rho,
                             "n_candidates": len(x)})
    return pd.DataFrame(rows, columns=["dataset", "seed", "relation", "rho", "n_candidates"])


def pooling_table(results: dict, k: int) -> pd.DataFrame:
    """Issue 20's comparison of the two ways of pooling an ensemble's samples, per dataset: the ensemble the search
    selects when members share M samples equally (ours) and when every member's M samples are stacked (the
    authors' code), with its size, its overlap with the other mode's choice (Jaccard), the front size, and its
    density, coverage and Intra-d under both poolings (search backbone's features)."""
    rows = []
    for d, rec in results.items():
        if "dc_stacked" not in rec["searches"]:
            continue
        chosen = {"equal": (rec["result"], rec["ours"]), "stacked": rec["searches"]["dc_stacked"]}
        for mode, (res, members) in chosen.items():
            other = set(chosen["stacked" if mode == "equal" else "equal"][1])
            row = {"dataset": d, "selected with": mode, "members": len(members),
                   "in common": len(set(members) & other),
                   "Jaccard": len(set(members) & other) / len(set(members) | other),
                   "front size": len(res.pareto_x)}
            for scored in ("equal", "stacked"):
                fr = fidelity_row(rec["feats"], members, k, scored)
                row.update({f"density ({scored})": fr["density"], f"coverage ({scored})": fr["coverage"],
                            f"Intra-d ({scored})": fr["d"]})
            rows.append(row)
    return pd.DataFrame(rows)


def fidelity_row(feats: dict, members, k: int, pooling: str = "equal", frechet: bool = False) -> dict:
    """Density, coverage and d of an ensemble (members' features pooled in equal shares: as many samples as one
    candidate has, the same as the real reference set; or ``pooling`` "stacked": every member's samples), its
    sample count and, with ``frechet``, the Fréchet distance of the same features (an SVD per call, and the first
    call imports torch-fidelity: only the search-space table asks for it)."""
    from synthmed.metrics.prdc import density_coverage

    x = np.zeros(len(feats["fakes"]), dtype=bool)
    x[list(members)] = True
    fake = objective.pool([f.numpy() for f in feats["fakes"]], x, pooling)
    out = {**density_coverage(feats["real"].numpy(), fake, k), "n_samples": len(fake)}
    if frechet:
        from synthmed.metrics.fid import frechet_distance

        out["frechet"] = frechet_distance(feats["real"], torch.as_tensor(fake))
    return out


FIDELITY_STRATEGIES = ("single_top1", "single_val", "single_average", "naive_random", "naive_all", "ours")


def fidelity_sets(rec: dict, strat: dict, replicate: int) -> dict[str, tuple]:
    """The training sets Table 6 scores in one replicate: every single candidate ("single:i", for Single
    (average)), the other strategies' members (Naive (R): that replicate's draw)."""
    n_c = len(rec["feats"]["fakes"])
    sets = {f"single:{i}": (i,) for i in range(n_c)}
    for s in FIDELITY_STRATEGIES:
        if s == "naive_random":
            sets[s] = rec["naive_random"][replicate]
        elif s != "single_average":
            sets[s] = strat[s]["members"]
    return sets


def fidelity_runs(results: dict, settings: dict, device, progress: bool = True) -> pd.DataFrame:
    """Table 6, held out: per (dataset, strategy, replicate) the density, coverage and Fréchet distance ("fid") of
    fresh samples of the replicate's strategies' generators (new latents per replicate; Single (average): the mean
    over every single candidate) against the real validation split, in ``fidelity_backbone``'s features
    (:func:`synthmed.gan.runs.fidelity_run`, with the replicate's seed: its zoo and embedding). Column "seed" is the
    replicate's seed, shared by the strategies (same reference, same latent seed), so comparisons pair by
    replicate; replicates are independent (each its own zoo, search and draws)."""
    items, keys = [], []
    for d, rec in replicates(results):
        strat = strategies(rec)
        r = int(rec.get("replicate", 0))
        rs = replicate_settings(settings, r)
        sets = fidelity_sets(rec, strat, 0)
        items.append(_item(rs, d, device, sets={k: list(v) for k, v in sets.items()}, replicate=r))
        keys.append((d, rs["seed"], sets))
    out = run_all(runs.fidelity_run, items, workers=settings["workers"], desc="fidelity", progress=progress,
                  context=getattr(settings, "context", None), hits_here=True)
    rows = []
    for (d, seed, sets), res in zip(keys, out):
        singles = [v for k, v in res.items() if k.startswith("single:")]
        for s in FIDELITY_STRATEGIES:
            v = ({m: float(np.mean([x[m] for x in singles])) for m in ("density", "coverage", "fd")}
                 if s == "single_average" else res[s])
            rows.append({"dataset": d, "strategy": s, "seed": seed, "density": v["density"],
                         "coverage": v["coverage"], "fid": v["fd"], "n_samples": singles[0]["n_samples"],
                         "arm": "mean of every single" if s == "single_average" else arm_of(sets[s]),
                         "backbone": settings["fidelity_backbone"]})
    return pd.DataFrame(rows)


def search_space_fidelity(results: dict, settings: dict) -> pd.DataFrame:
    """What the search itself saw, for contrast with :func:`fidelity_runs`: per (dataset, strategy) density,
    coverage and Fréchet distance of the search's own features (training images as the reference), Naive (R) as
    its first draw. Not held out: eq. 6 maximised exactly these density/coverage values. Cached per dataset
    (:func:`search_space_rows`): a Fréchet distance per single candidate took 95 s of a warm quick rebuild."""
    rows = []
    for d, rec in results.items():
        strat = strategies(rec)
        n_c = len(rec["feats"]["fakes"])
        sets = {s: ([(i,) for i in range(n_c)] if s == "single_average" else
                    [rec["naive_random"][0]] if s == "naive_random" else [strat[s]["members"]])
                for s in FIDELITY_STRATEGIES}
        rows += search_space_rows(d, rec["feats"], sets, settings["k"])
    return pd.DataFrame(rows)


def search_space_rows(dataset: str, feats: dict, sets: dict[str, list[tuple]], k: int) -> list[dict]:
    """One row per strategy of ``sets`` ({strategy: member sets, averaged over}): "dataset", "strategy",
    "density", "coverage", "frechet" of ``feats`` (the search's features) with ``k`` neighbours. Cached, keyed by
    the features' content, the member sets and k."""

    def compute():
        rows = []
        for s, member_sets in sets.items():
            v = [fidelity_row(feats, m, k, frechet=True) for m in member_sets]
            rows.append({"dataset": dataset, "strategy": s, **{m: float(np.mean([x[m] for x in v]))
                                                               for m in ("density", "coverage", "frechet")}})
        return rows

    params = {"dataset": dataset, "features": features_digest(feats), "k": k,
              "sets": {s: [[int(i) for i in m] for m in v] for s, v in sets.items()}}
    return cache.cached("gan_search_space", compute, params=params)


def backbone_runs(results: dict) -> pd.DataFrame:
    """Table 5 as a runs frame: per (dataset, backbone, seed) the oracle Pareto ensemble's downstream metrics
    (test-selected among the trained Pareto rows, as the paper's Table 5), its number of candidates, the front's
    size and "arm". Every backbone's search used the same ``n_feat`` real and generated images per candidate."""
    rows = []
    for d, rec in replicates(results):
        for b, v in rec["backbones"].items():
            cand = [(m, runs_of(rec, m)) for _, m in v["rows"]]
            m, r = cand[rank([c[1]["g_mean"].mean() for c in cand], f"the {b} Pareto solutions")[0]]
            for _, row in r.iterrows():
                rows.append({"dataset": d, "backbone": b, "seed": int(row["seed"]), "n_gans": len(m),
                             "front_size": v["front_size"], "trained": len(v["rows"]), "arm": arm_of(m),
                             "constant": bool(row["constant"]), **{k: row[k] for k in METRICS}})
    return pd.DataFrame(rows)


def trunk_runs(settings: dict, device) -> pd.DataFrame:
    """The supervised embedding's trunk per (dataset, replicate) where the chapter trains one (a backbone of
    Table 5 or the held-out fidelity backbone): its validation accuracy, balanced accuracy and majority rate, the
    kept epoch, the epochs run and whether it stopped at a plateau (:func:`synthmed.gan.runs.trunk_quality`; the
    trunk comes from the cache the chapter filled). Empty when no step uses it."""
    used = "supervised" in settings["backbones"] or settings["fidelity_backbone"] == "supervised"
    reps = replicate_list(settings) if used else []
    rows = [{"dataset": d, "replicate": int(rs["replicate"]), "seed": int(rs["seed"]),
             "model": embeddings.trunk_model("supervised", rs), **runs.trunk_quality(_item(rs, d, device))}
            for rs in reps for d in settings["datasets"]]
    return pd.DataFrame(rows)


def table4_runs(results: dict) -> pd.DataFrame:
    """Table 4 as a runs frame: per (dataset, replicate "seed", m, draw) the downstream metrics of the eq. 6
    choice in that random search space (each replicate draws its own spaces), and its number of candidates and
    of GAN models."""
    rows = []
    for d, rec in replicates(results):
        for t in rec["table4"]:
            r = runs_of(rec, t["members"])
            gans = {rec["feats"]["labels"][i].split("@")[0] for i in t["members"]}
            rows.append({"dataset": d, "seed": replicate_seed(rec), "m": t["m"],
                         "draw": t["draw"], "gans": ", ".join(t["gans"]),
                         "candidates": t["candidates"], "n_gans": len(t["members"]), "n_models": len(gans),
                         **{k: r[k].mean() for k in ("g_mean", "balanced_accuracy", "accuracy")}})
    return pd.DataFrame(rows)


def ablation_runs(results: dict) -> pd.DataFrame:
    """Table A2 as a runs frame: per (dataset, criterion, seed) the downstream metrics of the eq. 6 choice of
    each search: Intra-d/Inter-d (ours), Intra-FID/Inter-FID, Intra-d only, Intra-FID only."""
    rows = []
    names = {"dc": "Intra-d, Inter-d", "dc_stacked": "Intra-d, Inter-d (stacked pooling)",
             "fid": "Intra-FID, Inter-FID", "dc_intra": "Intra-d only",
             "fid_intra": "Intra-FID only"}
    for d, rec in replicates(results):
        sets = {"dc": rec["ours"], **{k: v[1] for k, v in rec["searches"].items()}}
        for k, m in sets.items():
            for _, row in runs_of(rec, m).iterrows():
                rows.append({"dataset": d, "criterion": names[k], "seed": int(row["seed"]), "n_gans": len(m),
                             "arm": arm_of(m), "constant": bool(row["constant"]), **{q: row[q] for q in METRICS}})
    return pd.DataFrame(rows)


def a2_choices(results: dict) -> pd.DataFrame:
    """Table A2's two d-searches side by side, per (dataset, replicate "seed"): "same" (the multi-objective eq. 6
    choice and the Intra-d-only choice are one ensemble), their Intra-d ("intra_d_multi", "intra_d_only"), the
    highest Intra-d of every ensemble either search evaluated ("intra_d_max"; with an exhaustive search, the
    maximum over the whole space), "method" (how the search ran: "exhaustive" or "nsga2"), and "cost": the
    multi-objective choice's test g-mean minus the Intra-d-only choice's (0 where they are one ensemble)."""
    rows = []
    for d, rec in replicates(results):
        if "dc_intra" not in rec["searches"]:
            continue
        res, (res_i, only) = rec["result"], rec["searches"]["dc_intra"]
        g = {m: runs_of(rec, m)["g_mean"].mean() for m in (rec["ours"], only)}
        rows.append({"dataset": d, "seed": replicate_seed(rec),
                     "same": tuple(sorted(rec["ours"])) == tuple(sorted(only)),
                     "intra_d_multi": float(res.pareto_f[0, 0]), "intra_d_only": float(res_i.pareto_f[0, 0]),
                     "intra_d_max": float(max(res.seen_f[:, 0].max(), res_i.seen_f[:, 0].max())),
                     "method": res.method, "cost": float(g[rec["ours"]] - g[only])})
    return pd.DataFrame(rows, columns=["dataset", "seed", "same", "intra_d_multi", "intra_d_only", "intra_d_max",
                                       "method", "cost"])
