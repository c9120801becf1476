"""Cached experiment steps of the TSynD chapter: one VQ-VAE per dataset, one classifier per (dataset, fraction,
method, seed), and its scores on the test split under the test conditions.

Three separate cached steps (:func:`synthmed.cache.cached` keys each on its own code, settings, data MD5 and seed):

- ``tsynd_vqvae`` (:func:`get_vqvae`): the autoencoder, trained on the full training split under the run's seed
  (a replicate re-draws every random stage, the autoencoder included);
- ``tsynd_train`` (:func:`train`): the classifier's kept weights (resumable). A ``noise_matched`` run replays the
  move lengths its paired TSynD run recorded (:func:`replay_source`), so its step loads (or first computes) that
  run's ``tsynd_train`` step: a cold run computes TSynD first;
- ``tsynd_score`` (:func:`score`): clean / Gaussian / FGSM rows and the test-noise sweep. An edit to the test
  conditions, the report or the tables retrains nothing.
- ``tsynd_robust`` (:func:`robust`, ours): Gaussian noise in the [-1, 1] convention, PGD, the FGSM eps sweep, and
  the transfer attack (FGSM crafted on the paired run of :func:`transfer_source`).

Runs are paired by seed: a seed fixes the labelled subset (:func:`labelled_subset`), the VQ-VAE and the classifier's
initialisation, the same for Baseline, Noise, TSynD and Noise-matched. :func:`run_many` sends independent runs through
:func:`synthmed.executor.run_all`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace

import torch

from synthmed import cache, executor
from synthmed.data import load_images, subsample
from synthmed.tsynd import autoencoder, robustness, training
from synthmed.tsynd.autoencoder import VQVAE, VQVAEConfig
from synthmed.tsynd.training import TrainConfig

SWEEP_SIGMAS = (0.02, 0.05, 0.1, 0.2)


def labelled_subset(dataset, fraction: float, seed: int):
    """The stratified ``fraction`` of the training split used as labelled data for run ``seed``."""
    return subsample(dataset.train, fraction, seed)


def get_vqvae(name: str, config: VQVAEConfig, seed: int = 0, device: torch.device | str = "cpu",
              progress: bool = True) -> tuple[VQVAE, dict]:
    """The VQ-VAE of dataset ``name`` trained on its full training split under ``seed`` (cached per seed), and
    {"test_mse", "latent_std", "seed", "seconds"} (test reconstruction MSE in [0,1] pixel units, std of the
    training latents, the seed it was trained under, the wall time its training took when it was computed)."""
    ds = load_images(name)

    def compute():
        start = time.perf_counter()
        model = autoencoder.train_vqvae(ds.train.float_images(), ds.n_channels, config, seed, device, progress)
        z = autoencoder.encode_all(model, ds.train.float_images())
        return {"state_dict": {k: v.cpu() for k, v in model.state_dict().items()},
                "test_mse": autoencoder.reconstruction_mse(model, ds.test.float_images()),
                "latent_std": float(z.std()), "seconds": time.perf_counter() - start}

    res = cache.cached("tsynd_vqvae", compute, params={"dataset": name, **config.as_dict()},
                       data_md5=[ds.md5], seed=seed)
    model = VQVAE(ds.n_channels, **config.model_kwargs())
    model.load_state_dict(res["state_dict"])
    return model.to(device).eval().requires_grad_(False), {"test_mse": res["test_mse"],
                                                           "latent_std": res["latent_std"], "seed": seed,
                                                           "seconds": res.get("seconds")}


@dataclass(frozen=True)
class RunSpec:
    """One classifier run of the chapter's tables."""

    dataset: str
    fraction: float
    seed: int
    train: TrainConfig
    vqvae: VQVAEConfig

    def params(self) -> dict:
        needs_ae = self.train.method != "baseline"
        out = {"dataset": self.dataset, "fraction": self.fraction, "train": self.train.as_dict(),
               "vqvae": self.vqvae.as_dict() if needs_ae else None}
        if self.train.method == "noise_matched":
            out["replay"] = replay_source(self).params()
        return out


