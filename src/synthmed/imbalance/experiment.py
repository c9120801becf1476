"""The chapter's three experiments as independent runs, one per (experiment, seed).

A run (:func:`run_seed`) draws everything that depends on its seed — the training-positive subsample (or, for the
metadata experiment, the normal sample and the patient-disjoint split), the CycleGAN, the synthetic set and every
classifier's initialisation and batches — so that variants compared within a seed are paired, and seeds are
independent repeats. Training and scoring are separate cached steps: a classifier's weights (``imbalance_classifier``)
and its validation/test probabilities (``imbalance_scores``); the metrics are computed from the probabilities
afterwards (:mod:`synthmed.imbalance.scoring`), so an edit to a metric retrains nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import torch

from synthmed import cache, models
from synthmed.data.check import check_datasets
from synthmed.data.paths import data_root
from synthmed.executor import run_all
from synthmed.imbalance import balance, cyclegan, data as imb_data, fusion, scoring
from synthmed.imbalance.train import TrainConfig, predict_proba, train_classifier
from synthmed.pixels import to_signed



class Variant(NamedTuple):
    """What one classifier is trained on. images, metadata: its inputs; adds: the minority images appended to the
    training split ("synthetic": CycleGAN translations; "copies": random oversampling of real minority images, as
    many as "synthetic" adds; None: none); class_weight: "balanced" for a class-weighted loss, else None."""

    images: bool
    metadata: bool
    adds: str | None = None
    class_weight: str | None = None


VARIANTS = {
    "real": Variant(True, False),  # DCNN-real
    "real_meta": Variant(True, True),  # DCNN-real-meta
    "real_synth_meta": Variant(True, True, "synthetic"),  # DCNN-real-synth-meta (the paper's "ensemble")
    "real_synth": Variant(True, False, "synthetic"),  # synthetic images without metadata
    "real_oversample": Variant(True, False, "copies"),  # ours: control, as many copies of real minority images
    "real_weighted": Variant(True, False, None, "balanced"),  # ours: control, class-weighted loss, no images added
    "meta": Variant(False, True),  # MLP-meta: the fusion model's metadata branch alone
    "logreg": Variant(False, True),  # logistic regression on the metadata (sklearn)
}
# experiment -> dataset, the variants it can run, whether its training positives are subsampled to the paper's ratio
EXPERIMENTS = {
    "nih_patient": ("nih1000_patient", ("real", "real_meta", "real_synth_meta", "real_synth", "real_weighted",
                                        "real_oversample"), True),
    "pneumonia_minority": ("pneumoniamnist", ("real", "real_weighted", "real_oversample", "real_synth"), True),
    "metadata_only": ("nih_metadata", ("logreg", "meta"), False),
}
# experiment -> how the page names it (numbered as the notebook introduces them)
EXPERIMENT_LABELS = {"nih_patient": "1: NIH1000 by patient", "pneumonia_minority": "2: PneumoniaMNIST",
                     "metadata_only": "3: metadata only"}


@dataclass(frozen=True)
class RunSpec:
    """Everything one run needs (picklable, for :func:`synthmed.executor.run_all`)."""

    experiment: str
    seed: int
    variants: tuple[str, ...]
    backbone: str = field(kw_only=True)  # a synthmed.models name, one of the profile's `backbones` (no default)
    train: TrainConfig = field(kw_only=True)  # the image classifiers (no default: the profile's settings)
    meta_train: TrainConfig = field(kw_only=True)  # the metadata-only MLP ("meta")
    image_size: int = 64  # NIH1000 images (stored at 64)
    cap: int = 10  # NIH1000 re-split: at most this many images of one patient in validation or test
    gan: cyclegan.CycleGANConfig | None = None
    synthetic_ratio: float = 0.5
    synthetic_metadata: str = "source"
    specificity: float = 0.8
    weights: str | None = None
    root: str | None = None
    device: str = "cpu"
    n_examples: int = 0  # translated images to return for a figure


def specs(experiments, seeds, variants, backbones, weights=None, **common) -> list[RunSpec]:
    """One :class:`RunSpec` per (experiment, backbone, seed), each with the requested variants that its data
    supports (the metadata experiment once per seed: it has no backbone). backbones: :mod:`synthmed.models` names
    (the profile's ``backbones``; :func:`synthmed.models.check` raises for another); weights: {backbone: local
    file}."""
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise ValueError(f"unknown variant(s) {unknown}; valid: {', '.join(VARIANTS)}")
    bad = sorted(set(experiments) - set(EXPERIMENTS))
    if bad:
        raise ValueError(f"unknown experiment(s) {bad}; valid: {', '.join(EXPERIMENTS)}")
    backbones = [models.check(b) for b in ([backbones] if isinstance(backbones, str) else backbones)]
    if not backbones:
        raise ValueError("backbones is empty: name at least one synthmed.models model")
    out = []
    for e in experiments:
        vs = tuple(v for v in EXPERIMENTS[e][1] if v in variants)  # the experiment's order: baseline first
        nets = backbones if any(VARIANTS[v].images for v in vs) else backbones[:1]
        out += [RunSpec(e, int(s), vs, backbone=b, weights=(weights or {}).get(b), **common)
                for b in nets for s in seeds] if vs else []
    return out


def specs_from_settings(settings, root: str | Path, device: torch.device | str) -> list[RunSpec]:
    """:func:`specs` for a notebook's resolved settings (:func:`synthmed.profiles.from_notebook`): the classifier,
    metadata-MLP and CycleGAN configurations built from its keys. root: the data root; device: where runs train."""
    s = settings
    train = TrainConfig(epochs=s.epochs, batch_size=s.batch_size, lr=s.lr, weight_decay=s.weight_decay, keep=s.keep)
    meta_train = TrainConfig(epochs=s.meta_epochs, batch_size=s.batch_size, lr=s.lr, weight_decay=s.weight_decay,
                             keep=s.keep)
    gan = cyclegan.CycleGANConfig(ngf=s.gan_width, ndf=s.gan_width, n_blocks=s.gan_blocks, steps=s.gan_steps,
                                  batch_size=s.gan_batch)
    return specs(s.experiments, s.seeds, s.variants, s.backbones, s.weights, train=train, meta_train=meta_train,
                 gan=gan, synthetic_ratio=s.synthetic_ratio, synthetic_metadata=s.synthetic_metadata,
                 specificity=s.specificity, image_size=s.image_size, cap=s.cap, root=str(root),
                 device=str(device), n_examples=s.n_show)


DATASETS = ("nih1000", "nih_metadata", "pneumoniamnist")  # what every experiment and the data overview read


def run(settings, device: torch.device | str) -> tuple[list[RunSpec], list[dict], pd.DataFrame]:
    """The notebook's runs: checks :data:`DATASETS` first (a missing or corrupt file stops here, with the data
    layer's message), then runs every spec of :func:`specs_from_settings` through the executor (training and scoring
    are separate cached steps). Returns the specs, their outputs and :func:`results_frame`."""
    check_datasets(list(DATASETS), required=True)
    specs_ = specs_from_settings(settings, data_root(), device)
    outputs = run_all(run_seed, specs_, workers=settings.workers, desc="imbalance runs", context=settings.context)
    return specs_, outputs, results_frame(outputs, specs_)


def prepare_data(experiment: str, seed: int, root: str | None = None, size: int = 64, cap: int = 10
                 ) -> imb_data.ImbalanceData:
    """The seed's data of an experiment: the metadata selection drawn with ``seed``, or the fixed split with its
    training positives subsampled to the paper's 212 : 700 with ``seed``. size: NIH1000 image size."""
    dataset, _, subsample = EXPERIMENTS[experiment]
    data = imb_data.load(dataset, root, seed=seed, size=size, cap=cap)
    return imb_data.subsample_positives(data, seed=seed) if subsample else data


