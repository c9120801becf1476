"""TSynD at the paper's settings on this CPU: the committed bundles under ``results/paper/`` and the command that
extends the current one.

    python -m synthmed.bundle tsynd --dry-run                # list what would run (v2), with the projection
    python -m synthmed.bundle tsynd                          # BreastMNIST 10 % then 1 %, 4 methods, seeds 0-6
    python -m synthmed.bundle tsynd --datasets pneumoniamnist --fractions 0.01
    scripts/bundle_worker.sh tsynd                           # the same, one process per run, each file committed

(``python -m synthmed.tsynd.paper_scale ...`` is the same command.)

Every run is the ``paper`` profile's (ResNet-18, 100 epochs, best validation model, latent noise σ = 1.0 latent std,
50 Adam ascent steps at lr 0.1 latent std, a VQ-VAE of 20,000 steps per seed), trained, scored and attacked through
the same cached steps as the chapter (:mod:`synthmed.tsynd.experiment`: ``tsynd_train``, ``tsynd_score``,
``tsynd_robust``). Each finished run is written at once to the bundle (:mod:`synthmed.bundle`) with its provenance;
a run already there with the same run key is skipped, so the command resumes where an earlier session stopped.
Commit the new files under ``results/`` as they appear.

Two bundles (:data:`BUNDLES`): ``v1`` (``results/paper/tsynd/``, 30 runs at commit 94d2581: Baseline, Noise and
TSynD with σ in absolute latent units; kept as "earlier code", never rewritten) and ``v2``
(``results/paper/tsynd-v2/``, what :func:`main` writes). A v2 run key (:func:`run_key_v2`) covers every setting
that reaches the run's training, scoring or attacks (the cached steps' parameters: classifier, head, weight decay,
generator, latent units, VQ-VAE, test conditions, attacks) and the code version (the steps' cache keys), so an edit
to the code a run reaches makes the run pending again.

Order (:func:`plan`): fraction-major (10 % first), then seed-major, and within a seed Noise (which also trains that
seed's VQ-VAE), TSynD, Noise-matched (it replays TSynD's recorded displacement) and Baseline; the transfer attack
of a Noise run trains the paired Baseline on the way (a few minutes), and Baseline's own run then loads it.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from synthmed import bundle, profiles
from synthmed.tsynd import experiment, training

CHAPTER = "tsynd"
PROFILE = "paper"
VERSION = "v2"
BUNDLES = {"v1": CHAPTER, "v2": f"{CHAPTER}-v2"}  # folder under results/paper/ of each bundle version
DATASETS = ["breastmnist"]
FRACTIONS = [0.1, 0.01]
METHODS = ["noise", "tsynd", "noise_matched", "baseline"]
SEEDS = [0, 1, 2, 3, 4, 5, 6]
# v1: the paper profile's settings that determined a run when v1 was written (its digest, :func:`settings_digest`;
# v2 keys on the cached steps' own parameters instead, :func:`run_key_v2`).
RUN_KEYS = ("backbone", "epochs", "iterations", "batch_size", "eval_every", "lr", "k", "noise_sigma", "latent_units",
            "ascent_steps", "ascent_lr", "vqvae_steps", "vqvae_hidden", "test_sigma", "fgsm_eps", "sweep_sigmas")


def repo_root() -> Path:
    """The checkout this module's code lives in (for the commit in the provenance)."""
    return Path(__file__).resolve().parents[3]


def folder(root: Path, version: str = "v1") -> Path:
    """``<root>/results/paper/<BUNDLES[version]>``: the bundle of ``version``."""
    if version not in BUNDLES:
        raise ValueError(f"unknown bundle version {version!r}; valid: {', '.join(BUNDLES)}")
    return bundle.folder(root, PROFILE, BUNDLES[version])


def settings(**overrides) -> profiles.Settings:
    """The ``tsynd`` notebook's settings under the ``paper`` profile (``overrides`` as papermill parameters)."""
    return profiles.resolve("tsynd", PROFILE, **overrides)


# Settings renamed since the committed runs were written, under the names those runs' digests used: the digest is
# computed over {old name: value}, so a rename alone leaves it (and every committed run's key) unchanged. `backbone`
# was TSynD's `arch` until issue 22 gave the classifier backbone one name in every chapter.
DIGEST_NAMES = {"backbone": "arch"}


def settings_digest(resolved: dict | None = None) -> str:
    """v1's digest of the settings that determine a paper-scale run (:data:`RUN_KEYS` of the ``paper`` profile,
    each under its name in :data:`DIGEST_NAMES` where it was renamed)."""
    resolved = settings() if resolved is None else resolved
    return bundle.digest({DIGEST_NAMES.get(k, k): resolved.get(k) for k in RUN_KEYS})


def run_settings(resolved: dict | None = None) -> dict:
    """Every ``paper`` setting that reaches a run's training, scoring or attacks, as the cached steps receive them:
    {"train": the TSynD :class:`~synthmed.tsynd.training.TrainConfig` without its method, "vqvae", "scoring",
    "attacks"} (derived from the settings, not listed, so a new setting cannot be left out)."""
    s = settings() if resolved is None else resolved
    train = experiment.train_config(s, "tsynd").as_dict()
    train.pop("method")
    return {"train": train, "vqvae": experiment.vqvae_config(s).as_dict(),
            "scoring": asdict(experiment.scoring(s)), "attacks": asdict(experiment.attacks(s))}


def settings_digest_v2(resolved: dict | None = None) -> str:
    """Digest of :func:`run_settings` (recorded in a v2 run's provenance)."""
    return bundle.digest(run_settings(resolved))