@dataclass(frozen=True)
class Scoring:
    """The test conditions: Gaussian noise sigma and FGSM eps (pixels in [0, 1]) of Table 1, and the sigmas of
    the test-noise sweep."""

    sigma: float = 0.2
    eps: float = 0.02
    sweep: tuple[float, ...] = SWEEP_SIGMAS  # the paper-profile sweep; notebooks pass their settings


@dataclass(frozen=True)
class Attacks:
    """Our robustness checks beside Table 1's conditions (pixels in [0, 1]): Gaussian noise of ``sigma`` stated on
    [-1, 1] pixels (so sigma / 2 here), PGD of ``pgd_steps`` steps and the transfer attack at ``eps``, and FGSM at
    each of ``eps_sweep``."""

    sigma: float = 0.2
    eps: float = 0.02
    pgd_steps: int = 10
    eps_sweep: tuple[float, ...] = (0.005, 0.01, 0.02, 0.04)


def replay_source(spec: RunSpec) -> RunSpec:
    """The run whose recorded move lengths a ``noise_matched`` run replays: the paired TSynD run (same dataset,
    fraction, seed and settings)."""
    return replace(spec, train=replace(spec.train, method="tsynd"))


def transfer_source(spec: RunSpec) -> RunSpec:
    """The run whose model crafts the transfer attack on ``spec``'s: the paired Baseline (same dataset, fraction,
    seed) for every method but Baseline, and the paired TSynD run for Baseline."""
    method = "tsynd" if spec.train.method == "baseline" else "baseline"
    return replace(spec, train=replace(spec.train, method=method))


def _train_compute(spec: RunSpec, ds, device, progress: bool):
    """The cached ``tsynd_train`` step's computation for ``spec`` on dataset ``ds``."""
    needs_ae = spec.train.method != "baseline"

    def compute(ckpt):
        replay = None
        if spec.train.method == "noise_matched":
            replay = train(replay_source(spec), device, progress)["ascent"]["trace"]["norms"]
        subset = labelled_subset(ds, spec.fraction, spec.seed)
        vq, vq_info = get_vqvae(spec.dataset, spec.vqvae, spec.seed, device, progress) if needs_ae else (None, None)
        resumed, start = ckpt.exists(), time.perf_counter()
        res = training.train_classifier(
            subset.images, subset.labels, ds.val.images, ds.val.labels, ds.n_classes, spec.train,
            seed=spec.seed, device=device, vqvae=vq, latent_std=vq_info["latent_std"] if vq_info else 1.0,
            checkpoint=ckpt, progress=progress, replay=replay)
        return {**res, "vqvae": vq_info, "n_train": len(subset), "seconds": time.perf_counter() - start,
                "resumed": resumed}

    return compute


def train(spec: RunSpec, device: torch.device | str = "cpu", progress: bool = True) -> dict:
    """Train (or load from the cache) one classifier: the result of
    :func:`synthmed.tsynd.training.train_classifier` plus "n_train", "vqvae" (:func:`get_vqvae`'s info, None for a
    baseline), "seconds" (wall time of the classifier's training when it was computed, without the VQ-VAE's and the
    replayed TSynD run's) and "resumed" (that computation resumed from a checkpoint, so "seconds" is a
    remainder)."""
    ds = load_images(spec.dataset)
    return cache.cached("tsynd_train", _train_compute(spec, ds, device, progress), params=spec.params(),
                        data_md5=[ds.md5], seed=spec.seed, resumable=True)


def _score_compute(spec: RunSpec, scoring: Scoring, ds, device):
    """The cached ``tsynd_score`` step's computation for ``spec`` on dataset ``ds``."""
    def compute():
        trained = train(spec, device, progress=False)
        model = training.load_classifier(trained, ds.n_channels, ds.n_classes, ds.size, device)
        x, y = ds.test.images, ds.test.labels
        return {"test": robustness.evaluate(model, x, y, sigma=scoring.sigma, eps=scoring.eps, seed=spec.seed),
                "sweep": robustness.noise_sweep(model, x, y, scoring.sweep, seed=spec.seed), "n_test": len(y)}

    return compute


