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


def test_the_run_key_ignores_code_but_not_settings(tmp_path):
    specs, _, _ = paper_scale.plan(seeds=[0])
    keys = {paper_scale.run_key(s) for s in specs}
    assert len(keys) == len(specs) == 6  # 2 fractions x 3 methods, all distinct
    assert paper_scale.run_key(specs[0]) != paper_scale.run_key(specs[0], "another-digest")
    # resume: a stored run with the current settings is not pending; one with other settings is
    done = paper_scale.bundle.folder(tmp_path, "paper", "tsynd")
    run = {"dataset": "breastmnist", "fraction": 0.01, "method": "Baseline", "seed": 0}
    paper_scale.bundle.write(done, paper_scale.run_name(specs[0]), "k", run, [],
                             {"settings_digest": paper_scale.settings_digest()})
    assert specs[0] not in paper_scale.pending(tmp_path, specs) and len(paper_scale.pending(tmp_path, specs)) == 5
    paper_scale.bundle.write(done, paper_scale.run_name(specs[0]), "k", run, [], {"settings_digest": "old"})
    assert len(paper_scale.pending(tmp_path, specs)) == 6
    assert [paper_scale.run_name(s) for s in specs[:2]] == ["breastmnist-f0.01-baseline-s0",
                                                            "breastmnist-f0.01-noise-s0"]


@pytest.mark.skipif(not COMMITTED.exists(), reason="no paper-scale run committed yet")
def test_every_committed_run_used_the_paper_profile_and_is_complete():
    digest = paper_scale.settings_digest()
    for rec in bundle.records(COMMITTED):
        prov = rec["provenance"]
        assert prov["settings_digest"] == digest, rec["run"]
        assert prov["profile"] == "paper" and len(prov["commit"]) == 40 and prov["wall_s"] > 0
        assert set(prov["steps"]) == {"tsynd_train", "tsynd_score"}
        assert {r["test_condition"] for r in rec["rows"]} == {"clean", "gaussian", "fgsm"}
        spec = paper_scale.spec_of(rec["run"])
        assert spec.train.backbone == "resnet18" and spec.train.epochs == 100 and spec.train.ascent_steps == 50


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
    specs, _, _ = paper_scale.plan(fractions=[0.01, 0.1], methods=["noise", "baseline"], seeds=[1])
    assert paper_scale.projection(tmp_path, specs) is None  # Baseline 1 % and Noise 10 % never timed
    noise1, base10 = [s for s in specs if (s.train.method, s.fraction) in {("noise", 0.01), ("baseline", 0.1)}]
    assert paper_scale.projection(tmp_path, [noise1, base10, base10]) == pytest.approx(100.0 + 2 * 300.0)


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
