"""Class-imbalance chapter: metadata scaling, balancing, metadata fusion and CycleGAN on small hand-made data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import synthmed  # noqa: F401
from synthmed.data.nih import MetadataScaler
from synthmed.imbalance import balance, cyclegan, fusion, train
from synthmed.imbalance.data import from_parts, make_part

# The values TrainConfig's former defaults gave (it has none now: the profile states every one).
TRAIN = {"epochs": 10, "batch_size": 32, "lr": 1e-3, "weight_decay": 1e-4, "keep": "best"}
TRAINED = {"train": train.TrainConfig(**TRAIN), "meta_train": train.TrainConfig(**TRAIN)}


@pytest.fixture(autouse=True)
def one_thread():
    """Small convolutions on a shared 2-core CPU: two-thread kernels spin against other processes (a 4 s test took
    150 s under load), so these tests run single-threaded and restore the setting afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def toy_data(n0=40, n1=10, size=16, n_meta=3, seed=0, meta_signal=False):
    g = torch.Generator().manual_seed(seed)

    def part(a, b):
        labels = torch.cat([torch.zeros(a), torch.ones(b)]).long()
        images = torch.randint(0, 256, (a + b, 1, size, size), generator=g, dtype=torch.uint8)
        meta = torch.rand(a + b, n_meta, generator=g)
        if meta_signal:
            meta[:, 0] = labels.float() + 0.1 * torch.randn(a + b, generator=g)
        return make_part(images, labels, meta)

    return from_parts("toy", ("neg", "pos"), part(n0, n1), part(8, 8), part(8, 8),
                      feature_names=tuple(f"m{i}" for i in range(n_meta)))


# ---- metadata scaling ---------------------------------------------------------------------------------------------

def test_metadata_scaler_is_fitted_on_training_rows_only():
    frame = pd.DataFrame({"patient_age": [20.0, 60.0, 40.0, 90.0, 10.0],
                          "patient_gender": ["M", "F", "M", "F", "M"],
                          "view_position": ["PA", "PA", "AP", "AP", "PA"],
                          "split": ["train", "train", "train", "test", "test"]})
    train_rows = frame[frame.split == "train"]
    scaler = MetadataScaler.fit(train_rows)
    assert (scaler.age_min, scaler.age_max) == (20.0, 60.0)  # 90 and 10 are test rows: not used
    test = scaler.transform(frame[frame.split == "test"])
    assert test[:, 0].tolist() == pytest.approx([(90 - 20) / 40, (10 - 20) / 40])  # outside [0, 1]
    assert scaler.transform(train_rows)[:, 0].min() == 0 and scaler.transform(train_rows)[:, 0].max() == 1


@pytest.mark.data
def test_nih1000_metadata_scaled_with_training_split():
    root = os.environ.get("SYNTHMED_DATA_ROOT")
    if not root or not (Path(root) / "nih" / "NIH1000_metadata.csv").exists():
        pytest.skip("NIH1000 not present under $SYNTHMED_DATA_ROOT/nih")
    from synthmed.data import default_nih1000
    ds = default_nih1000(Path(root) / "nih")
    ages = ds.train.frame.patient_age
    assert ds.scaler.age_min == ages.min() and ds.scaler.age_max == ages.max()
    assert float(ds.train.metadata[:, 0].min()) == 0.0 and float(ds.train.metadata[:, 0].max()) == 1.0
    expected = (ds.test.frame.patient_age.to_numpy() - ages.min()) / (ages.max() - ages.min())
    assert torch.allclose(ds.test.metadata[:, 0], torch.tensor(expected, dtype=torch.float32))


# ---- balancing ----------------------------------------------------------------------------------------------------

def test_n_synthetic_is_half_the_majority_by_default():
    assert balance.n_synthetic(700) == 350  # the paper: 350 synthetic pneumonia images for 700 normal ones
    assert balance.n_synthetic(300, 0.25) == 75
    with pytest.raises(ValueError, match=">= 0"):
        balance.n_synthetic(10, -1)


@pytest.mark.parametrize("rule", ["source", "minority"])
def test_balancing_adds_requested_minority_and_leaves_val_test(rule):
    data = toy_data()
    val_before = (data.val.images.clone(), data.val.labels.clone(), data.val.metadata.clone())
    test_before = (data.test.images.clone(), data.test.labels.clone(), data.test.metadata.clone())
    m = balance.n_synthetic(40, 0.5)
    src = balance.source_indices(data, m, seed=1)
    assert (data.train.labels[src] == 0).all() and len(set(src.tolist())) == m  # majority, no repeats
    synth = torch.full((m, 1, 16, 16), 7, dtype=torch.uint8)
    out = balance.add_synthetic(data, synth, src, metadata=rule)
    assert out.train.counts() == [40, 10 + 20]
    assert int(out.train.synthetic.sum()) == 20 and (out.train.labels[out.train.synthetic] == 1).all()
    assert torch.equal(out.train.images[:50], data.train.images)
    if rule == "source":
        assert torch.equal(out.train.metadata[50:], data.train.metadata[src])
    assert out.val is data.val and out.test is data.test
    for before, part in ((val_before, out.val), (test_before, out.test)):
        assert all(torch.equal(a, b) for a, b in zip(before, (part.images, part.labels, part.metadata)))
    assert data.train.counts() == [40, 10]  # the input is not modified