def run_name(spec: experiment.RunSpec) -> str:
    """breastmnist-f0.1-tsynd-s3"""
    return f"{spec.dataset}-f{spec.fraction:g}-{spec.train.method}-s{spec.seed}"


def run_key_v2(spec: experiment.RunSpec, scoring: experiment.Scoring, attacks: experiment.Attacks,
               keys: dict[str, str] | None = None) -> str:
    """What decides a v2 run's result: which run it is, every parameter of its cached steps (``spec.params()``:
    dataset, fraction, classifier with head and weight decay, generator with latent units, VQ-VAE; the scoring and
    attack settings) and the code version with the data MD5 and seed (``keys``: the steps' cache keys,
    :func:`synthmed.tsynd.experiment.step_keys` with attacks)."""
    keys = keys if keys is not None else experiment.step_keys(spec, scoring, attacks=attacks)
    return bundle.run_key("v2", run_name(spec), keys, params=spec.params(), scoring=asdict(scoring),
                          attacks=asdict(attacks))


def plan(datasets=DATASETS, fractions=FRACTIONS, methods=METHODS, seeds=SEEDS):
    """(specs, scoring, attacks, settings) of the bundle's runs: fraction-major, then seed-major (a finished seed
    completes its pairs), methods in the given order (TSynD must come before Noise-matched, which replays it)."""
    s = settings()
    methods = list(methods)
    if "noise_matched" in methods and "tsynd" in methods and methods.index("noise_matched") < methods.index("tsynd"):
        raise ValueError("noise_matched replays its paired TSynD run: list tsynd before noise_matched")
    specs = [experiment.make_specs(s, d, f, m, seed)[0]
             for f in fractions for seed in seeds for d in datasets for m in methods]
    return specs, experiment.scoring(s), experiment.attacks(s), s


def pending(root: Path, specs, scoring: experiment.Scoring, attacks: experiment.Attacks) -> list:
    """The specs whose run is not in the v2 bundle under ``root`` with the run key the current code and settings
    give it (:func:`run_key_v2`)."""
    have = {rec["key"] for rec in bundle.records(folder(root, VERSION))}
    return [s for s in specs if run_key_v2(s, scoring, attacks) not in have]


def compute(spec: experiment.RunSpec, scoring: experiment.Scoring, attacks: experiment.Attacks, device="cpu",
            progress: bool = True) -> tuple[dict, list[dict], dict]:
    """Train, score and attack one run (cached steps): its (run fields, rows, provenance), as :func:`run_one`
    stores them.

    Rows: Table 1's conditions (clean, gaussian, fgsm) and ours (gaussian_pm1, pgd, transfer), each with
    :func:`synthmed.tsynd.experiment.run_columns` (best_is_first, latent std, noise and move in latent-std units,
    decoded pixel change, MI before / after). Provenance: :func:`synthmed.bundle.provenance` with the steps' keys,
    ``steps_cached`` / ``steps_resumed`` (the wall time is then not the run's cost) and ``seconds``: the classifier's
    and the VQ-VAE's training time as measured when they were computed (also when computed by another run),
    and this run's train + score and attack wall times."""
    from synthmed import cache

    keys = experiment.step_keys(spec, scoring, device, attacks)
    cached = sorted(name for name, key in keys.items() if cache.entry_path(name, key).exists())
    resumed = sorted(name for name, key in keys.items() if cache.checkpoint_path(name, key).exists())
    start = time.perf_counter()
    res = experiment.run(spec, device, progress=progress, scoring=scoring)
    scored = time.perf_counter()
    rob = experiment.robust(spec, attacks, device)
    wall = time.perf_counter() - start
    rows = experiment.result_rows([spec], [res]) + experiment.result_rows([spec], [rob], "robust")
    extra = {**experiment.run_columns(res), "n_test": res["n_test"]}
    rows = [{**r, **extra} for r in rows]
    prov = bundle.provenance(repo_root(), profile=PROFILE, settings_digest=settings_digest_v2(), seed=spec.seed,
                             wall_s=wall, steps=keys)
    prov["samples"] = samples(spec, device)  # after the wall time: an illustration, not the run's cost
    prov.update(version=VERSION, steps_cached=cached, steps_resumed=resumed,
                seconds={"train": res.get("seconds"), "train_resumed": res.get("resumed"),
                         "vqvae": (res.get("vqvae") or {}).get("seconds"), "train_and_score": scored - start,
                         "attacks": wall - (scored - start)})
    return run_fields(spec), rows, prov


#: decoded images a Noise or TSynD run of the bundle stores (:func:`samples`), and the rows of the figure
SAMPLE_IMAGES = 4
SAMPLE_ROWS = ("original", "reconstruction", "noise", "tsynd")


def samples(spec: experiment.RunSpec, device="cpu", resolved: dict | None = None) -> dict | None:
    """For a Noise or TSynD run (None for the others): :data:`SAMPLE_IMAGES` training images of its dataset, their
    VQ-VAE reconstructions, the decoded latents with the run's noise, and those latents after the ascent against
    the Baseline classifier of the same seed (:func:`synthmed.tsynd.experiment.generator_examples`; the VQ-VAE and
    that classifier are the runs' own cached steps), as uint8 pixel lists (N, C, H, W), with the classifier's
    mutual information of each image ("mi_<row>", nats). Stored with the run, so that the page can show what the
    generator makes at paper scale without training it. resolved: the settings (default: :func:`settings`)."""
    import torch

    if spec.train.method not in ("noise", "tsynd"):
        return None
    resolved = settings() if resolved is None else resolved
    ex = experiment.generator_examples(resolved, spec.dataset, spec.fraction, spec.seed, SAMPLE_IMAGES, device)
    out = {name: (ex[name] * 255).round().to(torch.uint8).tolist() for name in SAMPLE_ROWS}
    return {**out, **{f"mi_{name}": [float(v) for v in ex[f"mi_{name}"]] for name in SAMPLE_ROWS},
            "target": "baseline"}


