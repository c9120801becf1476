"""The class-imbalance chapter's CPU-scale bundle (issue 34, item 5): its plan, one tiny replicate written with
provenance and resumed, and what the page makes of zero and of a few committed replicates."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from synthmed import bundle
from synthmed.imbalance import cpu_scale, cyclegan, report

from conftest import copy_replicate, requires_data, tiny_replicate

# a smoke-sized replicate: the small CNN at 32 px for one epoch, a CycleGAN of width 4 for 40 steps (seconds)
TINY = ["gan_steps=40", "gan_width=4", "gan_blocks=1", "gan_batch=2", "epochs=1", "backbones=smallcnn",
        "image_size=32"]


def _args(root, *argv):
    return bundle.parser().parse_args(["imbalance", "--root", str(root), *argv])


def test_the_dry_run_lists_the_replicates_in_order_with_distinct_keys(tmp_path, capsys):
    assert bundle.spec("imbalance") is cpu_scale.BUNDLE
    assert "imbalance_cpu" in bundle.verdict_chapters()
    assert bundle.main(["imbalance", "--root", str(tmp_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    listed = [line.strip() for line in out.splitlines() if line.startswith("   ")]
    assert listed == [cpu_scale.run_name(r, r) for r in cpu_scale.REPLICATES] and len(listed) >= 9
    assert f"0 of {len(listed)} runs already in {tmp_path}/results/cpu/imbalance" in out
    hours = len(listed) * cpu_scale.REPLICATE_CPU_S / 3600  # before any replicate: the probes' estimate
    assert f"projected {hours:.1f} h" in out and hours <= 12
    runs = cpu_scale.BUNDLE.plan(_args(tmp_path))
    assert len({r.key for r in runs}) == len(runs)
    assert [r.payload.seed for r in runs] == [r.fields["seed"] for r in runs] == cpu_scale.REPLICATES
    spec = runs[0].payload  # Exp 1 with every arm and both controls, the chapter's RunSpec
    assert spec.experiment == "nih_patient" and spec.variants == cpu_scale.VARIANTS
    assert {"real_oversample", "real_weighted"} <= set(spec.variants) and spec.image_size == 64
    assert spec.backbone == cpu_scale.BACKBONE and spec.gan.steps == cpu_scale.GAN_STEPS
    assert set(cpu_scale.CPU) | {"seed"} <= set(cpu_scale.CPU_SOURCES)
    other = cpu_scale.BUNDLE.plan(_args(tmp_path, "--set", "gan_steps=10", "--replicates", "0"))
    assert other[0].key != runs[0].key and other[0].name == runs[0].name  # a setting is in the key
    moved = replace(runs[0].payload, root="/elsewhere", device="cuda")  # where it runs is not in the key
    assert cpu_scale.key_settings(moved) == cpu_scale.key_settings(runs[0].payload)


@requires_data("nih/NIH1000_metadata.csv")
def test_a_tiny_replicate_is_written_with_provenance_and_skipped_the_next_time(tmp_path, cache_dir, capsys):
    rec = tiny_replicate("imbalance", tmp_path, TINY, capsys)
    prov = rec["provenance"]
    assert set(prov["steps"]) == {"imbalance_replicate"} and prov["settings"]["gan"]["steps"] == 40
    assert {"imbalance_cyclegan", "imbalance_classifier", "imbalance_scores"} <= set(prov["seconds"])
    frames = cpu_scale.BUNDLE.frames(tmp_path)
    assert {"runs", "history", "gan", "gan_check"} <= set(frames)
    runs = frames["runs"]
    assert set(runs["variant"]) == set(cpu_scale.VARIANTS) and set(runs["seed"]) == {1}
    assert set(runs["threshold_rule"]) == {"0.5", "val_spec"}
    assert frames["gan"]["step"].iloc[-1] == 40 and list(frames["gan_check"]["steps"]) == [40]
    verdicts, shown = report.cpu_section(runs, report.cpu_settings(), root=tmp_path)
    assert "1 replicate of Exp 1 committed" in shown[0].data and len(shown) == 3
    assert all(v.claim.paper == report.CPU_PAPER and v.claim.chapter == "imbalance_cpu" for v in verdicts)
    assert all(v.verdict == "not testable" or v.n <= 1 for v in verdicts)  # one replicate decides nothing
    copy_replicate("imbalance", tmp_path, rec, (2, 3))  # two more replicates: the replicate is the pair
    verdicts, shown = report.cpu_section(runs, report.cpu_settings(), root=tmp_path)
    assert "3 replicates of Exp 1 committed" in shown[0].data and "seeds 1, 2, 3" in shown[0].data
    assert {v.claim.paper for v in verdicts} == {report.CPU_PAPER}
    assert any(v.claim.primary for v in verdicts)


def test_with_no_replicate_committed_the_page_says_so_and_judges_nothing(tmp_path):
    verdicts, shown = report.cpu_section(pd.DataFrame(), report.cpu_settings(), root=tmp_path)
    assert verdicts == [] and len(shown) == 1
    assert "no replicate of the bundle is committed yet" in shown[0].data
    assert "scripts/bundle_worker.sh imbalance" in shown[0].data


def test_the_bundle_claims_are_exp1s_with_the_controls_in_their_own_family():
    rows = [{"experiment": "nih_patient", "variant": v, "backbone": cpu_scale.BACKBONE, "seed": s,
             "threshold_rule": rule, "sensitivity": 0.5, "specificity": 0.5, "balanced_accuracy": 0.5,
             "roc_auc": 0.5} for v in cpu_scale.VARIANTS for s in (0, 1) for rule in ("0.5", "val_spec")]
    cs = report.cpu_claims(pd.DataFrame(rows))
    ids = {c.id for c in cs}
    assert cs and all(c.id.endswith("-cpu") and c.paper == report.CPU_PAPER for c in cs) and len(ids) == len(cs)
    assert "imbalance-ensemble-vs-real-sensitivity-cpu" in ids  # the paper's headline
    assert {"imbalance-exp1-synth-vs-oversample-sensitivity-cpu",
            "imbalance-exp1-synth-vs-weighted-roc_auc-cpu"} <= ids  # the controls
    assert not any("pneumonia" in i or "vgg16" in i for i in ids)  # only Exp 1, only what the bundle trains
    assert all(c.section == f"imbalance.html#claim-{c.id}" for c in cs)


def test_the_stopping_check_reads_the_fall_before_the_decay():
    steps = list(range(10, 1001, 10))
    falling = pd.DataFrame({"step": steps, "cycle": [1.0 - s / 1000 for s in steps]})
    flat = pd.DataFrame({"step": steps, "cycle": [1.0 if s < 300 else 0.5 for s in steps]})
    assert not cyclegan.plateau(falling)["plateaued"] and cyclegan.plateau(flat)["plateaued"]
    assert cyclegan.plateau(flat)["cycle_first"] == 1.0 and cyclegan.plateau(flat)["cycle_last"] == 0.5