def test_balancing_rejects_wrong_image_shape():
    data = toy_data()
    with pytest.raises(ValueError, match="synthetic images must be"):
        balance.add_synthetic(data, torch.zeros(3, 1, 8, 8, dtype=torch.uint8), torch.arange(3))


def test_source_indices_repeat_only_when_majority_is_exhausted():
    data = toy_data(n0=5, n1=2)
    src = balance.source_indices(data, 8, seed=0)
    assert len(src) == 8 and set(src.tolist()) == set(range(5))


@pytest.mark.parametrize("minority", [1, 0])
def test_oversample_control_adds_as_many_as_the_synthetic_variant_all_copies_of_training_images(minority):
    """Issue 21: real_oversample adds exactly the number of minority images real_synth adds, every added image a
    copy of a real training minority image (with its metadata and patient id); val and test untouched."""
    from synthmed.imbalance import experiment
    data = toy_data(n0=40, n1=10) if minority == 1 else toy_data(n0=10, n1=40)
    assert data.minority == minority  # with label 0 rarer the control must copy label-0 images
    t = data.train  # patient id = row index, so that a copy can be traced to its source row
    data = data.with_train(make_part(t.images, t.labels, t.metadata, torch.arange(len(t))))
    spec = experiment.RunSpec("pneumonia_minority", 3, ("real_synth", "real_oversample"), synthetic_ratio=0.5,
                               backbone="smallcnn", **TRAINED)
    m = experiment.synthetic_count(data, 0.5)
    src = balance.source_indices(data, m, seed=3)
    fake = (torch.full((m, 1, 16, 16), 7, dtype=torch.uint8), src)
    synth = experiment.training_data(data, "real_synth", fake, spec)
    over = experiment.training_data(data, "real_oversample", fake, spec)
    n = len(data.train)
    assert len(over.train) - n == len(synth.train) - n == m == 20
    assert over.train.counts() == synth.train.counts()
    added = over.train.rows(torch.arange(n, len(over.train)))
    assert (added.labels == data.minority).all() and not added.synthetic.any()
    pool = data.train.images[data.train.labels == data.minority].flatten(1)
    for img, meta, gid in zip(added.images.flatten(1), added.metadata, added.groups):
        assert (pool == img).all(1).any()  # an exact copy of a real training minority image
        assert torch.equal(data.train.images[gid].flatten(), img) and torch.equal(data.train.metadata[gid], meta)
    assert torch.equal(over.train.images[:n], data.train.images)  # the real rows first, unchanged
    assert over.val is data.val and over.test is data.test
    again = experiment.training_data(data, "real_oversample", fake, spec)
    assert torch.equal(again.train.groups, over.train.groups)  # seeded
    assert experiment.training_data(data, "real_weighted", fake, spec) is data  # adds no image


def test_oversample_matches_imblearn_and_rejects_negative_counts():
    from imblearn.over_sampling import RandomOverSampler
    data = toy_data(n0=30, n1=6)
    out = balance.oversample(data, 9, seed=4)
    X = np.arange(36).reshape(-1, 1)
    _, y_ref = RandomOverSampler(sampling_strategy={1: 15}, random_state=4).fit_resample(X, data.train.labels)
    assert out.train.labels.tolist() == list(y_ref) and out.train.counts() == [30, 15]
    with pytest.raises(ValueError, match=">= 0"):
        balance.oversample(data, -1)


def test_balanced_class_weights_hand_worked():
    labels = torch.tensor([0, 0, 0, 1])
    w = train.sample_weights(labels, "balanced")  # N / (2 n_c): 4 / 6 for class 0, 4 / 2 for class 1
    assert w.tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 3, 2.0])
    assert float((w * (labels == 1)).sum()) == pytest.approx(float((w * (labels == 0)).sum()))
    assert train.sample_weights(labels).tolist() == [1, 1, 1, 1]


