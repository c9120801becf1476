"""Cached experiment runs for the TSynD chapter: one VQ-VAE per dataset, one classifier per (dataset, fraction,
method, seed), each evaluated on the test split under the three test conditions.

Every result goes through :func:`synthmed.cache.cached` (keyed by settings, code of the modules involved, data MD5
and seed), so a rebuild retrains nothing; classifier training checkpoints and resumes. :func:`run_many` can spread
runs over single-thread worker processes (on a 2-core CPU two such processes train small CNNs about twice as fast
as one two-thread process).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

import torch

from synthmed import cache
from synthmed.data import load_medmnist, subsample
from synthmed.device import get_device
from synthmed.tsynd import autoencoder, classifiers, latent, robustness, training, uncertainty
from synthmed.tsynd.autoencoder import VQVAE, VQVAEConfig
from synthmed.tsynd.training import TrainConfig

_CODE = [autoencoder, classifiers, latent, robustness, training, uncertainty]


def labelled_subset(dataset, fraction: float, seed: int):
    """The stratified ``fraction`` of the training split used as labelled data for run ``seed``."""
    return subsample(dataset.train, fraction, seed)


def get_vqvae(name: str, config: VQVAEConfig, seed: int = 0, device: torch.device | None = None,
              progress: bool = True) -> tuple[VQVAE, dict]:
    """The VQ-VAE of dataset ``name`` trained on its full training split (cached), and
    {"test_mse", "latent_std"} (test reconstruction MSE in [0,1] pixel units, std of the training latents)."""
    device = device or get_device()
    ds = load_medmnist(name)

    def compute():
        model = autoencoder.train_vqvae(ds.train.float_images(), ds.n_channels, config, seed, device, progress)
        z = autoencoder.encode_all(model, ds.train.float_images())
        return {"state_dict": {k: v.cpu() for k, v in model.state_dict().items()},
                "test_mse": autoencoder.reconstruction_mse(model, ds.test.float_images()),
                "latent_std": float(z.std())}

    res = cache.cached("tsynd_vqvae", compute, params={"dataset": name, **config.as_dict()}, code=[autoencoder],
                       data_md5=[ds.md5], seed=seed)
    model = VQVAE(ds.n_channels, **config.model_kwargs())
    model.load_state_dict(res["state_dict"])
    return model.to(device).eval().requires_grad_(False), {"test_mse": res["test_mse"],
                                                           "latent_std": res["latent_std"]}


@dataclass(frozen=True)
class RunSpec:
    """One classifier run of the chapter's tables."""

    dataset: str
    fraction: float
    seed: int
    train: TrainConfig
    vqvae: VQVAEConfig = field(default_factory=VQVAEConfig)
    sigma: float = 0.2   # Gaussian test noise
    eps: float = 0.02    # FGSM step (pixel units, images in [0, 1])


def run(spec: RunSpec, device: torch.device | None = None, progress: bool = True) -> dict:
    """Train (or load from the cache) one classifier and score it. Returns the training result of
    :func:`synthmed.tsynd.training.train_classifier` plus "test": rows of
    :func:`synthmed.tsynd.robustness.evaluate`, "vqvae": its test MSE/latent std (None for a baseline)."""
    device = device or get_device()
    ds = load_medmnist(spec.dataset)
    needs_ae = spec.train.method != "baseline"

    def compute(ckpt):
        train = labelled_subset(ds, spec.fraction, spec.seed)
        vq, vq_info = get_vqvae(spec.dataset, spec.vqvae, 0, device, progress) if needs_ae else (None, None)
        res = training.train_classifier(
            train.float_images(), train.labels, ds.val.float_images(), ds.val.labels, ds.n_classes, spec.train,
            seed=spec.seed, device=device, vqvae=vq, latent_scale=vq_info["latent_std"] if vq_info else 1.0,
            checkpoint=ckpt, progress=progress)
        model = training.load_classifier(res, ds.n_channels, ds.n_classes, ds.size, device)
        res["test"] = robustness.evaluate(model, ds.test.float_images(), ds.test.labels, sigma=spec.sigma,
                                          eps=spec.eps, seed=spec.seed)
        res["vqvae"] = vq_info
        res["n_train"] = len(train)
        return res

    params = {"dataset": spec.dataset, "fraction": spec.fraction, "train": spec.train.as_dict(),
              "vqvae": spec.vqvae.as_dict() if needs_ae else None, "sigma": spec.sigma, "eps": spec.eps}
    return cache.cached("tsynd_run", compute, params=params, code=_CODE, data_md5=[ds.md5], seed=spec.seed,
                        resumable=True)