def stored_samples(root: Path, version: str = VERSION) -> list[tuple[str, dict]]:
    """(run name, examples) of every run of bundle ``version`` that stored :func:`samples`, the examples as
    :func:`synthmed.tsynd.experiment.sample_examples` gives them (float images in [0, 1], MI tensors)."""
    import torch

    out = []
    for rec in bundle.records(folder(root, version)):
        stored = rec["provenance"].get("samples")
        if not stored:
            continue
        ex = {name: torch.tensor(stored[name], dtype=torch.uint8).float() / 255 for name in SAMPLE_ROWS}
        ex.update({f"mi_{name}": torch.tensor(stored[f"mi_{name}"]) for name in SAMPLE_ROWS})
        out.append((run_name(spec_of(rec["run"])), ex))
    return out


def run_fields(spec: experiment.RunSpec) -> dict:
    """What a v2 file stores as its run: dataset, fraction, method label, seed."""
    return {"dataset": spec.dataset, "fraction": spec.fraction, "method": training.METHOD_LABELS[spec.train.method],
            "seed": spec.seed}


def run_one(root: Path, spec: experiment.RunSpec, scoring: experiment.Scoring, attacks: experiment.Attacks,
            device="cpu", progress: bool = True) -> Path:
    """:func:`compute` one run, then write its rows and provenance to the v2 bundle under its v2 run key."""
    keys = experiment.step_keys(spec, scoring, device, attacks)
    run, rows, prov = compute(spec, scoring, attacks, device, progress)
    return bundle.write(folder(root, VERSION), run_name(spec), run_key_v2(spec, scoring, attacks, keys), run, rows,
                        prov)


def frame(root: Path, version: str = "v1") -> pd.DataFrame:
    """The rows of bundle ``version`` (:func:`synthmed.bundle.read`), accuracy and balanced accuracy in percent as
    the chapter shows them (empty frame when nothing is committed yet)."""
    rows = bundle.read(folder(root, version))
    if rows.empty:
        return rows
    for col in ("accuracy", "balanced_accuracy", "majority_rate"):
        if col in rows:
            rows[col] = 100 * rows[col]
    return rows


def projection(root: Path, todo, version: str = VERSION, stored=None, vqvae=(), cpu: str | None = None,
               tsynd_cached=None) -> float | None:
    """Seconds the pending runs ``todo`` should take: per kind of run (method, fraction), the mean cost of the timed
    runs of that kind in bundle ``version`` (:func:`timed_runs` with ``marginal``: what a run adds in the plan's
    order, a seed's runs in one sitting; a run that trained its seed's VQ-VAE counts without that training), plus,
    for each (dataset, seed) whose VQ-VAE a pending run needs, or that ``vqvae`` names (``--vqvae-only`` runs), and
    that neither the cache nor the bundle holds (``stored(dataset, seed)``, default :func:`vqvae_stored` under
    ``root``), the mean time a VQ-VAE took (:func:`vqvae_timings`); plus a TSynD run's cost for each (dataset,
    fraction, seed) whose Noise-matched or Baseline run is pending without its TSynD run pending and whose TSynD
    step the cache lacks (``tsynd_cached(spec)``, default :func:`tsynd_step_cached`): Noise-matched replays that
    step and Baseline's transfer attack is crafted on its model, so either run trains it first (an hour of one
    core at 10 %). None when some kind has never been timed. Each mean is over the runs computed on the CPU model
    ``cpu`` where that kind has any (:func:`synthmed.bundle.on_cpu`), else over all."""
    timed = timed_runs(frame(root, version), marginal=True)
    vqvae_s = pd.to_numeric(timed["vqvae_s"], errors="coerce")
    plain = timed["seconds"] - vqvae_s.where(timed["with_vqvae"].astype(bool), 0.0).fillna(0.0)
    mean = {kind: g[bundle.on_cpu(list(timed.loc[g.index, "machine"]), cpu)].mean()
            for kind, g in plain.groupby([timed["method"], timed["fraction"]])}
    tsynd_cached = tsynd_step_cached if tsynd_cached is None else tsynd_cached
    planned = {(s.dataset, s.fraction, s.seed) for s in todo if s.train.method == "tsynd"}
    pairs = {(s.dataset, s.fraction, s.seed): s for s in todo if s.train.method in ("baseline", "noise_matched")
             and (s.dataset, s.fraction, s.seed) not in planned}
    retrain = [s for _, s in sorted(pairs.items()) if not tsynd_cached(s)]
    est = [mean.get((training.METHOD_LABELS[s.train.method], s.fraction)) for s in todo]
    est += [mean.get((training.METHOD_LABELS["tsynd"], s.fraction)) for s in retrain]
    if any(e is None for e in est):
        return None
    stored = (lambda d, seed: vqvae_stored(d, seed, root)) if stored is None else stored
    needed = ({(s.dataset, s.seed) for s in todo if s.train.method != "baseline"} | set(vqvae)
              | {(s.dataset, s.seed) for s in retrain})
    missing = [pair for pair in sorted(needed) if not stored(*pair)]
    vq = vqvae_timings(root, timed, version)
    vq = vq.loc[bundle.on_cpu(list(vq["machine"]), cpu), "seconds"]
    if missing and vq.empty:
        return None
    return float(sum(est) + len(missing) * (vq.mean() if missing else 0.0))


