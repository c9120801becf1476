"""The GAN-ensembles chapter at CPU scale: a committed bundle of whole-chapter replicates (issue 33, item 6).

    python -m synthmed.bundle gan --dry-run          # the replicates still to run, with the projection
    scripts/bundle_worker.sh gan                     # one process per replicate, each file committed
    python -m synthmed.bundle gan --replicates 0 1   # only these

The `paper` profile (22 GANs in the paper, 7 here, for 100 000 iterations; ResNet-18 for 100 epochs; 20 repeats)
is 1,100-2,800 h on this CPU. This bundle trims the chapter to what one core computes in about an hour per
replicate (measured: :data:`GAN_ITERS`'s comment) (:data:`CPU`, each value's reason in :data:`CPU_SOURCES`): the
paper's 7 × 5 search space (7 GANs, 5
snapshots each, at :data:`GAN_ITERS` iterations), the whole training split, ``n_feat`` 2,000 images per candidate
for the search, Table 3's arms (the 35 single candidates, Naive (R), Naive (A), eq. 6's choice and the trained
Pareto front for the oracle and the validation-selected solution) and the held-out Table 6, on PneumoniaMNIST and
BreastMNIST. Tables 4, 5, A2 and A3-A5 are not in it.

One run of the bundle is one replicate of the whole chapter: replicate r has seed ``seed + r``, which reaches
every random stage as in the chapter itself (:func:`synthmed.gan.experiment.replicate_settings`: the GAN zoo, the
SimCLR and supervised embeddings, the search's samples, the search, Naive (R)'s draw, the synthetic training sets,
the classifiers, Table 6's fresh samples). Its rows are the per-replicate records the chapter's claims read, one
frame each (column ``frame``): ``table3`` (strategy runs, averaged arms as one row), ``table3_members`` (the same
with Single (average) and Single (top-5) as their member runs, the frame the claims judge), ``table6`` (held-out
fidelity), ``fig3`` (Fig. 3's rank correlations), ``front`` (the search's front and choice) and ``trunk`` (the
supervised trunk of Table 6's features: its validation accuracy and where it stopped). The run key covers
every setting and the code version of everything a replicate runs (:func:`code_version`), so an edit to that code
makes every replicate pending again (its cached steps still load where they did not change).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from synthmed import bundle
from synthmed.gan.chapter import CPU_SCALE_MODEL

CHAPTER = "gan"
PROFILE = "cpu"
VERSION = "v1"
BASE_PROFILE = "paper"  # the CPU block overrides the `paper` profile's settings
TITLE = "CPU-scale GAN bundle"
REPLICATES = list(range(10))  # issue 33 asks for at least 8
VERDICT_CHAPTER = "gan_cpu"  # the chapter the bundle's verdicts carry (the Scorecard counts them apart)

# Measured with probes on this CPU (Intel Xeon, 2 cores, one thread per process, while a book build shared it):
# - the 7 zoo GANs at width 16 and batch 32 take 38-51 ms of CPU per iteration (0.30 s per iteration of all seven;
#   width 16 at batch 64: 0.55 s; width 32 at batch 64: ~1.4 s, too slow), so n iterations on both datasets cost
#   0.61 n s of one core; at 32 px (the authors' size) they took 0.32 s against 0.34 s at 28 px in one probe, and a
#   classifier epoch no longer either;
# - one replicate at these settings with 40 GAN iterations (python -m synthmed.bundle gan --set gan_iters=40) took
#   982 s of CPU (1,591 s of wall time at a load of 4 on the 2 cores): SimCLR and the search features of 35
#   candidates x 2,000 images 434 s wall, the searches 149 s, the 100 classifiers (50 per dataset: real, ours,
#   Naive (A) and (R), 35 singles, the front up to 12) 897 s, Table 6 and the rest ~80 s; about 16 min of CPU
#   besides the GANs.
# So 3,000 iterations (snapshots every 600) make a replicate about 16 + 30 = 46 min of one core, about an hour of
# wall time on a shared machine (issue 33 asked for ~2,000 iterations at about a core-hour).
GAN_ITERS = 3000

#: The CPU-scale settings: overrides of the `paper` profile of the GAN notebooks (see :data:`CPU_SOURCES`).
CPU = {"datasets": ["pneumoniamnist", "breastmnist"],
       "gans": ["dcgan", "sngan", "acgan", "wgangp", "lsgan", "diffaug", "style"],
       "gan_iters": GAN_ITERS, "gan_snapshots": 5, "gan_batch": 32, "gan_width": 16, "image_size": 32,
       "n_feat": 2000, "weight_decay": 1e-5,
       "simclr_steps": 300, "supervised_epochs": 30, "supervised_patience": 3, "simclr_model": CPU_SCALE_MODEL,
       "embedding_model": CPU_SCALE_MODEL, "backbones": ["simclr"], "backbone": CPU_SCALE_MODEL, "backbone_width": 8,
       "epochs": 12, "patience": 4,
       "warmup": 0, "plateau_patience": 2, "batch_size": 32, "n_train": None, "max_oracle": 12,
       "naive_im": False, "fidelity_backbone": "supervised", "workers": 1, "seed": 0}

CPU_SOURCES = {
    "datasets": "Sec. 3.1 (the paper's two public datasets)",
    "gans": "ours: the 7 zoo GANs (the paper: 22 StudioGAN models, Sec. 3.2)",
    "gan_iters": "ours: a CPU budget (the paper: 100 000, Sec. 3): probes on this CPU measured 0.30 s per "
                 "iteration of the seven GANs at width 16 and batch 32 (one thread) and ~16 min of one core for "
                 "the rest of a replicate, so 3,000 iterations (30 min on both datasets) make a replicate about "
                 "three quarters of a core-hour, an hour of wall time on a shared machine",
    "gan_snapshots": "Sec. 3.2.5 (5 snapshots per GAN: the 7 x 5 = 35 candidates)",
    "gan_batch": "ours: 32 (batch 64 nearly doubled the GAN time)",
    "gan_width": "ours: 16, as quick (width 32 was 4.6 times slower per iteration)",
    "image_size": "the authors' configs (issue 33 item 5): 32 px, resized with Lanczos; measured on this CPU, the "
                  "GANs (0.32 vs 0.34 s per iteration of the seven) and the classifier cost no more than at 28 px",
    "weight_decay": "the authors' configs (issue 33 item 5): Adam weight decay 1e-5 for the classifiers",
    "n_feat": "issue 33: 2,000 real and generated images per candidate for the search (the paper: as many as "
              "the real training images)",
    "simclr_steps": "ours: the SimCLR stand-in for SwAV, longer than quick's 100",
    "supervised_epochs": "ours: the supervised trunk of held-out Table 6's features, at most 30 epochs",
    "supervised_patience": "ours: the supervised trunk stops after 3 epochs without a better validation "
                           "balanced accuracy",
    "simclr_model": "ours: the small CNN, as quick",
    "embedding_model": "ours: the small CNN, as quick",
    "backbones": "ours: only the search backbone (Table 5 is not in the bundle)",
    "backbone": "ours: the small CNN (ResNet-18, Sec. 4.1, is ~20 times slower on this CPU)",
    "backbone_width": "ours: as quick",
    "epochs": "ours: 12 (the paper: at most 100 with early stopping, Sec. A1)",
    "patience": "ours: 4 epochs (the paper: 25, Sec. A1)",
    "warmup": "ours: none (the paper: 25 epochs, Sec. A1)",
    "plateau_patience": "ours: 2 epochs (the paper: 5, Sec. A1)",
    "batch_size": "ours: 32, as quick (the paper: 64, Sec. A1). At 64 with these epochs and patience, BreastMNIST's "
                  "546 training images give 9 steps an epoch: in 2 of 6 probe seeds the classifier on the real "
                  "images never improved its first validation loss and stopped as a one-class predictor (so did "
                  "the real arm of the first committed replicate at seed 1); at 32 all 6 learned",
    "n_train": "Sec. 4.1 (the whole training split; every synthetic training set has as many images)",
    "max_oracle": "ours: the whole Pareto front up to 12 solutions, evenly spaced beyond (the paper: every "
                  "solution, Sec. 4.1)",
    "naive_im": "ours: Tables A3-A5's Naive (I) / (M) are not in the bundle",
    "fidelity_backbone": "ours: as quick, a trained network the search did not use (Table 6 held out)",
    "workers": "ours: one process (the worker runs one replicate per single-thread process)",
    "seed": "ours: replicate r has seed r",
}

#: settings that decide where or how fast a replicate runs, not its result (left out of the run key)
NOT_KEYED = ("workers",)


def repo_root() -> Path:
    """The checkout this module's code lives in (for the commit in the provenance)."""
    return Path(__file__).resolve().parents[3]


