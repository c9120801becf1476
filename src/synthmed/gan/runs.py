"""The GAN chapter's independent runs, one cached step each, as top-level functions of one item (a plain dict) for
:func:`synthmed.executor.run_all`.

- :func:`gan_run`: train one zoo GAN on one dataset (resumable; key: GAN settings, data, seed).
- :func:`features_run`: one backbone's features of the real reference set and of every candidate (key: zoo
  settings, backbone settings, sample count).
- :func:`downstream_run`: one classifier (one repeat seed) trained on one training set (key: members, classifier
  settings, seed).

Training steps are separate from scoring and reporting: nothing here imports the search, the tables or the text,
so an edit there retrains nothing. Every item carries ``device`` (a string); it is not part of any key.
"""

from __future__ import annotations

import torch

from synthmed import cache
from synthmed.data import load_medmnist
from synthmed.gan import downstream, embeddings, train
from synthmed.pixels import to_signed

ZOO_KEYS = ("gans", "gan_iters", "gan_snapshots", "gan_batch", "gan_width", "seed")
DOWNSTREAM_KEYS = ("classifier", "classifier_width", "epochs", "patience", "batch_size", "lr", "n_train")


def _sub(item: dict, keys) -> dict:
    return {k: item[k] for k in keys}


def gan_run(item: dict) -> dict:
    """item: {"dataset", "gan", "device", ZOO_KEYS...}. Returns :func:`synthmed.gan.train.train_gan`'s dict."""
    ds = load_medmnist(item["dataset"])

    def compute(ckpt):
        return train.train_gan(item["gan"], to_signed(ds.train.images), ds.train.labels, ds.n_classes,
                               n_iter=item["gan_iters"], n_snapshots=item["gan_snapshots"],
                               batch_size=item["gan_batch"], ch=item["gan_width"], seed=item["seed"],
                               device=item["device"], checkpoint=ckpt, progress=False)

    params = {"dataset": item["dataset"], "gan": item["gan"],
              **_sub(item, ("gan_iters", "gan_snapshots", "gan_batch", "gan_width"))}
    return cache.cached("gan_zoo", compute, params=params, data_md5=[ds.md5], seed=item["seed"], resumable=True)


def zoo(item: dict) -> list[dict]:
    """Every GAN of item["gans"] (cache hits once trained), in that order."""
    return [gan_run({**item, "gan": g}) for g in item["gans"]]


def candidates(gans: list[dict]) -> list[dict]:
    """One candidate per snapshot: {"gan", "iter", "label", "config", "state"}, GANs in order, then snapshots."""
    return [{"gan": g["name"], "iter": it, "label": f"{g['name']}@{it}", "config": g["config"], "state": s}
            for g in gans for it, s in zip(g["iters"], g["snapshots"])]