def _worker(spec: RunSpec) -> dict:
    torch.set_num_threads(1)
    return run(spec, torch.device("cpu"), progress=False)


def run_many(specs: list[RunSpec], workers: int = 1, progress: bool = True) -> list[dict]:
    """:func:`run` for every spec, in order. workers > 1 (CPU only) uses that many single-thread processes;
    VQ-VAEs are trained first in this process so workers never train the same one twice."""
    device = get_device()
    for name, vq in sorted({(s.dataset, s.vqvae) for s in specs if s.train.method != "baseline"},
                           key=lambda t: t[0]):
        get_vqvae(name, vq, 0, device, progress)
    if workers <= 1 or device.type != "cpu" or len(specs) <= 1:
        from tqdm.auto import tqdm
        return [run(s, device, progress=False) for s in tqdm(specs, desc="runs", disable=not progress)]
    env_threads = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            return list(pool.map(_worker, specs))
    finally:
        if env_threads is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = env_threads


def result_rows(specs: list[RunSpec], results: list[dict]) -> list[dict]:
    """Flatten runs into rows {dataset, fraction, method, seed, test_condition, accuracy, balanced_accuracy, ...}
    for :func:`synthmed.metrics.classification.summary_table`."""
    rows = []
    for spec, res in zip(specs, results):
        for r in res["test"]:
            rows.append({"dataset": spec.dataset, "fraction": spec.fraction,
                         "method": training.METHOD_LABELS[spec.train.method], "seed": spec.seed, **r})
    return rows


def as_list(value) -> list:
    """A papermill parameter that may be one value or a list, as a list."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def vqvae_config(settings: dict) -> VQVAEConfig:
    """The VQ-VAE settings of a notebook's resolved settings (keys vqvae_hidden, vqvae_steps)."""
    return VQVAEConfig(hidden=settings["vqvae_hidden"], steps=settings["vqvae_steps"])


def train_config(settings: dict, method: str, objective: str = "mi") -> TrainConfig:
    """The :class:`TrainConfig` of a notebook's resolved settings for ``method``."""
    keys = ("arch", "iterations", "batch_size", "eval_every", "lr", "k", "noise_sigma", "ascent_steps", "ascent_lr")
    return TrainConfig(method=method, objective=objective, **{k: settings[k] for k in keys})


def make_specs(settings: dict, datasets, fractions, methods, seeds, objective: str = "mi") -> list[RunSpec]:
    """Every (dataset, fraction, method, seed) run, in that nesting order."""
    return [RunSpec(d, float(f), int(s), train_config(settings, m, objective), vqvae_config(settings),
                    sigma=settings["test_sigma"], eps=settings["fgsm_eps"])
            for d in as_list(datasets) for f in as_list(fractions) for m in as_list(methods) for s in as_list(seeds)]


def sample_examples(vq: VQVAE, classifier, images: torch.Tensor, *, noise_sigma: float, steps: int, lr: float,
                    scale: float, k: int = 10, objective: str = "mi", seed: int = 0) -> dict:
    """For (N, C, H, W) images: {"original", "reconstruction", "noise", "tsynd"} image tensors (CPU) and the
    classifier's mutual information of each, {"mi_<name>": (N,)}. The noise and TSynD samples start from the same
    noisy latents."""
    device = next(classifier.parameters()).device
    x = images.to(device)
    z = autoencoder.encode_all(vq, x)
    z_noise = latent.add_latent_noise(z, noise_sigma, scale, torch.Generator().manual_seed(seed))
    z_star, _ = latent.uncertainty_ascent(vq.decode, classifier, z_noise, steps=steps, lr=lr, scale=scale, k=k,
                                          objective=objective)
    out = {}
    gen_state = torch.get_rng_state()
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, img in (("original", x), ("reconstruction", vq.decode(z)), ("noise", vq.decode(z_noise)),
                          ("tsynd", vq.decode(z_star))):
            img = img.clamp(0, 1)
            out[name] = img.cpu()
            logp = uncertainty.log_probs(classifier.mc_logits(img, k))
            out[f"mi_{name}"] = uncertainty.mutual_information(logp).cpu()
    torch.set_rng_state(gen_state)
    return out
