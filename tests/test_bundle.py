"""synthmed.bundle and the committed paper-scale TSynD bundle (issue 23)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from synthmed import bundle
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
def test_the_generic_command_keeps_tsynd_v2s_run_keys_and_skips_a_run_filed_under_its_key(capsys, tmp_path):
    """The chapter-agnostic command plans TSynD v2 with the run keys paper_scale gives, with the committed run's
    fields; a run whose file carries the plan's key is done (the committed breastmnist-f0.1-noise-s0, refiled
    under today's key: its own key names the code it was computed with, which later edits may have changed), and
    the rest are pending in the plan's order."""
    committed = json.loads((V2 / "breastmnist-f0.1-noise-s0.json").read_text())
    args = bundle.parser().parse_args(["tsynd", "--root", str(tmp_path), "--seeds", "0", "--fractions", "0.1"])
    runs = paper_scale.BUNDLE.plan(args)
    assert [r.name for r in runs] == ["breastmnist-f0.1-noise-s0", "breastmnist-f0.1-tsynd-s0",
                                      "breastmnist-f0.1-noise_matched-s0", "breastmnist-f0.1-baseline-s0"]
    specs, scoring, attacks, _ = paper_scale.plan(seeds=[0], fractions=[0.1])
    assert [r.key for r in runs] == [paper_scale.run_key_v2(s, scoring, attacks) for s in specs]
    noise = runs[0]
    assert noise.fields == committed["run"]
    where = paper_scale.BUNDLE.where(tmp_path)
    where.mkdir(parents=True)
    (where / "breastmnist-f0.1-noise-s0.json").write_text(json.dumps({**committed, "key": noise.key}))
    pending = bundle.pending(tmp_path, paper_scale.BUNDLE, runs)
    assert noise not in pending and pending == runs[1:]
    assert bundle.main(["tsynd", "--root", str(tmp_path), "--seeds", "0", "--fractions", "0.1", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "1 of 4 runs already in" in out
    assert [line.strip() for line in out.splitlines() if line.startswith("   ")] == [r.name for r in runs[1:]]


def test_the_generic_command_writes_resumes_and_refuses_unknown_runs(tmp_path, monkeypatch, capsys):
    """A toy chapter's bundle: the command computes each pending run once, stores it with its key, skips it the
    next time, recomputes a run whose key changed, and stops on a run name not in the plan."""
    calls = []

    def plan(args):
        return [bundle.Run(f"r{i}", bundle.run_key("v1", f"r{i}", {}, x=i, salt=args.salt), {"i": i}, i)
                for i in range(3)]

    def compute(root, run, args, device):
        calls.append(run.name)
        return [{"value": run.payload * 10}], {"wall_s": 1.0}

    def arguments(parser):
        parser.add_argument("--salt", default="a")

    toy = bundle.Spec(chapter="toy", profile="cpu", folder="toy", title="Toy bundle", plan=plan, compute=compute,
                      arguments=arguments)

    def run(*argv):
        p = bundle.argparse.ArgumentParser()
        bundle._common_arguments(p)
        toy.arguments(p)
        return bundle.execute(toy, p.parse_args(["--root", str(tmp_path), *argv]))

    assert run("--dry-run") == 0 and not calls
    assert "0 of 3 runs" in capsys.readouterr().out
    assert run("--only", "r1") == 0 and calls == ["r1"]
    rec = json.loads((tmp_path / "results/cpu/toy/r1.json").read_text())
    assert rec["rows"] == [{"value": 10}] and rec["run"] == {"i": 1}
    assert 0 <= rec["provenance"]["cpu_s"] < 60  # the run's own CPU time, beside the wall time it reports
    assert run() == 0 and calls == ["r1", "r0", "r2"]  # r1 is done: skipped
    assert "1 of 3 runs already in" in capsys.readouterr().out
    assert run() == 0 and calls == ["r1", "r0", "r2"]  # all done
    assert run("--salt", "b", "--only", "r0") == 0 and calls[-1] == "r0"  # another key: computed again
    with pytest.raises(SystemExit, match="not in the plan: r9"):
        run("--only", "r9")
    capsys.readouterr()
    assert run("--where") == 0 and capsys.readouterr().out.strip() == "results/cpu/toy\tToy bundle"


def test_step_seconds_and_cold_seconds_count_what_a_run_computed_and_what_it_loaded():
    """Hand-worked events: a run that computes a zoo (with a nested step) and loads a search computed earlier."""
    events = [{"event": "miss", "name": "gan_zoo", "seconds": 100.0},
              {"event": "miss", "name": "gan_features", "seconds": 30.0, "nested": True},
              {"event": "hit", "name": "gan_search", "seconds": 0.2, "compute_s": 50.0},
              {"event": "hit", "name": "gan_features", "seconds": 0.1, "compute_s": 30.0, "nested": True}]
    times = bundle.step_seconds(events)
    assert times["computed"] == {"gan_zoo": 100.0, "gan_features": 30.0}
    assert times["cost"] == {"gan_zoo": 100.0, "gan_features": 60.0, "gan_search": 50.0}
    assert times["loaded"] == 50.0  # the nested hit is inside a loaded step's time already
    assert bundle.cold_seconds({"wall_s": 140.0, "cold_s": 190.0, "steps_cached": ["gan_search"]}) == 190.0
    assert bundle.cold_seconds({"wall_s": 140.0, "steps_cached": []}) == 140.0
    # a run paused for 960 s: its CPU time, plus what its loaded steps cost, not its wall time
    assert bundle.cold_seconds({"wall_s": 3496.0, "cpu_s": 2500.0, "cold_s": 3596.0}) == 2600.0
    assert bundle.cold_seconds({"wall_s": 4.1, "steps_cached": ["gan_downstream_all"]}) is None  # a re-keyed run
    # each cache entry counts once: a GAN the run trained (or loaded) and every later stage loads again
    again = [{"event": "miss", "name": "gan_zoo", "key": "g1", "seconds": 100.0},
             {"event": "hit", "name": "gan_zoo", "key": "g2", "seconds": 0.1, "compute_s": 80.0},
             {"event": "hit", "name": "gan_zoo", "key": "g1", "seconds": 0.1, "compute_s": 100.0, "nested": True},
             {"event": "hit", "name": "gan_zoo", "key": "g2", "seconds": 0.1, "compute_s": 80.0},
             {"event": "hit", "name": "gan_zoo", "key": "g2", "seconds": 0.1, "compute_s": 80.0, "nested": True}]
    times = bundle.step_seconds(again)
    assert times["cost"] == {"gan_zoo": 180.0} and times["loaded"] == 80.0 and times["computed"] == {"gan_zoo": 100.0}


def test_the_tsynd_page_reads_v2_beside_v1_and_summarises_the_latent_record():
    import pandas as pd

    # issue 32: Table 1 v2 beside the paper and v1 (earlier code); per method what the noise and ascent did
    def rows(version_acc, methods=("Noise", "TSynD")):
        out = []
        for m in methods:
            for seed in (0, 1):
                for cond in ("clean", "fgsm"):
                    out.append({"dataset": "breastmnist", "fraction": 0.1, "method": m, "seed": seed,
                                "test_condition": cond, "accuracy": version_acc + seed, "balanced_accuracy": 50.0,
                                "latent_std": 0.02, "noise_std": 1.0, "move_std": 0.5 if m == "TSynD" else 0.0,
                                "pixel_rms": 0.09, "mi_before": 0.007, "mi_after": 0.009 + 0.001 * seed,
                                "mi_after_random": 0.008 if m == "TSynD" else None, "best_is_first": seed == 1})
        return pd.DataFrame(out)

    ref = pd.DataFrame([{"dataset": "breastmnist", "fraction": 0.1, "method": "Noise", "test_condition": "clean",
                         "accuracy": 78.2}])
    t = paper_scale.cells(rows(70.0), ref, earlier=rows(60.0, ("Noise",)))
    noise = t[(t.method == "Noise") & (t.test_condition == "clean")].iloc[0]
    assert noise["paper scale: accuracy"] == "70.5 ± 0.7 (2)" and noise["paper: accuracy"] == "78.2"
    assert noise["earlier code (v1): accuracy"] == "60.5 ± 0.7 (2)"
    assert t[t.method == "TSynD"]["earlier code (v1): accuracy"].eq("—").all()  # v1 had no such cell
    d = paper_scale.diagnostics(rows(70.0)).set_index("method")
    assert d.loc["TSynD", "seeds"] == 2 and d.loc["TSynD", "ascent move (latent std)"] == "0.5"
    assert d.loc["TSynD", "MI after (mnats)"] == "9.5"
    assert d.loc["Noise", "MI after a matched random move (mnats)"] == "—"
    assert d.loc["Noise", "kept first evaluation"] == 1  # seed 1 kept its first evaluation


def test_a_tsynd_run_stores_decoded_samples_that_the_page_reads_back(tmp_path, monkeypatch):
    # issue 32 item 1: decoded Noise and TSynD images at paper scale, stored with the run (here at smoke scale)
    import torch

    from synthmed import profiles

    monkeypatch.setenv("SYNTHMED_CACHE_DIR", str(tmp_path / "cache"))
    smoke = profiles.resolve("tsynd", "smoke")
    spec = paper_scale.experiment.make_specs(smoke, "breastmnist", 0.1, "tsynd", 0)[0]
    stored = paper_scale.samples(spec, resolved=smoke)
    assert torch.tensor(stored["tsynd"]).shape == (paper_scale.SAMPLE_IMAGES, 1, 28, 28)
    assert len(stored["mi_noise"]) == paper_scale.SAMPLE_IMAGES and stored["target"] == "baseline"
    base = paper_scale.experiment.make_specs(smoke, "breastmnist", 0.1, "baseline", 0)[0]
    assert paper_scale.samples(base, resolved=smoke) is None  # no generator
    paper_spec = paper_scale.plan(seeds=[0])[0][1]  # breastmnist-f0.1-tsynd-s0 under the paper profile
    bundle.write(paper_scale.folder(tmp_path, "v2"), paper_scale.run_name(paper_spec), "k",
                 paper_scale.run_fields(paper_spec), [], {"samples": stored})
    [(name, ex)] = paper_scale.stored_samples(tmp_path)
    assert name == "breastmnist-f0.1-tsynd-s0"
    assert torch.equal((ex["original"] * 255).round().to(torch.uint8), torch.tensor(stored["original"],
                                                                                   dtype=torch.uint8))
    from synthmed.tsynd import report

    fig, text = report.paper_scale_samples(tmp_path)
    assert len(fig.axes) == 4 * paper_scale.SAMPLE_IMAGES and "breastmnist-f0.1-tsynd-s0" in text.data
    assert "No run" in report.paper_scale_samples(tmp_path / "empty")[0].data


def test_the_ledger_counts_current_and_stale_runs_and_projects_the_rest(tmp_path):
    # issue 33: the bundles' costs on the Compute page, from what is committed
    from synthmed.gan import cpu_scale

    empty = bundle.ledger(tmp_path, ["gan"]).iloc[0]
    assert (empty["planned"], empty["current"], empty["stale"]) == (len(cpu_scale.REPLICATES), 0, 0)
    runs = cpu_scale.BUNDLE.plan(bundle.parser().parse_args(["gan", "--root", str(tmp_path)]))
    where = cpu_scale.BUNDLE.where(tmp_path)
    bundle.write(where, runs[0].name, runs[0].key, runs[0].fields, [], {"wall_s": 1800.0, "cold_s": 3600.0})
    bundle.write(where, runs[1].name, "other code", runs[1].fields, [], {"wall_s": 7200.0, "cold_s": 7200.0})
    row = bundle.ledger(tmp_path, ["gan"]).iloc[0]
    assert (row["current"], row["stale"]) == (1, 1)
    assert row["core-h per run"] == pytest.approx(1.5) and row["core-h stored"] == pytest.approx(3.0)
    # projected from the current replicate's cold cost alone: the stale one ran under other settings
    assert row["core-h left (projected)"] == pytest.approx(1.0 * (len(runs) - 1))
    text = bundle.ledger_text(bundle.ledger(tmp_path, ["gan"]))
    assert text.startswith(f"{len(runs) - 1} of {len(runs)} planned runs are still to compute")
    assert f"{1.0 * (len(runs) - 1) / 2:.1f} h of wall time on 2" in text


REPLICATE_BUNDLES = {  # chapter: (a setting that needs a value, modules its replicate's code version must reach)
    "gan": ("gan_iters", {"synthmed.gan.experiment", "synthmed.gan.runs", "synthmed.gan.train", "synthmed.gan.search",
                          "synthmed.gan.downstream", "synthmed.metrics.prdc"}),
    "imbalance": ("gan_steps", {"synthmed.imbalance.experiment", "synthmed.imbalance.cyclegan",
                                "synthmed.imbalance.train", "synthmed.imbalance.balance",
                                "synthmed.imbalance.scoring"}),
}


@pytest.mark.parametrize("chapter", sorted(REPLICATE_BUNDLES))
@pytest.mark.parametrize("bad", ["{setting}", "nonsense=3"])
def test_a_replicate_bundle_refuses_bad_overrides_before_any_compute(tmp_path, chapter, bad):
    spec = bundle.spec(chapter)
    args = bundle.parser().parse_args([chapter, "--root", str(tmp_path), "--set",
                                       bad.format(setting=REPLICATE_BUNDLES[chapter][0])])
    with pytest.raises((SystemExit, ValueError)):
        spec.plan(args)


@pytest.mark.parametrize("chapter", sorted(REPLICATE_BUNDLES))
def test_a_replicate_bundles_run_key_covers_the_code_a_replicate_runs(chapter):
    import importlib

    from synthmed import cache

    cpu_scale = importlib.import_module(f"synthmed.{chapter}.cpu_scale")
    experiment = importlib.import_module(f"synthmed.{chapter}.experiment")
    reached = set(cache.step_modules(cpu_scale.compute_replicate, experiment))
    assert REPLICATE_BUNDLES[chapter][1] <= reached


def test_the_tsynd_chapter_opens_with_the_paper_scale_targeting_comparison(tmp_path):
    # issue 32 item 6: TSynD - Noise-matched under FGSM, paired by seed, from the committed v2 rows
    from synthmed.tsynd import report

    assert "none of the" in report.paper_scale_status(tmp_path).data
    specs = paper_scale.plan(seeds=[0, 1, 2])[0]
    acc = {"TSynD": [60.0, 62.0, 64.0], "Noise-matched": [50.0, 51.0, 55.0]}
    for spec in specs:
        fields = paper_scale.run_fields(spec)
        if fields["fraction"] != 0.1 or fields["method"] not in acc:
            continue
        row = {**fields, "test_condition": "fgsm", "accuracy": acc[fields["method"]][spec.seed] / 100}
        bundle.write(paper_scale.folder(tmp_path, "v2"), paper_scale.run_name(spec), "k", fields, [row], {})
    text = report.paper_scale_status(tmp_path).data
    assert f"6 of {len(specs) * 7 // 3} planned runs committed" in text  # the default plan has seven seeds
    assert "10 %: +10.0 [" in text and "over 3 seeds" in text  # differences 10, 11, 9
    assert "paired by seed) is **supported**. " in text  # the engine's verdict, as on the paper-scale page
    # the same differences, but TSynD under FGSM below chance on balanced accuracy: the engine cannot answer
    for spec in specs:
        fields = paper_scale.run_fields(spec)
        if fields["fraction"] != 0.1 or fields["method"] not in acc:
            continue
        balanced = {"TSynD": [0.30, 0.35, 0.32], "Noise-matched": [0.20, 0.22, 0.25]}[fields["method"]][spec.seed]
        row = {**fields, "test_condition": "fgsm", "accuracy": acc[fields["method"]][spec.seed] / 100,
               "balanced_accuracy": balanced}
        bundle.write(paper_scale.folder(tmp_path, "v2"), paper_scale.run_name(spec), "k", fields, [row], {})
    text = report.paper_scale_status(tmp_path).data
    assert "paired by seed) is **not testable**: " in text and "not above chance" in text
    assert "10 %: +10.0 [" in text  # the difference is still shown, under the verdict


def test_the_paper_scale_page_shows_each_seeds_difference_under_its_pooled_claims():
    """On the committed v2 rows: one row per testable pooled claim, one dot per seed it pairs, figure closed."""
    import matplotlib.pyplot as plt

    from synthmed.tsynd import report

    rows = paper_scale.frame(paper_scale.repo_root(), "v2")
    verdicts = report.paper_scale_verdicts(rows)
    shown = [v for v in verdicts if v.claim.pool and v.verdict != "not testable"]
    if not shown or max(v.n for v in shown) < 2:
        pytest.skip("fewer than two seeds of a pooled claim are committed")
    fig, caption = report.paper_scale_pairs(rows, verdicts)
    assert not plt.fignum_exists(fig.number) and "one seed's paired difference" in caption.data
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == len(shown)
    dots = [c for c in ax.collections if c.get_gid() is None and len(c.get_offsets())]
    assert sum(len(c.get_offsets()) for c in dots) == sum(v.n for v in shown)


def test_deadline_parses_a_clock_time_as_the_next_one_and_refuses_nonsense():
    import argparse
    from datetime import datetime, timezone

    now = datetime(2026, 12, 6, 5, 30, tzinfo=timezone.utc)
    assert bundle.deadline("06:10", now) == datetime(2026, 12, 6, 6, 10, tzinfo=timezone.utc)
    assert bundle.deadline("05:00", now) == datetime(2026, 12, 7, 5, 0, tzinfo=timezone.utc)  # passed: tomorrow
    assert bundle.deadline("2026-12-08T01:02", now) == datetime(2026, 12, 8, 1, 2, tzinfo=timezone.utc)
    with pytest.raises(argparse.ArgumentTypeError, match="not a time"):
        bundle.deadline("soon", now)
    until = bundle.deadline("06:10", now)
    assert not bundle.past_deadline(2000.0, until, now)  # ends 06:03
    assert bundle.past_deadline(3000.0, until, now)  # would end 06:20
    assert bundle.past_deadline(None, until, now)  # an unknown cost is not started before a deadline
    assert not bundle.past_deadline(None, None, now)  # no deadline


def test_a_run_that_would_not_end_by_the_deadline_is_not_started(tmp_path, capsys):
    # the imbalance bundle projects its first replicate from its probes (about an hour): a deadline a minute away
    # stops the command before any compute, with its own exit status; the GAN bundle's cost is unknown at first
    from datetime import datetime, timedelta, timezone

    soon = (datetime.now(timezone.utc) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    for chapter in ("imbalance", "gan"):
        assert bundle.main([chapter, "--root", str(tmp_path), "--replicates", "0", "--deadline", soon]) == 3
        assert "would not end by the deadline" in capsys.readouterr().out
        assert not bundle.records(bundle.spec(chapter).where(tmp_path))  # nothing computed, nothing written


def test_the_worker_stops_at_the_deadline_without_computing_or_committing():
    import subprocess
    from datetime import datetime, timedelta, timezone
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout
    soon = (datetime.now(timezone.utc) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    # replicate 99: a replicate never committed (the plan takes any number)
    out = subprocess.run(["bash", "scripts/bundle_worker.sh", "imbalance", "--replicates", "99", "--deadline", soon],
                         cwd=repo, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "stopping before replicate-99-s99: past the deadline" in out.stdout
    assert subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout == head


def test_a_run_that_trained_its_vqvae_is_told_by_its_own_seconds():
    # tsynd-s0 ran on a new machine: it trained its VQ-VAE though it was not the machine name's first run
    assert paper_scale.trained_vqvae({"vqvae": 3780.0, "train_and_score": 7039.0}, first_on_machine=False)
    assert not paper_scale.trained_vqvae({"vqvae": 3780.0, "train_and_score": 420.0}, first_on_machine=True)
    assert paper_scale.trained_vqvae(None, first_on_machine=True)  # older runs: the first of their machine
    assert not paper_scale.trained_vqvae({"vqvae": None, "train_and_score": 90.0}, first_on_machine=False)


def test_a_carried_step_is_committed_once_and_restored_on_a_new_machine(tmp_path, monkeypatch):
    """Two runs share a cached step (TSynD: a seed's VQ-VAE): the first computes it and the bundle keeps its entry
    beside the runs; on a new machine (an empty cache) the second loads that entry instead of computing the step
    again, and each run's provenance says where its copy came from."""
    import torch

    from synthmed import cache

    computed = []

    def shared():
        def compute():
            computed.append(1)
            return {"w": torch.arange(3.0)}

        return cache.cached("toy_shared", compute, params={"n": 3})

    def plan(args):
        return [bundle.Run(f"r{i}", bundle.run_key("v1", f"r{i}", {}), {"i": i}, i) for i in range(2)]

    def compute(root, run, args, device):
        return [{"value": float(shared()["w"].sum()) + run.payload}], {"wall_s": 1.0}

    toy = bundle.Spec(chapter="toy", profile="cpu", folder="toy", title="Toy bundle", plan=plan, compute=compute,
                      carried=("toy_shared",))

    def run(*argv):
        p = bundle.argparse.ArgumentParser()
        bundle._common_arguments(p)
        return bundle.execute(toy, p.parse_args(["--root", str(tmp_path), *argv]))

    monkeypatch.setenv("SYNTHMED_CACHE_DIR", str(tmp_path / "machine-1"))
    assert run("--only", "r0") == 0 and computed == [1]
    where = toy.where(tmp_path)
    (kept,) = (where / "steps" / "toy_shared").glob("*.pt")
    assert json.loads(kept.with_suffix(".json").read_text())["name"] == "toy_shared"  # with its seconds
    monkeypatch.setenv("SYNTHMED_CACHE_DIR", str(tmp_path / "machine-2"))  # a new machine: nothing cached
    assert run("--only", "r1") == 0 and computed == [1]  # loaded from the bundle, not computed again
    r0, r1 = bundle.records(where)
    assert r0["provenance"]["carried"] == {"toy_shared": {"key": kept.stem, "from": "computed"}}
    assert r1["provenance"]["carried"] == {"toy_shared": {"key": kept.stem, "from": "bundle"}}
    assert r1["rows"] == [{"value": 4.0}]
    assert (tmp_path / "machine-2" / "toy_shared" / kept.name).read_bytes() == kept.read_bytes()


def test_the_tsynd_projection_adds_a_vqvae_only_where_none_is_stored(tmp_path):
    """A seed's pending runs cost what each kind added in the plan's order (the Noise run without the VQ-VAE it
    trained), plus one VQ-VAE per seed whose VQ-VAE neither the cache nor the bundle holds."""
    where = paper_scale.folder(tmp_path, "v2")
    walls = {"noise": (4000.0, 3600.0), "tsynd": (900.0, None), "noise_matched": (100.0, None),
             "baseline": (50.0, None)}
    for i, (method, (wall, vq)) in enumerate(walls.items()):
        bundle.write(where, f"{method}-s0", f"k{i}",
                     {"dataset": "breastmnist", "fraction": 0.1, "method": paper_scale.training.METHOD_LABELS[method],
                      "seed": 0},
                     [{"test_condition": "clean", "accuracy": 0.7}],
                     {"wall_s": wall, "finished": f"2026-12-06T0{i}:00:00+00:00", "machine": {"cpu": "x"},
                      "steps_cached": ["tsynd_train"] if method == "baseline" else [],
                      "seconds": {"vqvae": 3600.0, "train_and_score": wall - 10 if vq else 10.0}})
    specs, *_ = paper_scale.plan(fractions=[0.1], seeds=[1, 2])
    per_seed = 400.0 + 900.0 + 100.0 + 50.0
    assert paper_scale.projection(tmp_path, specs, stored=lambda d, s: False) == pytest.approx(2 * (per_seed + 3600))
    assert paper_scale.projection(tmp_path, specs, stored=lambda d, s: s == 1) == pytest.approx(2 * per_seed + 3600)
    baseline_only = [s for s in specs if s.train.method == "baseline"]
    assert paper_scale.projection(tmp_path, baseline_only, stored=lambda d, s: False,
                                  tsynd_cached=lambda s: True) == pytest.approx(100.0)
    # without its seed's TSynD run pending or cached, a Baseline run trains that TSynD step first (its transfer
    # source), with the VQ-VAE the step needs; Noise-matched (which replays it) and Baseline share one
    assert paper_scale.projection(tmp_path, baseline_only, stored=lambda d, s: False, tsynd_cached=lambda s: False
                                  ) == pytest.approx(2 * (50.0 + 900.0 + 3600))
    pair = [s for s in specs if s.seed == 1 and s.train.method in ("noise_matched", "baseline")]
    assert paper_scale.projection(tmp_path, pair, stored=lambda d, s: True, tsynd_cached=lambda s: False
                                  ) == pytest.approx(100.0 + 50.0 + 900.0)
    assert paper_scale.projection(tmp_path, specs, stored=lambda d, s: True, tsynd_cached=lambda s: False
                                  ) == pytest.approx(2 * per_seed)  # each seed's TSynD run is in the plan
    assert paper_scale.projection(tmp_path / "empty", specs, stored=lambda d, s: True) is None  # never timed


def test_the_tsynd_projection_uses_this_cpu_models_timings_and_what_each_run_trained(tmp_path):
    """Seed 0 on a slow machine ("slow": its runs trained their VQ-VAE), seed 1 on a fast one ("fast": its VQ-VAE
    trained by a --vqvae-only run, its runs loaded it from the bundle, so the TSynD run's own training, longer than
    the VQ-VAE's, must not be read as a VQ-VAE training)."""
    where = paper_scale.folder(tmp_path, "v2")
    label = paper_scale.training.METHOD_LABELS
    runs = [("noise", 0, "slow", 4400.0, 3600.0, None), ("tsynd", 0, "slow", 7600.0, 3600.0, None),
            ("noise", 1, "fast", 600.0, 1500.0, "bundle"), ("tsynd", 1, "fast", 3400.0, 1500.0, "bundle")]
    for i, (method, seed, cpu, wall, vq, source) in enumerate(runs):
        carried = {"carried": {"tsynd_vqvae": {"key": "k", "from": source}}} if source else {}
        bundle.write(where, f"{method}-s{seed}", f"k{i}",
                     {"dataset": "breastmnist", "fraction": 0.1, "method": label[method], "seed": seed},
                     [{"test_condition": "clean", "accuracy": 0.7}],
                     {"wall_s": wall, "finished": f"2026-12-06T0{i}:00:00+00:00", "machine": {"cpu": cpu},
                      "steps_cached": [], "seconds": {"vqvae": vq, "train_and_score": wall - 100}, **carried})
    # a fast-machine TSynD run that resumed another process's checkpoint: its wall time is not its cost
    bundle.write(where, "tsynd-s3", "k9", {"dataset": "breastmnist", "fraction": 0.1, "method": label["tsynd"],
                                           "seed": 3}, [{"test_condition": "clean", "accuracy": 0.7}],
                 {"wall_s": 2100.0, "finished": "2026-12-06T09:00:00+00:00", "machine": {"cpu": "fast"},
                  "steps_cached": [], "steps_resumed": ["tsynd_train"],
                  "seconds": {"vqvae": 1500.0, "train_and_score": 2000.0},
                  "carried": {"tsynd_vqvae": {"key": "k", "from": "bundle"}}})
    bundle.write(where / paper_scale.VQVAE_FOLDER, "breastmnist-vqvae-s1", "v1", {"dataset": "breastmnist", "seed": 1},
                 [], {"wall_s": 1500.0, "machine": {"cpu": "fast"}, "seconds": {"vqvae": 1500.0},
                      "carried": {"tsynd_vqvae": {"key": "k", "from": "computed"}}})
    timed = paper_scale.timed_runs(paper_scale.frame(tmp_path, "v2"), marginal=True)
    assert timed["with_vqvae"].tolist() == [True, False, True, False]  # slow noise, fast noise, slow/fast tsynd
    vq = paper_scale.vqvae_timings(tmp_path, timed)
    assert sorted(zip(vq["machine"], vq["seconds"])) == [("fast", 1500.0), ("slow", 3600.0), ("slow", 3600.0)]
    specs, *_ = paper_scale.plan(fractions=[0.1], seeds=[2], methods=["noise", "tsynd"])
    none_stored = {"stored": lambda d, s: False}
    assert paper_scale.projection(tmp_path, specs, cpu="fast", **none_stored) == pytest.approx(600 + 3400 + 1500)
    assert paper_scale.projection(tmp_path, specs, cpu="slow", **none_stored) == pytest.approx(800 + 4000 + 3600)
    everyone = paper_scale.projection(tmp_path, specs, **none_stored)  # no CPU model, or one never seen: all runs
    assert everyone == pytest.approx(700 + 3700 + (1500 + 3600 + 3600) / 3)
    assert paper_scale.projection(tmp_path, specs, cpu="other", **none_stored) == pytest.approx(everyone)


def test_projections_prefer_the_runs_of_this_cpu_model(tmp_path):
    assert bundle.on_cpu(["a", "b", "a"], "a") == [True, False, True]
    assert bundle.on_cpu(["a", "b"], "c") == [True, True] and bundle.on_cpu(["a", "b"], None) == [True, True]
    assert bundle.on_cpu([], "a") == []
    where = tmp_path / "bundle"
    for r, (cpu, cost) in enumerate([("slow", 6000.0), ("fast", 3000.0), ("fast", 3400.0)]):
        bundle.write(where, f"replicate-{r:02d}-s{r}", f"k{r}", {"replicate": r, "seed": r}, [],
                     {"wall_s": cost + 50, "cold_s": cost + 50, "cpu_s": cost, "machine": {"cpu": cpu}})
    todo = [bundle.Run("replicate-09-s9", "k9", {}), bundle.Run("replicate-10-s10", "k10", {})]
    assert bundle.mean_projection(where, todo, "fast") == pytest.approx(2 * 3200.0)
    assert bundle.mean_projection(where, todo, "slow") == pytest.approx(2 * 6000.0)
    assert bundle.mean_projection(where, todo) == pytest.approx(2 * 12400.0 / 3)

    def plan(replicates):
        return [bundle.Run(f"replicate-{r:02d}-s{r}", f"k{r}", {}) for r in replicates]

    status = bundle.replicate_status(where, plan, lambda r, s: f"replicate-{r:02d}-s{s}")
    assert bundle.current_projection(status, todo, "fast") == pytest.approx(2 * 3200.0)
    assert bundle.current_projection(status, todo, "unseen") == pytest.approx(2 * 12400.0 / 3)
    # a stale replicate on this CPU model does not count; the current ones of other models do
    assert bundle.current_projection(status.assign(current=[False, True, True]), todo, "slow") == pytest.approx(6400.0)


def test_a_vqvae_kept_by_the_bundle_counts_as_stored(tmp_path, monkeypatch):
    from synthmed import cache

    monkeypatch.setenv("SYNTHMED_CACHE_DIR", str(tmp_path / "cache"))
    assert not paper_scale.vqvae_stored("breastmnist", 7, tmp_path)
    with pytest.raises(cache.CacheMiss) as miss, cache.hits_only():
        paper_scale.experiment.get_vqvae("breastmnist", paper_scale.experiment.vqvae_config(paper_scale.settings()),
                                         7, progress=False)
    assert miss.value.name == "tsynd_vqvae" and len(miss.value.key) == 24
    kept = bundle.steps_folder(paper_scale.folder(tmp_path, "v2")) / "tsynd_vqvae" / f"{miss.value.key}.pt"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"")
    assert paper_scale.vqvae_stored("breastmnist", 7, tmp_path)
    assert not paper_scale.vqvae_stored("breastmnist", 8, tmp_path)  # another seed's VQ-VAE is not that one


def test_the_page_names_a_seed_whose_runs_trained_their_vqvae_twice():
    # seed 0's Noise run and its TSynD run fell into two sittings, each with an empty cache: each trained a VQ-VAE
    prov = paper_scale.provenance(ROOT, "v2")
    s0 = prov[prov["seed"] == 0].set_index("run")["trained_vqvae"]
    assert s0["breastmnist-f0.1-noise-s0"] and s0["breastmnist-f0.1-tsynd-s0"]
    assert not s0["breastmnist-f0.1-baseline-s0"]
    text = paper_scale.provenance_text(prov, "v2")
    assert "In seed(s) 0, more than one run trained the seed's VQ-VAE" in text
    one = prov.assign(trained_vqvae=prov["run"].str.contains("noise-s0"))  # one VQ-VAE per seed: nothing to say
    assert paper_scale.vqvae_sharing_text(one) == ""
    carried = {"carried": {"tsynd_vqvae": {"key": "k", "from": "bundle"}}, "seconds": {"vqvae": 9.0,
                                                                                      "train_and_score": 99.0}}
    assert not paper_scale.trained_vqvae(carried["seconds"], True, carried["carried"])  # carried wins


def test_replicate_status_reports_the_cost_from_an_empty_cache_not_a_resumed_wall_time(tmp_path):
    # GAN replicate-00 resumed with 8 of its 14 GANs cached: 0.87 h of wall time, 1.75 h from an empty cache
    where = tmp_path / "bundle"
    for r, prov in enumerate([{"wall_s": 3116.0, "cold_s": 6316.0}, {"wall_s": 900.0},
                              {"wall_s": 20.0, "steps_cached": ["gan_zoo"]}]):
        bundle.write(where, f"replicate-{r:02d}-s{r}", f"k{r}", {"replicate": r, "seed": r}, [], prov)

    def plan(replicates):
        return [bundle.Run(f"replicate-{r:02d}-s{r}", f"k{r}", {}) for r in replicates]

    status = bundle.replicate_status(where, plan, lambda r, s: f"replicate-{r:02d}-s{s}")
    assert status["cold_s"].tolist()[:2] == [6316.0, 900.0] and status["cold_s"].isna().tolist()[2]
    assert status["current"].all()
    todo = plan([5, 6])
    assert bundle.current_projection(status, todo) == 2 * (6316.0 + 900.0) / 2  # the unknown cost is left out
    stale0 = status.assign(current=[False, True, True])  # a stale replicate's cost does not project today's
    assert bundle.current_projection(stale0, todo) == 2 * 900.0
    assert bundle.current_projection(status.assign(current=[False, False, True]), todo) is None
    assert bundle.current_projection(status.iloc[:0], todo) is None


def test_the_status_gives_each_cpu_models_cost_over_the_current_replicates():
    status = pd.DataFrame({"run": ["r0", "r1", "r3", "r9"], "replicate": [0, 1, 3, 9], "seed": [0, 1, 3, 9],
                           "commit": ["a", "b", "b", "c"], "cpu": ["Intel", "AMD", "AMD", "AMD"],
                           "cold_s": [6316.0, 4400.0, 4600.0, None], "current": [False, True, True, True],
                           "key": list("wxyz")})
    text = bundle.status_text(status, "`x/`")
    assert "one replicate costs one core, from an empty cache, 1.25 h on AMD (mean of 2 current replicates). " in text
    assert "Intel (mean" not in text  # the stale replicate ran other settings
    stale = bundle.status_text(status.assign(current=False), "`x/`")
    assert "1.75 h on Intel (mean of 1 replicate); 1.25 h on AMD (mean of 2 replicates). " in stale
    assert "costs" not in bundle.status_text(status.assign(cold_s=None), "`x/`")  # no cost known: nothing said


def test_tables_and_verdicts_pool_only_current_replicates_when_any_is_current(tmp_path):
    # GAN replicate 0 at the downstream batch 64 (stale) beside replicate 1 at batch 32 (current): pooling them
    # would pair arms trained under different settings
    where = tmp_path / "bundle"
    for r in (0, 1, 2):
        rows = [{"frame": "table3", "replicate": r, "strategy": "real", "g_mean": 0.5 + r / 10},
                {"frame": "trunk", "replicate": 0, "accuracy": 0.9}]  # a row naming another replicate
        bundle.write(where, f"replicate-{r:02d}-s{r}", "old" if r == 0 else f"k{r}", {"replicate": r, "seed": r},
                     rows, {"wall_s": 10.0})

    def plan(replicates):
        return [bundle.Run(f"replicate-{r:02d}-s{r}", f"k{r}", {}) for r in replicates]

    status = bundle.replicate_status(where, plan, lambda r, s: f"replicate-{r:02d}-s{s}")
    frames = bundle.current_only(bundle.replicate_frames(where), status)
    assert frames["table3"]["replicate"].tolist() == [1, 2] and len(frames["trunk"]) == 2
    assert bundle.stale_text(status).startswith("1 of them was computed by code or settings other than today's")
    assert "leave it out and use the 2 current ones" in bundle.stale_text(status)
    stale = status.assign(current=False)  # nothing current: every replicate is shown, as what earlier code gave
    assert bundle.current_only(bundle.replicate_frames(where), stale)["table3"]["replicate"].tolist() == [0, 1, 2]
    assert bundle.stale_text(stale).endswith("they show what that code gave until the worker recomputes them.")
    assert bundle.stale_text(status.assign(current=True)) == "Every one was computed by today's code and settings."


def test_a_vqvae_only_run_trains_and_commits_a_seeds_vqvae_for_later_sittings(tmp_path, monkeypatch, capsys):
    # `tsynd --vqvae-only`: a seed's VQ-VAE (an hour of one core at paper scale; here the smoke profile's) as a
    # run of its own, recorded under vqvae/ and kept under steps/, so that the seed's runs need not train it
    from synthmed import profiles

    smoke = profiles.resolve("tsynd", "smoke")
    monkeypatch.setattr(paper_scale, "settings", lambda: smoke)
    monkeypatch.setenv("SYNTHMED_CACHE_DIR", str(tmp_path / "machine-1"))
    assert not paper_scale.vqvae_stored("breastmnist", 3, tmp_path)
    args = ["tsynd", "--root", str(tmp_path), "--vqvae-only", "--seeds", "3"]
    assert bundle.main([*args, "--dry-run"]) == 0
    assert "   breastmnist-vqvae-s3" in capsys.readouterr().out
    assert bundle.main(args) == 0
    where = paper_scale.folder(tmp_path, "v2")
    (rec,) = bundle.records(where / paper_scale.VQVAE_FOLDER)
    assert rec["run"] == {"dataset": "breastmnist", "seed": 3, "step": "tsynd_vqvae"}
    assert rec["rows"][0]["latent_std"] > 0 and rec["provenance"]["carried"]["tsynd_vqvae"]["from"] == "computed"
    assert not bundle.records(where)  # not one of the bundle's result runs
    monkeypatch.setenv("SYNTHMED_CACHE_DIR", str(tmp_path / "machine-2"))  # the next sitting: an empty cache
    assert paper_scale.vqvae_stored("breastmnist", 3, tmp_path)  # the bundle keeps it
    assert bundle.main([*args, "--dry-run"]) == 0
    assert "1 of 1 runs already" in capsys.readouterr().out
