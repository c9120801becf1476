"""Thresholds, the paper's Table 1 check and the chapter's generated text, on hand-worked inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthmed import claims
from synthmed.imbalance import paper_check, report, scoring, train


def test_threshold_for_specificity_hand_worked():
    prob = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.9, 0.35])
    labels = np.array([0, 0, 0, 0, 0, 1, 1])
    # 5 negatives: specificity >= 0.8 needs 4 of them at or below t -> t = 4th smallest negative score
    assert scoring.threshold_for_specificity(prob, labels, 0.8) == 0.4
    assert scoring.threshold_for_specificity(prob, labels, 0.6) == 0.3
    with pytest.raises(ValueError, match="in \\(0, 1\\]"):
        scoring.threshold_for_specificity(prob, labels, 0.0)


def test_score_run_separates_a_prior_shift_from_a_better_ranking():
    """Scores shifted upwards (as more training positives do) raise sensitivity at 0.5 with specificity falling;
    at a threshold fixed on validation specificity both classifiers score the same: same ranking, same AUC."""
    rng = np.random.default_rng(0)
    labels = np.r_[np.zeros(200), np.ones(200)].astype(int)
    logits = rng.normal(size=400) + labels
    low, high = 1 / (1 + np.exp(-(logits - 1.5))), 1 / (1 + np.exp(-(logits + 0.5)))
    a = {r["threshold_rule"]: r for r in scoring.score_run(low, labels, low, labels)}
    b = {r["threshold_rule"]: r for r in scoring.score_run(high, labels, high, labels)}
    assert b["0.5"]["sensitivity"] > a["0.5"]["sensitivity"] + 0.3
    assert b["0.5"]["specificity"] < a["0.5"]["specificity"] - 0.3
    assert b["val_spec"]["sensitivity"] == pytest.approx(a["val_spec"]["sensitivity"])
    assert a["val_spec"]["specificity"] >= 0.8 and a["0.5"]["roc_auc"] == pytest.approx(b["0.5"]["roc_auc"])


def test_table1_check_from_the_papers_figures():
    table, facts = paper_check.table1_check()
    assert table.ensemble_equals_last_recall.all()  # ensemble column = last-epoch validation recall
    assert (facts["denominator_real"], facts["denominator_real_meta"], facts["denominator_ensemble"]) == (30, 30, 28)
    assert (facts["denominator_fig_recall"], facts["denominator_fig_accuracy"]) == (84, 201)
    assert paper_check.denominator([0.5, 0.25]) == 4 and paper_check.denominator([0.314159], max_n=100) is None
    _, text = report.table1_check()
    assert "equals the recall of the last epoch" in text and "1/84" in text and "never of 1/63 or 1/64" in text


def test_table1_analysis_hand_checked():
    """Issue 21's arithmetic, from the paper's printed numbers: ensemble 23/28 = 69/84 and 22/28 = 66/84; real
    columns 17/30, 22/30, 12/30, 19/30, 18/30, 26/30; 212 x 0.3 = 63.6; the ensemble values recur at ResNet-50
    epoch 7, DenseNet-121 epoch 6, VGG-16 epoch 8."""
    a = paper_check.table1_analysis()
    assert a["ensemble_denominators"] == [28, 56, 84] and a["real_denominators"] == [30, 60, 90]
    assert a["test_positives"] == (63, 64) and not a["test_fits_real"]
    assert a["fig_positives"] == 84 > a["test_positives"][1] and a["fig_images"] == 201
    assert a["val_positives_reading"] == pytest.approx(212 * 0.7 * 0.2)
    assert a["matches"] == {"resnet50": [7, 10], "densenet121": [6, 9], "vgg16": [8, 10]}
    assert paper_check.consistent_denominators([0.5, 0.25], [1e-9, 1e-9], range(1, 9)) == [4, 8]
    text = report.table1_text()
    assert "ResNet-50 epoch 7, DenseNet-121 epoch 6, VGG-16 epoch 8" in text and "exceed the 64" in text


def _results(gain: float, seeds=range(5)) -> pd.DataFrame:
    rows = []
    for s in seeds:
        for variant, shift in (("real", 0.0), ("real_meta", gain)):
            for rule in ("0.5", "val_spec"):
                rows.append({"experiment": "nih_patient", "variant": variant, "backbone": "smallcnn", "seed": s,
                             "threshold_rule": rule, "sensitivity": 0.5 + shift + 0.01 * s * (1 + (shift != 0)),
                             "specificity": 0.7, "balanced_accuracy": 0.6 + shift / 2 + 0.01 * s,
                             "roc_auc": 0.65 + shift / 2, "constant": False, "majority_rate": 0.63,
                             "n_train_neg": 256, "n_train_pos": 78})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("gain, expected", [(0.1, "supported"), (-0.1, "contradicted")])
def test_generated_text_follows_the_results(gain, expected):
    verdicts = claims.judge_all(report.load_claims(), _results(gain), profile="quick")
    by_id = {v.claim.id: v for v in verdicts}
    assert by_id["imbalance-meta-vs-real-sensitivity-0.5"].verdict == expected
    assert by_id["imbalance-pneumonia-synth-vs-real-sensitivity-0.5"].verdict == "not testable"
    text = report.findings(_results(gain), verdicts, 5)
    assert "interval above 50" in text and ("none" not in text.split("above 50")[1].split("\n")[0])
    assert "test majority-class rate 63.0" in text
    shift = report.prior_shift_text(verdicts)
    assert ("ranks positives better" in shift) == (gain > 0)
    grid = report.headline_grid(_results(gain), verdicts)
    assert grid.cells.shape == (2, 4)  # two classifiers; 3 metrics at threshold 0.5 + ROC-AUC
    assert report.headline_grid(_results(gain), verdicts, "val_spec").cells.shape == (2, 3)
    with pytest.raises(ValueError, match="val_spec"):
        report.headline_grid(_results(gain), verdicts, "0.3")


def test_claims_file_covers_the_issue():
    cs = report.load_claims()
    ids = {c.id for c in cs}
    for cmp in ("meta-vs-real", "synth-meta-vs-meta", "pneumonia-synth-vs-real"):
        for metric in ("sensitivity", "specificity", "balanced_accuracy"):
            assert {f"imbalance-{cmp}-{metric}-0.5", f"imbalance-{cmp}-{metric}-val_spec"} <= ids
    for cmp in ("synth-vs-real", "oversample-vs-real", "weighted-vs-real", "synth-vs-oversample",
                "synth-vs-weighted"):
        for metric in ("sensitivity", "balanced_accuracy"):
            assert {f"imbalance-pneumonia-{cmp}-{metric}-0.5", f"imbalance-pneumonia-{cmp}-{metric}-val_spec"} <= ids
        assert f"imbalance-pneumonia-{cmp}-roc_auc" in ids
    assert {"imbalance-resnet50-ensemble-vs-meta-sensitivity", "imbalance-densenet121-ensemble-vs-meta-sensitivity",
            "imbalance-vgg16-meta-vs-ensemble-sensitivity"} <= ids


def test_every_claim_names_its_experiment_origin_and_why():
    cs = report.load_claims()
    for c in cs:
        assert c.text.startswith(("Exp 1 (", "Exp 2 (", "Exp 3 (")), c.id
        assert c.origin in ("paper", "ours"), c.id
        assert c.origin == "paper" or c.why.startswith("ours:"), c.id
        assert c.pair_on == ("seed",), c.id  # backbones sharing a seed are not replications
        if c.metric in ("specificity", "balanced_accuracy"):
            assert c.origin == "ours", c.id  # the paper reports sensitivity only
        if c.margin:
            assert "margin of 5" in c.why, c.id
        if c.metric == "roc_auc":
            assert c.threshold is False, c.id
    primary = [c for c in cs if c.primary]
    assert [c.id for c in primary] == ["imbalance-ensemble-vs-real-sensitivity"]
    assert primary[0].origin == "paper" and primary[0].pool == ()
    assert primary[0].a["threshold_rule"] == primary[0].b["threshold_rule"] == "val_spec"  # 0.5: constant
    assert "imbalance-ensemble-vs-real-sensitivity-0.5" in {c.id for c in cs}  # the 0.5 reading, per cell


def _settings(profile):
    from synthmed import profiles
    return profiles.resolve("imbalance", profile)


def test_prepare_claims_computes_paper_sizes_and_marks_what_cannot_be_tested():
    table = pd.read_csv(paper_check.Path(report.__file__).parent.parent / "reference" / "imbalance_table1.csv",
                        comment="#").set_index("model")
    res = _results(0.1)  # smallcnn only, real and real_meta only
    res = pd.concat([res, res[res.variant == "real"].assign(variant="real_synth_meta")], ignore_index=True)
    cs = {c.id: c for c in report.prepare_claims(report.load_claims(), res, _settings("quick"))}
    # a variant this profile did not run: the one selection rule marks the claim, naming what is missing
    assert cs["imbalance-pneumonia-synth-vs-real-sensitivity-0.5"].untestable.startswith(
        "not run under the `quick` profile: no run has experiment=pneumonia_minority")
    head = cs["imbalance-ensemble-vs-real-sensitivity"]
    assert head.paper_diff == pytest.approx(100 * (table.ensemble - table.real).mean())
    assert cs["imbalance-vgg16-meta-vs-ensemble-sensitivity"].paper_diff == pytest.approx(
        100 * (table.real_meta - table.ensemble)["vgg16"])  # the paper's exception: positive in its direction
    assert "VGG-16 86.7 vs 78.6" in cs["imbalance-vgg16-meta-vs-ensemble-sensitivity"].paper_figure
    assert cs["imbalance-meta-vs-real-specificity-0.5"].paper_diff is None  # Table 1 has no specificity
    assert cs["imbalance-pneumonia-synth-vs-real-sensitivity-0.5"].paper_diff is None  # not the paper's data
    for bb in ("resnet50", "densenet121"):
        reason = cs[f"imbalance-{bb}-ensemble-vs-meta-sensitivity"].untestable
        assert "does not train" in reason and "smallcnn" in reason
    assert not head.untestable
    # the quick CycleGAN caveat is the page's, stated once (minute_parts), and rides on no claim
    assert not any("steps" in (c.why or "") for c in cs.values())
    paper = {c.id: c for c in report.prepare_claims(report.load_claims(), res.assign(backbone="vgg16"),
                                                    _settings("paper"))}
    assert "steps" not in paper["imbalance-pneumonia-synth-vs-oversample-roc_auc"].why
    assert not paper["imbalance-vgg16-meta-vs-ensemble-sensitivity"].untestable
    verdicts = claims.judge_all(list(cs.values()), res, profile="quick")
    by_id = {v.claim.id: v for v in verdicts}
    assert by_id["imbalance-densenet121-ensemble-vs-meta-sensitivity"].verdict == "not testable"


def _exp2(synth_gain: float, seeds=range(5)) -> pd.DataFrame:
    """Exp 2 rows: real < weighted = oversample (rebalancing), real_synth better by ``synth_gain`` again."""
    rows = []
    for s in seeds:
        for variant, shift in (("real", 0.0), ("real_weighted", 0.05), ("real_oversample", 0.05),
                               ("real_synth", 0.05 + synth_gain)):
            for rule in ("0.5", "val_spec"):
                rows.append({"experiment": "pneumonia_minority", "variant": variant, "backbone": "smallcnn",
                             "seed": s, "threshold_rule": rule,
                             "sensitivity": 0.6 + shift + 0.02 * (s % 2) + 0.01 * s * (variant == "real_synth"),
                             "specificity": 0.8 - 0.01 * s, "balanced_accuracy": 0.7 + shift / 2 + 0.01 * s,
                             "roc_auc": 0.8 + shift + 0.003 * s * (variant == "real_synth"), "constant": False,
                             "majority_rate": 0.62, "n_train_neg": 1214, "n_train_pos": 368,
                             "target_specificity": float("nan") if rule == "0.5" else 0.8,
                             "val_specificity": 0.8 + 0.01 * s, "val_sensitivity": 0.7})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("gain, expected", [(0.12, "supported"), (-0.12, "contradicted")])
def test_exp2_controls_are_judged_and_answered_in_one_sentence(gain, expected):
    res = _exp2(gain)
    cs = report.prepare_claims(report.load_claims(), res, _settings("quick"))
    verdicts = claims.judge_all(cs, res, profile="quick")
    by_id = {v.claim.id: v for v in verdicts}
    for m in ("sensitivity-0.5", "sensitivity-val_spec", "roc_auc"):
        assert by_id[f"imbalance-pneumonia-synth-vs-oversample-{m}"].verdict == expected
    assert by_id["imbalance-pneumonia-synth-vs-real-sensitivity-0.5"].verdict == expected
    assert by_id["imbalance-meta-vs-real-sensitivity-0.5"].verdict == "not testable"  # Exp 1 did not run
    text = report.experiment_answers(res, verdicts)
    assert text.count("\n") == 0 and text.startswith("- **Exp 2**")  # one experiment ran: one sentence
    assert f"**{expected}**" in text.split("against `real`")[0]
    note = report.caveat_note(verdicts, _settings("quick"))
    on_synth = sum(v.verdict != "not testable" and "real_synth" in (v.claim.a["variant"], v.claim.b["variant"])
                   for v in verdicts)
    assert note.startswith(f"{on_synth} of these verdicts")
    assert "caveat at the top" in note
    grid = report.headline_grid(res, verdicts)
    assert grid.cells.shape == (4, 4)


def test_threshold_audit_and_shift_text_from_the_runs():
    import torch
    res = _exp2(0.0)
    audit = report.threshold_audit(res)
    row = audit.loc[("2: PneumoniaMNIST", "real", "validation-specificity threshold")]
    assert row["validation target specificity"] == 80.0
    assert row["validation specificity"] == pytest.approx(100 * np.mean([0.8 + 0.01 * s for s in range(5)]))
    assert row["test specificity"] == pytest.approx(100 * np.mean([0.8 - 0.01 * s for s in range(5)]))
    assert np.isnan(audit.loc[("2: PneumoniaMNIST", "real", "threshold 0.5")]["validation target specificity"])
    outputs = [{"runs": [{"experiment": "pneumonia_minority", "val_labels": torch.tensor([0] * 3 + [1] * 9),
                          "test_labels": torch.tensor([0] * 6 + [1] * 10), "train_counts": [20, 6]}]}]
    text = report.shift_text(outputs, res)
    assert "3 normal / 9 pneumonia (75.0 % pneumonia)" in text and "6 normal / 10 pneumonia (62.5 %" in text
    assert "target 80 %" in text and "below its target" in text


def test_patient_concentration_counts_heavy_patients():
    frame = pd.DataFrame({"patient_id": [1] * 5 + [2] * 2 + [3, 4], "split": ["train"] * 7 + ["test", "train"],
                          "label": [1, 1, 1, 1, 0, 1, 0, 1, 1]})
    kept = frame.drop(index=[0, 1])  # a seed's subsample keeps 2 of patient 1's 4 positives
    outputs = [{"runs": [{"experiment": "nih_patient"}], "split": kept}]
    text = report.patient_concentration(frame, outputs, cap=3)
    assert "1 patients (those with more than 3 images" in text and "supply 4 of the 6 positive" in text
    assert "supply 50–50 % of the positives (1 runs)" in text  # 2 of the 4 kept positives


def test_paper_vs_ours_marks_matches_from_the_settings():
    t = report.paper_vs_ours()
    assert t.loc["backbones", ""] == "matches" and t.loc["image size", ""] == "differs"
    assert t.loc["fusion", ""] == "paper silent: ours" and "60% / 20% / 20%" in t.loc["split", "paper profile"]
    from synthmed import profiles
    big = profiles.resolve("imbalance", "paper", image_size=256, weights={"resnet50": "w.pt"})
    t = report.paper_vs_ours(big)
    assert t.loc["image size", ""] == "matches" and t.loc["pretraining", ""] == "matches"


@pytest.mark.data
def test_selection_rule_table_against_the_metadata_file():
    """The counts of issue 21's readings, computed here with plain pandas on Data_Entry_2017.csv."""
    import os
    from pathlib import Path
    csv = Path(os.environ.get("SYNTHMED_DATA_ROOT", "/nonexistent")) / "nih" / "Data_Entry_2017.csv"
    if not csv.exists():
        pytest.skip("Data_Entry_2017.csv not present under $SYNTHMED_DATA_ROOT/nih")
    from synthmed.data.nih import select_pneumonia
    rules = report.selection_rules(csv).set_index("rule").positives
    d = pd.read_csv(csv)
    pn = d["Finding Labels"].str.contains(r"(?:^|\|)Pneumonia(?:\||$)")
    first = d["Follow-up #"] == 0
    assert rules["first visit (follow-up 0), Pneumonia among the findings"] == (first & pn).sum() == 178
    assert int((select_pneumonia(csv).label == 1).sum()) == 178  # the reading Exp 3 uses
    assert rules["first visit, Pneumonia the only finding"] == 58
    assert rules["follow-up 0 or 1, Pneumonia among the findings"] == 310
    assert rules["first visit, Pneumonia among the findings, age at most 100"] == 177
    assert rules["first visit, Pneumonia among the findings, PA view only"] == 141
    assert rules["first visit, Pneumonia among the findings, patients with more than one image"] == 99
    assert rules["every Pneumonia image (any visit)"] == pn.sum()
    assert rules["each patient's earliest Pneumonia image (any visit)"] == d[pn]["Patient ID"].nunique()
    assert report.PAPER_POSITIVES not in set(rules)
    assert "None of the 8 readings" in report.selection_text(csv, report.selection_rules(csv))


