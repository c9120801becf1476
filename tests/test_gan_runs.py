"""The GAN chapter's cached runs on a small made-up dataset: every training set (real, one candidate, an
ensemble) has exactly as many images as the real training images, the GANs and the search see only those images,
and the held-out fidelity reference shares no image with them."""

from pathlib import Path

import numpy as np
import pytest
import torch

from synthmed.data.medmnist import MedMNISTDataset, Split
from synthmed.gan import downstream, runs

ITEM = {"dataset": "toy", "gans": ["dcgan", "sngan"], "gan_iters": 2, "gan_snapshots": 1, "gan_batch": 4,
        "gan_width": 4, "seed": 0, "device": "cpu", "backbone": "smallcnn", "backbone_width": 4, "epochs": 1,
        "patience": None, "warmup": 0, "plateau_patience": 2, "batch_size": 8, "lr": 1e-3, "simclr_steps": 1,
        "supervised_epochs": 1, "supervised_patience": None, "simclr_model": "smallcnn",
        "embedding_model": "resnet18", "k": 2,
        "image_size": None}


def _split(n, offset):
    g = torch.Generator().manual_seed(offset)
    return Split(torch.randint(0, 256, (n, 1, 28, 28), generator=g, dtype=torch.uint8),
                 torch.arange(n) % 2, torch.arange(n))


def _toy(duplicate=False):
    train, val = _split(30, 1), _split(12, 2)
    if duplicate:  # a validation image that is also a training image (PneumoniaMNIST has 8)
        val.images[3] = train.images[5]
    return MedMNISTDataset("toy", 28, "binary-class", ("a", "b"), 1, Path("toy.npz"), "md5", "", train, val,
                           _split(10, 3))


@pytest.fixture
def toy(monkeypatch, tmp_path):
    monkeypatch.setenv("SYNTHMED_CACHE_DIR", str(tmp_path))
    ds = _toy(duplicate=True)
    monkeypatch.setattr(runs, "load_medmnist", lambda name: ds)
    runs.dataset.cache_clear()
    yield ds
    runs.dataset.cache_clear()


def test_real_training_is_the_whole_split_or_a_seeded_subset():
    ds = _toy()
    assert runs.real_training(ds, None, 0) is ds.train and runs.real_training(ds, 100, 0) is ds.train
    sub = runs.real_training(ds, 12, 0)
    assert len(sub) == 12 and len(set(sub.indices.tolist())) == 12
    assert torch.equal(sub.indices, runs.real_training(ds, 12, 0).indices)


@pytest.mark.parametrize("n_train", [None, 12])
def test_every_training_set_has_as_many_images_as_the_real_one(toy, monkeypatch, n_train):
    seen = {}

    def fake_train_and_test(images, labels, val, test, n_classes, **kw):
        return {"n_images": len(images), "n_labels": len(labels)}

    monkeypatch.setattr(downstream, "train_and_test", fake_train_and_test)
    item = {**ITEM, "n_train": n_train, "repeat": 0}
    for members in (None, [0], [0, 1]):
        seen[str(members)] = runs.downstream_run({**item, "members": members})
    n_real = len(toy.train) if n_train is None else n_train
    assert {v["n_images"] for v in seen.values()} == {n_real}
    assert {v["n_labels"] for v in seen.values()} == {n_real}


def test_search_reference_comes_from_the_training_images_and_table6_reference_shares_none(toy):
    item = {**ITEM, "n_train": 12, "embedding": "random", "n": 8}
    feats = runs.features_run(item)
    train = runs.real_training(toy, 12, 0)
    assert len(feats["real"]) == 8 and set(feats["real_index"].tolist()) <= set(train.indices.tolist())
    seen = {bytes(x.numpy()) for x in toy.train.images}
    ref = runs.fidelity_reference(toy)
    assert len(ref) == len(toy.val) - 1  # the duplicated validation image is dropped
    assert not {bytes(x.numpy()) for x in ref.images} & seen


def test_fidelity_run_scores_fresh_samples_of_every_set_on_as_many_images_as_the_reference(toy):
    item = {**ITEM, "n_train": None, "fidelity_backbone": "random", "sets": {"a": [0], "b": [0, 1]},
            "replicate": 0}
    out = runs.fidelity_run(item)
    assert set(out) == {"a", "b"} and {v["n_samples"] for v in out.values()} == {len(toy.val) - 1}
    assert all(0 <= v["coverage"] <= 1 and v["fd"] >= 0 for v in out.values())
    again = runs.fidelity_run({**item, "replicate": 1})
    assert again["a"]["fd"] != out["a"]["fd"]  # another replicate draws other latents