def labels_like(train_labels: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """(n,) labels with the real training split's class proportions (a shuffled, tiled copy of its labels)."""
    g = torch.Generator().manual_seed(seed)
    reps = -(-n // len(train_labels))
    return train_labels.repeat(reps)[torch.randperm(len(train_labels) * reps, generator=g)[:n]]


def sample(cand: dict, labels: torch.Tensor, seed: int, device: str = "cpu") -> torch.Tensor:
    """uint8 images (M, C, S, S) of a candidate for labels (M,)."""
    return train.generate(cand["gan"], cand["config"], cand["state"], labels, seed=seed, device=device)


def synthetic_training_set(cands: list[dict], members, train_labels: torch.Tensor, n: int, seed: int,
                           device: str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """The paper's eq. 7 training set: n images with the real class proportions, in equal shares over the members
    (indices into cands). Returns images (n, C, S, S) uint8 and labels (n,)."""
    labels = labels_like(train_labels, n, seed)
    members = list(members)
    chunks = labels.tensor_split(len(members))
    imgs = [sample(cands[m], y, seed=seed * 1000 + m, device=device) for m, y in zip(members, chunks)]
    return torch.cat(imgs), labels


def backbone_state(item: dict, ds) -> dict | None:
    """The trained trunk of an in-domain backbone (cached), None for the others."""
    name, dev = item["backbone"], item["device"]
    if name == "simclr":
        return cache.cached("gan_backbone", lambda: embeddings.train_simclr(
            ds.train.images, steps=item["simclr_steps"], seed=item["seed"], device=dev, progress=False),
            params={"dataset": item["dataset"], "backbone": name, "steps": item["simclr_steps"]},
            data_md5=[ds.md5], seed=item["seed"])
    if name == "supervised":
        return cache.cached("gan_backbone", lambda: embeddings.train_supervised(
            ds.train.images, ds.train.labels, ds.n_classes, ds.val, epochs=item["supervised_epochs"],
            seed=item["seed"], device=dev, progress=False),
            params={"dataset": item["dataset"], "backbone": name, "epochs": item["supervised_epochs"]},
            data_md5=[ds.md5], seed=item["seed"])
    return None


def features_run(item: dict) -> dict:
    """item: {"dataset", "backbone", "n", "device", ZOO_KEYS..., "simclr_steps", "supervised_epochs"}.
    Returns {"real" (n, D), "fakes": list of (n, D) per candidate, "labels"}: the same n for the real reference set
    and for every candidate."""
    ds = load_medmnist(item["dataset"])
    n, name, seed = min(item["n"], len(ds.train)), item["backbone"], item["seed"]
    extra = {"simclr": ("simclr_steps",), "supervised": ("supervised_epochs",)}.get(name, ())

    def compute():
        cands = candidates(zoo(item))
        ext = embeddings.make_extractor(name, backbone_state(item, ds), ds.n_channels, ds.train.images.shape[2],
                                        seed=seed, device=item["device"])
        g = torch.Generator().manual_seed(seed)
        real = ext(ds.train.images[torch.randperm(len(ds.train), generator=g)[:n]])
        fakes = [ext(sample(c, labels_like(ds.train.labels, n, seed + i), seed=seed + 7919 * (i + 1),
                            device=item["device"])) for i, c in enumerate(cands)]
        return {"real": real, "fakes": fakes, "labels": [c["label"] for c in cands]}

    params = {"dataset": item["dataset"], "backbone": name, "n": n, **_sub(item, ZOO_KEYS + extra)}
    return cache.cached("gan_features", compute, params=params, data_md5=[ds.md5], seed=seed)


def downstream_run(item: dict) -> dict:
    """item: {"dataset", "members" (candidate indices, or None for the real training split), "repeat", "device",
    ZOO_KEYS..., DOWNSTREAM_KEYS...}. One classifier with seed = item["seed"] + repeat; returns
    :func:`synthmed.gan.downstream.train_and_test`'s dict."""
    ds = load_medmnist(item["dataset"])
    members = None if item["members"] is None else sorted(int(m) for m in item["members"])
    n = item["n_train"] or len(ds.train)
    n = min(n, len(ds.train)) if members is None else n
    seed = item["seed"] + item["repeat"]

    def compute():
        if members is None:
            g = torch.Generator().manual_seed(item["seed"])
            idx = torch.randperm(len(ds.train), generator=g)[:n]
            x, y = ds.train.images[idx], ds.train.labels[idx]
        else:
            x, y = synthetic_training_set(candidates(zoo(item)), members, ds.train.labels, n, item["seed"],
                                          item["device"])
        return downstream.train_and_test(
            x, y, ds.val, ds.test, ds.n_classes, arch=item["classifier"], width=item["classifier_width"],
            epochs=item["epochs"], patience=item["patience"], batch_size=item["batch_size"], lr=item["lr"],
            seed=seed, device=item["device"])

    params = {"dataset": item["dataset"], "members": members, "n": n, "repeat_seed": seed,
              **_sub(item, DOWNSTREAM_KEYS),
              **(_sub(item, ZOO_KEYS) if members is not None else {})}
    return cache.cached("gan_downstream", compute, params=params, data_md5=[ds.md5], seed=seed)