def test_the_cyclegan_caveat_is_stated_once_on_the_page_and_the_minute_says_what_ran():
    # issue 34 item 7: one caveat, stated once, at the top; the verdict text does not repeat it
    res = _exp2(0.08)
    quick = _settings("quick")
    verdicts = claims.judge_all(report.prepare_claims(report.load_claims(), res, quick), res, profile="quick")
    caveat = report.cyclegan_caveat(quick)
    assert "200 steps" in caveat
    minute = report.minute_parts(res, verdicts, quick, [], [])[0].data
    assert minute.count(caveat) == 1 and caveat not in report.verdict_text(verdicts, quick)
    lines = minute.split("\n")
    assert lines[0].startswith("- **The paper's headline**") and "not run" in lines[0]  # Exp 1 did not run
    learn = next(line for line in lines if line.startswith("- **Do the classifiers learn?**"))
    assert learn.count("Exp ") == 1 and "Exp 2 (PneumoniaMNIST)" in learn  # only the experiment that ran
    auc = report.summary(res).query("metric == 'roc_auc' and threshold_rule == '0.5'")
    above = int((auc.low > 50).sum())
    assert f"{above} of {len(auc)} with the whole 95 % interval above 50" in learn
    control = next(line for line in lines if line.startswith("- **Against plain rebalancing**"))
    v = next(v for v in verdicts if v.claim.id == "imbalance-pneumonia-synth-vs-oversample-roc_auc")
    assert f"{v.interval()} points (**{v.verdict}**)" in control
    paper = _settings("paper")
    on_paper = claims.judge_all(report.prepare_claims(report.load_claims(), res, paper), res, profile="paper")
    assert report.cyclegan_caveat(paper) == "" and "rests on" not in report.minute_parts(res, on_paper, paper, [],
                                                                                            [])[0].data