def score(spec: RunSpec, scoring: Scoring = Scoring(), device: torch.device | str = "cpu") -> dict:
    """The trained classifier of ``spec`` scored on the test split (cached separately from training):
    {"test": rows of :func:`synthmed.tsynd.robustness.evaluate` (clean, gaussian at ``sigma``, fgsm at ``eps``),
    "sweep": rows of :func:`synthmed.tsynd.robustness.noise_sweep`, "n_test"}. The noise is seeded by the run's seed."""
    ds = load_images(spec.dataset)
    return cache.cached("tsynd_score", _score_compute(spec, scoring, ds, device),
                        params={**spec.params(), "scoring": asdict(scoring)}, data_md5=[ds.md5], seed=spec.seed)


def _robust_compute(spec: RunSpec, attacks: Attacks, ds, device):
    """The cached ``tsynd_robust`` step's computation for ``spec`` on dataset ``ds``."""
    def compute():
        model = training.load_classifier(train(spec, device, progress=False), ds.n_channels, ds.n_classes, ds.size,
                                         device)
        source = training.load_classifier(train(transfer_source(spec), device, progress=False), ds.n_channels,
                                          ds.n_classes, ds.size, device)
        x, y = ds.test.images, ds.test.labels
        rows = robustness.evaluate(model, x, y, robustness.EXTRA_CONDITIONS, sigma=attacks.sigma, eps=attacks.eps,
                                   seed=spec.seed, pgd_steps=attacks.pgd_steps)
        rows.append(robustness.transfer(model, source, x, y, attacks.eps))
        sweep = [r for e in attacks.eps_sweep for r in robustness.evaluate(model, x, y, ("fgsm",), eps=float(e))]
        return {"robust": rows, "eps_sweep": sweep}

    return compute


def robust(spec: RunSpec, attacks: Attacks = Attacks(), device: torch.device | str = "cpu") -> dict:
    """Our robustness checks of ``spec``'s classifier (cached; trains ``spec`` and its :func:`transfer_source` if
    they are not cached): {"robust": rows "gaussian_pm1", "pgd", "transfer" (like
    :func:`synthmed.tsynd.robustness.evaluate`'s), "eps_sweep": one "fgsm" row per eps}."""
    ds = load_images(spec.dataset)
    return cache.cached("tsynd_robust", _robust_compute(spec, attacks, ds, device),
                        params={"target": spec.params(), "source": transfer_source(spec).params(),
                                "attacks": asdict(attacks)}, data_md5=[ds.md5], seed=spec.seed)


def auc(spec: RunSpec, device: torch.device | str = "cpu") -> dict:
    """ROC AUC of ``spec``'s kept (best-validation) classifier on the validation and the test split, for a binary
    dataset: {"val_auc", "test_auc"} (:func:`synthmed.metrics.classification.roc_auc`; Sec. 4.3 of the paper
    reports validation AUC). Cached (``tsynd_auc``), separately from training and scoring."""
    from synthmed import fit
    from synthmed.metrics.classification import roc_auc
    from synthmed.pixels import to_unit

    ds = load_images(spec.dataset)
    if ds.n_classes != 2:
        raise ValueError(f"AUC is computed for binary datasets; {spec.dataset} has {ds.n_classes} classes")

    def compute():
        model = training.load_classifier(train(spec, device, progress=False), ds.n_channels, ds.n_classes, ds.size,
                                         device)
        return {f"{name}_auc": roc_auc(fit.predict(model, split.images, device=device, prepare=to_unit),
                                       split.labels)
                for name, split in (("val", ds.val), ("test", ds.test))}

    return cache.cached("tsynd_auc", compute, params=spec.params(), data_md5=[ds.md5], seed=spec.seed)


def _auc_item(item: tuple) -> dict:
    spec, device = item
    return auc(spec, device)


def auc_many(specs: list, *, workers: int = 1, device: torch.device | str = "cpu", progress: bool = True,
             context=None) -> list[dict]:
    """:func:`auc` for every spec through :func:`synthmed.executor.run_all` (the classifiers are trained first
    where they are not cached)."""
    device = torch.device(device)
    return executor.run_all(_auc_item, [(s, device) for s in specs], workers=workers if device.type == "cpu" else 1,
                            desc="AUC", progress=progress, context=context, hits_here=True)