def tsynd_step_cached(spec: experiment.RunSpec) -> bool:
    """Whether the cache holds the TSynD step (``tsynd_train``) of ``spec``'s dataset, fraction and seed, which its
    Noise-matched run replays and its Baseline run's transfer attack needs (the paired TSynD run,
    :func:`synthmed.tsynd.experiment.replay_source`). Looked up, never trained."""
    from synthmed import cache

    pair = experiment.replay_source(spec)
    return cache.entry_path("tsynd_train", experiment.step_keys(pair)["tsynd_train"]).exists()


def vqvae_timings(root: Path, timed: pd.DataFrame, version: str = VERSION) -> pd.DataFrame:
    """The measured trainings of a ``paper`` VQ-VAE, one row each (seconds, machine): those inside the runs of
    ``timed`` (:func:`timed_runs`) that trained theirs, and the ``--vqvae-only`` runs of bundle ``version`` that
    computed theirs (:data:`VQVAE_FOLDER`, :func:`trained_vqvae`; one that loaded it from the cache says
    nothing)."""
    inside = timed[timed["with_vqvae"].astype(bool)]
    rows = [{"seconds": float(s), "machine": m} for s, m in zip(pd.to_numeric(inside["vqvae_s"], errors="coerce"),
                                                                 inside["machine"]) if pd.notna(s)]
    for rec in bundle.records(folder(root, version) / VQVAE_FOLDER):
        prov = rec["provenance"]
        if trained_vqvae(prov.get("seconds"), False, prov.get("carried")):
            rows.append({"seconds": float(prov["seconds"]["vqvae"]), "machine": (prov.get("machine") or {}).get("cpu")})
    return pd.DataFrame(rows, columns=["seconds", "machine"])


def vqvae_stored(dataset: str, seed: int, root: Path | None = None) -> bool:
    """Whether the ``paper`` VQ-VAE of ``dataset`` and ``seed`` needs no training: the cache holds it, or the v2
    bundle under ``root`` keeps its entry (:func:`synthmed.bundle.restore_steps` copies it in before a run). Looked
    up, never trained."""
    from synthmed import cache

    key = vqvae_step_key(dataset, seed)
    kept = bundle.steps_folder(folder(root, VERSION)) / "tsynd_vqvae" / f"{key}.pt" if root else None
    return cache.entry_path("tsynd_vqvae", key).exists() or (kept is not None and kept.exists())


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--fractions", nargs="+", type=float, default=FRACTIONS)
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=training.METHODS,
                        help="run only these methods (in the plan's order); a Baseline or Noise-matched run whose "
                             "seed's TSynD step is not cached trains it first (its transfer source, its replay)")
    parser.add_argument("--seeds", nargs="+", type=int, default=SEEDS)
    parser.add_argument("--vqvae-only", action="store_true",
                        help="train (and commit) only the VQ-VAE of each dataset and seed, an hour of one core each, "
                             "so that a later sitting's runs of that seed start without it (results in vqvae/)")


#: the sub-folder of the v2 bundle holding the record of each VQ-VAE-only run (--vqvae-only)
VQVAE_FOLDER = "vqvae"


@dataclass(frozen=True)
class VQVAERun:
    """The payload of a ``--vqvae-only`` run: train (or load) the ``paper`` VQ-VAE of ``dataset`` and ``seed``."""

    dataset: str
    seed: int


def vqvae_step_key(dataset: str, seed: int) -> str:
    """The cache key of the ``paper`` VQ-VAE of ``dataset`` and ``seed`` (looked up, never trained)."""
    from synthmed import cache

    try:
        with cache.hits_only(), cache.recording() as events:
            experiment.get_vqvae(dataset, experiment.vqvae_config(settings()), seed, progress=False)
    except cache.CacheMiss as miss:
        return str(miss.key)
    return next(e["key"] for e in events if e["name"] == "tsynd_vqvae")


def vqvae_run(dataset: str, seed: int) -> bundle.Run:
    """The ``--vqvae-only`` run of ``dataset`` and ``seed``: keyed on the VQ-VAE's cache key, its record in
    :data:`VQVAE_FOLDER`."""
    name = f"{dataset}-vqvae-s{seed}"
    return bundle.Run(name, bundle.run_key(VERSION, name, {"tsynd_vqvae": vqvae_step_key(dataset, seed)}),
                      {"dataset": dataset, "seed": seed, "step": "tsynd_vqvae"}, VQVAERun(dataset, seed),
                      folder=VQVAE_FOLDER)


def _plan(args: argparse.Namespace) -> list[bundle.Run]:
    """The v2 plan (:func:`plan`) as bundle runs: name, v2 run key (:func:`run_key_v2`), fields; with
    ``--vqvae-only``, one run per (dataset, seed) that trains that VQ-VAE (its record in :data:`VQVAE_FOLDER`)."""
    if getattr(args, "vqvae_only", False):
        return [vqvae_run(d, int(seed)) for seed in args.seeds for d in args.datasets]
    specs, scoring, attacks, _ = plan(args.datasets, args.fractions, args.methods, args.seeds)
    return [bundle.Run(run_name(s), run_key_v2(s, scoring, attacks), run_fields(s), (s, scoring, attacks))
            for s in specs]