def test_specs_put_each_experiments_baseline_first():
    from synthmed.imbalance import experiment
    config = train.TrainConfig(epochs=10, batch_size=32, lr=1e-3, weight_decay=1e-4, keep="best")
    sp = experiment.specs(["pneumonia_minority"], [0], ["real_synth", "real_oversample", "real_weighted", "real"],
                          ["smallcnn"], train=config, meta_train=config)
    assert sp[0].variants == ("real", "real_weighted", "real_oversample", "real_synth")


def test_grid_colours_compare_with_real_first():
    """Exp 2's cells are coloured by their claim against `real`; Exp 1's real_synth_meta by its claim against
    real where there is one (sensitivity), else by its claim against real_meta, the classifier above it."""
    res = pd.concat([_exp2(0.08), _results(0.1)], ignore_index=True)
    extra = res[(res.experiment == "nih_patient") & (res.variant == "real_meta")].assign(variant="real_synth_meta")
    res = pd.concat([res, extra], ignore_index=True)
    verdicts = claims.judge_all(report.load_claims(), res, profile="quick")
    by_id = {v.claim.id: v.verdict for v in verdicts}
    s = report.summary(res)
    s = s[s.threshold_rule == "0.5"].reset_index(drop=True)
    colours = dict(zip(zip(s.experiment, s.variant, s.metric),
                       report._cell_verdicts(s, report._verdict_lookup(verdicts))))
    assert colours[("pneumonia_minority", "real_synth", "sensitivity")] == by_id[
        "imbalance-pneumonia-synth-vs-real-sensitivity-0.5"]
    assert colours[("pneumonia_minority", "real_oversample", "roc_auc")] == by_id[
        "imbalance-pneumonia-oversample-vs-real-roc_auc"]
    assert colours[("nih_patient", "real_synth_meta", "sensitivity")] == by_id[
        "imbalance-ensemble-vs-real-sensitivity-0.5"]
    assert colours[("nih_patient", "real_synth_meta", "balanced_accuracy")] == by_id[
        "imbalance-synth-meta-vs-meta-balanced_accuracy-0.5"]
    assert colours[("pneumonia_minority", "real", "sensitivity")] == ""