def step_keys(spec: RunSpec, scoring: Scoring = Scoring(), device: torch.device | str = "cpu",
              attacks: Attacks | None = None) -> dict[str, str]:
    """{"tsynd_train": key, "tsynd_score": key} (and "tsynd_robust" with ``attacks``): the cache keys the current
    code gives ``spec``'s steps (they include each step's code version, so a changed key means the code that
    computes the run changed)."""
    ds = load_images(spec.dataset)
    out = {"tsynd_train": cache.step_key("tsynd_train", _train_compute(spec, ds, device, False),
                                         params=spec.params(), data_md5=[ds.md5], seed=spec.seed),
           "tsynd_score": cache.step_key("tsynd_score", _score_compute(spec, scoring, ds, device),
                                         params={**spec.params(), "scoring": asdict(scoring)}, data_md5=[ds.md5],
                                         seed=spec.seed)}
    if attacks is not None:
        out["tsynd_robust"] = cache.step_key("tsynd_robust", _robust_compute(spec, attacks, ds, device),
                                             params={"target": spec.params(), "source": transfer_source(spec).params(),
                                                     "attacks": asdict(attacks)}, data_md5=[ds.md5], seed=spec.seed)
    return out


def run(spec: RunSpec, device: torch.device | str = "cpu", progress: bool = True,
        scoring: Scoring = Scoring()) -> dict:
    """:func:`train` then :func:`score`: the training result with "test" and "sweep" added."""
    return {**train(spec, device, progress), **score(spec, scoring, device)}


def _run_item(item: tuple) -> dict:
    spec, scoring, device = item
    return run(spec, device, progress=False, scoring=scoring)


def _robust_item(item: tuple) -> dict:
    spec, attacks, device = item
    return robust(spec, attacks, device)


def run_many(specs: list[RunSpec], workers: int = 1, progress: bool = True, scoring: Scoring = Scoring(),
             device: torch.device | str = "cpu", attacks: Attacks | None = None, context=None) -> list[dict]:
    """:func:`run` for every spec, in order, through :func:`synthmed.executor.run_all` (``workers`` single-thread
    processes on a CPU; one process on an accelerator; ``context``: the notebook's ``settings.context``). VQ-VAEs
    (one per dataset and seed) are trained first, here, so that no two workers train the same one; Noise-matched
    runs go after every other run (each replays its paired TSynD run, which must exist first). With ``attacks``, a
    second pass (after every classifier is trained, since the transfer attack needs the paired run's) adds
    :func:`robust`'s keys to every result."""
    device = torch.device(device)
    for name, vq, seed in sorted({(s.dataset, s.vqvae, s.seed) for s in specs if s.train.method != "baseline"},
                                 key=lambda t: (t[0], t[2])):
        get_vqvae(name, vq, seed, device, progress)
    workers = workers if device.type == "cpu" else 1
    order = sorted(range(len(specs)), key=lambda i: specs[i].train.method == "noise_matched")
    done = executor.run_all(_run_item, [(specs[i], scoring, device) for i in order], workers=workers,
                            desc="TSynD runs", progress=progress, context=context, hits_here=True)
    results = [None] * len(specs)
    for i, r in zip(order, done):
        results[i] = r
    if attacks is None:
        return results
    extra = executor.run_all(_robust_item, [(s, attacks, device) for s in specs], workers=workers,
                             desc="TSynD attacks", progress=progress, context=context, hits_here=True)
    return [{**r, **e} for r, e in zip(results, extra)]


def result_rows(specs: list[RunSpec], results: list[dict], key: str = "test") -> list[dict]:
    """One row per (run, test condition): {dataset, fraction, method, seed, test_condition, level, accuracy,
    balanced_accuracy, constant, ...}; key="sweep" gives the test-noise sweep's rows, "robust" / "eps_sweep" those
    of :func:`robust` (results of :func:`run_many` with ``attacks``)."""
    return [{"dataset": spec.dataset, "fraction": spec.fraction, "method": training.METHOD_LABELS[spec.train.method],
             "seed": spec.seed, **r, "best_is_first": res.get("best_is_first")}
            for spec, res in zip(specs, results) for r in res[key]]