def _compute(root: Path, run: bundle.Run, args: argparse.Namespace, device) -> tuple[list[dict], dict]:
    if isinstance(run.payload, VQVAERun):
        return compute_vqvae(run.payload, device, args.progress)
    _, rows, prov = compute(*run.payload, device=device, progress=args.progress)
    return rows, prov


def compute_vqvae(run: VQVAERun, device="cpu", progress: bool = True) -> tuple[list[dict], dict]:
    """Train (or load) one seed's VQ-VAE: one row {dataset, seed, test_mse, latent_std, seconds} and the
    provenance (:func:`synthmed.bundle.provenance` with the step's key). The bundle command keeps the entry
    beside the runs (the spec's ``carried`` steps)."""
    start = time.perf_counter()
    _, info = experiment.get_vqvae(run.dataset, experiment.vqvae_config(settings()), run.seed, device, progress)
    row = {"dataset": run.dataset, "seed": run.seed, "test_mse": info["test_mse"], "latent_std": info["latent_std"],
           "seconds": info["seconds"]}
    prov = bundle.provenance(repo_root(), profile=PROFILE, settings_digest=settings_digest_v2(), seed=run.seed,
                             wall_s=time.perf_counter() - start,
                             steps={"tsynd_vqvae": vqvae_step_key(run.dataset, run.seed)})
    return [row], {**prov, "version": VERSION, "seconds": {"vqvae": info["seconds"]}}


def _projection(root: Path, todo: list[bundle.Run], cpu: str | None = None) -> float | None:
    vq = [r.payload for r in todo if isinstance(r.payload, VQVAERun)]
    return projection(root, [r.payload[0] for r in todo if not isinstance(r.payload, VQVAERun)],
                      vqvae=[(r.dataset, r.seed) for r in vq], cpu=cpu)


#: the v2 bundle in ``python -m synthmed.bundle tsynd`` (the chapter's ``bundle`` stage)
BUNDLE = bundle.Spec(chapter=CHAPTER, profile=PROFILE, folder=BUNDLES[VERSION], title="Paper-scale TSynD bundle v2",
                     plan=_plan, compute=_compute, arguments=_arguments, projection=_projection,
                     verdicts="tsynd_paper", description=__doc__.split("\n")[0], carried=("tsynd_vqvae",))


def bundle_spec() -> bundle.Spec:
    """The chapter's ``bundle`` stage (:mod:`synthmed.chapters`): :data:`BUNDLE`."""
    return BUNDLE


def main(argv: list[str] | None = None) -> int:
    """``python -m synthmed.tsynd.paper_scale ...``: the same as ``python -m synthmed.bundle tsynd ...``."""
    return bundle.main(["tsynd", *(sys.argv[1:] if argv is None else argv)])


# ---- what the book shows ---------------------------------------------------------------------------------------

def spec_of(run: dict) -> experiment.RunSpec:
    """The :class:`RunSpec` of a bundle run ({dataset, fraction, method label, seed}) under the paper profile."""
    method = {v: k for k, v in training.METHOD_LABELS.items()}[run["method"]]
    return experiment.make_specs(settings(), run["dataset"], float(run["fraction"]), method, int(run["seed"]))[0]


def provenance(root: Path, version: str = "v1") -> pd.DataFrame:
    """One row per run of bundle ``version``: run, commit, finished, wall time, machine, threads, whether the
    settings digest is the current ``paper`` profile's (v1: :func:`settings_digest`, v2: :func:`settings_digest_v2`),
    and whether the code that computed it has changed since (its steps' cache keys differ from the ones the current
    code gives the same run); seed, and ``trained_vqvae``: whether the run trained its seed's VQ-VAE itself
    (:func:`trained_vqvae`, or its provenance's ``carried`` record where it has one)."""
    recs = bundle.records(folder(root, version))
    if not recs:
        return pd.DataFrame(columns=["run", "commit", "finished", "wall_s", "cpu", "threads", "torch",
                                     "settings_current", "code_changed", "seed", "trained_vqvae"])
    s = settings()
    digest = settings_digest(s) if version == "v1" else settings_digest_v2(s)
    scoring, attacks = experiment.scoring(s), experiment.attacks(s) if version != "v1" else None
    rows = []
    for rec in recs:
        prov, spec = rec["provenance"], spec_of(rec["run"])
        now = experiment.step_keys(spec, scoring, attacks=attacks)
        rows.append({"run": run_name(spec), "commit": prov["commit"][:10] + ("+edits" if prov["dirty"] else ""),
                     "finished": prov["finished"], "wall_s": prov["wall_s"], "cpu": prov["machine"]["cpu"],
                     "threads": prov["machine"]["threads"], "torch": prov["machine"]["torch"],
                     "settings_current": prov["settings_digest"] == digest,
                     "code_changed": bundle.code_changed(prov["steps"], now), "seed": spec.seed,
                     "trained_vqvae": trained_vqvae(prov.get("seconds"), False, prov.get("carried"))})
    return pd.DataFrame(rows)


def vqvae_sharing_text(prov: pd.DataFrame) -> str:
    """Markdown: the seeds whose runs trained more than one VQ-VAE between them (in different sittings, before the
    bundle kept a seed's VQ-VAE beside its runs): the same settings and seed, but not necessarily the same weights,
    so those runs are paired by seed rather than by one autoencoder. Empty when every seed's runs shared one."""
    if prov.empty or "trained_vqvae" not in prov:
        return ""
    counts = prov[prov["trained_vqvae"].astype(bool)].groupby("seed")["run"].agg(list)
    split = counts[counts.map(len) > 1]
    if split.empty:
        return ""
    seeds = ", ".join(str(s) for s in split.index)
    runs = "; ".join(", ".join(f"`{r}`" for r in v) for v in split)
    return (f"In seed(s) {seeds}, more than one run trained the seed's VQ-VAE ({runs}): the same settings and seed, "
            "trained twice (a sitting's cache ends with it; the bundle now keeps a seed's VQ-VAE beside its runs), "
            "so their weights need not agree, and these runs are paired by seed, not by one autoencoder.")


