"""The GAN-ensembles chapter's pipeline as cached steps shared by its notebooks.

Every step goes through :func:`synthmed.cache.cached` with a key built from the settings that determine it, so the
four notebooks share one trained zoo, one set of features per backbone and one downstream run per training set.

Settings (a dict, usually a notebook's resolved profile) used here:
``gans`` (names), ``gan_iters``, ``gan_snapshots``, ``gan_batch``, ``gan_width``, ``n_feat`` (generated samples per
candidate for density/coverage), ``n_real_feat`` (real training images used as the reference), ``k``,
``simclr_steps``, ``supervised_epochs``, ``n_inception`` / ``n_real_inception`` (samples for Inception features),
``pop_size``, ``n_gen``, ``classifier``, ``steps`` / ``eval_every`` (downstream optimiser steps and validation
interval), ``n_train`` (synthetic training-set size, None = the real
training split's size), ``repeats``, ``single_repeats``, ``max_oracle`` (Pareto solutions trained for the oracle),
``seed``.
"""

from __future__ import annotations

import sys

import numpy as np
import torch
from tqdm.auto import tqdm

from synthmed import cache, profiles
from synthmed.data import load_medmnist
from synthmed.gan import downstream, embeddings, objective, search, train, zoo
from synthmed.metrics import prdc
from synthmed.metrics.fid import frechet_distance

ZOO_KEYS = ("gan_iters", "gan_snapshots", "gan_batch", "gan_width", "seed")
#: this module, hashed into every cache key below: its closures decide what each cached step computes
_THIS = sys.modules[__name__]


def settings(notebook: str, namespace: dict) -> profiles.Settings:
    """A GAN notebook's resolved settings (:func:`synthmed.profiles.from_notebook`), applying ``threads`` (torch CPU
    threads; one per process is fastest on a busy 2-core machine)."""
    out = profiles.from_notebook(notebook, namespace)
    if out.threads:
        torch.set_num_threads(out.threads)
    return out


def _sub(settings: dict, keys) -> dict:
    return {k: settings[k] for k in keys}


def load(dataset: str):
    """The MedMNIST dataset (see :func:`synthmed.data.load_medmnist`)."""
    return load_medmnist(dataset)


# ---- GAN zoo ----------------------------------------------------------------------------------------------------

def train_zoo(dataset: str, settings: dict, progress: bool = True) -> list[dict]:
    """Train (or load) every GAN of ``settings["gans"]`` on the real training split. Returns one dict per GAN:
    train.train_gan's output."""
    ds = load(dataset)
    x = ds.train.float_images() * 2 - 1
    out = []
    for name in settings["gans"]:
        params = {"dataset": dataset, "gan": name, **_sub(settings, ZOO_KEYS)}

        def compute(ckpt, name=name):
            return train.train_gan(name, x, ds.train.labels, ds.n_classes, n_iter=settings["gan_iters"],
                                   n_snapshots=settings["gan_snapshots"], batch_size=settings["gan_batch"],
                                   ch=settings["gan_width"], seed=settings["seed"], checkpoint=ckpt,
                                   progress=progress)

        out.append(cache.cached("gan_zoo", compute, params=params, code=[train, zoo, _THIS], data_md5=[ds.md5],
                                seed=settings["seed"], resumable=True))
    return out


def candidates(gans: list[dict]) -> list[dict]:
    """Flatten trained GANs into search candidates, one per snapshot: {"gan", "iter", "label", "config", "state"}."""
    return [{"gan": g["name"], "iter": it, "label": f"{g['name']}@{it}", "config": g["config"], "state": s}
            for g in gans for it, s in zip(g["iters"], g["snapshots"])]