def ascent_rows(specs: list[RunSpec], results: list[dict]) -> list[dict]:
    """One row per run that moves its noisy latents (TSynD by the ascent, Noise-matched by the replayed lengths):
    {dataset, fraction, method, seed, displacement (mean RMS latent move, noise_sigma's units), noise_sigma, before,
    after (mean uncertainty of the synthetic images before / after the move, nats), gain (after - before),
    after_random and gain_random (TSynD: the matched random move on the same frozen classifier; NaN for
    Noise-matched), steps, and :func:`latent_columns`}."""
    rows = []
    for spec, res in zip(specs, results):
        a = res.get("ascent")
        if a and spec.train.method in ("tsynd", "noise_matched"):
            random = a.get("after_random", float("nan"))
            rows.append({"dataset": spec.dataset, "fraction": spec.fraction,
                         "method": training.METHOD_LABELS[spec.train.method], "seed": spec.seed,
                         "displacement": a["displacement"], "noise_sigma": a["noise_sigma"], "before": a["before"],
                         "after": a["after"], "gain": a["after"] - a["before"], "after_random": random,
                         "gain_random": random - a["before"], "steps": a["steps"], **latent_columns(res)})
    return rows


def run_columns(result: dict) -> dict:
    """Columns of one run's result (:func:`train`'s) that every row of the run carries in a bundle: n_train,
    best_iteration, best_is_first, best_val_* (accuracy, balanced accuracy, loss), vqvae_test_mse, mi_after_random
    (TSynD: after the matched random move on the same frozen classifier) and :func:`latent_columns`."""
    best, vq, a = result.get("best_val") or {}, result.get("vqvae") or {}, result.get("ascent") or {}
    return {"n_train": result.get("n_train"), "best_iteration": result.get("best_iteration"),
            "best_is_first": result.get("best_is_first"), "best_val_accuracy": best.get("accuracy"),
            "best_val_balanced_accuracy": best.get("balanced_accuracy"), "best_val_loss": best.get("loss"),
            "vqvae_test_mse": vq.get("test_mse"), "mi_after_random": a.get("after_random"),
            **latent_columns(result)}


def latent_columns(result: dict) -> dict:
    """The latent-scale record of one run's result (:func:`train`'s), for its rows: {latent_std (the VQ-VAE's
    training-latent std), noise_std and move_std (RMS per element of the latent noise and of the move after it,
    in latent-std units), pixel_rms (RMS change of the decoded synthetic images from the reconstructions, [0, 1]
    pixels), mi_before, mi_after (the classifier's mean uncertainty of the synthetic images before / after the
    move, nats)}; None values for a Baseline run (no synthetic images)."""
    a = result.get("ascent") or {}
    keys = {"latent_std": "latent_std", "noise_std": "noise_std", "move_std": "move_std", "pixel_rms": "pixel_rms",
            "mi_before": "before", "mi_after": "after"}
    return {col: a.get(k) for col, k in keys.items()}


def run_meta(specs: list[RunSpec], results: list[dict]) -> list[dict]:
    """One {"dataset", "fraction", "method", "seed", "n_train", "n_test", "vqvae"} per run."""
    return [{"dataset": s.dataset, "fraction": s.fraction, "method": s.train.method, "seed": s.seed,
             "n_train": r["n_train"], "n_test": r["n_test"], "vqvae": r["vqvae"]} for s, r in zip(specs, results)]


def as_list(value) -> list:
    """A papermill parameter that may be one value or a list, as a list."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def vqvae_config(settings: dict) -> VQVAEConfig:
    """The VQ-VAE settings of a notebook's resolved settings (keys vqvae_hidden, vqvae_latent_dim, vqvae_codebook,
    vqvae_steps, vqvae_batch, vqvae_lr)."""
    return VQVAEConfig(hidden=settings["vqvae_hidden"], latent_dim=settings["vqvae_latent_dim"],
                       codebook_size=settings["vqvae_codebook"], steps=settings["vqvae_steps"],
                       batch_size=settings["vqvae_batch"], lr=settings["vqvae_lr"])


def train_config(settings: dict, method: str, objective: str = "mi") -> TrainConfig:
    """The :class:`TrainConfig` of a notebook's resolved settings for ``method``."""
    keys = ("backbone", "iterations", "epochs", "batch_size", "eval_every", "lr", "weight_decay", "k", "noise_sigma",
            "ascent_steps", "ascent_lr", "latent_units", "select_on")
    named = {"width": "cnn_width", "hidden": "mc_hidden", "dropout": "mc_dropout"}
    return TrainConfig(method=method, objective=objective, **{k: settings[k] for k in keys},
                       **{k: settings[s] for k, s in named.items()})


