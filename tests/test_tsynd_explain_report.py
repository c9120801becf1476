from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from synthmed import claims
from synthmed.tsynd import fig2, report_explain, report_uncertainty



def _spec(method, seed, objective="mi"):
    return SimpleNamespace(dataset="toy", fraction=0.1, seed=seed,
                           train=SimpleNamespace(method=method, objective=objective))


def _walk(distances, status):
    n = len(distances)
    return {"index": torch.arange(n), "label": torch.zeros(n, dtype=torch.long),
            "distance": torch.tensor(distances, dtype=torch.float32), "status": torch.tensor(status),
            "p_start": torch.full((n,), 0.9), "diff": torch.zeros(n, 4, 4)}


def _result(constant=False, val=0.8):
    return {"test": [{"test_condition": "clean", "constant": constant, "accuracy": val, "balanced_accuracy": val,
                      "majority_rate": 0.7}], "best_val": {"accuracy": val, "balanced_accuracy": val - 0.1}}


def test_claims_register_and_load():
    registered = claims.load_claims(report_explain.CLAIMS)
    ids = {c.id for c in registered}
    assert "tsynd-f2-latent-change-breastmnist-0.1" in ids and "tsynd-t2-mi-vs-entropy-breastmnist-0.1" in ids
    assert {c.chapter for c in registered} == {"tsynd_explain", "tsynd_uncertainty"}
    assert all(c.paper == "TSynD" for c in registered)
    assert sum(bool(c.untestable) for c in registered) == 3  # OrganSMNIST, OCTMNIST (no file), Grad-CAM regions


def test_run_frame_counts_and_the_fig2_claim_is_judged_paired_by_seed():
    nan, C, N, M, S = float("nan"), fig2.CROSSED, fig2.NOT_CROSSED, fig2.MISCLASSIFIED, fig2.START_BELOW
    specs, walks, results = [], [], []
    for seed, shift in enumerate([0.10, 0.12, 0.09]):
        specs += [_spec("baseline", seed), _spec("tsynd", seed)]
        walks += [_walk([0.1, 0.2, nan, nan], [C, C, M, S]),
                  _walk([0.1 + shift, 0.2 + shift, nan, nan], [C, C, N, M])]
        results += [_result(), _result(constant=seed == 0)]
    images = report_explain.image_frame(specs, walks)
    runs = report_explain.run_frame(images, specs, results)
    assert len(runs) == 6
    base = runs[runs["method"] == "Baseline"]
    # all correct images: (0.1 + 0.2 + 0 for the reconstruction already below 0.5) / 3; walked: (0.1 + 0.2) / 2
    assert np.allclose(base["distance_all"], 0.1) and np.allclose(base["distance_walked"], 0.15)
    assert (base["misclassified test image"] == 1).all()
    table = report_explain.distance_table(runs, images)
    assert table.set_index("method").loc["TSynD", "not crossed"] == 3
    assert "TSynD" in report_explain.budget_note(table)
    assert "Baseline 33 % (3 of 9)" in report_explain.reconstruction_text(table)
    registered = claims.load_claims(report_explain.CLAIMS)
    wanted = report_explain.claims_for(registered, runs.assign(dataset="breastmnist"), "tsynd_explain")
    ids = [c.id for c in wanted]
    assert ids[:2] == ["tsynd-f2-latent-change-breastmnist-0.1", "tsynd-f2-walked-distance-breastmnist-0.1"]
    assert ids[-1] == "tsynd-f2-gradcam-relevant-regions"
    # the fair claims against Baseline only: these runs have no Noise arm, so the claims against Noise are left
    # out (synthmed.claims.select), not judged on an empty side
    assert sum("-fair-" in i for i in ids) == 3 and not any("-vs-Noise-" in i for i in ids)
    assert all(c.origin in ("paper", "ours") for c in wanted)
    v = claims.judge(wanted[1], runs.assign(dataset="breastmnist"), profile="quick")
    assert v.verdict == "supported" and v.n == 3 and abs(v.diff - 100 * np.mean([0.10, 0.12, 0.09])) < 1e-4
    v = claims.judge(wanted[0], runs.assign(dataset="breastmnist"), profile="quick")
    assert v.verdict == "supported" and abs(v.diff - 100 * (np.mean([0.10, 0.12, 0.09]) + 0.15 - 0.1)) < 1e-4
    assert v.constant.startswith("TSynD") and "1/3 runs" in v.constant


def test_shown_images_are_flipped_by_every_method_and_alternate_classes():
    images = pd.DataFrame({"seed": 0, "method": ["A"] * 4 + ["B"] * 4, "image": [0, 1, 2, 3] * 2,
                           "label": [0, 1, 0, 1] * 2, "distance": [0.1, 0.2, 0.3, np.nan, 0.1, np.nan, 0.2, 0.3]})
    assert report_explain.shown_images(images, 0, 3) == [0, 2]


