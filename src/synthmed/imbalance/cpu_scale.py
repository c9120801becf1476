"""The class-imbalance chapter at CPU scale: a committed bundle of Exp 1 replicates (issue 34, item 5).

    python -m synthmed.bundle imbalance --dry-run          # the replicates still to run, with the projection
    scripts/bundle_worker.sh imbalance                     # one process per replicate, each file committed
    python -m synthmed.bundle imbalance --replicates 0 1   # only these

On a 2-core machine, two workers on disjoint replicates, each one single-thread process per replicate (about an hour
of one core each, :data:`REPLICATE_CPU_S`), with the same SYNTHMED_CACHE_DIR across sittings so that an interrupted
CycleGAN resumes from its checkpoint::

    setsid nohup bash scripts/bundle_worker.sh imbalance --replicates 0 2 4 6 8 > /tmp/imbalance_even.log 2>&1 &
    setsid nohup bash scripts/bundle_worker.sh imbalance --replicates 1 3 5 7 9 > /tmp/imbalance_odd.log 2>&1 &

Exp 1 (NIH1000 re-split by patient, any finding vs none, the training positives subsampled to the paper's
212 : 700) is the only experiment that can test the paper's headline (images + CycleGAN minority images + metadata
against images alone), and ``quick``'s classifiers there are at chance. One run of this bundle is one replicate of
Exp 1 at the settings of :data:`CPU` (each value's reason in :data:`CPU_SOURCES`): the 64 px images, the
classifier the probes found to learn best for its cost (:data:`BACKBONE`; none learns far above chance, see the
probes' comment), a CycleGAN trained per replicate to the stopping rule of :data:`GAN_STEPS`, and every arm of
Exp 1 with the two controls that rebalance without CycleGAN images (:data:`VARIANTS`: real, real + metadata, real +
synthetic + metadata, real + synthetic, real + oversampling, real + class weighting).

Replicate r has seed r, which reaches every random stage (:func:`synthmed.imbalance.experiment.run_seed`: the
training-positive subsample, the CycleGAN, the synthetic set's sources, every classifier's initialisation and
batches); the patient split is the chapter's fixed one. A replicate runs the chapter's own function on one
:class:`~synthmed.imbalance.experiment.RunSpec` (:func:`replicate_spec`), and its rows are frames (column
``frame``): ``runs`` (:func:`synthmed.imbalance.experiment.results_frame`, the rows the claims read), ``history``
(each classifier's per-epoch validation record), ``gan`` (the CycleGAN's loss history, every
:data:`GAN_LOG_POINTS`-th logged point) and ``gan_check`` (:func:`synthmed.imbalance.cyclegan.plateau`: whether
the cycle loss had stopped falling). The run key covers every setting and the code version of what a replicate
runs (:func:`code_version`).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd

from synthmed import bundle
from synthmed.imbalance.chapter import CPU_SCALE_BACKBONE

CHAPTER = "imbalance"
PROFILE = "cpu"
VERSION = "v1"
NOTEBOOK = "imbalance"
BASE_PROFILE = "paper"  # the CPU block overrides the `paper` profile's settings
TITLE = "CPU-scale class-imbalance bundle"
EXPERIMENT = "nih_patient"  # Exp 1
REPLICATES = list(range(10))  # issue 34: ~9 seeds give 80 % power for a +5-point headline gain (sd 4.55)
VERDICT_CHAPTER = "imbalance_cpu"  # the chapter the bundle's verdicts carry (the Scorecard counts them apart)
#: Exp 1's arms with the two controls (experiment.VARIANTS), baseline first
VARIANTS = ("real", "real_meta", "real_synth_meta", "real_synth", "real_oversample", "real_weighted")

# Probes on this CPU (Intel Xeon, 2 cores shared with a GAN build and a test run, one thread, nice 15), NIH1000 at
# 64 px, Exp 1's data (training 256 normal / 78 finding after the 212 : 700 subsample; validation 130 / 75; test
# 114 / 67). The image-only classifier (`real`), seeds 0 and 1, validation ROC-AUC at the kept (best) epoch / test
# ROC-AUC:
# - small CNN (width 16), Adam 1e-3, 40 epochs: 0.567 / 0.617 and 0.570 / 0.612; 1.45 s of CPU per epoch;
# - small CNN, Adam 3e-4, 30 epochs: 0.571 / 0.588 and 0.572 / 0.619;
# - ResNet-18, Adam 1e-3, 25 epochs: 0.576 / 0.556 and 0.592 / 0.545; 6.2 s of CPU per epoch;
# - small CNN pretrained on PneumoniaMNIST upsampled to 64 px (3 epochs, validation ROC-AUC 0.99) then 25 epochs:
#   0.593 / 0.590 and 0.573 / 0.619.
# No network here learns this label (any of 14 findings vs none, 78 training positives) far above chance: every one
# sits near 0.57 on validation and 0.55-0.62 on test, the small CNN no worse than ResNet-18 at a quarter of the cost
# and its best epoch early (epochs 7-11). The bundle takes the small CNN for 20 epochs; each replicate records its
# validation ROC-AUC, and the claims engine judges a side whose classifiers are not above chance as not testable.
# The CycleGAN at 64 px, batch 1, one thread: width 16 with 6 blocks 0.26 s of CPU per step (width 32: 0.50 s;
# width 16 with 3 blocks: 0.13 s). A scaled-down replicate (python -m synthmed.bundle imbalance --replicates 0 --set
# gan_steps=300 epochs=2) took 72 s of CPU at a load of 5 (73 % of a core): the CycleGAN 64.5 s of wall time (0.16
# s of CPU per step), the 6 classifiers 22 s (1.8 s per epoch), scoring 5.5 s. So a replicate at 14,000 steps and
# 20 epochs is 0.16-0.26 s x 14,000 + ~4 min = 40-65 min of one core, and the 10 replicates 7-11 core-hours,
# within issue 34's ~12; two workers on disjoint replicates (even / odd) halve the wall time.
BACKBONE = CPU_SCALE_BACKBONE
EPOCHS = 20
GAN_STEPS = 14000
GAN_LOG_POINTS = 10  # keep every 10th logged point (one per 100 steps) of the CycleGAN's history in the bundle
REPLICATE_CPU_S = 0.26 * GAN_STEPS + 240  # the probes' upper estimate of one replicate (projected before any is stored)

#: The CPU-scale settings: overrides of the `paper` profile of the imbalance notebook (see :data:`CPU_SOURCES`).
CPU = {"experiments": [EXPERIMENT], "variants": list(VARIANTS), "backbones": [BACKBONE], "image_size": 64,
       "epochs": EPOCHS, "meta_epochs": 60, "batch_size": 32, "lr": 1e-3, "weight_decay": 1e-4, "keep": "best",
       "synthetic_ratio": 0.5, "synthetic_metadata": "source", "specificity": 0.8, "cap": 10,
       "gan_steps": GAN_STEPS, "gan_width": 16, "gan_blocks": 6, "gan_batch": 1, "weights": None, "workers": 1,
       "n_show": 0}

CPU_SOURCES = {
    "experiments": "ours: Exp 1 only, the one experiment with images, metadata and CycleGAN images (the paper's "
                   "design, Sec. 4-5) and so the only test of the headline",
    "variants": "Sec. 5.3 (DCNN-real, -real-meta, -real-synth-meta); real_synth, real_oversample, real_weighted: "
                "ours, to separate CycleGAN content from rebalancing (issue 34 item 3)",
    "backbones": "ours: the small CNN at 64 px (the paper: ImageNet-pretrained ResNet-50 / DenseNet-121 / VGG-16, "
                 "Sec. 3.2); probes on this CPU: ResNet-18 learned no better (validation ROC-AUC 0.58-0.59 vs "
                 "0.57, test 0.55 vs 0.61) at four times the cost, and PneumoniaMNIST pretraining did not help",
    "image_size": "ours: NIH1000's own 64 px (the paper: 256 px, Sec. 4.2)",
    "epochs": "ours: 20 epochs with the best validation ROC-AUC kept (the paper's Figs. 3-5 show 9-10 epochs of "
              "ImageNet-pretrained networks; ours start from random weights, and the probes' best epochs were 7-11)",
    "meta_epochs": "ours: as the paper profile (the metadata MLP is not in Exp 1's arms)",
    "batch_size": "ours: not stated in the paper",
    "lr": "ours: Adam 1e-3 (not stated; 1e-4 suits pretrained networks, ours are trained from scratch; 3e-4 "
          "learned no better in a probe)",
    "weight_decay": "ours: as every profile (Adam weight decay 1e-4)",
    "keep": "ours: the epoch with the best validation ROC-AUC (the paper reports its last epoch; with 25 epochs from "
            "scratch the last can be an overfitted one)",
    "synthetic_ratio": "abstract, Sec. 6 (minority grown by half the majority)",
    "synthetic_metadata": "ours: a translated image keeps its source image's metadata (not stated)",
    "specificity": "ours: the second threshold, fixed on validation specificity (issue 12)",
    "cap": "ours: at most 10 images of one patient in validation or test (issue 12)",
    "gan_steps": "ours, the stopping rule: a fixed budget of 14,000 steps (about 55 passes over the 256 training "
                 "normals; Zhu et al.: 200 epochs) with their schedule (constant lr for the first half, linear decay "
                 "to zero over the second), set by the CPU budget (0.26 s per step measured, ~1 h of one core); each "
                 "replicate records whether its cycle loss had stopped falling before the decay (gan_check: "
                 "cyclegan.plateau, under 5 % fall over the tenth of the steps before the half) and the page counts "
                 "them",
    "gan_width": "ours: 16 (Zhu et al.: 64; width 32 doubled the cost per step on this CPU at 64 px)",
    "gan_blocks": "Zhu et al.'s 6 residual blocks (128 px and below)",
    "gan_batch": "Zhu et al.'s batch size 1",
    "weights": "Sec. 5 (ImageNet-pretrained); ours: none downloadable here, random initialisation",
    "workers": "ours: one process (the worker runs one replicate per single-thread process)",
    "n_show": "ours: no images are stored in the bundle (score rows only)",
    "seed": "ours: replicate r has seed r (subsample, CycleGAN, synthetic set, classifiers)",
}

#: settings that decide where or how fast a replicate runs, not its result (left out of the run key)
NOT_KEYED = ("root", "device")


def repo_root() -> Path:
    """The checkout this module's code lives in (for the commit in the provenance)."""
    return Path(__file__).resolve().parents[3]