def train_translator(data: imb_data.ImbalanceData, config: cyclegan.CycleGANConfig, seed: int,
                     device: torch.device | str, progress: bool = False) -> dict:
    """CycleGAN majority (A) -> minority (B) on the training split only; cached and resumable."""
    major = data.train.images[data.train.labels != data.minority]
    minor = data.train.images[data.train.labels == data.minority]

    def compute(ckpt: Path):
        return cyclegan.train_cyclegan(to_signed(major), to_signed(minor), config, seed=seed, device=device,
                                       checkpoint=ckpt, progress=progress)

    return cache.cached("imbalance_cyclegan", compute, params={"dataset": data.name, "config": asdict(config)},
                        data_md5=[data.md5], seed=seed, resumable=True)


def synthesize(data: imb_data.ImbalanceData, gan: dict, ratio: float, seed: int,
               device: torch.device | str) -> tuple[torch.Tensor, torch.Tensor]:
    """(M, 1, H, W) uint8 translated majority images and their (M,) source indices, M = ratio * n_majority."""
    src = balance.source_indices(data, synthetic_count(data, ratio), seed)
    return cyclegan.translate(cyclegan.load_generator(gan), data.train.images[src], device=device), src


def _classifier_params(d: imb_data.ImbalanceData, variant: str, spec: RunSpec) -> dict:
    v = VARIANTS[variant]
    return {"dataset": d.name, "variant": variant, "backbone": spec.backbone if v.images else None,
            "train": asdict(spec.train if v.images else spec.meta_train),
            "weights": spec.weights if v.images else None,
            "n_metadata": len(d.feature_names) if v.metadata else 0,
            "image_size": int(d.train.images.shape[-1]) if v.images else 0,
            "synthetic_metadata": spec.synthetic_metadata if v.adds == "synthetic" and v.metadata else None,
            "class_weight": v.class_weight}