def test_lanczos_resize_agrees_with_pillow_and_keeps_labels():
    from PIL import Image

    from synthmed.data import resize

    ds = _toy()
    img = ds.train.images[:3]
    out = resize.lanczos(img, 12)
    assert out.shape == (3, 1, 12, 12) and out.dtype == torch.uint8
    by_hand = np.asarray(Image.fromarray(img[1, 0].numpy()).resize((12, 12), Image.LANCZOS))
    assert np.array_equal(out[1, 0].numpy(), by_hand)
    assert resize.lanczos(img, 28) is img  # already that size
    flat = torch.full((1, 1, 28, 28), 77, dtype=torch.uint8)
    assert torch.all(resize.lanczos(flat, 16) == 77)  # a constant image stays constant
    big = resize.resized(ds, 32)
    assert big.size == 32 and big.test.images.shape[-1] == 32 and torch.equal(big.train.labels, ds.train.labels)
    assert resize.resized(ds, None) is ds
    with pytest.raises(ValueError, match="uint8"):
        resize.lanczos(img.float(), 12)


def test_a_resized_chapter_names_its_size_in_the_keys(toy):
    ds, part = runs._training_view({**ITEM, "image_size": 32, "n_train": None})
    assert ds.train.images.shape[-1] == 32 and part == {"image_size": 32}
    assert runs._training_view({**ITEM, "n_train": None})[1] == {}  # the file's size: keys as before


@pytest.mark.parametrize("size", [30, 4, 28.0])
def test_an_image_size_the_gans_cannot_build_is_refused(size):
    from synthmed.gan import experiment

    with pytest.raises(ValueError, match="image_size"):
        experiment.check_models({**ITEM, "image_size": size})


@pytest.mark.parametrize("model", ["smallcnn", "resnet18"])
@pytest.mark.parametrize("embedding", ["simclr", "supervised"])
def test_a_trained_embedding_trunk_loads_into_its_extractor(toy, model, embedding):
    # the quick profile embeds with a small CNN: a trunk trained at one width once failed to load at another
    item = {**ITEM, "n_train": None, "embedding": embedding, "n": 6, "simclr_model": model,
            "embedding_model": model}
    feats = runs.features_run(item)
    assert feats["real"].shape[0] == 6 and all(f.shape == feats["real"].shape for f in feats["fakes"])


def test_the_supervised_trunk_stops_at_its_validation_plateau_and_reports_its_accuracy(toy):
    # issue 33 item 3: the trunk trains until validation balanced accuracy stops improving, and says how well
    from synthmed.gan import embeddings
    from synthmed.metrics.classification import summarize

    out = embeddings.train_supervised(toy.train.images, toy.train.labels, 2, toy.val, "smallcnn", epochs=40,
                                      patience=2, batch_size=8, progress=False)
    assert out["plateau"] and out["epochs_run"] < 40  # random labels: no lasting improvement on validation
    assert 1 <= out["kept_epoch"] <= out["epochs_run"]  # the best epoch (a tie goes to the later one)
    assert set(out["state"]) and all(not k.startswith("head") for k in out["state"])
    # the reported accuracy is the kept classifier's on the validation split, against its majority rate
    assert out["val"]["majority_rate"] == pytest.approx(summarize(toy.val.labels, toy.val.labels)["majority_rate"])
    assert 0.0 <= out["val"]["balanced_accuracy"] <= 1.0
    full = embeddings.train_supervised(toy.train.images, toy.train.labels, 2, toy.val, "smallcnn", epochs=3,
                                       patience=None, batch_size=8, progress=False)
    assert full["epochs_run"] == 3 and not full["plateau"]
    quality = runs.trunk_quality({**ITEM, "n_train": None, "embedding_model": "smallcnn", "supervised_epochs": 3})
    assert quality["epochs_run"] == 3 and quality["accuracy"] == pytest.approx(full["val"]["accuracy"])


@pytest.mark.parametrize("gans, sizes, match", [(["dcgan"], [], "'gans' needs at least two"),
                                                (["dcgan", "dcgan"], [], "'gans' needs at least two"),
                                                (["dcgan", "sngan"], [3], "'table4_sizes'")])
def test_an_ensemble_of_fewer_than_two_gans_is_refused_before_any_compute(gans, sizes, match):
    from synthmed.gan import experiment

    with pytest.raises(ValueError, match=match):
        experiment.check_models({**ITEM, "gans": gans, "table4_sizes": sizes})
    experiment.check_models({**ITEM, "gans": ["dcgan", "sngan"], "table4_sizes": [2]})  # a valid one passes
