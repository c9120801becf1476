"""The GAN chapter's independent runs, one cached step each, as top-level functions of one item (a plain dict) for
:func:`synthmed.executor.run_all`.

- :func:`gan_run`: train one zoo GAN on one dataset (resumable; key: GAN settings, data, seed).
- :func:`features_run`: one embedding network's (one of the ``backbones`` setting, Table 5) features of the real
  reference set and of every candidate (key: zoo settings, embedding settings, sample count).
- :func:`fidelity_run`: Table 6 held out: fresh samples of several training sets against the real validation split
  in an embedding the search did not use (key: the sets, replicate, embedding settings).
- :func:`downstream_run`: one classifier (the ``backbone`` setting's network; one repeat seed) trained on one
  training set (key: members, classifier settings, seed).

Like with like (the paper, Sec. 4.1: "We fixed the number of training images for all experiments to the
dimensionality of the real training set"): every step reads the real training images through
:func:`real_training` (the whole split, or under a small profile the same ``n_train`` images for everything): the
GANs are trained on them, the search's real reference is drawn from them, the real baseline is trained on all of
them, and every synthetic training set has exactly as many images.

Training steps are separate from scoring and reporting: nothing here imports the search, the tables or the text,
so an edit there retrains nothing. Every item carries ``device`` (a string); it is not part of any key.
"""

from __future__ import annotations

import torch

import dataclasses
import functools

from synthmed import cache
from synthmed.data import load_medmnist, resize
from synthmed.gan import downstream, embeddings, train
from synthmed.pixels import to_signed

ZOO_KEYS = ("gans", "gan_iters", "gan_snapshots", "gan_batch", "gan_width", "seed")
DOWNSTREAM_KEYS = ("backbone", "backbone_width", "epochs", "patience", "warmup", "plateau_patience",
                   "batch_size", "lr")


def _sub(item: dict, keys) -> dict:
    return {k: item[k] for k in keys}


def real_training(ds, n_train: int | None, seed: int):
    """The real training images of the chapter (a :class:`synthmed.data.medmnist.Split`): the whole training split
    when ``n_train`` is None or at least its size, else ``n_train`` of them drawn at random with ``seed``."""
    n = len(ds.train) if n_train is None else min(int(n_train), len(ds.train))
    if n == len(ds.train):
        return ds.train
    return ds.train.select(torch.randperm(len(ds.train), generator=torch.Generator().manual_seed(seed))[:n])


@functools.lru_cache(maxsize=4)
def dataset(name: str, image_size: int | None = None):
    """:func:`synthmed.data.load_medmnist`, once per process (a warm rebuild reads hundreds of cached runs, and
    each would otherwise reload and re-verify the file); every split resized to ``image_size`` with a Lanczos
    filter as the authors do (:func:`synthmed.data.resize.resized`; None: the file's own size)."""
    return resize.resized(load_medmnist(name), image_size)


def _training_view(item: dict):
    """(the dataset with its train split replaced by :func:`real_training` (drawn with the item's seed, the
    replicate's), the key part naming that subset (its size and seed): empty for the whole split, so that
    whole-split entries keep their keys)."""
    ds = dataset(item["dataset"], item["image_size"])
    train = real_training(ds, item.get("n_train"), item["seed"])
    # a subset is drawn with the replicate's seed: its key names that seed (the real baseline's key has no other)
    part = {} if len(train) == len(ds.train) else {"train_subset": len(train), "subset_seed": item["seed"]}
    if item["image_size"] is not None:
        part["image_size"] = ds.size  # only when set, so that entries at the file's size keep their keys
    return dataclasses.replace(ds, train=train), part