def _build(params: dict, seed: int) -> fusion.Classifier:
    return fusion.build_classifier(params["backbone"], params["n_metadata"], image_size=params["image_size"],
                                   weights=params["weights"], seed=seed)


def train_step(d: imb_data.ImbalanceData, variant: str, spec: RunSpec) -> dict:
    """Cached training of one classifier: {"state_dict", "history" (list of per-epoch dicts), "step"}."""
    params = _classifier_params(d, variant, spec)

    def compute():
        model = _build(params, spec.seed)
        config = spec.train if params["backbone"] else spec.meta_train
        res = train_classifier(model, d.train, d.val, config, seed=spec.seed, device=spec.device, progress=False,
                               class_weight=params["class_weight"])
        return {"state_dict": res.state_dict, "history": res.history, "step": res.step}

    return cache.cached("imbalance_classifier", compute, params=params, data_md5=[d.md5], seed=spec.seed)


def score_step(d: imb_data.ImbalanceData, variant: str, spec: RunSpec, state: dict) -> dict:
    """Cached validation and test probabilities of a trained classifier: {"val_prob", "test_prob"} (N,) tensors.
    The key holds the weights' digest, so new weights (from any change to training) are always scored anew."""
    params = {**_classifier_params(d, variant, spec), "weights_digest": state["state_dict"]}

    def compute():
        model = _build(params, spec.seed)
        model.load_state_dict(state["state_dict"])
        return {"val_prob": predict_proba(model, d.val, device=spec.device),
                "test_prob": predict_proba(model, d.test, device=spec.device)}

    return cache.cached("imbalance_scores", compute, params=params, data_md5=[d.md5], seed=spec.seed)


def logreg_scores(d: imb_data.ImbalanceData) -> dict:
    """Logistic regression (sklearn, L2, lbfgs) on the training metadata: validation and test probabilities."""
    from sklearn.linear_model import LogisticRegression
    model = LogisticRegression(max_iter=1000).fit(d.train.metadata.numpy(), d.train.labels.numpy())
    return {"val_prob": torch.from_numpy(model.predict_proba(d.val.metadata.numpy())[:, 1]),
            "test_prob": torch.from_numpy(model.predict_proba(d.test.metadata.numpy())[:, 1])}