def test_weighted_loss_moves_scores_towards_the_minority():
    """The same seed and data, trained with and without class weights: the weighted classifier scores the rare
    positives higher on average (what rebalancing does)."""
    data = toy_data(n0=60, n1=6, meta_signal=True)
    config = train.TrainConfig(**{**TRAIN, "epochs": 3, "batch_size": 16, "lr": 3e-3, "keep": "last"})
    probs = []
    for cw in (None, "balanced"):
        model = fusion.build_classifier(None, n_metadata=3, seed=0)
        res = train.train_classifier(model, data.train, data.val, config, seed=0, device="cpu", progress=False,
                                     class_weight=cw)
        model.load_state_dict(res.state_dict)
        probs.append(train.predict_proba(model, data.test, device="cpu").mean())
    assert probs[1] > probs[0] + 0.05


# ---- fusion -------------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_fused_model_prediction_depends_on_metadata():
    data = toy_data(n0=48, n1=48, meta_signal=True)  # images are noise; metadata column 0 carries the label
    model = fusion.build_classifier("smallcnn", n_metadata=3, image_size=16, seed=0)
    config = train.TrainConfig(**{**TRAIN, "epochs": 15, "batch_size": 16, "lr": 3e-3, "keep": "last"})
    result = train.train_classifier(model, data.train, data.val, config, seed=0, device="cpu", progress=False)
    model.load_state_dict(result.state_dict)
    assert [h["epoch"] for h in result.history] == list(range(1, 16))  # one validation record per epoch
    assert {"train_loss", "valid_loss", "accuracy", "precision", "recall", "specificity", "roc_auc"} <= set(
        result.history[0])
    probe = data.test
    low = make_part(probe.images, probe.labels, probe.metadata.clone())
    high = make_part(probe.images, probe.labels, probe.metadata.clone())
    low.metadata[:, 0], high.metadata[:, 0] = 0.0, 1.0
    p_low, p_high = (train.predict_proba(model, p, device="cpu") for p in (low, high))
    assert (p_high - p_low).mean() > 0.2  # the trained model uses the metadata column
    assert ((p_high >= 0.5) != (p_low >= 0.5)).any()  # and it changes predictions


def test_fused_model_leaves_no_parameter_unused():
    """Issue 21: the metadata MLP's third layer was built but unused in the fused model; every parameter of a fused
    classifier now gets a gradient, and the fused MLP has no output layer of its own."""
    model = fusion.build_classifier("smallcnn", n_metadata=3, image_size=16, seed=0).train()
    model(torch.rand(4, 1, 16, 16), torch.rand(4, 3)).sum().backward()
    unused = [n for n, p in model.named_parameters() if p.grad is None]
    assert unused == [] and model.meta.head is None
    with pytest.raises(RuntimeError, match="no output layer"):
        model.meta(torch.rand(2, 3))
    alone = fusion.build_classifier(None, n_metadata=3, seed=0)
    assert alone.meta.head is not None and len([m for m in alone.modules() if isinstance(m, torch.nn.Linear)]) == 3


def test_classifier_shapes_and_errors():
    meta_only = fusion.build_classifier(None, n_metadata=5)
    assert meta_only(None, torch.rand(4, 5)).shape == (4,)
    fused = fusion.build_classifier("smallcnn", n_metadata=5, image_size=32).eval()
    assert fused(torch.rand(3, 1, 32, 32), torch.rand(3, 5)).shape == (3,)
    with pytest.raises(ValueError, match="needs an image backbone"):
        fusion.Classifier(None, 0)
    with pytest.raises(ValueError, match="valid: smallcnn, resnet18"):
        fusion.build_classifier("resnet19")


def test_build_classifier_is_seeded_and_leaves_the_global_rng_alone():
    before = torch.get_rng_state()
    a = fusion.build_classifier("smallcnn", n_metadata=3, image_size=16, seed=5)
    b = fusion.build_classifier("smallcnn", n_metadata=3, image_size=16, seed=5)
    assert torch.equal(torch.get_rng_state(), before)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_local_weights_load_strictly(tmp_path):
    """A matching trunk file loads exactly; a file for another network is an error naming the keys (the old
    strict=False loader could load nothing and say it had loaded)."""
    from synthmed import models
    donor = models.create("smallcnn", 1, None, 16, seed=3)
    torch.save(donor.state_dict(), tmp_path / "trunk.pt")
    model = fusion.build_classifier("smallcnn", n_metadata=2, image_size=16, weights=tmp_path / "trunk.pt")
    assert all(torch.equal(v, donor.state_dict()[k]) for k, v in model.backbone.state_dict().items())
    torch.save({"conv.weight": torch.zeros(3, 3)}, tmp_path / "other.pt")
    with pytest.raises(models.WeightsMismatchError, match="missing keys"):
        fusion.build_classifier("smallcnn", n_metadata=2, image_size=16, weights=tmp_path / "other.pt")


