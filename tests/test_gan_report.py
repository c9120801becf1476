"""The GAN chapter's claims and generated text: every claim has an origin (primary ones are the paper's), the
paper's differences come from the reference tables, claims are judged only where their datasets and arms were
run, pooled claims only on the paper's datasets, and a run with no claim says so."""

import numpy as np
import pandas as pd
import pytest

from synthmed.gan import report
from synthmed.gan.experiment import STRATEGY_NAMES


def test_every_claim_has_an_origin_and_only_the_papers_are_primary():
    claims = report.load_claims()
    assert claims and all(c.origin in ("paper", "ours") for c in claims)
    assert all(c.why for c in claims if c.origin == "ours")
    primary = [c for c in claims if c.primary]
    assert primary and all(c.origin == "paper" and c.pool == ("dataset",) for c in primary)
    assert not any(c.kind == "ranking" for c in claims)  # Table 5: the paper's statements, no full ranking


def test_paper_differences_are_computed_from_the_reference_tables():
    diffs = report.paper_diffs()
    assert diffs["gan-fid-ours-vs-single_top1-pneumoniamnist"] == pytest.approx(2.604 - 0.915)
    assert diffs["gan-density-ours-vs-naive_all-breastmnist"] == pytest.approx(0.780 - 0.546)
    assert diffs["gan-backbone-supervised-fewer-gans"] == pytest.approx(((40 - 39) + (38 - 37)) / 2)
    assert diffs["gan-backbone-finetuned-no-better-breastmnist"] == pytest.approx(100 * (0.738 - 0.684))
    by_id = {c.id: c for c in report.load_claims()}
    assert by_id["gan-fid-ours-vs-single_top1-pneumoniamnist"].paper_diff == pytest.approx(1.689)


def _table3(datasets, seeds=(0, 1, 2)):
    rng = np.random.default_rng(0)
    rows = [{"dataset": d, "strategy": s, "seed": seed, "g_mean": rng.uniform(0.4, 0.8), "constant": False,
             "n_gans": 2, "arm": s, "majority_rate": 0.6}
            for d in datasets for s in STRATEGY_NAMES for seed in seeds]
    return pd.DataFrame(rows)


def test_claims_are_judged_only_where_their_datasets_were_run():
    assert report.judge({"table3": _table3(["retinamnist"])}, "smoke", ["retinamnist"]) == []
    verdicts = report.judge({"table3": _table3(["breastmnist"])}, "smoke", ["breastmnist"])
    ids = {v.claim.id for v in verdicts}
    assert "gan-ours-vs-single-average" in ids and "gan-real-vs-ours-breastmnist" in ids
    assert not any("pneumoniamnist" in i for i in ids)


def test_pooled_claims_use_only_the_papers_datasets():
    frame = _table3(["breastmnist", "retinamnist"])
    frame.loc[frame.dataset == "retinamnist", "g_mean"] = np.nan  # would poison a pooled mean
    (v,) = [v for v in report.judge({"table3": frame}, "smoke", ["breastmnist", "retinamnist"])
            if v.claim.id == "gan-ours-vs-single-average"]
    b = frame[frame.dataset == "breastmnist"].set_index(["strategy", "seed"])["g_mean"]
    expected = 100 * np.mean([b["ours", s] - b["single_average", s] for s in (0, 1, 2)])
    assert v.diff == pytest.approx(expected)


def test_a_run_no_claim_concerns_says_so():
    assert report.no_claim_text(["retinamnist"]).startswith(
        "No claim of the paper concerns this dataset (retinamnist)")
    assert "this profile does not run" in report.no_claim_text(["breastmnist"])


def test_table3_text_never_ranks_undefined_scores():
    frame = _table3(["retinamnist"]).assign(g_mean=np.nan)
    assert "undefined" in report.table3_text(frame).data


def test_oracle_text_names_best_of_k_trained_and_reports_a_tie_as_a_tie():
    from test_gan_experiment import _rec

    rec = {**_rec(), "front_size": 5}  # 2 of 5 trained; row 1 scores higher than eq. 6's row 0
    text = report.oracle_text({"toy": rec}).data
    assert "front sizes 5 over 1 replicate" in text and "best of the k trained front solutions (k = 2" in text
    assert "eq. 6 choice alone in 0 of 1" in text and "better-scoring solution than eq. 6's in 1" in text
    one = {**_rec(), "front_size": 1, "pareto": [(0, (0, 1))]}
    text = report.oracle_text({"toy": one}).data
    assert "best of every front solution" in text and "eq. 6 choice alone in 1 of 1" in text
    tied = _rec()
    runs = tied["runs"].copy()
    runs["g_mean"] = 0.0  # every run scores zero: the oracle is a tie-break, not a match
    text = report.oracle_text({"toy": {**tied, "runs": runs, "front_size": 2}}).data
    assert "a tie (eq. 6's test g-mean shared" in text and "in 1, and a better-scoring" in text
    assert "alone in 0 of 1" in text and "holds by identity" not in text
    two = {"toy": {**rec, "replicates": [rec, one]}}  # replicates are counted one by one
    assert "front sizes 5, 1 over 2 replicates" in report.oracle_text(two).data


def test_fd_decimals_show_two_significant_digits_of_the_largest_distance():
    from synthmed.gan.report import fd_decimals

    assert fd_decimals([4.2e-4, 1.0e-4]) == 5 and f"{4.2e-4:.{fd_decimals([4.2e-4])}f}" == "0.00042"
    assert fd_decimals([12.3, 0.5]) == 3 and fd_decimals([0.05]) == 3 and fd_decimals([]) == 3


def test_the_a2_text_says_how_often_the_searches_chose_differently_and_what_it_cost():
    def choices(same, cost, method="nsga2"):
        return pd.DataFrame({"dataset": "d", "seed": range(len(same)), "same": same, "intra_d_multi": 0.5,
                             "intra_d_only": 0.5, "intra_d_max": [0.5, 0.6, 0.5][:len(same)], "method": method,
                             "cost": cost})

    text = report.a2_text(choices([True, False, False], [0.0, -0.02, 0.04])).data
    assert "only come from search stochasticity" in text
    assert "chose different ensembles in 2 of 3" in text and "highest Intra-d either search evaluated in 2 of 3" in text
    assert "was 1.0 ± 4.2 (×100)" in text  # the mean and std of -2 and +4 g-mean points
    text = report.a2_text(choices([True, True], [0.0, 0.0], "exhaustive")).data
    assert "every subset enumerated" in text and "in 0 of 2" in text and "one arm in every replicate" in text
    assert "not run" in report.a2_text(pd.DataFrame()).data


def test_constant_line_counts_one_class_classifiers_per_dataset_and_source():
    import pandas as pd

    from synthmed.gan import report

    members = pd.DataFrame([
        {"dataset": "breastmnist", "strategy": "single_average", "constant": c} for c in (True, True, False)] + [
        {"dataset": "breastmnist", "strategy": "real", "constant": True},
        {"dataset": "breastmnist", "strategy": "ours", "constant": True},  # an ensemble: not counted
        {"dataset": "pneumoniamnist", "strategy": "single_average", "constant": False},
        {"dataset": "pneumoniamnist", "strategy": "real", "constant": False}])
    assert report.constant_line(members) == (
        "Classifiers that predict one class on the test split: breastmnist 2 of 3 trained on one GAN's images and 1 "
        "of 1 trained on the real images; pneumoniamnist 0 of 1 trained on one GAN's images and 0 of 1 trained on "
        "the real images.")
    assert report.constant_line(members.iloc[:0]) == ""