def settings(**overrides):
    """The bundle's settings: the ``gan_ensemble`` notebook's under the `paper` profile with :data:`CPU` over it
    (and ``overrides``, e.g. a smaller run for a test)."""
    from synthmed import profiles

    return profiles.resolve("gan_ensemble", BASE_PROFILE, **{**CPU, **overrides})


def replicate(s, r: int) -> dict:
    """Replicate ``r``'s settings: a chapter of one replicate (``repeats`` 1) whose seed is replicate r's
    (:func:`synthmed.gan.experiment.replicate_settings`: seed + r), so the seed reaches every random stage."""
    from synthmed.gan import experiment

    rs = experiment.replicate_settings(s, r)
    return {**rs, "seed": rs["seed"], "repeats": 1, "replicate": 0}


def key_settings(rs: dict) -> dict:
    """The settings of one replicate that decide its result (plain data)."""
    return {k: v for k, v in dict(rs).items() if k not in NOT_KEYED}


def code_version() -> str:
    """The version of the code a replicate runs: :func:`synthmed.cache.step_version` of :func:`compute_replicate`
    and of :mod:`synthmed.gan.experiment` (their source, and every synthmed module they import, transitively)."""
    from synthmed import cache
    from synthmed.gan import experiment

    return cache.step_version(compute_replicate, experiment)  # experiment: imported inside, so named here


