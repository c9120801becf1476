"""TSynD experiment plumbing: cache steps, profiles, claims and the generated report text."""

import itertools

import numpy as np
import pandas as pd

from synthmed import cache, claims, profiles
from synthmed.reference import load
from synthmed.tsynd import experiment, report


def test_scoring_and_report_are_outside_the_training_step():
    train = cache.step_modules(experiment.train)
    score = cache.step_modules(experiment.score)
    assert "synthmed.tsynd.training" in train and "synthmed.fit" in train
    assert not any("robustness" in m or "report" in m for m in train)
    assert "synthmed.tsynd.robustness" in score
    assert "function synthmed.tsynd.experiment.train" in score  # a retrained model is rescored


def test_paper_profile_trains_by_epochs_and_cites_every_paper_value():
    paper, quick = profiles.resolve("tsynd", "paper"), profiles.resolve("tsynd", "quick")
    cfg = experiment.train_config(paper, "tsynd")
    assert cfg.epochs == 100 and cfg.iterations is None and cfg.latent_units == "std"
    assert cfg.fit_config(546).steps == 100 * 18  # BreastMNIST's 546 training images, batch 32
    assert (cfg.noise_sigma, cfg.ascent_lr, cfg.ascent_steps) == (1.0, 0.1, 50)
    assert experiment.train_config(quick, "tsynd").epochs is None
    src = profiles.sources("tsynd")
    assert set(paper) <= set(src), f"no source for {sorted(set(paper) - set(src))}"
    for key in ("epochs", "fraction", "seeds", "test_sigma", "noise_sigma", "ascent_lr", "ascent_steps", "backbone"):
        assert src[key].startswith(("Sec.", "Table")), f"{key}: the paper states it, the source must cite it"
    for key in ("batch_size", "lr", "k", "fgsm_eps", "vqvae_steps", "latent_units"):
        assert "ours" in src[key], f"{key}: the paper does not state it"
    assert "uniform noise" in src["noise_sigma"] and "does not state" in src["latent_units"]


def _runs(diffs: dict, n_seeds=5, base=70.0):
    """A runs frame for breastmnist 10 %: TSynD = Baseline + diffs[condition] + small seed noise."""
    rng = np.random.default_rng(0)
    rows = []
    for cond, seed in itertools.product(("clean", "gaussian", "fgsm"), range(n_seeds)):
        b = base + rng.normal(0, 2)
        for method, acc in (("Baseline", b), ("Noise", b + 0.5 * diffs[cond]), ("TSynD", b + diffs[cond])):
            acc += rng.normal(0, 0.3)
            rows.append({"dataset": "breastmnist", "fraction": 0.1, "method": method, "seed": seed,
                         "test_condition": cond, "level": 0.0, "accuracy": acc / 100,
                         "balanced_accuracy": (acc - 10) / 100, "majority_rate": 0.731, "constant": False})
    return report.runs_frame(rows)


def test_claims_keep_the_run_cells_and_fill_the_papers_figures():
    ref = load("tsynd_table1")
    runs = _runs({"clean": 1, "gaussian": 5, "fgsm": -5})
    cs = report.table1_claims(ref, runs, missing=["dermamnist", "pathmnist"])
    ids = {c.id: c for c in cs}
    assert "tsynd-t1-clean-vs-baseline-breastmnist-0.1" in ids
    assert not any("breastmnist-0.01" in i or "pneumoniamnist" in i for i in ids)  # not run
    assert {i for i in ids if ids[i].untestable} == {"tsynd-t1-vs-baseline-dermamnist", "tsynd-t1-vs-noise-dermamnist",
                                                      "tsynd-t1-vs-baseline-pathmnist", "tsynd-t1-vs-noise-pathmnist"}
    # the paper's BreastMNIST 10 % clean cell: TSynD 77.8, Baseline 75.2 (from the reference table, not typed)
    assert ids["tsynd-t1-clean-vs-baseline-breastmnist-0.1"].paper_figure == "TSynD 77.8 vs Baseline 75.2"
    assert ids["tsynd-t1-gaussian-vs-baseline-balanced-breastmnist-0.1"].paper_figure.startswith("not reported")
    assert ids["tsynd-t1-vs-baseline-pathmnist"].paper_figure == "TSynD above Baseline in 6 of 6 cells"


def test_verdicts_colour_the_grid_and_the_text_follows_the_numbers():
    ref = load("tsynd_table1")
    runs = _runs({"clean": 0.0, "gaussian": 6.0, "fgsm": -6.0})
    verdicts = claims.judge_all(report.table1_claims(ref, runs, []), runs, "quick")
    by_id = {v.claim.id: v.verdict for v in verdicts}
    assert by_id["tsynd-t1-gaussian-vs-baseline-breastmnist-0.1"] == "supported"
    assert by_id["tsynd-t1-fgsm-vs-baseline-breastmnist-0.1"] == "contradicted"
    colours = report.cell_verdicts(verdicts)
    assert colours[("breastmnist", 0.1, "gaussian")] == "supported"
    grid = report.table1_grid(runs, ref, colours)
    html = grid.to_html()
    assert "(77.8)" in html and "supported" in html and "contradicted" in html
    assert list(grid.cells.index.names) == ["condition", "method"]
    text = report.verdict_text(verdicts)
    assert "1 supported" in text and "1 contradicted" in text
    scale = "profile (smaller models"
    assert (scale in text) == any(v.verdict == "inconclusive" for v in verdicts)
    decided = _runs({"clean": 8.0, "gaussian": 6.0, "fgsm": 7.0})
    all_supported = claims.judge_all(report.table1_claims(ref, decided, []), decided, "quick")
    assert {v.verdict for v in all_supported if not v.claim.untestable} == {"supported"}
    assert scale not in report.verdict_text(all_supported) and "inconclusive" not in report.verdict_text(all_supported)


def test_constant_and_sweep_text_are_computed():
    runs = _runs({"clean": 0.0, "gaussian": 0.0, "fgsm": 0.0})
    assert "0 of 15 scored runs are constant" in report.constant_text(runs, 0.2)
    assert "A constant predictor" not in report.constant_text(runs, 0.2)
    runs.loc[(runs.test_condition == "gaussian") & (runs.method == "Baseline"), "constant"] = True
    text = report.constant_text(runs, 0.2)
    assert "5 of 15" in text and "Baseline 5 of 5" in text and "A constant predictor" in text
    sweep = pd.concat([runs[runs.test_condition == "gaussian"].assign(level=s) for s in (0.05, 0.2)])
    sweep.loc[sweep.level == 0.05, "constant"] = False
    lines = report.sweep_text(sweep).splitlines()
    assert lines[0].startswith("- Baseline") and "from σ = 0.2" in lines[0]
    assert "fewer than half" in lines[2]