def training_data(data: imb_data.ImbalanceData, variant: str, synthetic: tuple | None, spec: RunSpec
                  ) -> imb_data.ImbalanceData:
    """The data a variant trains on: ``data`` itself, or its training split with the minority images the variant
    adds (:class:`Variant`.adds). synthetic: (images, source indices) of :func:`synthesize`; the "copies" control
    adds as many real minority copies as there are synthetic images (:func:`synthetic_count`)."""
    adds = VARIANTS[variant].adds
    if adds == "synthetic":
        return balance.add_synthetic(data, *synthetic, metadata=spec.synthetic_metadata, seed=spec.seed)
    if adds == "copies":
        return balance.oversample(data, synthetic_count(data, spec.synthetic_ratio), seed=spec.seed)
    return data


def synthetic_count(data: imb_data.ImbalanceData, ratio: float) -> int:
    """How many minority images the "synthetic" and "copies" variants add: ``ratio`` x the training majority."""
    return balance.n_synthetic(int((data.train.labels != data.minority).sum()), ratio)


def run_seed(spec: RunSpec) -> dict:
    """All variants of one (experiment, seed). Returns {"runs": [one dict per variant: experiment, variant, seed,
    train_counts, val_prob, val_labels, test_prob, test_labels, history], "gan_history": DataFrame or None,
    "examples": (source, translated) uint8 images or None, "split": the data's split frame}."""
    data = prepare_data(spec.experiment, spec.seed, spec.root, spec.image_size, spec.cap)
    synthetic, gan = None, None
    if any(VARIANTS[v].adds == "synthetic" for v in spec.variants):
        if spec.gan is None:
            raise ValueError(f"variants {spec.variants} need a CycleGAN config")
        gan = train_translator(data, spec.gan, spec.seed, spec.device)
        synthetic = synthesize(data, gan, spec.synthetic_ratio, spec.seed, spec.device)
    runs = []
    for variant in spec.variants:
        d = training_data(data, variant, synthetic, spec)
        if variant == "logreg":
            probs, history = logreg_scores(d), []
        else:
            state = train_step(d, variant, spec)
            probs, history = score_step(d, variant, spec, state), state["history"]
        runs.append({"experiment": spec.experiment, "variant": variant, "seed": spec.seed,
                     "backbone": spec.backbone if VARIANTS[variant].images else "none",
                     "train_counts": d.train.counts(), "val_labels": d.val.labels, "test_labels": d.test.labels,
                     "history": history, **probs})
    examples = None
    if synthetic is not None and spec.n_examples:
        examples = (data.train.images[synthetic[1][:spec.n_examples]], synthetic[0][:spec.n_examples])
    return {"runs": runs, "gan_history": gan["history"] if gan else None, "examples": examples,
            "split": data.split_frame()}


def results_frame(outputs: list[dict], specs_: list[RunSpec]) -> pd.DataFrame:
    """One row per (experiment, variant, seed, threshold rule) with the test metrics of
    :func:`synthmed.imbalance.scoring.score_run` at each spec's target specificity."""
    rows = []
    for out, spec in zip(outputs, specs_):
        for r in out["runs"]:
            for m in scoring.score_run(r["val_prob"].numpy(), r["val_labels"].numpy(), r["test_prob"].numpy(),
                                       r["test_labels"].numpy(), specificity=spec.specificity):
                rows.append({"experiment": r["experiment"], "variant": r["variant"], "backbone": r["backbone"],
                             "seed": r["seed"],
                             "n_train_neg": r["train_counts"][0], "n_train_pos": r["train_counts"][1], **m})
    return pd.DataFrame(rows)


def history_frame(outputs: list[dict]) -> pd.DataFrame:
    """The per-epoch validation record of every trained classifier (Figs. 3-5 of the paper)."""
    rows = [{"experiment": r["experiment"], "variant": r["variant"], "backbone": r["backbone"], "seed": r["seed"],
             **h}
            for out in outputs for r in out["runs"] for h in r["history"]]
    return pd.DataFrame(rows)