def test_binary_metrics_hand_worked():
    prob = torch.tensor([0.9, 0.8, 0.2, 0.6, 0.1, 0.3])
    labels = torch.tensor([1, 1, 1, 0, 0, 0])
    m = train.binary_metrics(prob, labels)
    # predictions 1 1 0 1 0 0: tp 2, fn 1, fp 1, tn 2
    assert m["accuracy"] == pytest.approx(4 / 6) and m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3) and m["specificity"] == pytest.approx(2 / 3)
    assert m["roc_auc"] == pytest.approx(7 / 9)  # pairs ranked right: 3 + 3 + 1 of 9


# ---- CycleGAN -----------------------------------------------------------------------------------------------------

def _toy_domains(n=16, size=16):
    g = torch.Generator().manual_seed(0)
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    a, b = [], []
    for _ in range(n):
        cx, cy = torch.randint(4, size - 4, (2,), generator=g).tolist()
        a.append(((xx - cx).abs().le(3) & (yy - cy).abs().le(3)).float())  # squares
        b.append((((xx - cx) ** 2 + (yy - cy) ** 2) <= 9).float())  # discs
    return torch.stack(a)[:, None] * 2 - 1, torch.stack(b)[:, None] * 2 - 1


def test_cyclegan_cycle_loss_falls_on_toy_set():
    a, b = _toy_domains()
    cfg = cyclegan.CycleGANConfig(ngf=8, ndf=8, n_blocks=1, n_layers_d=2, steps=60, batch_size=4)
    out = cyclegan.train_cyclegan(a, b, cfg, seed=0, device="cpu", progress=False, log_every=10)
    h = out["history"]
    assert len(h) == 6 and h.step.tolist()[-1] == 60
    assert h.cycle.iloc[-1] < 0.7 * h.cycle.iloc[0]
    g = cyclegan.load_generator(out)
    imgs = ((a[:3] + 1) * 127.5).round().to(torch.uint8)
    y = cyclegan.translate(g, imgs, device="cpu")
    assert y.shape == imgs.shape and y.dtype == torch.uint8


def test_lr_schedule_constant_then_linear():
    assert [cyclegan.lr_factor(s, 10) for s in (0, 4, 5, 7, 9)] == pytest.approx([1, 1, 1, 0.6, 0.2])


# ---- experiment ---------------------------------------------------------------------------------------------------

def test_specs_pair_variants_with_the_experiments_that_can_run_them():
    from synthmed.imbalance import experiment
    sp = experiment.specs(["nih_patient", "pneumonia_minority", "metadata_only"], [0, 1],
                          ["real", "real_meta", "real_synth", "logreg"], backbones=["smallcnn", "vgg16"],
                          **TRAINED)
    got = {(s.experiment, s.backbone, s.seed): s.variants for s in sp}
    assert got[("pneumonia_minority", "vgg16", 1)] == ("real", "real_synth")  # no metadata there
    controls = experiment.specs(["pneumonia_minority", "nih_patient"], [0],
                                ["real", "real_weighted", "real_oversample", "real_synth"], ["smallcnn"], **TRAINED)
    assert [s.variants for s in controls] == [("real", "real_weighted", "real_oversample", "real_synth"),
                                              ("real", "real_synth", "real_weighted", "real_oversample")]
    assert got[("metadata_only", "smallcnn", 0)] == ("logreg",)
    assert not any(e == "metadata_only" and b == "vgg16" for e, b, _ in got)  # no backbone: once per seed
    assert len(sp) == 2 * 2 + 2 * 2 + 2
    with pytest.raises(ValueError, match="unknown variant"):
        experiment.specs(["nih_patient"], [0], ["ensemble"], ["smallcnn"])


def test_training_and_scoring_are_separate_cached_steps(cache_dir):
    """Scores come from a second cache entry; a cache hit returns the same probabilities; the training entry is
    not recomputed when only scoring is asked again."""
    from synthmed.imbalance import experiment
    data = toy_data(size=16)
    spec = experiment.RunSpec("nih_patient", 0, ("real_meta",), backbone="smallcnn",
                              train=train.TrainConfig(**{**TRAIN, "epochs": 1, "batch_size": 16}),
                              meta_train=train.TrainConfig(**TRAIN))
    state = experiment.train_step(data, "real_meta", spec)
    scores = experiment.score_step(data, "real_meta", spec, state)
    assert scores["test_prob"].shape == (16,) and scores["val_prob"].shape == (16,)
    assert {p.parent.name for p in cache_dir.rglob("*.pt")} == {"imbalance_classifier", "imbalance_scores"}
    again = experiment.score_step(data, "real_meta", spec, experiment.train_step(data, "real_meta", spec))
    assert torch.equal(scores["test_prob"], again["test_prob"])
    other = {"state_dict": {k: v + 0.1 if v.is_floating_point() else v for k, v in state["state_dict"].items()}}
    changed = experiment.score_step(data, "real_meta", spec, other)  # other weights: scored anew, not a stale hit
    assert not torch.equal(changed["test_prob"], scores["test_prob"])