def _labels_like(train_labels: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """(n,) labels with the real training split's class proportions (a shuffled, tiled copy of its labels)."""
    g = torch.Generator().manual_seed(seed)
    reps = -(-n // len(train_labels))
    return train_labels.repeat(reps)[torch.randperm(len(train_labels) * reps, generator=g)[:n]]


def sample(cand: dict, labels: torch.Tensor, seed: int) -> torch.Tensor:
    """uint8 images (M, C, S, S) of a candidate for labels (M,)."""
    return train.generate(cand["gan"], cand["config"], cand["state"], labels, seed=seed)


def synthetic_training_set(cands: list[dict], members, train_labels: torch.Tensor, n: int, seed: int
                           ) -> tuple[torch.Tensor, torch.Tensor]:
    """The paper's eq. 7 training set: n images with the real class proportions, split into equal shares over the
    members (indices into cands). Returns images (n, C, S, S) uint8 and labels (n,)."""
    labels = _labels_like(train_labels, n, seed)
    members = list(members)
    chunks = labels.tensor_split(len(members))
    imgs = [sample(cands[m], y, seed=seed * 1000 + m) for m, y in zip(members, chunks)]
    return torch.cat(imgs), labels


# ---- features -----------------------------------------------------------------------------------------------------

def backbone(dataset: str, name: str, settings: dict, progress: bool = True) -> embeddings.Extractor:
    """The feature extractor ``name``; trains the in-domain ones (cached) on the real training split."""
    ds = load(dataset)
    state = None
    if name == "simclr":
        state = cache.cached("gan_backbone", lambda: embeddings.train_simclr(
            ds.train.images, steps=settings["simclr_steps"], seed=settings["seed"], progress=progress),
            params={"dataset": dataset, "backbone": name, "steps": settings["simclr_steps"]},
            code=[embeddings, _THIS], data_md5=[ds.md5], seed=settings["seed"])
    elif name == "supervised":
        state = cache.cached("gan_backbone", lambda: embeddings.train_supervised(
            ds.train.images, ds.train.labels, ds.n_classes, epochs=settings["supervised_epochs"],
            seed=settings["seed"], progress=progress),
            params={"dataset": dataset, "backbone": name, "epochs": settings["supervised_epochs"]},
            code=[embeddings, _THIS], data_md5=[ds.md5], seed=settings["seed"])
    return embeddings.make_extractor(name, state, ds.n_channels, seed=settings["seed"])


def features(dataset: str, name: str, settings: dict, progress: bool = True) -> dict:
    """Cached features: {"real" (N, D), "fakes": list of (M, D) per candidate, "labels": candidate labels}.
    Inception uses ``n_inception``/``n_real_inception`` samples (it is slow on a CPU), the others ``n_feat``/
    ``n_real_feat``."""
    ds = load(dataset)
    inc = name == "inception"
    n_fake = settings["n_inception"] if inc else settings["n_feat"]
    n_real = settings["n_real_inception"] if inc else settings["n_real_feat"]
    keys = ZOO_KEYS + (("simclr_steps",) if name == "simclr" else ()) + (
        ("supervised_epochs",) if name == "supervised" else ())

    def compute():
        cands = candidates(train_zoo(dataset, settings, progress))
        ext = backbone(dataset, name, settings, progress)
        g = torch.Generator().manual_seed(settings["seed"])
        real_idx = torch.randperm(len(ds.train), generator=g)[:n_real]
        real = ext(ds.train.images[real_idx], progress=progress)
        fakes = []
        for i, c in enumerate(tqdm(cands, desc=f"features ({name})", disable=not progress, leave=False)):
            y = _labels_like(ds.train.labels, n_fake, settings["seed"] + i)
            fakes.append(ext(sample(c, y, seed=settings["seed"] + 7919 * (i + 1))))
        return {"real": real, "fakes": fakes, "labels": [c["label"] for c in cands]}

    params = {"dataset": dataset, "backbone": name, "gans": list(settings["gans"]), "n_fake": n_fake,
              "n_real": n_real, **_sub(settings, keys)}
    return cache.cached("gan_features", compute, params=params, code=[embeddings, train, zoo, _THIS],
                        data_md5=[ds.md5], seed=settings["seed"])


def stats(feats: dict, k: int, subset: list[int] | None = None) -> objective.EnsembleStats:
    """Fast-objective statistics for the candidates (optionally a subset of candidate indices)."""
    idx = range(len(feats["fakes"])) if subset is None else subset
    return objective.precompute(feats["real"].numpy(), [feats["fakes"][i].numpy() for i in idx], k=k)


def run_search(feats: dict, settings: dict, subset: list[int] | None = None) -> search.SearchResult:
    """NSGA-II over the candidates (or a subset; then the vectors index that subset)."""
    st = stats(feats, settings["k"], subset)
    return search.nsga2(st, pop_size=settings["pop_size"], n_gen=settings["n_gen"], seed=settings["seed"])


# ---- downstream -----------------------------------------------------------------------------------------------------

def downstream_runs(dataset: str, members: list[int] | None, settings: dict, repeats: int | None = None,
                    progress: bool = True) -> list[dict]:
    """Cached downstream runs (one :func:`synthmed.metrics.classification.summarize` dict per repeat) for the
    synthetic training set of ``members`` (candidate indices), or for the real training split when None."""
    ds = load(dataset)
    repeats = repeats or settings["repeats"]
    n = settings["n_train"] or len(ds.train)
    n = min(n, len(ds.train)) if members is None else n
    members = None if members is None else sorted(int(m) for m in members)

    def compute():
        if members is None:
            g = torch.Generator().manual_seed(settings["seed"])
            idx = torch.randperm(len(ds.train), generator=g)[:n]
            x, y = ds.train.images[idx], ds.train.labels[idx]
        else:
            cands = candidates(train_zoo(dataset, settings, progress))
            x, y = synthetic_training_set(cands, members, ds.train.labels, n, settings["seed"])
        return downstream.evaluate_training_set(x, y, ds.val, ds.test, ds.n_classes, settings["classifier"],
                                                settings["steps"], settings["eval_every"], repeats,
                                                seed=settings["seed"])

    params = {"dataset": dataset, "members": members, "n": n, "repeats": repeats, "classifier": settings["classifier"],
              "steps": settings["steps"], "eval_every": settings["eval_every"],
              "gans": list(settings["gans"]) if members is not None else None,
              **(_sub(settings, ZOO_KEYS) if members is not None else {"seed": settings["seed"]})}
    return cache.cached("gan_downstream", compute, params=params, code=[downstream, train, zoo, _THIS],
                        data_md5=[ds.md5], seed=settings["seed"])


def mean_g(rows: list[dict]) -> float:
    return float(np.mean([r["g_mean"] for r in rows]))


def single_scores(dataset: str, n_cands: int, settings: dict, progress: bool = True) -> list[list[dict]]:
    """Downstream runs for every single candidate (``single_repeats`` each)."""
    return [downstream_runs(dataset, [i], settings, settings["single_repeats"], progress)
            for i in tqdm(range(n_cands), desc="single GANs", disable=not progress, leave=False)]


def oracle(dataset: str, result: search.SearchResult, settings: dict, progress: bool = True) -> dict:
    """Train on up to ``max_oracle`` Pareto solutions (always including the eq. 6 choice, the others evenly spaced
    along the front) and return {"index" (row of the front), "members", "runs", "evaluated": [(row, mean g-mean)]}."""
    s = len(result.pareto_x)
    rows = np.unique(np.linspace(0, s - 1, min(s, settings["max_oracle"])).round().astype(int))
    evaluated = []
    best = None
    for r in rows:
        members = list(np.flatnonzero(result.pareto_x[r]))
        runs = downstream_runs(dataset, members, settings, progress=progress)
        evaluated.append((int(r), mean_g(runs)))
        if best is None or mean_g(runs) > mean_g(best["runs"]):
            best = {"index": int(r), "members": members, "runs": runs}
    best["evaluated"] = evaluated
    return best


def strategies(dataset: str, feats: dict, settings: dict, progress: bool = True) -> dict:
    """Table 3's strategies. Returns {"single": per-candidate runs, "result": SearchResult, "sets": {strategy:
    member list}, "runs": {strategy: runs}, "oracle": oracle dict, "real": runs}."""
    n_c = len(feats["fakes"])
    result = run_search(feats, settings)
    single = single_scores(dataset, n_c, settings, progress)
    order = np.argsort([-mean_g(r) for r in single], kind="stable")
    ours = list(np.flatnonzero(result.chosen))
    rng = np.random.default_rng(settings["seed"])
    sets = {"single_top1": [int(order[0])], "naive_random": sorted(rng.choice(n_c, len(ours), replace=False).tolist()),
            "naive_all": list(range(n_c)), "ours": [int(m) for m in ours]}
    runs = {"real": downstream_runs(dataset, None, settings, progress=progress),
            "single_top1": downstream_runs(dataset, sets["single_top1"], settings, progress=progress)}
    runs["single_top5"] = [r for i in order[:5] for r in single[i]]
    runs["single_average"] = [r for rs in single for r in rs]
    for k in ("naive_random", "naive_all", "ours"):
        runs[k] = downstream_runs(dataset, sets[k], settings, progress=progress)
    orc = oracle(dataset, result, settings, progress)
    sets["oracle"] = orc["members"]
    runs["oracle"] = orc["runs"]
    return {"single": single, "order": order, "result": result, "sets": sets, "runs": runs, "oracle": orc}


STRATEGY_NAMES = {"real": "Real", "single_top1": "Single (top-1)", "single_top5": "Single (top-5)",
                  "single_average": "Single (average)", "naive_random": "Naive (R)", "naive_all": "Naive (A)",
                  "ours": "Ours (eq. 6)", "oracle": "Oracle"}


def table3(dataset: str, out: dict) -> list[dict]:
    """Rows (one per run) with "strategy", "n_gans", "gap" and the summarize() keys, for
    :func:`synthmed.metrics.classification.summary_table`."""
    real = mean_g(out["runs"]["real"])
    n_gans = {"real": 0, "single_top1": 1, "single_top5": 1, "single_average": 1,
              **{k: len(v) for k, v in out["sets"].items() if k not in ("single_top1",)}}
    rows = []
    for k, name in STRATEGY_NAMES.items():
        for r in out["runs"][k]:
            rows.append({"dataset": dataset, "strategy": name, "n_gans": n_gans[k],
                         "gap": downstream.gap(r["g_mean"], real) / 100.0, **r})
    return rows


def fidelity_row(feats: dict, members: list[int], k: int) -> dict:
    """Density, coverage (of the union of the members' features against the real set) and FID-style Fréchet
    distance for the same features."""
    fake = torch.cat([feats["fakes"][m] for m in members])
    dc = prdc.density_coverage(feats["real"].numpy(), fake.numpy(), k)
    return {**dc, "frechet": frechet_distance(feats["real"], fake)}
