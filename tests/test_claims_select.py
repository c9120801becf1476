"""synthmed.claims.select: the one rule by which every chapter picks the frame and rows a claim reads."""

from __future__ import annotations

import pandas as pd
import pytest

from synthmed import claims


def _claim(**kw):
    base = dict(id="c", paper="P", source="s", text="t", metric="g_mean", kind="better",
                a={"strategy": "ours"}, b={"strategy": "real"})
    return claims.Claim(**{**base, **kw})


T3 = pd.DataFrame({"dataset": ["x"] * 4, "strategy": ["ours", "real"] * 2, "seed": [0, 0, 1, 1],
                   "g_mean": [0.7, 0.6, 0.8, 0.5]})
T5 = pd.DataFrame({"dataset": ["x"] * 2, "backbone": ["simclr", "random"], "seed": [0, 0], "g_mean": [0.7, 0.6]})
T6 = pd.DataFrame({"dataset": ["x"] * 2, "strategy": ["ours", "real"], "seed": [0, 0], "fid": [1.0, 2.0]})


def test_a_claim_reads_the_one_frame_with_every_column_it_names():
    frames = {"table3": T3, "table5": T5, "table6": T6}
    assert claims.frame_for(_claim(), frames) == "table3"
    assert claims.frame_for(_claim(metric="fid"), frames) == "table6"
    assert claims.frame_for(_claim(a={"backbone": "simclr"}, b={"backbone": "random"}), frames) == "table5"
    assert claims.frame_for(_claim(metric="coverage"), frames) is None  # no frame holds it: not on this page
    assert claims.columns(_claim(pool=("dataset",))) == {"g_mean", "seed", "dataset", "strategy"}


def test_a_claim_fitting_two_frames_is_an_error_not_a_guess():
    with pytest.raises(ValueError, match="fits the frames a, b"):
        claims.frame_for(_claim(), {"a": T3, "b": T3.assign(extra=1)})


def test_unmatched_names_each_side_without_runs_and_runnable_leaves_those_out():
    assert claims.unmatched(_claim(), T3) == []
    assert claims.unmatched(_claim(b={"strategy": "naive"}), T3) == ["strategy=naive"]
    assert claims.unmatched(_claim(a={"backbone": "simclr"}), T3) == ["backbone=simclr"]  # column absent
    # the sides are matched jointly: dataset x has no run at seed 5
    assert claims.unmatched(_claim(a={"strategy": "ours", "seed": 5}), T3) == ["strategy=ours, seed=5"]
    untestable = _claim(id="u", b={"strategy": "naive"}, untestable="no data here")
    kept = claims.runnable([_claim(), _claim(id="n", b={"strategy": "naive"}), untestable], T3)
    assert [c.id for c in kept] == ["c", "u"]
    reason = claims.not_run_reason(_claim(b={"strategy": "naive"}), T3, "quick")
    assert reason == "not run under the `quick` profile: no run has strategy=naive"
    assert claims.not_run_reason(_claim(), T3, "quick") == ""


def test_a_float_selector_matches_a_float_column_within_rounding():
    frame = pd.DataFrame({"fraction": [0.1, 0.1], "method": ["A", "B"], "seed": [0, 0], "g_mean": [1.0, 2.0]})
    claim = _claim(a={"fraction": 0.1 + 1e-12, "method": "A"}, b={"fraction": 0.1, "method": "B"})
    assert claims.unmatched(claim, frame) == []


def test_a_run_with_its_own_parameters_does_not_overwrite_the_profiles_verdicts(tmp_path, monkeypatch):
    """papermill -p datasets ... stores its verdicts apart; the Scorecard reads the profile's own run only."""
    from synthmed import profiles

    monkeypatch.setenv("SYNTHMED_CACHE_DIR", str(tmp_path))
    frame = pd.DataFrame({"strategy": ["ours", "real"] * 3, "seed": [0, 0, 1, 1, 2, 2],
                          "g_mean": [0.7, 0.6, 0.8, 0.5, 0.75, 0.6]})
    full = claims.judge_all([_claim(id="full")], frame, "smoke")
    claims.publish("tsynd", profiles.resolve("tsynd", "smoke"), full)
    assert claims.run_identity(profiles.resolve("tsynd", "smoke")) == ("smoke", {})
    custom = profiles.resolve("tsynd", "smoke", seeds="0,1")
    assert claims.run_identity(custom) == ("smoke", {"seeds": [0, 1]})
    _, text = claims.publish("tsynd", custom, claims.judge_all([_claim(id="partial")], frame, "smoke"))
    assert "set `seeds=[0, 1]` itself" in text.data and "--only tsynd" in text.data
    assert list(claims.read_verdicts("smoke")["id"]) == ["full"]  # the profile's own run, untouched
    stored = list((tmp_path / "verdicts" / "smoke" / "custom").glob("tsynd-*.json"))
    assert len(stored) == 1 and claims.verdicts_path("tsynd", "smoke", {"seeds": [0, 1]}) == stored[0]
    assert claims.verdicts_path("tsynd", "smoke", {"seeds": [0]}) != stored[0]
