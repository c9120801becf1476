"""The imbalance chapter's cost model counts what the experiment runs (issue 34, item 6)."""

from __future__ import annotations

import pytest
from conftest import requires_data

from synthmed import profiles
from synthmed.imbalance import chapter, experiment


def _runs_the_experiment_makes(s) -> tuple[dict, int]:
    """{(experiment, backbone, variant): classifiers} and the CycleGANs, from the specs the notebook builds."""
    classifiers: dict = {}
    gans = set()
    for spec in experiment.specs_from_settings(s, root=".", device="cpu"):
        for v in spec.variants:
            if experiment.VARIANTS[v].images:
                key = (spec.experiment, spec.backbone, v)
                classifiers[key] = classifiers.get(key, 0) + 1
        if any(experiment.VARIANTS[v].adds == "synthetic" for v in spec.variants):
            gans.add((spec.experiment, spec.seed))  # cached per dataset and seed: shared by the backbones
    return classifiers, len(gans)


@pytest.mark.parametrize("profile", ["smoke", "quick", "paper"])
def test_the_workload_counts_every_classifier_and_every_cyclegan_the_experiment_trains(profile):
    s = profiles.resolve("imbalance", profile)
    rows = chapter.workload("imbalance", s)
    classifiers, gans = _runs_the_experiment_makes(s)
    modelled = {r.kind: r.runs for r in rows}
    assert sum(r.runs for r in rows if "classifiers" in r.kind) == sum(classifiers.values())
    assert sum(r.runs for r in rows if r.kind.startswith("CycleGAN")) == gans
    for (e, b, v), n in classifiers.items():
        assert modelled[f"{b} classifiers ({e}, {v})"] == n


def test_the_workload_trains_on_the_real_count_plus_what_a_variant_adds():
    s = {**dict(profiles.resolve("imbalance", "quick")), "experiments": ["pneumonia_minority"], "seeds": [0, 1],
         "backbones": ["smallcnn"], "epochs": 3, "synthetic_ratio": 0.5}
    rows = {r.kind: r for r in chapter.workload("imbalance", s)}
    real, synth = rows["smallcnn classifiers (pneumonia_minority, real)"], rows[
        "smallcnn classifiers (pneumonia_minority, real_synth)"]
    assert real.images == 3 * (1214 + 368) and synth.images == 3 * (1214 + 368 + 607) and real.runs == 2
    assert rows["CycleGAN (pneumonia_minority)"].runs == 2


@requires_data("nih/NIH1000_metadata.csv", "medmnist/pneumoniamnist.npz")
@pytest.mark.parametrize("name", sorted(chapter.TRAIN_IMAGES))
def test_the_modelled_training_counts_are_the_datas(name, cache_dir):
    data = experiment.prepare_data(name, 0, None, 32, 10)
    assert tuple(data.train.counts()) == chapter.TRAIN_IMAGES[name]