def settings(**overrides):
    """The bundle's settings: the ``imbalance`` notebook's under the `paper` profile with :data:`CPU` over it (and
    ``overrides``, e.g. a smaller run for a test)."""
    from synthmed import profiles

    return profiles.resolve(NOTEBOOK, BASE_PROFILE, **{**CPU, **overrides})


def replicate_spec(s, r: int, root: str | Path | None = None, device: str = "cpu"):
    """Replicate ``r``'s :class:`~synthmed.imbalance.experiment.RunSpec`: the chapter's own spec of Exp 1 for seed
    ``r`` (:func:`synthmed.imbalance.experiment.specs_from_settings` with the settings ``s``), with every arm of
    :data:`VARIANTS` that ``s["variants"]`` names, the controls included (the chapter's Exp 1 list lacks them)."""
    from synthmed.data.paths import data_root
    from synthmed.imbalance import experiment

    s = s.copy() if hasattr(s, "copy") else dict(s)
    s = _with(s, seeds=[int(r)], experiments=[EXPERIMENT])
    (spec,) = experiment.specs_from_settings(s, root or data_root(), device)
    return replace(spec, variants=tuple(v for v in VARIANTS if v in s["variants"]))


def _with(s, **values):
    from synthmed import profiles

    if isinstance(s, profiles.Settings):
        return profiles.Settings(s.notebook, s.profile, {**s, **values}, set(s.explicit) | set(values))
    return profiles.Settings(NOTEBOOK, BASE_PROFILE, {**s, **values}, set(values))


