"""The cached runs behind the chapter's Table 1: one CycleGAN per (dataset, seed), then one classifier per
(variant, backbone, seed), each evaluated on the real, untouched test split."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd
import torch

from synthmed import cache
from synthmed.imbalance import balance, cyclegan, data as imb_data, fusion, train
from synthmed.metrics.classification import summarize

# variant -> (uses images, uses metadata, adds synthetic minority images)
VARIANTS = {
    "real": (True, False, False),  # DCNN-real
    "real_meta": (True, True, False),  # DCNN-real-meta
    "real_synth_meta": (True, True, True),  # DCNN-real-synth-meta (the paper's "ensemble")
    "real_synth": (True, False, True),  # beyond the paper: synthetic images without metadata
    "meta": (False, True, False),  # MLP-meta
}
TABLE1_VARIANTS = ("real", "real_meta", "real_synth_meta")
PAPER_COLUMN = {"real": "real", "real_meta": "real_meta", "real_synth_meta": "ensemble"}


def usable_variants(data: imb_data.ImbalanceData, variants) -> list[str]:
    """The variants that ``data`` supports (no metadata variants without metadata)."""
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise ValueError(f"unknown variant(s) {unknown}; valid: {', '.join(VARIANTS)}")
    return [v for v in variants if data.has_metadata or not VARIANTS[v][1]]


def train_translator(data: imb_data.ImbalanceData, config: cyclegan.CycleGANConfig, seed: int,
                     device: torch.device, progress: bool = True) -> dict:
    """CycleGAN majority (A) -> minority (B) on the training split only; cached and resumable."""
    def to_unit(x):
        return x.float().div(127.5).sub(1.0)

    major = data.train.images[data.train.labels != data.minority]
    minor = data.train.images[data.train.labels == data.minority]

    def compute(ckpt: Path):
        return cyclegan.train_cyclegan(to_unit(major), to_unit(minor), config, seed=seed, device=device,
                                       checkpoint=ckpt, progress=progress)

    return cache.cached("imbalance_cyclegan", compute, params={"dataset": data.name, "config": asdict(config)},
                        code=[cyclegan], data_md5=[data.md5], seed=seed, resumable=True)


def synthesize(data: imb_data.ImbalanceData, gan: dict, ratio: float, seed: int,
               device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(M, 1, H, W) uint8 translated majority images and their (M,) source indices, M = ratio * n_majority."""
    n_major = int((data.train.labels != data.minority).sum())
    src = balance.source_indices(data, balance.n_synthetic(n_major, ratio), seed)
    return cyclegan.translate(cyclegan.load_generator(gan), data.train.images[src], device=device), src


def run_classifier(data: imb_data.ImbalanceData, variant: str, backbone: str, seed: int, *, epochs: int,
                   batch_size: int, lr: float, synthetic: tuple[torch.Tensor, torch.Tensor] | None = None,
                   synthetic_metadata: str = "source", weights: str | None = None,
                   device: torch.device | None = None, progress: bool = True) -> dict:
    """Train one classifier (cached) and evaluate it on the test split.

    Returns {"variant", "backbone", "seed", "history": per-epoch DataFrame, "test_prob": (N,) tensor,
    "test_labels": (N,) tensor, "train_counts": [n0, n1]} plus the test metrics of :func:`summarize` and roc_auc.
    """
    uses_images, uses_meta, adds_synth = VARIANTS[variant]
    device = device or torch.device("cpu")
    d = data
    if adds_synth:
        if synthetic is None:
            raise ValueError(f"variant {variant!r} needs synthetic images")
        d = balance.add_synthetic(data, synthetic[0], synthetic[1], metadata=synthetic_metadata, seed=seed)
    n_meta = len(d.feature_names) if uses_meta else 0
    name = backbone if uses_images else None

    def compute():
        torch.manual_seed(seed)
        model = fusion.build_classifier(name, n_meta, weights=weights)
        state, history = train.train_classifier(model, d.train, d.val, epochs=epochs, batch_size=batch_size, lr=lr,
                                                seed=seed, device=device, progress=progress)
        model.load_state_dict(state)
        return {"state_dict": state, "history": history,
                "test_prob": train.predict_proba(model, d.test, device=device)}

    params = {"dataset": d.name, "variant": variant, "backbone": name, "epochs": epochs, "batch_size": batch_size,
              "lr": lr, "weights": str(weights) if weights else None,
              "synthetic": synthetic[0] if adds_synth else None,
              "synthetic_metadata": synthetic_metadata if adds_synth and uses_meta else None}
    out = cache.cached("imbalance_classifier", compute, params=params, code=[fusion, train, balance],
                       data_md5=[data.md5], seed=seed)
    labels = d.test.labels
    prob = out["test_prob"]
    metrics = summarize((prob >= 0.5).long(), labels, 2)
    metrics["roc_auc"] = train.binary_metrics(prob, labels)["roc_auc"]
    return {"variant": variant, "backbone": backbone if uses_images else "mlp", "seed": seed,
            "history": out["history"], "test_prob": prob, "test_labels": labels, "train_counts": d.train.counts(),
            **metrics}


def results_frame(runs: list[dict]) -> pd.DataFrame:
    """One row per run with the scalar test metrics (drops histories and tensors)."""
    drop = {"history", "test_prob", "test_labels", "train_counts"}
    return pd.DataFrame([{k: v for k, v in r.items() if k not in drop} for r in runs])