def provenance_text(prov: pd.DataFrame, version: str = "v1") -> str:
    """Markdown: how many runs of bundle ``version``, from which commits and dates, on what machine, whether
    anything is stale, and the seeds whose runs did not share one VQ-VAE (:func:`vqvae_sharing_text`)."""
    where = f"`results/paper/{BUNDLES[version]}/`"
    if prov.empty:
        return (f"No paper-scale run of bundle {version} is committed yet: `python -m synthmed.bundle tsynd` "
                f"computes them (about two hours per seed on one core of this CPU) and writes them to {where}.")
    commits = ", ".join(f"`{c}`" for c in dict.fromkeys(prov["commit"]))
    text = (f"Bundle {version} ({where}): {len(prov)} runs committed, computed from {prov['finished'].min()[:10]} to "
            f"{prov['finished'].max()[:10]} at commit(s) {commits}, on {', '.join(dict.fromkeys(prov['cpu']))} "
            f"({', '.join(map(str, dict.fromkeys(prov['threads'])))} thread(s), torch "
            f"{', '.join(dict.fromkeys(prov['torch']))}). ")
    old = int((~prov["settings_current"]).sum())
    changed = int(prov["code_changed"].sum())
    text += (f"{old} of them used settings other than today's `paper` profile. " if old else
             "Every run used today's `paper` profile settings. ")
    text += (f"For {changed} of them the code that trains or scores the run has changed since (their cache keys "
             f"differ from today's), so they show what the earlier code gave." if changed else
             "The code that trains and scores these runs is unchanged since they were computed.")
    sharing = vqvae_sharing_text(prov)
    return f"{text} {sharing}" if sharing else text


def cells(frame: pd.DataFrame, ref: pd.DataFrame, profile_runs: pd.DataFrame | None = None,
          profile: str = "quick", earlier: pd.DataFrame | None = None) -> pd.DataFrame:
    """Table 1's cells at paper scale: one row per (fraction, test condition, method) with our mean accuracy ±
    std over seeds (n), balanced accuracy, the paper's accuracy (reference), when given the same cell in the
    ``earlier`` bundle (v1, "earlier code": :func:`frame` of "v1") and under the book's ``profile``. frame:
    :func:`frame`'s rows; ref: ``reference.load("tsynd_table1")``."""
    def summary(g: pd.DataFrame, col: str) -> str:
        v = g[col].dropna()
        return "" if v.empty else f"{v.mean():.1f} ± {v.std(ddof=1):.1f} ({len(v)})" if len(v) > 1 else \
            f"{v.mean():.1f} (1)"

    def same_cell(other: pd.DataFrame, row: dict) -> pd.DataFrame:
        return other[(other["dataset"] == row["dataset"])
                     & (other["fraction"].astype(float) == float(row["fraction"]))
                     & (other["method"] == row["method"]) & (other["test_condition"] == row["test_condition"])]

    keys = ["dataset", "fraction", "test_condition", "method"]
    rows = []
    for key, g in frame.groupby(keys, sort=False):
        row = dict(zip(keys, key))
        row["paper scale: accuracy"] = summary(g, "accuracy")
        row["paper scale: balanced acc."] = summary(g, "balanced_accuracy")
        hit = same_cell(ref, row)
        row["paper: accuracy"] = f"{hit['accuracy'].iloc[0]:.1f}" if len(hit) else "—"
        if earlier is not None and len(earlier):
            row["earlier code (v1): accuracy"] = summary(same_cell(earlier, row), "accuracy") or "—"
        if profile_runs is not None and len(profile_runs):
            row[f"{profile}: accuracy"] = summary(same_cell(profile_runs, row), "accuracy") or "—"
        rows.append(row)
    out = pd.DataFrame(rows)
    if len(out):
        out["fraction"] = out["fraction"].map(lambda f: f"{100 * float(f):g} %")
    return out


#: the latent-scale record of a v2 run (:func:`synthmed.tsynd.experiment.latent_columns`), as the page names it
DIAGNOSTICS = {"latent_std": "VQ-VAE latent std", "noise_std": "noise (latent std)",
               "move_std": "ascent move (latent std)", "pixel_rms": "decoded pixel change (RMS)",
               "mi_before": "MI before (mnats)", "mi_after": "MI after (mnats)",
               "mi_after_random": "MI after a matched random move (mnats)"}