def key_settings(spec) -> dict:
    """The settings of one replicate that decide its result (plain data: the RunSpec without where it runs)."""
    return {k: v for k, v in asdict(spec).items() if k not in NOT_KEYED}


def code_version() -> str:
    """The version of the code a replicate runs: :func:`synthmed.cache.step_version` of :func:`compute_replicate`
    and of :mod:`synthmed.imbalance.experiment` (their source, and every synthmed module they import)."""
    from synthmed import cache
    from synthmed.imbalance import experiment

    return cache.step_version(compute_replicate, experiment)


def run_name(r: int, seed: int) -> str:
    """replicate-03-s3"""
    return f"replicate-{r:02d}-s{seed}"


def compute_replicate(spec) -> dict[str, pd.DataFrame]:
    """Everything one replicate contributes (spec: :func:`replicate_spec`): {frame name: frame}; see the module's
    docstring. The chapter's :func:`~synthmed.imbalance.experiment.run_seed` computes it, its steps cached (the
    CycleGAN resumes from its checkpoint)."""
    from synthmed.imbalance import cyclegan, experiment

    out = experiment.run_seed(spec)
    frames = {"runs": experiment.results_frame([out], [spec]), "history": experiment.history_frame([out])}
    gan = out["gan_history"]
    if gan is not None and len(gan):
        frames["gan"] = gan.iloc[::-GAN_LOG_POINTS].iloc[::-1].assign(seed=spec.seed)  # the last point kept
        frames["gan_check"] = pd.DataFrame([{"seed": spec.seed, "steps": int(gan["step"].iloc[-1]),
                                             **cyclegan.plateau(gan)}])
    return frames