def run_name(r: int, seed: int) -> str:
    """replicate-03-s3"""
    return f"replicate-{r:02d}-s{seed}"


def compute_replicate(rs: dict, device="cpu", progress: bool = False) -> dict[str, pd.DataFrame]:
    """Everything one replicate contributes (rs: :func:`replicate`): {frame name: runs frame}; see the module's
    docstring. Each step is cached (the chapter's own steps), so an interrupted replicate resumes."""
    from synthmed.gan import experiment as ex

    results = ex.chapter(rs, device, table4=False, ablation=False, progress=progress)
    front = pd.DataFrame([{"dataset": d, "seed": int(rec["seed"]), "front_size": int(rec["front_size"]),
                           "trained": len(rec["pareto"]), "ours_size": len(rec["ours"]),
                           "naive_random_size": len(rec["naive_random"][0]), "search": rec["result"].method,
                           "candidates": len(rec["feats"]["fakes"])} for d, rec in results.items()])
    return {"table3": ex.strategy_runs(results), "table3_members": ex.strategy_runs(results, members=True),
            "table6": ex.fidelity_runs(results, rs, device, progress), "fig3": ex.fig3_relations(results, rs["k"]),
            "front": front,
            # the trunk's rows name the chapter's own replicate (0 in a one-replicate chapter): left to the run's
            # fields, as every other frame's, so that its rows say which bundle replicate they belong to
            "trunk": ex.trunk_runs(rs, device).drop(columns="replicate", errors="ignore")}


# ---- the bundle command -----------------------------------------------------------------------------------------

def _arguments(parser: argparse.ArgumentParser) -> None:
    bundle.replicate_arguments(parser, REPLICATES, "seed = seed + r", "gan_iters=20 n_feat=50")


def plan(replicates=REPLICATES, **over) -> list[bundle.Run]:
    """The bundle's runs, replicate by replicate: name, key (bundle version, name, code version, settings) and
    fields ({"replicate", "seed"})."""
    from synthmed.gan import experiment

    s = settings(**over)
    experiment.check_models(s)  # a bad setting stops here, before any replicate computes
    version = code_version()
    runs = []
    for r in replicates:
        rs = replicate(s, r)
        name = run_name(r, rs["seed"])
        key = bundle.run_key(VERSION, name, {"gan_replicate": version}, settings=key_settings(rs))
        runs.append(bundle.Run(name, key, {"replicate": int(r), "seed": int(rs["seed"])}, rs))
    return runs


def _plan(args: argparse.Namespace) -> list[bundle.Run]:
    return plan(args.replicates, **bundle.overrides(args))


def _compute(root: Path, run: bundle.Run, args: argparse.Namespace, device) -> tuple[list[dict], dict]:
    import json
    import tempfile

    from synthmed import cache, profiles
    from synthmed.context import RunContext

    with tempfile.TemporaryDirectory() as tmp:  # the executor's runs log their cache events to the context's file
        log = Path(tmp) / "events.jsonl"
        rs = profiles.Settings("gan_ensemble", BASE_PROFILE, run.payload, set(run.payload))
        rs.context = RunContext(profile=PROFILE, notebook=VERDICT_CHAPTER, cache_dir=cache.cache_dir(), cost_log=log)
        start = time.perf_counter()
        with cache.recording() as events:  # the steps run in this process (the searches)
            frames = compute_replicate(rs, device, progress=args.progress)
        wall = time.perf_counter() - start
        events = [*events, *(json.loads(line) for line in (log.read_text().splitlines() if log.exists() else []))]
    rs = run.payload
    prov = bundle.replicate_provenance(repo_root(), events, wall, profile=PROFILE, version=VERSION,
                                       base_profile=BASE_PROFILE, settings=key_settings(rs), seed=int(rs["seed"]),
                                       step="gan_replicate", code=code_version())
    return bundle.replicate_rows(frames, run.fields["replicate"]), prov


#: the bundle in ``python -m synthmed.bundle gan`` (the chapter's ``bundle`` stage)
BUNDLE = bundle.Spec(chapter=CHAPTER, profile=PROFILE, folder=CHAPTER, title=TITLE, plan=_plan, compute=_compute,
                     arguments=_arguments, verdicts=VERDICT_CHAPTER, description=__doc__.split("\n")[0],
                     replicate_plan=plan, run_name=run_name)


def bundle_spec() -> bundle.Spec:
    """The chapter's ``bundle`` stage (:mod:`synthmed.chapters`): :data:`BUNDLE`."""
    return BUNDLE
