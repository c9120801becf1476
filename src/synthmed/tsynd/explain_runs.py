"""Fig. 2 measured over runs: the crossing distance (:mod:`synthmed.tsynd.fig2`) of every chosen test image, for
each trained classifier (one cached scoring step per run, separate from training, so editing this file or the
report retrains nothing)."""

from __future__ import annotations

import torch

from synthmed import cache, executor
from synthmed.data import load_images
from synthmed.pixels import to_unit
from synthmed.tsynd import experiment, fig2, training
from synthmed.tsynd.autoencoder import encode_all


def pick_test_images(labels: torch.Tensor, n: int | None, seed: int = 0) -> torch.Tensor:
    """(n,) sorted row indices into the test split, as equal a share per class as the classes allow, drawn with
    a seeded generator (the same images for every classifier); n None or >= len(labels): every image."""
    labels = torch.as_tensor(labels).reshape(-1)
    if n is None or n >= len(labels):
        return torch.arange(len(labels))
    gen = torch.Generator().manual_seed(seed)
    rows = [torch.nonzero(labels == c).reshape(-1) for c in torch.unique(labels).tolist()]
    rows = [r[torch.randperm(len(r), generator=gen)] for r in rows]
    picked, take = [], n
    for i, r in enumerate(sorted(rows, key=len)):  # small classes first; leftovers go to the larger ones
        k = min(len(r), take // (len(rows) - i))
        picked.append(r[:k])
        take -= k
    return torch.cat(picked).sort().values


def _correct(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(N, O) logits -> (N,) bool, the predicted class (1 logit: > 0; else argmax) equals the label."""
    pred = (logits[:, 0] > 0).long() if logits.shape[1] == 1 else logits.argmax(1)
    return pred == labels


def measure_run(spec: experiment.RunSpec, *, index: torch.Tensor, step: float, max_steps: int,
                device: torch.device | str = "cpu") -> dict:
    """Crossing distances of the classifier trained for ``spec`` (:func:`synthmed.tsynd.experiment.train`, a
    cache hit once trained) on the test images ``index`` (N,), through the latent of ``spec.vqvae``. Cached.
    Returns {"index", "label", "distance", "status", "p_start": (N,), "diff": (N, H, W) |reconstruction - image
    at the crossing|, channel mean} on the CPU."""
    ds = load_images(spec.dataset)

    def compute():
        trained = experiment.train(spec, device, progress=False)
        model = training.load_classifier(trained, ds.n_channels, ds.n_classes, ds.size, device)
        vq, info = experiment.get_vqvae(spec.dataset, spec.vqvae, spec.seed, device, progress=False)
        x, y = to_unit(ds.test.images[index]).to(device), ds.test.labels[index].to(device)
        with torch.no_grad():
            correct = _correct(model(x), y)
            z0 = encode_all(vq, x)
        out = fig2.crossing_distance(vq.decode, model, z0, y, step=step, max_steps=max_steps,
                                     scale=info["latent_std"], correct=correct)
        with torch.no_grad():
            diff = (vq.decode(z0) - vq.decode(out["z_end"])).abs().mean(1)
        return {"index": index.clone(), "label": y.cpu(), "distance": out["distance"].cpu(),
                "status": out["status"].cpu(), "p_start": out["p_start"].cpu(), "diff": diff.cpu()}

    params = {**spec.params(), "vqvae": spec.vqvae.as_dict(), "index": index, "step": step,
              "max_steps": max_steps}
    return cache.cached("tsynd_fig2", compute, params=params, data_md5=[ds.md5], seed=spec.seed)


def _measure_item(item: tuple) -> dict:
    spec, index, step, max_steps, device = item
    return measure_run(spec, index=index, step=step, max_steps=max_steps, device=device)


def measure_many(specs: list, *, n_images: int | None, step: float, max_steps: int, workers: int = 1,
                 device: torch.device | str = "cpu", progress: bool = True, context=None) -> list[dict]:
    """:func:`measure_run` for every spec through :func:`synthmed.executor.run_all`, each dataset's runs on the
    same test images (:func:`pick_test_images`, seed 0); ``context``: the notebook's ``settings.context``."""
    device = torch.device(device)
    items = [(s, pick_test_images(load_images(s.dataset).test.labels, n_images), step, max_steps, device)
             for s in specs]
    return executor.run_all(_measure_item, items, workers=workers if device.type == "cpu" else 1,
                            desc="Fig. 2 walks", progress=progress, context=context, hits_here=True)


def load_models(specs: list, device: torch.device | str = "cpu") -> dict[str, torch.nn.Module]:
    """{method label: trained classifier in eval mode on ``device``} for ``specs`` (cache hits of
    :func:`synthmed.tsynd.experiment.train`)."""
    out = {}
    for spec in specs:
        ds = load_images(spec.dataset)
        trained = experiment.train(spec, device, progress=False)
        label = training.METHOD_LABELS[spec.train.method]
        out[label] = training.load_classifier(trained, ds.n_channels, ds.n_classes, ds.size, device)
    return out


def run(settings, device: torch.device | str) -> tuple[list, list[dict], list[dict]]:
    """The Fig. 2 notebook's runs: one Baseline, Noise and TSynD classifier per seed on ``settings.dataset`` at
    ``settings.fraction`` (cached steps shared with tsynd.ipynb), then the walks on their test images
    (:func:`measure_many`). Returns (specs, their results, their walks)."""
    specs = experiment.make_specs(settings, settings.dataset, settings.fraction, ["baseline", "noise", "tsynd"],
                                  settings.seeds)
    results = experiment.run_many(specs, workers=settings.workers, device=device, context=settings.context)
    walks = measure_many(specs, n_images=settings.n_images, step=settings.step, max_steps=settings.max_steps,
                         workers=settings.workers, device=device, context=settings.context)
    return specs, results, walks


def auc_runs(settings, device: torch.device | str) -> tuple[list, list[dict]]:
    """Sec. 4.3's comparison: a Baseline and a TSynD classifier per seed at each of ``settings.auc_fractions``
    (cached), and their validation and test ROC AUC (:func:`synthmed.tsynd.experiment.auc_many`)."""
    specs = experiment.make_specs(settings, settings.dataset, settings.auc_fractions, ["baseline", "tsynd"],
                                  settings.seeds)
    experiment.run_many(specs, workers=settings.workers, device=device, context=settings.context)
    return specs, experiment.auc_many(specs, workers=settings.workers, device=device, context=settings.context)
