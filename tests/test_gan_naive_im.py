"""Sec. A4 (Naive (I), Naive (M), Tables A3-A5) and Fig. 3's claim frame, on hand-made runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthmed.gan import experiment as ex
from synthmed.gan import report

LABELS = ["dcgan@10", "dcgan@20", "style@10", "style@20"]


def _rec(g: dict) -> dict:
    """A dataset record with downstream rows: g = {members tuple: [g_mean per seed]}."""
    rows = []
    for members, values in g.items():
        for seed, v in enumerate(values):
            rows.append({"dataset": "d", "members": members, "seed": seed, "n_images": 100, "constant": False,
                         **{m: v for m in ex.METRICS}})
    return {"feats": {"labels": LABELS}, "naive_im": ex.naive_im_sets(LABELS), "runs": pd.DataFrame(rows)}


def test_naive_im_sets_group_by_gan_and_by_snapshot():
    assert ex.naive_im_sets(LABELS) == {("I", "dcgan"): (0, 1), ("I", "style"): (2, 3),
                                        ("M", "10"): (0, 2), ("M", "20"): (1, 3)}


def test_naive_and_mean_rows_per_gan_and_snapshot_are_paired_by_seed():
    rec = _rec({(0,): [0.2, 0.4], (1,): [0.4, 0.6], (2,): [0.5, 0.5], (3,): [0.7, 0.9],
                (0, 1): [0.5, 0.6], (2, 3): [0.8, 0.8], (0, 2): [0.1, 0.2], (1, 3): [0.9, 0.9]})
    frames = ex.naive_im_runs({"d": rec})
    a4_i = frames["a4_i"].set_index(["gan", "kind", "seed"])["g_mean"]
    assert a4_i[("dcgan", "mean_i", 0)] == pytest.approx(0.3) and a4_i[("dcgan", "naive_i", 1)] == 0.6
    assert a4_i[("style", "mean_i", 1)] == pytest.approx(0.7)
    a4_m = frames["a4_m"].set_index(["iteration", "kind", "seed"])["g_mean"]
    assert a4_m[(10, "mean_m", 0)] == pytest.approx(0.35) and a4_m[(20, "naive_m", 0)] == 0.9
    assert set(frames["a4_i"]["n_gans"]) == {2}
    # the tables: GANs x iterations, Mean (I) / Naive (I) columns, Mean (M) / Naive (M) rows, x100
    table = report.single_table({"d": rec}, "d", frames)
    assert table.loc["dcgan", "Mean (I)"] == pytest.approx(40.0) and table.loc["style", "Naive (I)"] == 80.0
    assert table.loc["Mean (M)", "10"] == pytest.approx(40.0) and table.loc["Naive (M)", "20"] == 90.0
    text = report.naive_im_text(frames).data
    assert "Naive (I) above Mean (I) for 2 of 2 GANs" in text and "Naive (M) above Mean (M) for 1 of 2" in text


def test_a_profile_without_naive_im_gives_empty_frames():
    rec = _rec({(0,): [0.2]})
    del rec["naive_im"]
    frames = ex.naive_im_runs({"d": rec})
    assert frames["a4_i"].empty and frames["a4_m"].empty and "gan" in frames["a4_i"].columns


def test_fig3_relations_are_spearman_per_seed_and_nan_when_constant(monkeypatch):
    rec = _rec({(0,): [0.1, 0.5], (1,): [0.2, 0.5], (2,): [0.3, 0.5], (3,): [0.4, 0.5]})
    points = pd.DataFrame({"dataset": "d", "candidate": [0, 1, 2, 3], "coverage": [0.1, 0.2, 0.3, 0.4],
                           "density": [0.4, 0.1, 0.3, 0.2], "g_mean": [0.3, 0.35, 0.4, 0.45]})
    monkeypatch.setattr(ex, "fig3_frame", lambda results, k: points)  # the replicate's own points
    rel = ex.fig3_relations({"d": rec}, 3).set_index(["seed", "relation"])["rho"]
    assert rel[(0, "coverage")] == pytest.approx(1.0) and rel[(0, "density")] == pytest.approx(-0.4)
    assert np.isnan(rel[(1, "coverage")])  # seed 1: every candidate's g-mean is 0.5


def test_the_pooling_text_follows_the_table():
    def table(jaccard):
        rows = [{"dataset": "d", "selected with": mode, "members": n, "in common": 2, "Jaccard": jaccard,
                 "front size": 5, "coverage (stacked)": c} for mode, n, c in (("equal", 2, 0.5), ("stacked", 3, 0.7))]
        return pd.DataFrame(rows)

    assert "changed the search's choice on d" in report.pooling_text(table(0.67)).data
    assert "both rules chose the same ensemble" in report.pooling_text(table(1.0)).data
    assert "did not run" in report.pooling_text(pd.DataFrame()).data


def test_the_pooling_view_has_one_column_per_dataset_and_mode():
    table = pd.DataFrame([{"dataset": "d", "selected with": m, "members": n, "Jaccard": 0.5}
                          for m, n in (("equal", 2), ("stacked", 3))])
    view = report.pooling_view(table)
    assert list(view.columns) == ["quantity", "d: selected with equal", "d: selected with stacked"]
    assert view.set_index("quantity").loc["members"].tolist() == [2, 3]