def attacks(settings: dict) -> Attacks:
    """The :class:`Attacks` of a notebook's resolved settings (test_sigma, fgsm_eps, pgd_steps, eps_sweep)."""
    return Attacks(sigma=float(settings["test_sigma"]), eps=float(settings["fgsm_eps"]),
                   pgd_steps=int(settings["pgd_steps"]), eps_sweep=tuple(float(e) for e in settings["eps_sweep"]))


def scoring(settings: dict) -> Scoring:
    """The :class:`Scoring` of a notebook's resolved settings (test_sigma, fgsm_eps, sweep_sigmas)."""
    return Scoring(sigma=float(settings["test_sigma"]), eps=float(settings["fgsm_eps"]),
                   sweep=tuple(float(s) for s in settings["sweep_sigmas"]))


def make_specs(settings: dict, datasets, fractions, methods, seeds, objective: str = "mi") -> list[RunSpec]:
    """Every (dataset, fraction, method, seed) run, in that nesting order."""
    return [RunSpec(d, float(f), int(s), train_config(settings, m, objective), vqvae_config(settings))
            for d in as_list(datasets) for f in as_list(fractions) for m in as_list(methods)
            for s in as_list(seeds)]


def generator_examples(settings: dict, dataset: str, fraction: float, seed: int, n: int,
                       device: torch.device | str = "cpu") -> dict:
    """:func:`sample_examples` for ``n`` training images of ``dataset`` (drawn under seed 0), the ascent targeting
    the Baseline classifier of (dataset, fraction, seed) with the settings' generator knobs."""
    ds = load_images(dataset)
    spec = make_specs(settings, dataset, fraction, "baseline", seed)[0]
    vq, info = get_vqvae(dataset, spec.vqvae, seed, device, progress=False)
    clf = training.load_classifier(train(spec, device, progress=False), ds.n_channels, ds.n_classes, ds.size,
                                   device)
    pick = torch.randperm(len(ds.train), generator=torch.Generator().manual_seed(0))[:n]
    cfg = train_config(settings, "tsynd")
    return sample_examples(vq, clf, ds.train.float_images()[pick], noise_sigma=cfg.noise_sigma,
                           steps=cfg.ascent_steps, lr=cfg.ascent_lr,
                           scale=training.latent_scale(cfg, info["latent_std"]), k=cfg.k, seed=0)


def sample_examples(vq: VQVAE, classifier, images: torch.Tensor, *, noise_sigma: float, steps: int, lr: float,
                    scale: float, k: int = 10, objective: str = "mi", seed: int = 0) -> dict:
    """For (N, C, H, W) images in [0, 1]: {"original", "reconstruction", "noise", "tsynd"} image tensors (CPU)
    and the classifier's mutual information of each, {"mi_<name>": (N,)}. The noise and TSynD samples start from
    the same noisy latents; the dropout masks are drawn under ``seed`` without touching the global RNG."""
    from synthmed.fit import seeded
    from synthmed.tsynd import latent, uncertainty

    device = next(classifier.parameters()).device
    x = images.to(device)
    out = {}
    with seeded(seed, device):
        z = autoencoder.encode_all(vq, x)
        z_noise = latent.add_latent_noise(z, noise_sigma, scale, torch.Generator().manual_seed(seed))
        z_star, _ = latent.uncertainty_ascent(vq.decode, classifier, z_noise, steps=steps, lr=lr, scale=scale,
                                              k=k, objective=objective)
        with torch.no_grad():
            for name, img in (("original", x), ("reconstruction", vq.decode(z)), ("noise", vq.decode(z_noise)),
                              ("tsynd", vq.decode(z_star))):
                img = img.clamp(0, 1)
                out[name] = img.cpu()
                logp = uncertainty.log_probs(classifier.mc_logits(img, k))
                out[f"mi_{name}"] = uncertainty.mutual_information(logp).cpu()
    return out
