"""synthmed.bundle and the committed paper-scale TSynD bundle (issue 23)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from synthmed import bundle, reference
from synthmed.tsynd import paper_scale

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = bundle.folder(ROOT, "paper", "tsynd")


def _write(folder: Path, name: str = "r-1", key: str = "k1", acc: float = 0.7) -> Path:
    return bundle.write(folder, name, key, {"dataset": "breastmnist", "fraction": 0.1, "method": "TSynD",
                                            "seed": 1},
                        [{"test_condition": "clean", "accuracy": acc, "balanced_accuracy": 0.5}],
                        {"commit": "abc", "dirty": False, "steps": {"tsynd_train": "t1"}, "wall_s": 12.0,
                         "machine": {"cpu": "x", "threads": 1}})


def test_a_written_run_reads_back_and_a_damaged_file_is_named(tmp_path):
    _write(tmp_path)
    assert [r["key"] for r in bundle.records(tmp_path)] == ["k1"]
    assert not list(tmp_path.glob("*.tmp"))  # the write left no temporary file
    (tmp_path / "r-2.json").write_text("{not json")  # a damaged file is not silently skipped or trusted
    with pytest.raises(ValueError, match="r-2.json is not a run record"):
        bundle.records(tmp_path)
    (tmp_path / "r-2.json").write_text('{"key": "k2"}')
    with pytest.raises(ValueError, match="needs key, run, provenance and rows"):
        bundle.records(tmp_path)


def test_read_flattens_runs_rows_and_provenance(tmp_path):
    _write(tmp_path)
    _write(tmp_path, "r-2", "k2", 0.8)
    frame = bundle.read(tmp_path)
    assert len(frame) == 2 and list(frame["accuracy"]) == [0.7, 0.8]
    assert set(frame["run_key"]) == {"k1", "k2"} and (frame["prov_machine_threads"] == 1).all()
    assert bundle.read(tmp_path / "missing").empty


def test_run_names_are_checked():
    with pytest.raises(ValueError, match="letters, digits"):
        bundle.path_of(Path("."), "a/b")


def test_code_changed_compares_the_recorded_step_keys():
    recorded = {"tsynd_train": "t1", "tsynd_score": "s1"}
    assert not bundle.code_changed(recorded, {"tsynd_train": "t1", "tsynd_score": "s1"})
    assert bundle.code_changed(recorded, {"tsynd_train": "t2", "tsynd_score": "s1"})
    assert bundle.code_changed(recorded, {"tsynd_robust": "r1"})  # a step the run did not have


def test_the_v2_run_key_covers_settings_and_code_and_the_plan_is_seed_major(tmp_path):
    specs, scoring, attacks, _ = paper_scale.plan(seeds=[0, 1])
    assert [paper_scale.run_name(s) for s in specs[:5]] == [
        "breastmnist-f0.1-noise-s0", "breastmnist-f0.1-tsynd-s0", "breastmnist-f0.1-noise_matched-s0",
        "breastmnist-f0.1-baseline-s0", "breastmnist-f0.1-noise-s1"]  # 10 % first; TSynD before its replay
    assert paper_scale.run_name(specs[8]) == "breastmnist-f0.01-noise-s0"
    keys = {paper_scale.run_key_v2(s, scoring, attacks) for s in specs}
    assert len(keys) == len(specs) == 16
    key = paper_scale.run_key_v2(specs[0], scoring, attacks)
    steps = paper_scale.experiment.step_keys(specs[0], scoring, attacks=attacks)
    assert set(steps) == {"tsynd_train", "tsynd_score", "tsynd_robust"}
    assert paper_scale.run_key_v2(specs[0], scoring, attacks, {**steps, "tsynd_train": "other code"}) != key
    assert paper_scale.run_key_v2(specs[0], scoring, paper_scale.experiment.replace(attacks, pgd_steps=3)) != key
    head = paper_scale.experiment.replace(specs[0], train=paper_scale.experiment.replace(specs[0].train, hidden=64))
    assert paper_scale.run_key_v2(head, scoring, attacks) != key  # the head reaches training: it is in the key
    with pytest.raises(ValueError, match="tsynd before noise_matched"):
        paper_scale.plan(methods=["noise_matched", "tsynd"])
    # resume: a stored run with the current key is not pending; one stored under another key is
    done = paper_scale.folder(tmp_path, "v2")
    run = {"dataset": "breastmnist", "fraction": 0.1, "method": "Noise", "seed": 0}
    bundle.write(done, paper_scale.run_name(specs[0]), key, run, [], {})
    assert paper_scale.pending(tmp_path, specs[:4], scoring, attacks) == specs[1:4]
    bundle.write(done, paper_scale.run_name(specs[0]), "old", run, [], {})
    assert paper_scale.pending(tmp_path, specs[:4], scoring, attacks) == specs[:4]
    assert not paper_scale.folder(tmp_path, "v1").exists()  # v1 is never written


def test_a_run_key_changes_with_code_settings_and_version():
    key = bundle.run_key("v2", "r", {"train": "a"}, params={"lr": 1})
    assert key == bundle.run_key("v2", "r", {"train": "a"}, params={"lr": 1}) and len(key) == 24
    assert key != bundle.run_key("v2", "r", {"train": "b"}, params={"lr": 1})  # the code changed
    assert key != bundle.run_key("v2", "r", {"train": "a"}, params={"lr": 2})
    assert key != bundle.run_key("v3", "r", {"train": "a"}, params={"lr": 1})


def test_the_v2_settings_cover_the_head_weight_decay_vqvae_and_latent_units():
    rs = paper_scale.run_settings()
    assert ({"hidden", "dropout", "weight_decay", "latent_units", "noise_sigma", "ascent_lr", "width"}
            <= set(rs["train"]))
    assert rs["train"]["latent_units"] == "std"
    assert {"hidden", "steps", "latent_dim", "codebook_size", "lr", "batch_size"} <= set(rs["vqvae"])
    assert {"pgd_steps", "eps_sweep"} <= set(rs["attacks"]) and "sweep" in rs["scoring"]


@pytest.mark.skipif(not COMMITTED.exists(), reason="no paper-scale run committed yet")
def test_every_committed_v1_run_used_one_setting_and_is_complete():
    """v1 (earlier code, absolute latent units) stays as it was committed: 30 runs, one settings digest."""
    recs = bundle.records(COMMITTED)
    assert len(recs) == 30 and len({rec["provenance"]["settings_digest"] for rec in recs}) == 1
    assert recs[0]["provenance"]["settings_digest"] != paper_scale.settings_digest()  # today: latent-std units
    for rec in recs:
        prov = rec["provenance"]
        assert prov["profile"] == "paper" and len(prov["commit"]) == 40 and prov["wall_s"] > 0
        assert set(prov["steps"]) == {"tsynd_train", "tsynd_score"}
        assert {r["test_condition"] for r in rec["rows"]} == {"clean", "gaussian", "fgsm"}
        spec = paper_scale.spec_of(rec["run"])
        assert spec.train.backbone == "resnet18" and spec.train.epochs == 100 and spec.train.ascent_steps == 50


V2 = paper_scale.folder(ROOT, "v2")


@pytest.mark.skipif(not V2.exists(), reason="no v2 paper-scale run committed yet")
def test_every_committed_v2_run_records_the_latent_scale_and_its_attacks():
    for rec in bundle.records(V2):
        prov = rec["provenance"]
        assert prov["version"] == "v2" and set(prov["steps"]) == {"tsynd_train", "tsynd_score", "tsynd_robust"}
        assert {r["test_condition"] for r in rec["rows"]} == {"clean", "gaussian", "fgsm", "gaussian_pm1", "pgd",
                                                             "transfer"}
        assert all("best_is_first" in r for r in rec["rows"])
        if rec["run"]["method"] != "Baseline":
            assert all(r["latent_std"] > 0 and r["noise_std"] > 0 and r["pixel_rms"] >= 0 for r in rec["rows"])


@pytest.mark.skipif(not COMMITTED.exists(), reason="no paper-scale run committed yet")
def test_the_books_table_is_computed_from_the_committed_rows(tmp_path):
    copy = bundle.folder(tmp_path, "paper", "tsynd")
    shutil.copytree(COMMITTED, copy)
    ref = reference.load("tsynd_table1")
    before = paper_scale.cells(paper_scale.frame(tmp_path), ref)
    first = sorted(copy.glob("*.json"))[0]
    rec = json.loads(first.read_text())
    rec["rows"][0]["accuracy"] = 0.123  # change one row
    first.write_text(json.dumps(rec))
    after = paper_scale.cells(paper_scale.frame(tmp_path), ref)
    assert not before.equals(after)
    changed = (before != after).any(axis=1)
    cell = (rec["run"]["method"], f"{100 * float(rec['run']['fraction']):g} %", rec["rows"][0]["test_condition"])
    assert list(after.loc[changed, ["method", "fraction", "test_condition"]].itertuples(index=False, name=None)) \
        == [cell]  # exactly the cell of the changed row
    assert isinstance(before, pd.DataFrame) and "paper: accuracy" in before.columns


def test_a_run_whose_steps_were_cached_has_no_cost():
    runs = pd.DataFrame({"prov_wall_s": [600.0, 0.1, 700.0], "prov_steps_cached": [[], [], ["tsynd_train"]]})
    assert list(paper_scale.timing_unmeasured(runs)) == [False, True, True]


def test_a_run_that_resumed_from_a_checkpoint_has_no_cost():
    """A run whose training resumed from an interrupted attempt's checkpoint took only the remainder's time."""
    runs = pd.DataFrame({"prov_wall_s": [600.0, 90.0, 700.0], "prov_steps_cached": [[], [], []],
                         "prov_steps_resumed": [[], ["tsynd_train"], float("nan")]})
    assert list(paper_scale.timing_unmeasured(runs)) == [False, True, False]


def _timed(tmp_path, name, method, fraction, wall, finished, cached=()):
    folder = bundle.folder(tmp_path, "paper", "tsynd")
    seed = "abcde".index(name)  # one run per seed, as one file per run name
    bundle.write(folder, name, name, {"dataset": "breastmnist", "fraction": fraction, "method": method, "seed": seed},
                 [{"test_condition": "clean", "accuracy": 0.5}],
                 {"wall_s": wall, "finished": finished, "steps_cached": list(cached), "machine": {"cpu": "x"}})


def test_timed_runs_drop_cache_hits_and_mark_the_vqvae_run_and_the_projection_uses_them(tmp_path):
    _timed(tmp_path, "a", "Noise", 0.01, 5000.0, "2026-01-01T00:00")  # first Noise run: trained the VQ-VAE
    _timed(tmp_path, "b", "Noise", 0.01, 100.0, "2026-01-01T02:00")
    _timed(tmp_path, "c", "Baseline", 0.1, 300.0, "2026-01-01T03:00")
    _timed(tmp_path, "d", "Baseline", 0.1, 250.0, "2026-01-01T04:00", cached=["tsynd_train"])  # a cache hit
    _timed(tmp_path, "e", "TSynD", 0.1, 900.0, "2026-01-01T05:00")
    timed = paper_scale.timed_runs(paper_scale.frame(tmp_path)).set_index("seconds")
    assert sorted(timed.index) == [100.0, 300.0, 900.0, 5000.0]  # the cache hit is not a cost
    assert timed.loc[5000.0, "with_vqvae"] and not timed.loc[5000.0, "typical"]
    assert timed.loc[900.0, "typical"] and not timed.loc[900.0, "with_vqvae"]  # not the machine's first
    specs, *_ = paper_scale.plan(fractions=[0.01, 0.1], methods=["noise", "baseline"], seeds=[1])
    assert paper_scale.projection(tmp_path, specs, "v1") is None  # Baseline 1 % and Noise 10 % never timed
    noise1, base10 = [s for s in specs if (s.train.method, s.fraction) in {("noise", 0.01), ("baseline", 0.1)}]
    assert paper_scale.projection(tmp_path, [noise1, base10, base10], "v1") == pytest.approx(100.0 + 2 * 300.0)


def test_runs_are_counted_by_their_run_fields_not_by_a_stored_key(tmp_path):
    """Keys written by the bundle's first code were equal across seeds: every seed must still count as a run."""
    folder = bundle.folder(tmp_path, "paper", "tsynd")
    for seed, wall in ((0, 100.0), (1, 300.0)):
        bundle.write(folder, f"r-{seed}", "same-key", {"dataset": "breastmnist", "fraction": 0.1,
                                                       "method": "Baseline", "seed": seed},
                     [{"test_condition": c, "accuracy": 0.5} for c in ("clean", "fgsm")],
                     {"wall_s": wall, "finished": f"2026-01-01T0{seed}:00", "machine": {"cpu": "x"}})
    frame = paper_scale.frame(tmp_path)
    assert frame["run_id"].nunique() == 2 and frame["run_key"].nunique() == 1
    timed = paper_scale.timed_runs(frame)
    assert sorted(timed["seconds"]) == [100.0, 300.0]
