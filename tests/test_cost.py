"""synthmed.cost: FLOPs counted right, runs counted from the profile, the projection's arithmetic."""

import json
from pathlib import Path

import pandas as pd
import pytest

from synthmed import chapters, cost, profiles


def test_forward_flops_of_resnet18_at_224_match_the_published_count():
    # torchvision's ResNet-18: 1.82 GMACs at 224 px with 3 channels; one channel saves 2/3 of the first conv
    # (112 * 112 * 64 * 7 * 7 * 2 MACs), and a 2-class head instead of 1000 saves 512 * 998 MACs
    macs = 1.814e9 - 112 * 112 * 64 * 7 * 7 * 2 - 512 * 998
    assert cost.forward_flops("resnet18", 224) == pytest.approx(2 * macs, rel=0.02)


def test_tsynd_runs_are_the_product_of_the_profile_lists():
    s = profiles.resolve("tsynd", "paper")
    (w,) = cost.workload_models()["tsynd"]("tsynd", s)
    assert w.runs == len(s.datasets) * len(s.fraction) * len(s.methods) * len(s.seeds)
    assert w.flops == pytest.approx(w.runs * w.images * 3 * cost.forward_flops(w.model, w.image_size) * w.factor)


def _costs(rows):
    return pd.DataFrame(rows, columns=["notebook", "profile", "fn", "desc", "seconds", "misses", "backend",
                                       "finished"])


def test_projection_scales_the_measured_quick_seconds_by_the_flop_ratio(tmp_path):
    path = tmp_path / "costs.jsonl"
    path.write_text("".join(json.dumps({"notebook": "imbalance", "profile": p, "fn": "f", "desc": "runs",
                                        "seconds": s, "misses": 1, "backend": "local"}) + "\n"
                            for p, s in [("quick", 10.0), ("quick", 30.0), ("smoke", 1.0)]))
    table = cost.projection(cost.load_costs(path), notebooks=["imbalance"], processes=2)
    row = table.loc["Class imbalance"]
    quick = cost.workloads("quick", ["imbalance"])
    paper = cost.workloads("paper", ["imbalance"])
    per_run = 20.0  # mean of the two quick runs; the smoke run is not used
    flops_per_quick_run = sum(w.flops for w in quick) / sum(w.runs for w in quick)
    hours = sum(w.flops for w in paper) / flops_per_quick_run * per_run / 2 / 3600
    assert row["s/run (quick, measured)"] == per_run
    assert row["paper h, this CPU (est.)"] == pytest.approx(hours)
    assert row["paper h, one GPU (est.)"] == pytest.approx(sum(w.flops for w in paper) / cost.GPU_FLOPS / 3600)
    assert row["runs (paper)"] == sum(w.runs for w in paper) and "2 measured quick runs" in row["how estimated"]


def test_a_chapter_without_measurements_is_estimated_from_the_design_throughput():
    table = cost.projection(_costs([]), notebooks=["tsynd"], processes=2)
    row = table.loc["TSynD"]
    assert pd.isna(row["s/run (quick, measured)"]) and "DESIGN.md CPU throughput" in row["how estimated"]
    model, size, per_s = cost.CPU_REFERENCE
    rate = per_s * 3 * cost.forward_flops(model, size)  # the whole 2-core machine
    flops = sum(w.flops for w in cost.workloads("paper", ["tsynd"]))
    assert row["paper h, this CPU (est.)"] == pytest.approx(flops / rate / 3600)


def test_the_projection_text_is_computed_from_the_table():
    table = pd.DataFrame({"s/run (quick, measured)": [2.0, float("nan")], "paper h, this CPU (est.)": [30.0, 10.0],
                          "paper h, one GPU (est.)": [0.5, 0.25]}, index=pd.Index(["A", "B"], name="chapter"))
    text = cost.projection_text(table)
    assert "about **40 h on this CPU** and **0.8 h on one GPU**" in text
    assert "The dearest chapter is A (75% of the CPU total)" in text and "No `quick` run was measured for B" in text
    table["s/run (quick, measured)"] = [2.0, 3.0]
    assert "Every chapter's CPU projection starts from runs measured" in cost.projection_text(table)


NOTEBOOKS_ON_DISK = sorted(p.stem for p in (Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_every_notebook_on_disk_and_in_the_registry_is_modelled_or_says_why_not():
    """Iterates what exists (the notebooks folder, the chapter registry), not what cost.py lists, so a notebook
    that no chapter declares fails here."""
    assert NOTEBOOKS_ON_DISK and cost.unmodelled(NOTEBOOKS_ON_DISK) == []
    assert cost.unmodelled(chapters.order()) == []
    assert cost.unmodelled(["a_new_chapter", "tsynd", "data"]) == ["a_new_chapter"]
    models, reasons = cost.workload_models(), cost.not_modelled()
    assert not set(models) & set(reasons) and set(models) | set(reasons) == set(chapters.order())
    assert set(models) <= set(cost.chapter_titles()) and set(models) <= set(NOTEBOOKS_ON_DISK)


@pytest.mark.parametrize("profile", profiles.PROFILES)
@pytest.mark.parametrize("notebook", [nb for nb in NOTEBOOKS_ON_DISK if nb not in cost.not_modelled()])
def test_the_cost_model_knows_every_training_notebook_in_every_profile(notebook, profile):
    loads = cost.workloads(profile, [notebook])
    assert loads and all(w.runs >= 1 and w.images > 0 and w.flops > 0 for w in loads), loads


def test_a_stale_cost_model_says_so_instead_of_failing_the_page(monkeypatch):
    def stale(notebook, settings):
        return [cost.Workload(notebook, "runs", 1, settings["no_such_setting"], "smallcnn", 28)]

    models = {**cost.workload_models(), "imbalance": stale}
    monkeypatch.setattr(cost, "workload_models", lambda: models)
    row = cost.projection(_costs([]), notebooks=["imbalance"]).loc["Class imbalance"]
    assert pd.isna(row["paper h, this CPU (est.)"])
    assert "not estimated: the cost model of imbalance failed on the smoke settings (KeyError" in row["how estimated"]
