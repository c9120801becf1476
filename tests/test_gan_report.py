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


def test_oracle_text_reports_the_front_and_whether_eq6_is_the_oracle():
    from test_gan_experiment import _rec

    rec = {**_rec(), "front_size": 5}
    text = report.oracle_text({"toy": rec}).data
    assert "5 solutions; 2 were trained" in text and "solution 1 with 3 candidates" in text
    assert "a different ensemble" in text
    one = {**_rec(), "front_size": 1, "pareto": [(0, (0, 1))]}
    assert "1 solution; 1 was trained" in report.oracle_text({"toy": one}).data
    assert "the same ensemble" in report.oracle_text({"toy": one}).data


def test_fd_decimals_show_two_significant_digits_of_the_largest_distance():
    from synthmed.gan.report import fd_decimals

    assert fd_decimals([4.2e-4, 1.0e-4]) == 5 and f"{4.2e-4:.{fd_decimals([4.2e-4])}f}" == "0.00042"
    assert fd_decimals([12.3, 0.5]) == 3 and fd_decimals([0.05]) == 3 and fd_decimals([]) == 3