# ---- the bundle command -----------------------------------------------------------------------------------------

def _arguments(parser: argparse.ArgumentParser) -> None:
    bundle.replicate_arguments(parser, REPLICATES, "seed r", "gan_steps=4 epochs=1")


def plan(replicates=REPLICATES, **over) -> list[bundle.Run]:
    """The bundle's runs, replicate by replicate: name, key (bundle version, name, code version, settings) and
    fields ({"replicate", "seed"})."""
    s = settings(**over)
    version = code_version()
    runs = []
    for r in replicates:
        spec = replicate_spec(s, r)
        name = run_name(r, spec.seed)
        key = bundle.run_key(VERSION, name, {"imbalance_replicate": version}, settings=key_settings(spec))
        runs.append(bundle.Run(name, key, {"replicate": int(r), "seed": int(spec.seed)}, spec))
    return runs


def _plan(args: argparse.Namespace) -> list[bundle.Run]:
    return plan(args.replicates, **bundle.overrides(args))


def _compute(root: Path, run: bundle.Run, args: argparse.Namespace, device) -> tuple[list[dict], dict]:
    from synthmed import cache
    from synthmed.data.check import check_datasets
    from synthmed.imbalance import experiment

    check_datasets(list(experiment.DATASETS[:1]), required=True)  # NIH1000: a missing file stops with its message
    spec = replace(run.payload, device=str(device))
    start = time.perf_counter()
    with cache.recording() as events:
        frames = compute_replicate(spec)
    wall = time.perf_counter() - start
    prov = bundle.replicate_provenance(repo_root(), events, wall, profile=PROFILE, version=VERSION,
                                       base_profile=BASE_PROFILE, settings=key_settings(spec), seed=int(spec.seed),
                                       step="imbalance_replicate", code=code_version())
    return bundle.replicate_rows(frames, run.fields["replicate"]), prov


def _projection(root: Path, todo: list[bundle.Run], cpu: str | None = None) -> float:
    """Seconds the pending runs ``todo`` will take: the mean cost of the stored replicates (those computed on the
    CPU model ``cpu`` where any is, :func:`synthmed.bundle.on_cpu`), or before any is stored the probes' estimate
    (:data:`REPLICATE_CPU_S`, one core to itself)."""
    stored = bundle.mean_projection(bundle.folder(root, PROFILE, CHAPTER), todo, cpu)
    return stored if stored is not None else len(todo) * REPLICATE_CPU_S


#: the bundle in ``python -m synthmed.bundle imbalance`` (the chapter's ``bundle`` stage)
BUNDLE = bundle.Spec(chapter=CHAPTER, profile=PROFILE, folder=CHAPTER, title=TITLE, plan=_plan, compute=_compute,
                     arguments=_arguments, projection=_projection, verdicts=VERDICT_CHAPTER,
                     description=__doc__.split("\n")[0], replicate_plan=plan, run_name=run_name)


def bundle_spec() -> bundle.Spec:
    """The chapter's ``bundle`` stage (:mod:`synthmed.chapters`): :data:`BUNDLE`."""
    return BUNDLE