def gan_run(item: dict) -> dict:
    """item: {"dataset", "gan", "device", "n_train", ZOO_KEYS...}. Returns :func:`synthmed.gan.train.train_gan`'s
    dict, trained on :func:`real_training`'s images."""
    ds, part = _training_view(item)

    def compute(ckpt):
        return train.train_gan(item["gan"], to_signed(ds.train.images), ds.train.labels, ds.n_classes,
                               n_iter=item["gan_iters"], n_snapshots=item["gan_snapshots"],
                               batch_size=item["gan_batch"], ch=item["gan_width"], seed=item["seed"],
                               device=item["device"], checkpoint=ckpt, progress=False)

    params = {"dataset": item["dataset"], "gan": item["gan"], **part,
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


def _embedding_keys(name: str) -> tuple[str, ...]:
    """The item keys that decide embedding ``name``'s features besides the zoo: its training length and the
    setting naming its trunk (:data:`synthmed.gan.embeddings.MODEL_SETTING`)."""
    steps = {"simclr": ("simclr_steps",), "supervised": ("supervised_epochs", "supervised_patience")}.get(name, ())
    model = embeddings.MODEL_SETTING.get(name)
    return steps + ((model,) if model else ())


def backbone_state(item: dict, name: str, ds, part: dict) -> dict | None:
    """The trained trunk of the in-domain embedding ``name`` (cached), None for the others; trained on
    ``ds.train`` (the chapter's real training images; ``part`` names that subset in the key, see
    :func:`_training_view`), its network :func:`synthmed.gan.embeddings.trunk_model` of the item's settings."""
    dev, model = item["device"], embeddings.trunk_model(name, item)
    if name == "simclr":
        return cache.cached("gan_backbone", lambda: embeddings.train_simclr(
            ds.train.images, model, steps=item["simclr_steps"], seed=item["seed"], device=dev, progress=False),
            params={"dataset": item["dataset"], "backbone": name, "model": model, "steps": item["simclr_steps"],
                    **part},
            data_md5=[ds.md5], seed=item["seed"])
    if name == "supervised":
        return supervised_trunk(item, ds, part)["state"]
    return None


def supervised_trunk(item: dict, ds, part: dict) -> dict:
    """The supervised embedding's trunk (cached): :func:`synthmed.gan.embeddings.train_supervised`'s dict (its
    state, its validation accuracy, the kept epoch, whether it stopped at a plateau), trained on ``ds.train`` for
    at most the item's ``supervised_epochs``, stopping after ``supervised_patience`` epochs without improvement."""
    model = embeddings.trunk_model("supervised", item)
    return cache.cached("gan_backbone", lambda: embeddings.train_supervised(
        ds.train.images, ds.train.labels, ds.n_classes, ds.val, model, epochs=item["supervised_epochs"],
        patience=item["supervised_patience"], seed=item["seed"], device=item["device"], progress=False),
        params={"dataset": item["dataset"], "backbone": "supervised", "model": model,
                "epochs": item["supervised_epochs"], "patience": item["supervised_patience"], **part},
        data_md5=[ds.md5], seed=item["seed"])


def trunk_quality(item: dict) -> dict:
    """item: as :func:`features_run`'s. What the page reports of the supervised trunk (trained or loaded from
    the cache): {"accuracy", "balanced_accuracy", "majority_rate" (of the validation split), "constant" (it
    predicts one class on nearly every validation image), "kept_epoch", "epochs_run", "plateau"}."""
    ds, part = _training_view(item)
    t = supervised_trunk(item, ds, part)
    return {**{k: t["val"][k] for k in ("accuracy", "balanced_accuracy", "majority_rate", "constant")},
            **{k: t[k] for k in ("kept_epoch", "epochs_run", "plateau")}}


def features_run(item: dict) -> dict:
    """item: {"dataset", "embedding" (one of the ``backbones`` setting's embedding networks; the item's
    ``backbone`` is the downstream classifier's, unused here), "n" (None: every real training image), "device",
    ZOO_KEYS..., "simclr_steps", "supervised_epochs",
    "supervised_patience", "simclr_model", "embedding_model"}.
    Returns {"real" (n, D), "fakes": list of (n, D) per candidate, "labels", "real_index" (n,) positions of the
    real reference images in the official training split}: the same n for the real reference set and for every
    candidate; the real reference is drawn from :func:`real_training`'s images (what the GANs saw)."""
    ds, part = _training_view(item)
    n = len(ds.train) if item["n"] is None else min(item["n"], len(ds.train))
    name, seed = item["embedding"], item["seed"]
    extra = _embedding_keys(name)

    def compute():
        cands = candidates(zoo(item))
        ext = embeddings.make_extractor(name, backbone_state(item, name, ds, part), ds.n_channels,
                                        ds.train.images.shape[2], seed=seed, device=item["device"],
                                        model=embeddings.trunk_model(name, item))
        g = torch.Generator().manual_seed(seed)
        rows = torch.randperm(len(ds.train), generator=g)[:n]
        real = ext(ds.train.images[rows])
        fakes = [ext(sample(c, labels_like(ds.train.labels, n, seed + i), seed=seed + 7919 * (i + 1),
                            device=item["device"])) for i, c in enumerate(cands)]
        return {"real": real, "fakes": fakes, "labels": [c["label"] for c in cands],
                "real_index": ds.train.indices[rows]}

    params = {"dataset": item["dataset"], "backbone": name, "n": n, **part, **_sub(item, ZOO_KEYS + extra)}
    return cache.cached("gan_features", compute, params=params, data_md5=[ds.md5], seed=seed)


def downstream_run(item: dict) -> dict:
    """item: {"dataset", "members" (candidate indices, or None for the real training images), "repeat", "device",
    ZOO_KEYS..., DOWNSTREAM_KEYS..., "weight_decay" (Adam's; absent: 0)}. One classifier with seed = item["seed"] +
    repeat, trained on all of
    :func:`real_training`'s images or on as many synthetic ones (:func:`synthetic_training_set`); returns
    :func:`synthmed.gan.downstream.train_and_test`'s dict (its "n_images" is that count)."""
    ds, part = _training_view(item)
    members = None if item["members"] is None else sorted(int(m) for m in item["members"])
    n = len(ds.train)
    seed = item["seed"] + item["repeat"]
    wd = float(item.get("weight_decay") or 0.0)

    def compute():
        if members is None:
            x, y = ds.train.images, ds.train.labels
        else:
            x, y = synthetic_training_set(candidates(zoo(item)), members, ds.train.labels, n, item["seed"],
                                          item["device"])
        return downstream.train_and_test(
            x, y, ds.val, ds.test, ds.n_classes, backbone=item["backbone"], width=item["backbone_width"],
            epochs=item["epochs"], patience=item["patience"], batch_size=item["batch_size"], lr=item["lr"],
            seed=seed, device=item["device"], warmup=item["warmup"], plateau_patience=item["plateau_patience"],
            weight_decay=wd)

    params = {"dataset": item["dataset"], "members": members, "n": n, "repeat_seed": seed, **part,
              **_sub(item, DOWNSTREAM_KEYS),
              **({"weight_decay": wd} if wd else {}),  # only when set, so that entries without it keep their keys
              **(_sub(item, ZOO_KEYS) if members is not None else {})}
    return cache.cached("gan_downstream", compute, params=params, data_md5=[ds.md5], seed=seed)


#: offset of the latent seeds of the held-out fidelity samples (:func:`fidelity_run`), far from the seeds of the
#: downstream training sets (seed * 1000 + member) and of the search's features (seed + 7919 * (i + 1))
FRESH_SEED = 104729


def fidelity_reference(ds):
    """The real reference of the held-out fidelity table (a Split): the validation split without any image that
    is byte-identical to one of ``ds.train`` (the images the GANs and the search saw; PneumoniaMNIST's validation
    split repeats 8 training images). The test split stays the downstream yardstick."""
    seen = {bytes(x.numpy()) for x in ds.train.images}
    keep = [i for i, x in enumerate(ds.val.images) if bytes(x.numpy()) not in seen]
    return ds.val.select(torch.tensor(keep, dtype=torch.long))


def fidelity_run(item: dict) -> dict:
    """item: {"dataset", "sets" ({name: candidate indices}), "replicate", "fidelity_backbone", "k", "device",
    ZOO_KEYS..., "n_train", "simclr_steps", "supervised_epochs",
    "supervised_patience", "simclr_model", "embedding_model"}. For every
    named set: fresh samples (latents drawn
    for this replicate only; as many as the reference, the reference's class proportions, equal shares per
    member) embedded with ``fidelity_backbone``, scored against :func:`fidelity_reference`. Returns
    {name: {"density", "coverage", "fd" (Fréchet distance of the same features), "n_samples"}}."""
    from synthmed.metrics.fid import frechet_distance
    from synthmed.metrics.prdc import density_coverage

    ds, part = _training_view(item)
    name, r = item["fidelity_backbone"], int(item["replicate"])
    sets = {k: sorted(int(m) for m in v) for k, v in item["sets"].items()}
    extra = _embedding_keys(name)

    def compute():
        ref = fidelity_reference(ds)
        cands = candidates(zoo(item))
        state = backbone_state(item, name, ds, part)
        ext = embeddings.make_extractor(name, state, ds.n_channels, ds.train.images.shape[2], seed=item["seed"],
                                        device=item["device"], model=embeddings.trunk_model(name, item))
        real = ext(ref.images)
        out = {}
        for key, members in sets.items():
            x, _ = synthetic_training_set(cands, members, ref.labels, len(ref), FRESH_SEED * (r + 1) + item["seed"],
                                          item["device"])
            fake = ext(x)
            out[key] = {**density_coverage(real.numpy(), fake.numpy(), item["k"]),
                        "fd": frechet_distance(real, fake), "n_samples": len(fake)}
        return out

    params = {"dataset": item["dataset"], "sets": sets, "replicate": r, "backbone": name, "k": item["k"], **part,
              **_sub(item, ZOO_KEYS + extra)}
    return cache.cached("gan_fidelity", compute, params=params, data_md5=[ds.md5], seed=item["seed"])