def diagnostics(frame: pd.DataFrame) -> pd.DataFrame:
    """What each method did to the latents at paper scale (issue 32 item 1): per (fraction, method), the mean
    over seeds of every recorded :data:`DIAGNOSTICS` column (MI in millinats), the number of seeds, and how many
    runs kept the model of their first evaluation (a flat validation curve). frame: :func:`frame`'s rows (one run
    repeats its record on every test condition; the clean row is read)."""
    clean = frame[frame["test_condition"] == "clean"]
    cols = [c for c in DIAGNOSTICS if c in clean]
    rows = []
    for (fraction, method), g in clean.groupby(["fraction", "method"], sort=False):
        row = {"fraction": f"{100 * float(fraction):g} %", "method": method, "seeds": g["seed"].nunique()}
        for c in cols:
            v = pd.to_numeric(g[c], errors="coerce").dropna() * (1000 if c.startswith("mi_") else 1)
            row[DIAGNOSTICS[c]] = f"{v.mean():.3g}" if len(v) else "—"
        if "best_is_first" in g:
            row["kept first evaluation"] = int(g["best_is_first"].fillna(False).astype(bool).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def scale_claims(chapter_claims: list, rows: pd.DataFrame | None = None) -> list:
    """The chapter's Table 1 claims that the paper-scale rows can judge (every BreastMNIST cell, and pooled claims
    over dataset and fraction), renamed for this page: id + "-paper-scale", paper "TSynD (paper scale)" (their
    own family for the Benjamini-Hochberg adjustment and their own count on the Scorecard). A claim marked not run
    (:data:`synthmed.claims.NOT_RUN`) stays, as a run the bundle still lacks, only when its methods are the
    bundle's (:data:`METHODS`) and, given ``rows``, its test condition is one the bundle's runs score."""
    from dataclasses import replace

    from synthmed import claims

    methods = {training.METHOD_LABELS[m] for m in METHODS}
    conditions = set(rows["test_condition"]) if rows is not None and len(rows) else None
    out = []
    for c in chapter_claims:
        sel = {**c.a, **(c.b or {})}
        if c.untestable:
            if not c.untestable.startswith(claims.NOT_RUN):
                continue  # data this bundle does not hold either (another dataset, chest X-rays)
            sides = [s for s in (c.a, c.b or {}) if s]
            if any(s.get("method") not in methods for s in sides) or (
                    conditions is not None and any(s.get("test_condition") not in conditions for s in sides)):
                continue  # an arm or test condition the bundle never computes
        if ("dataset" in sel and sel["dataset"] != "breastmnist") or c.kind == "ranking":
            continue
        if "method" not in sel and not c.pool:
            continue
        out.append(replace(c, id=f"{c.id}-paper-scale", paper="TSynD (paper scale)", chapter="tsynd_paper",
                           section=""))
    return out


def timing_unmeasured(runs: pd.DataFrame, cached: bool = True) -> pd.Series:
    """Per run: True when its wall time is not its cost, because its steps were already cached when it ran
    (``cached``: count that), or one of them resumed from the checkpoint of an interrupted run (its provenance says
    so: ``steps_cached``, ``steps_resumed``), or, for runs from before that was recorded, it took under
    :data:`HIT_SECONDS`."""
    def listed(field: str) -> pd.Series:
        col = f"prov_{field}"
        return runs[col].map(lambda v: bool(v) if isinstance(v, list) else False) if col in runs \
            else pd.Series(False, index=runs.index)

    return (listed("steps_cached") & cached) | listed("steps_resumed") | (runs["prov_wall_s"] < HIT_SECONDS)


HIT_SECONDS = 5.0  # no paper-scale run trains in less; a shorter one loaded its steps from the cache


def trained_vqvae(seconds, first_on_machine: bool, carried=None) -> bool:
    """Whether a run trained its seed's VQ-VAE (so its wall time holds that training): from its provenance's
    ``carried`` where it says (the VQ-VAE "computed", not loaded from the bundle or the cache), else from its
    ``seconds`` (its train-and-score time at least the VQ-VAE's training time: a run that loaded the VQ-VAE took
    less, unless its own training took longer than the VQ-VAE's, as a TSynD run's does on a fast machine), else
    whether it was the first Noise or TSynD run of its machine (a new machine starts with an empty cache, and
    machines of one kind share a name, so this oldest rule can miss some)."""
    if isinstance(carried, dict) and isinstance(carried.get("tsynd_vqvae"), dict):
        return carried["tsynd_vqvae"].get("from") == "computed"
    if isinstance(seconds, dict) and seconds.get("vqvae") and seconds.get("train_and_score") is not None:
        return float(seconds["train_and_score"]) >= float(seconds["vqvae"])
    return bool(first_on_machine)


def timed_runs(frame: pd.DataFrame, marginal: bool = False) -> pd.DataFrame:
    """One row per bundle run whose wall time is its cost: dataset, method, fraction, seconds, machine, finished,
    ``with_vqvae`` (the run also trained its seed's VQ-VAE, :func:`trained_vqvae`), ``vqvae_s`` (the
    seconds the run's VQ-VAE took to train, where its provenance says), and ``typical``
    (False for such a run when a run of its kind without the VQ-VAE exists). Cache hits
    (:func:`timing_unmeasured`) are left out; an empty bundle gives an empty frame with these columns. The one
    place that turns bundle wall times into costs: the runner's projection and the Compute chapter's table both
    read it. marginal: keep the runs that loaded steps another run of theirs had computed (a Baseline run after
    its seed's Noise run, which trained the Baseline as its transfer source): their wall time is what they add in
    the plan's order, which is what a worker's projection needs (a run that resumed a checkpoint is still left
    out: its wall time is part of its cost)."""
    cols = ["dataset", "method", "fraction", "seconds", "machine", "finished", "with_vqvae", "vqvae_s", "typical"]
    runs = frame.drop_duplicates("run_id") if len(frame) else frame
    runs = runs[~timing_unmeasured(runs, cached=not marginal)] if len(runs) else runs
    if runs.empty:
        return pd.DataFrame(columns=cols)
    needs_ae = runs["method"] != training.METHOD_LABELS["baseline"]
    first = runs[needs_ae].sort_values("prov_finished").groupby("prov_machine_cpu").head(1).index
    out = pd.DataFrame({"dataset": runs["dataset"], "method": runs["method"],
                        "fraction": runs["fraction"].astype(float), "seconds": runs["prov_wall_s"].astype(float),
                        "machine": runs["prov_machine_cpu"], "finished": runs["prov_finished"],
                        "with_vqvae": [trained_vqvae(sec, i in first, carried) for i, sec, carried in
                                       zip(runs.index, runs.get("prov_seconds", pd.Series(None, index=runs.index)),
                                           runs.get("prov_carried", pd.Series(None, index=runs.index)))],
                        "vqvae_s": [float(sec["vqvae"]) if isinstance(sec, dict) and sec.get("vqvae") else None
                                    for sec in runs.get("prov_seconds", pd.Series(None, index=runs.index))]})
    plain = ~out["with_vqvae"]
    out["typical"] = plain | ~plain.groupby([out["method"], out["fraction"]]).transform("any")
    return out.reset_index(drop=True)


def cost_table(frame: pd.DataFrame, costs: pd.DataFrame) -> pd.DataFrame:
    """Measured wall time per kind of paper-scale run (method x fraction; one single-thread process) beside what
    the FLOP model of :mod:`synthmed.cost` projects for that run, and their ratio. A run that also trained its
    seed's VQ-VAE (:func:`trained_vqvae`) is left out of its kind's mean whenever another run of that kind exists,
    and counted in "with VQ-VAE"."""
    from synthmed import chapters, cost

    runs = timed_runs(frame)
    if runs.empty:
        return pd.DataFrame()
    _, rate, how = cost.chapter_rate("TSynD", costs)
    s = settings()
    rows = []
    for (method, fraction), g in runs.groupby(["method", "fraction"], sort=False):
        one = dict(s, datasets=[g["dataset"].iloc[0]], fraction=[float(fraction)], seeds=[0],
                   methods=[{v: k for k, v in training.METHOD_LABELS.items()}[method]])
        flops = sum(w.flops for w in chapters.notebook("tsynd").workload("tsynd", one))
        measured = float(g.loc[g["typical"], "seconds"].mean())
        rows.append({"method": method, "fraction": f"{100 * float(fraction):g} %", "runs": len(g),
                     "with VQ-VAE": int(g["with_vqvae"].sum()), "measured s/run": measured,
                     "FLOP model s/run": flops / rate, "measured / model": measured / (flops / rate)})
    out = pd.DataFrame(rows)
    out.attrs["how"] = how
    out.attrs["vqvae_only"] = bool(((out["with VQ-VAE"] == out["runs"]) & (out["with VQ-VAE"] > 0)).any())
    return out


def cost_parts(root: Path) -> list:
    """For the Compute page's ``display(*parts)``: :func:`cost_table` of the v2 bundle under ``root`` with
    :func:`cost_text`, or a line saying that no run is committed yet."""
    from IPython.display import Markdown

    from synthmed import cost
    from synthmed.display import plain

    rows = frame(root, VERSION)
    costs = cost_table(rows, cost.load_costs()) if len(rows) else None
    if costs is None or costs.empty:
        return [Markdown("No paper-scale run is committed yet (`python -m synthmed.bundle tsynd`).")]
    return [plain(costs, precision=1), Markdown(cost_text(costs, rows))]


def cost_text(costs: pd.DataFrame, frame: pd.DataFrame) -> str:
    """Markdown: how far the FLOP model was off for the paper-scale runs, and what they took in all."""
    ratio = costs["measured / model"]
    spread = f"{ratio.iloc[0]:.2g}" if len(ratio) == 1 else f"{ratio.min():.2g} to {ratio.max():.2g}"
    every = frame.drop_duplicates("run_id")
    total = float(every.loc[~timing_unmeasured(every), "prov_wall_s"].sum())
    took = f"{total / 3600:.1f} h" if total >= 3600 else f"{total / 60:.0f} min"
    hits = int(timing_unmeasured(every).sum())
    text = (f"Measured wall time per run was {spread} times the FLOP model's projection ({costs.attrs['how']}). "
            f"The {int(costs['runs'].sum())} timed runs took {took} of single-thread time in all"
            + (f"; {hits} more loaded their steps from the cache, so their time is not a cost" if hits else "")
            + ".")
    if costs.attrs.get("vqvae_only"):
        text += (" A kind whose only runs include the VQ-VAE's training (a run that found no VQ-VAE of its seed) "
                 "is overstated by that training until another run of it is committed.")
    runs = frame.drop_duplicates("run_id")
    na = pd.Series(float("nan"), index=runs.index)
    load = pd.to_numeric(runs["prov_machine_load_15min"], errors="coerce") if "prov_machine_load_15min" in runs \
        else na
    cpus = pd.to_numeric(runs["prov_machine_cpus"], errors="coerce") if "prov_machine_cpus" in runs else na
    if load.isna().any():
        text += (f" For {int(load.isna().sum())} run(s) the machine's load was not recorded; the first runs were made "
                 f"while other work shared the CPU, so their wall times are upper bounds.")
    busy = (load > cpus).sum() if len(load.dropna()) else 0
    if busy:
        text += (f" {int(busy)} run(s) finished with a load average above the machine's CPU count: other work "
                 f"slowed them, so their times are upper bounds.")
    if frame["prov_machine_threads"].nunique() > 1 or frame["prov_machine_cpu"].nunique() > 1:
        text += " The runs come from more than one machine or thread count; their times are not comparable."
    return text


if __name__ == "__main__":
    raise SystemExit(main())