def test_table2_runs_and_claims_for_mi_vs_entropy():
    specs = [_spec("tsynd", s, o) for o in ("mi", "entropy") for s in range(3)]
    results = [_result(val=v) for v in (0.80, 0.82, 0.78, 0.80, 0.82, 0.78)]
    runs = report_uncertainty.objective_runs(specs, results).assign(dataset="breastmnist")
    assert list(runs["objective"]) == ["MI"] * 3 + ["Entropy"] * 3
    table = report_uncertainty.table2(runs)
    assert list(table.cells.columns) == ["MI", "Entropy"]
    assert table.cells.loc[("breastmnist", "10%", "validation accuracy"), "MI"] == "80.0 [75.0, 85.0]"
    assert table.cells.loc[("breastmnist", "10%", "constant runs"), "MI"] == "0/3"
    registered = claims.load_claims(report_explain.CLAIMS)
    wanted = report_explain.claims_for(registered, runs, "tsynd_uncertainty")
    ids = [c.id for c in wanted]
    # the pooled direction claim, the per-cell one, and 3 untestable (the equivalence claims read difference rows)
    assert ids[:2] == ["tsynd-t2-mi-vs-entropy", "tsynd-t2-mi-vs-entropy-breastmnist-0.1"] and len(ids) == 4
    v = claims.judge(wanted[1], runs, profile="quick")
    # identical MI and entropy runs: every paired difference is 0, a degenerate comparison (issue 19)
    assert v.verdict == "not testable" and v.diff == 0.0 and "zero spread" in v.reason


def test_fair_comparison_keeps_only_images_every_arm_walks_and_censors_at_the_budget():

    crossed, nc, below = (fig2.STATUS_LABELS[c] for c in (fig2.CROSSED, fig2.NOT_CROSSED, fig2.START_BELOW))
    rows = []
    # image 0: walked by both (crossed at 0.2 / not crossed); image 1: Baseline's reconstruction already below
    for m, statuses, dists in (("Baseline", [crossed, below], [0.2, float("nan")]),
                               ("TSynD", [nc, crossed], [float("nan"), 0.3])):
        for i in range(2):
            rows.append({"dataset": "d", "fraction": 0.1, "labelled": "10%", "method": m, "seed": 0, "image": i,
                         "label": 0, "status": statuses[i], "distance": dists[i], "pixel_l2": 1.0 + i,
                         "pixel_area": 10.0 * (i + 1)})
    images = pd.DataFrame(rows)
    assert report_explain.common_images(images).tolist() == [True, False, True, False]
    fair = report_explain.fair_frame(images, budget=0.5).set_index("method")
    assert fair.loc["Baseline", "latent_change_common"] == pytest.approx(20.0)
    assert fair.loc["TSynD", "latent_change_common"] == pytest.approx(50.0)  # not crossed: the budget
    assert fair.loc["TSynD", "n_common"] == 1 and fair.loc["TSynD", "pixel_area_common"] == 10.0
    diff = np.zeros((1, 4, 4))
    diff[0, 0, :2] = 0.3
    ch = report_explain.pixel_changes(diff)
    assert ch["pixel_l2"][0] == pytest.approx((2 * 0.09) ** 0.5) and ch["pixel_area"][0] == pytest.approx(12.5)


def test_auc_table_pairs_by_seed_and_the_paper_gain_comes_from_the_reference():
    from synthmed import reference

    specs = [_spec(m, s) for m in ("baseline", "tsynd") for s in (0, 1, 2)]
    val = {"baseline": [0.60, 0.70, 0.65], "tsynd": [0.62, 0.725, 0.665]}  # paired gains 2, 2.5, 1.5 points
    aucs = [{"val_auc": val[s.train.method][s.seed], "test_auc": 0.5} for s in specs]
    auc = report_explain.auc_frame(specs, aucs)
    ref = reference.load("tsynd_sec43_auc")
    table = report_explain.auc_table(auc, ref)
    row = table[table.AUC == "validation AUC"].iloc[0]
    assert row["TSynD − Baseline [95 % t]"].startswith("+2.0 [") and row["seeds"] == 3
    assert row["paper"] == f"≈ {ref.set_index('fraction').auc_gain[0.1]:+.1f}"
    registered = claims.load_claims(report_explain.CLAIMS)
    toy = [replace(c, a={**c.a, "dataset": "toy"}, b={**c.b, "dataset": "toy"})
           for c in registered if report_explain.is_auc_claim(c) and c.a["fraction"] == 0.1]
    judged = {c.metric: c for c in report_explain.auc_claims(toy, ref)}
    assert judged["val_auc"].paper_diff == ref.set_index("fraction").auc_gain[0.1]
    assert judged["test_auc"].paper_diff is None  # the paper reports validation AUC only
    verdict = claims.judge(judged["val_auc"], auc, profile="quick")
    assert verdict.verdict == "supported" and verdict.diff == pytest.approx(2.0)
    assert verdict.size == claims.SIZES[0]  # the paper's +1.0 lies inside our interval [0.76, 3.24]