def test_a_claim_on_the_metric_its_threshold_rule_fixes_is_not_made():
    from synthmed.claims import Claim
    from synthmed.imbalance.report import fixed_by_threshold

    def claim(metric, rule):
        return Claim(id="x", paper="Class imbalance", source="T1", text="t", metric=metric, kind="not_worse",
                     margin=5, a={"variant": "a", "threshold_rule": rule}, b={"variant": "b", "threshold_rule": rule})

    assert "fixed by the threshold" in fixed_by_threshold(claim("specificity", "val_spec"))
    assert fixed_by_threshold(claim("specificity", "0.5")) == ""
    assert fixed_by_threshold(claim("sensitivity", "val_spec")) == ""


def test_the_cyclegan_section_reads_its_loss_records_and_shows_each_experiments_images():
    """Hand-made loss records: Exp 1's cycle loss still falls at the half (1.0 -> 0.5 linearly), Exp 2's is flat
    from the start; the text counts each experiment's CycleGANs and says which stopped falling."""
    from types import SimpleNamespace

    steps = np.arange(10, 1010, 10)
    falling = pd.DataFrame({"step": steps, "cycle": 1.0 - 0.5 * steps / 1000, "gan": 0.3, "loss_D": 0.2,
                            "loss_G": 1.0, "identity": 0.1})
    flat = falling.assign(cycle=0.4)
    images = np.zeros((3, 1, 8, 8), dtype=np.uint8)
    outputs = [{"gan_history": falling, "examples": (images, images)},
               {"gan_history": falling, "examples": None},
               {"gan_history": flat, "examples": (images[:2], images[:2])},
               {"gan_history": None, "examples": None}]
    specs = [SimpleNamespace(experiment=e, seed=s) for e, s in
             (("nih_patient", 0), ("nih_patient", 1), ("pneumonia_minority", 0), ("metadata_only", 0))]
    frame = report.cyclegan_frame(outputs, specs)
    assert len(frame) == 3 * len(steps) and set(frame.experiment) == {"nih_patient", "pneumonia_minority"}
    text = report.cyclegan_text(frame)
    assert "1: NIH1000 by patient: 2 CycleGANs of 1,000 steps; cycle loss 0.99 at the first logged step, 0.50 at " \
           "the last (mean over seeds); the cycle loss was still falling" in text and "in 2 of 2." in text
    assert "2: PneumoniaMNIST: 1 CycleGAN of 1,000 steps; cycle loss 0.40 at the first logged step, 0.40 at the " \
           "last (mean over seeds); the cycle loss had levelled off before the learning rate's decay in all 1." in text
    short = report.cyclegan_text(report.cyclegan_frame([{"gan_history": falling.head(2)}], specs[:1]))
    assert "too few logged steps (2) to tell whether the cycle loss had levelled off" in short
    parts = report.cyclegan_parts(outputs, specs)
    assert len(parts) == 3  # the text, the loss curves, one image figure with two rows per experiment
    assert len(parts[2].axes) == 4 * 3  # 2 experiments x 2 rows x the widest row's 3 images
    assert report.cyclegan_text(report.cyclegan_frame(outputs[3:], specs[3:])).startswith("No run")


def test_findings_give_each_arms_share_of_positives_not_their_average():
    # issue 34: "positives 36 % of training on average" averaged arms at 23 % and 45 %
    res = _exp2(0.08)
    res.loc[res.variant == "real_synth", "n_train_pos"] = 368 + 607  # half the majority added
    text = report.findings(res, [], 5)
    assert "positives from 23 % (real) to 45 % (real_synth) of training" in text
    assert "positives 23 % of training" in report.findings(_exp2(0.08), [], 5)
