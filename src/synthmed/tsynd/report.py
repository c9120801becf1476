"""Tables, figures and generated text of the TSynD Table 1 notebook.

- :func:`runs_frame`: the long per-run frame (percent), the input of everything below and of the verdicts;
- :func:`table1_grid`: Table 1 in the paper's layout (method x test condition as rows, dataset x fraction as
  columns), ours and the paper's figure in one cell, the verdict of "TSynD beats Baseline" as the TSynD cells'
  background;
- :func:`table1_figure` / :func:`figure_caption`: means with 95 % t intervals over seeds, the paper's value marked;
- :func:`sweep_figure` / :func:`sweep_text`: accuracy and balanced accuracy against the test-noise sigma;
- :func:`constant_text`: what the paper's sigma does to our classifiers (constant predictors);
- the trivial-predictor context of the paper's own cells (:func:`paper_constant_cells`, issue 6).

Every sentence is computed from the numbers it describes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown

from synthmed import claims, display, reference
from synthmed.data import available, load_medmnist
from synthmed.device import describe
from synthmed.tsynd import paper_scale
from synthmed.tsynd.experiment import as_list, ascent_rows, result_rows
from synthmed.tsynd.robustness import CONDITION_LABELS, EXTRA_CONDITION_LABELS, clamp_shift, pm1_sigma
from synthmed.tsynd.training import METHOD_LABELS

# The chapter's vocabulary, defined once beside the code that produces it: method labels (training), test
# conditions (robustness); {code: label}
METHODS = list(METHOD_LABELS.values())
CONDITIONS = CONDITION_LABELS  # Table 1's
EXTRA_CONDITIONS = EXTRA_CONDITION_LABELS  # ours, beside Table 1's
ALL_CONDITIONS = {**CONDITIONS, **EXTRA_CONDITIONS}
METRICS = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy"}


def fraction_label(fraction: float) -> str:
    """0.01 -> '1 %', 0.1 -> '10 %'."""
    return f"{100 * float(fraction):g} %"


def runs_frame(rows: list[dict]) -> pd.DataFrame:
    """(runs x conditions, ...) rows of :func:`synthmed.tsynd.experiment.result_rows` as a frame with accuracy,
    balanced accuracy and majority rate in percent, a ``fraction_label`` column, categorical method order and
    ``chance`` (:func:`chance_rate`)."""
    frame = pd.DataFrame(rows)
    for col in ("accuracy", "balanced_accuracy", "majority_rate"):
        frame[col] = 100 * frame[col]
    frame["fraction_label"] = frame["fraction"].map(fraction_label)
    if "dataset" in frame.columns:
        frame["chance"] = frame["dataset"].map(chance_rate)
    return frame


def chance_rate(dataset: str) -> float:
    """The balanced accuracy of guessing on ``dataset``: 1 / its number of classes (medmnist's INFO; nih1000 is
    binary). The claims engine's chance rule reads it from the runs' ``chance`` column (RetinaMNIST: 0.2); NaN for
    a name that is neither (the engine then takes 0.5)."""
    from medmnist.info import INFO

    from synthmed.data.medmnist import parse_name

    if dataset == "nih1000":
        return 0.5
    try:
        flag, _ = parse_name(dataset)
        return 1.0 / len(INFO[flag]["label"])
    except (ValueError, KeyError):
        return float("nan")


def setup_table(runs: pd.DataFrame, results_meta: list[dict]) -> pd.DataFrame:
    """Per dataset: labelled images per fraction, test images, majority-class rate, VQ-VAE test MSE and latent std.
    results_meta: one {"dataset", "fraction", "n_train", "n_test", "vqvae"} per run."""
    meta = pd.DataFrame(results_meta)
    out = []
    for d, g in meta.groupby("dataset", sort=False):
        vq = next((v for v in g["vqvae"] if v), None)
        sizes = g.groupby("fraction")["n_train"].agg(lambda n: "–".join(map(str, sorted(set(n)))))
        out.append({"dataset": d,
                    "labelled images": ", ".join(f"{fraction_label(f)}: {n}" for f, n in sizes.items()),
                    "test images": int(g["n_test"].iloc[0]),
                    "majority-class rate (%)": round(float(runs.loc[runs.dataset == d, "majority_rate"].iloc[0]),
                                                     1),
                    "VQ-VAE test MSE": round(vq["test_mse"], 4) if vq else None,
                    "latent std": round(vq["latent_std"], 3) if vq else None})
    return pd.DataFrame(out)


def _paper(reference: pd.DataFrame) -> pd.DataFrame:
    ref = reference.assign(fraction=reference["fraction"].round(4))
    return ref.rename(columns={"accuracy": "paper"})


def cell_frame(runs: pd.DataFrame, reference: pd.DataFrame, verdicts: dict | None = None) -> pd.DataFrame:
    """One row per (method, test condition, dataset, fraction): accuracy and balanced accuracy (mean, std over
    seeds), constant runs, the paper's accuracy, and ``verdict`` (TSynD rows only: the verdict label of the claim
    keyed (dataset, fraction, condition) in ``verdicts``)."""
    keys = ["dataset", "fraction", "test_condition", "method"]
    agg = runs.groupby(keys, sort=False).agg(
        acc=("accuracy", "mean"), acc_sd=("accuracy", "std"), bacc=("balanced_accuracy", "mean"),
        bacc_sd=("balanced_accuracy", "std"), constant=("constant", "sum"), n=("seed", "count"),
        majority=("majority_rate", "first")).reset_index()
    agg = agg.assign(fraction=agg["fraction"].round(4)).merge(_paper(reference), on=keys, how="left")
    verdicts = verdicts or {}
    agg["verdict"] = [verdicts.get((r.dataset, r.fraction, r.test_condition), "") if r.method == "TSynD" else ""
                      for r in agg.itertuples()]
    return agg


def _cell_text(r) -> str:
    sd = "" if np.isnan(r.acc_sd) else f" ± {r.acc_sd:.1f}"
    paper = "" if np.isnan(r.paper) else f" ({r.paper:.1f})"
    mark = " †" if r.constant == r.n else ""
    bsd = "" if np.isnan(r.bacc_sd) else f" ± {r.bacc_sd:.1f}"
    return f"{r.acc:.1f}{sd}{paper}{mark}\nbal. {r.bacc:.1f}{bsd}"


def table1_grid(runs: pd.DataFrame, reference: pd.DataFrame, verdicts: dict | None = None) -> display.Grid:
    """Table 1 in the paper's layout. Cell: our accuracy mean ± std over seeds, the paper's accuracy in
    parentheses (one decimal, as printed), † if every run is a constant predictor, and our balanced accuracy
    below. Column headers carry each test split's majority-class rate. Only Table 1's conditions are shown."""
    runs = runs[runs["test_condition"].isin(list(CONDITIONS))]
    cells = cell_frame(runs, reference, verdicts)
    cells["condition"] = pd.Categorical(cells["test_condition"].map(CONDITIONS), list(CONDITIONS.values()))
    cells["method"] = pd.Categorical(cells["method"], [m for m in METHODS if m in set(cells["method"])])
    cells["dataset "] = [f"{d} (majority {m:.1f} %)" for d, m in zip(cells["dataset"], cells["majority"])]
    cells["fraction "] = cells["fraction"].map(fraction_label)
    cells = cells.sort_values(["condition", "method", "dataset", "fraction"])
    cells["condition"], cells["method"] = cells["condition"].astype(str), cells["method"].astype(str)
    n = int(runs["seed"].nunique())
    caption = (f"Test accuracy (%) mean ± std over {n} seed{'s' if n > 1 else ''}, the paper's in parentheses; "
               "bal.: balanced accuracy; † every run puts ≥ 95 % of the test images in one class. TSynD cells are "
               "coloured by the verdict on 'TSynD beats Baseline' (accuracy, paired by seed).")
    return display.compact_grid(cells, rows=["condition", "method"], columns=["dataset ", "fraction "],
                                cell=_cell_text, colour="verdict", caption=caption)


def _cell(dataset: str, fraction: float) -> str:
    """x label of a (dataset, fraction) cell: 'breast\\n10 %' (MedMNIST names without their suffix, to fit)."""
    return f"{dataset.removesuffix('mnist')}\n{fraction_label(fraction)}"


def _long(runs: pd.DataFrame) -> pd.DataFrame:
    frame = runs.assign(cell=[_cell(d, f) for d, f in zip(runs["dataset"], runs["fraction"])],
                        condition=runs["test_condition"].map(CONDITIONS))
    return frame.melt(id_vars=["cell", "condition", "method", "seed", "dataset", "fraction"],
                      value_vars=list(METRICS), var_name="metric", value_name="percent").assign(
        metric=lambda f: f["metric"].map(METRICS))


def table1_figure(runs: pd.DataFrame, reference: pd.DataFrame) -> plt.Figure:
    """Accuracy and balanced accuracy (rows) per method, one panel per test condition, x = dataset and fraction;
    points are means with 95 % t intervals over seeds; black diamonds are the paper's accuracies."""
    runs = runs[runs["test_condition"].isin(list(CONDITIONS))]
    long = _long(runs)
    ref = _paper(reference).rename(columns={"paper": "percent"})
    ref = ref.assign(cell=[_cell(d, f) for d, f in zip(ref["dataset"], ref["fraction"])],
                     condition=ref["test_condition"].map(CONDITIONS), metric="accuracy")
    ref = ref[ref["cell"].isin(long["cell"])]
    fig = display.interval_figure(long, x="cell", y="percent", hue="method", col="condition", row="metric",
                                  reference=ref, hue_order=[m for m in METHODS if m in set(long["method"])],
                                  col_order=list(CONDITIONS.values()),
                                  row_order=list(METRICS.values()), ylabel="%", height=2.6, aspect=1.6)
    for ax in fig.axes:
        ax.set_ylim(0, 100)  # percentages; an interval of two seeds can reach far beyond (t with 1 df)
    return fig


def _paired(runs: pd.DataFrame, metric: str, a: str = "TSynD", b: str = "Baseline") -> pd.DataFrame:
    """Per (dataset, fraction, condition): mean paired difference a - b (points) over seeds."""
    wide = runs.pivot_table(index=["dataset", "fraction", "test_condition", "seed"], columns="method",
                            values=metric)
    if a not in wide or b not in wide:
        return pd.DataFrame(columns=["dataset", "fraction", "test_condition", "diff"])
    return (wide[a] - wide[b]).groupby(level=[0, 1, 2]).mean().rename("diff").reset_index()


def figure_caption(runs: pd.DataFrame, reference: pd.DataFrame) -> str:
    """What the Table 1 figure shows, computed from it: in how many cells TSynD's mean is above Baseline's, by
    how much at most, and how many of the paper's values lie inside our 95 % interval for that method."""
    runs = runs[runs["test_condition"].isin(list(CONDITIONS))]
    diffs = _paired(runs, "accuracy")
    parts = ["Points: mean over seeds with 95 % t intervals; diamonds: the paper's accuracy."]
    if len(diffs):
        up = int((diffs["diff"] > 0).sum())
        best = diffs.loc[diffs["diff"].abs().idxmax()]
        parts.append(f"TSynD's mean accuracy is above Baseline's in {up} of {len(diffs)} (dataset, fraction, "
                     f"condition) cells; the largest mean paired difference is {best['diff']:+.1f} points "
                     f"({best.dataset} {fraction_label(best.fraction)}, {CONDITIONS[best.test_condition]}).")
    cells = cell_frame(runs, reference)
    cells = cells[cells["paper"].notna()]
    if len(cells):
        inside = 0
        for r in cells.itertuples():
            vals = runs[(runs.dataset == r.dataset) & (runs.fraction.round(4) == r.fraction)
                        & (runs.test_condition == r.test_condition) & (runs.method == r.method)]["accuracy"]
            lo, hi = display.t_interval(vals)
            inside += bool(lo <= r.paper <= hi)
        parts.append(f"The paper's value lies inside our interval in {inside} of {len(cells)} cells that it "
                     f"reports.")
    else:
        parts.append("None of the datasets run here is in the paper's Table 1, so no paper values are marked.")
    return " ".join(parts)


def sweep_figure(sweep: pd.DataFrame, xlabel: str = "test-noise σ (pixels in [0, 1])") -> plt.Figure:
    """Accuracy and balanced accuracy against the test-noise sigma, per method: one column per dataset, one row per
    (metric, fraction); lines through means over seeds with 95 % t intervals; the dotted line is the test split's
    majority-class rate."""
    import seaborn as sns

    long = sweep.melt(id_vars=["dataset", "fraction", "fraction_label", "method", "seed", "level", "majority_rate"],
                      value_vars=list(METRICS), var_name="metric", value_name="percent")
    long["panel"] = long["metric"].map(METRICS) + ", " + long["fraction_label"]
    order = [f"{METRICS[m]}, {fraction_label(f)}" for m in METRICS for f in sorted(long["fraction"].unique())]
    hue_order = [m for m in METHODS if m in set(long["method"])]
    grid = sns.relplot(data=long, kind="line", x="level", y="percent", hue="method", hue_order=hue_order,
                       col="dataset", row="panel", row_order=order, marker="o", errorbar=display.t_interval,
                       height=2.0, aspect=1.3, palette="colorblind")
    levels = sorted(long["level"].unique())
    for (panel, dataset), ax in grid.axes_dict.items():
        if panel.startswith("accuracy"):
            ax.axhline(long.loc[long["dataset"] == dataset, "majority_rate"].iloc[0], ls=":", c="grey", lw=1)
        ax.set_xticks(levels, [f"{s:g}" for s in levels], fontsize=8)
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
    grid.set_titles("{col_name}\n{row_name}", size=9)
    grid.set_axis_labels(xlabel, "%")
    grid.tight_layout()
    sns.move_legend(grid, "lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(hue_order), title=None,
                    frameon=False)
    return grid.figure


def constant_text(runs: pd.DataFrame, sigma: float) -> str:
    """What Gaussian test noise at the paper's sigma does to our classifiers: constant predictors per method and
    the accuracy drop from clean, all computed."""
    g = runs[runs["test_condition"] == "gaussian"]
    c = runs[runs["test_condition"] == "clean"]
    if g.empty:
        return ""
    per = g.groupby("method", observed=True)["constant"].agg(["sum", "count"])
    listed = ", ".join(f"{m} {int(r['sum'])} of {int(r['count'])}" for m, r in per.iterrows())
    drop = (c.groupby("method")["accuracy"].mean() - g.groupby("method")["accuracy"].mean()).reindex(per.index)
    bdrop = (c.groupby("method")["balanced_accuracy"].mean()
             - g.groupby("method")["balanced_accuracy"].mean()).reindex(per.index)
    n_const, n = int(per["sum"].sum()), int(per["count"].sum())
    text = (f"With Gaussian noise of σ = {sigma:g} added to the test images, {n_const} of {n} scored runs are "
            f"constant predictors (≥ 95 % of the test images in one class; {listed}). ")
    text += ("Mean accuracy falls from clean by " + ", ".join(f"{d:.1f} ({m})" for m, d in drop.items())
             + " points and balanced accuracy by " + ", ".join(f"{d:.1f} ({m})" for m, d in bdrop.items())
             + " points.")
    if n_const:
        text += (" A constant predictor scores the majority-class rate in accuracy and 50 % (binary) or "
                 "1/C in balanced accuracy, so where they are frequent the Gaussian cells compare how often a "
                 "classifier collapses rather than how well it classifies.")
    return text


def sweep_text(sweep: pd.DataFrame, symbol: str = "σ") -> str:
    """Per method: balanced accuracy at the smallest and largest sweep sigma, averaged over datasets, fractions
    and seeds, and the smallest sigma at which at least half of its runs are constant predictors."""
    lo, hi = sweep["level"].min(), sweep["level"].max()
    lines = []
    for m in [x for x in METHODS if x in set(sweep["method"])]:
        s = sweep[sweep["method"] == m]
        b = s.groupby("level")["balanced_accuracy"].mean()
        share = s.groupby("level")["constant"].mean()
        collapse = share[share >= 0.5]
        where = (f"at least half of its runs are constant predictors from {symbol} = {collapse.index.min():g}"
                 if len(collapse) else f"fewer than half of its runs are constant predictors at every {symbol}")
        lines.append(f"- {m}: balanced accuracy {b.loc[lo]:.1f} % at {symbol} = {lo:g} and {b.loc[hi]:.1f} % at "
                     f"{symbol} = {hi:g}; {where}.")
    return "\n".join(lines)


CLAIMS_FILE = Path(__file__).with_name("claims.yaml")


def _paper_figure(claim: claims.Claim, ref: pd.DataFrame) -> str:
    """The paper's numbers behind ``claim``, from its Table 1 (empty when the paper did not run that cell)."""
    a, b = claim.a, claim.b or {}
    rows = ref[ref["dataset"] == a["dataset"]]
    if "fraction" in a:
        rows = rows[np.isclose(rows["fraction"], a["fraction"]) & (rows["test_condition"] == a["test_condition"])]
        acc = rows.set_index("method")["paper"]
        if a["method"] not in acc or b["method"] not in acc:
            return ""
        text = f"{a['method']} {acc[a['method']]:.1f} vs {b['method']} {acc[b['method']]:.1f}"
        return text if claim.metric == "accuracy" else f"not reported (accuracy: {text})"
    wide = rows.pivot_table(index=["test_condition", "fraction"], columns="method", values="paper")
    if wide.empty:
        return ""
    up, ties = int((wide[a["method"]] > wide[b["method"]]).sum()), int((wide[a["method"]] == wide[b["method"]]).sum())
    return (f"{a['method']} above {b['method']} in {up} of {len(wide)} cells"
            + (f", equal in {ties}" if ties else ""))


def _paper_acc(ref: pd.DataFrame, dataset: str, fraction: float, condition: str) -> pd.Series:
    """The paper's accuracy per method in one Table 1 cell (empty when it did not run it). ``gaussian_pm1`` is the
    paper's Gaussian column read in the other pixel convention."""
    condition = "gaussian" if condition == "gaussian_pm1" else condition
    rows = ref[(ref["dataset"] == dataset) & np.isclose(ref["fraction"], fraction)
               & (ref["test_condition"] == condition)]
    return rows.set_index("method")["paper"]


def paper_diff(ref: pd.DataFrame, a: str, b: str, cells, condition: str) -> float | None:
    """The paper's own mean difference a - b (accuracy points) over the (dataset, fraction) ``cells`` its Table 1
    reports for ``condition`` (None when it reports none of them or lacks a or b)."""
    diffs = []
    for d, f in cells:
        acc = _paper_acc(ref, d, f, condition)
        if a in acc and b in acc:
            diffs.append(float(acc[a] - acc[b]))
    return float(np.mean(diffs)) if diffs else None


def _classify(claim: claims.Claim, ref: pd.DataFrame) -> claims.Claim:
    """A per-cell claim with its paper figure, paper_diff and origin: it stays the paper's only where the dataset
    is in Table 1 and the paper's own cell shows the claimed direction (A above B); otherwise origin "ours" with why
    saying which (an extension, or a direction the paper's own table does not show)."""
    a, b = claim.a, claim.b or {}
    figure = _paper_figure(claim, ref)
    if claim.origin != "paper":
        return replace(claim, paper_figure=figure)
    if a["dataset"] not in set(ref["dataset"]):
        return replace(claim, origin="ours", why=f"ours: extension to {a['dataset']}, not in the paper's Table 1",
                       source="Sec. 4.1 (its general claim; this dataset is not in Table 1)", paper_figure=figure)
    acc = _paper_acc(ref, a["dataset"], float(a["fraction"]), a["test_condition"])
    if a["method"] not in acc or b["method"] not in acc:
        return replace(claim, origin="ours", why="ours: the paper's Table 1 lacks this cell", paper_figure=figure)
    diff = float(acc[a["method"]] - acc[b["method"]])
    if diff <= 0:
        shows = "a tie" if diff == 0 else "the opposite"
        return replace(claim, origin="ours", paper_figure=figure, paper_diff=diff,
                       why=f"ours: the paper's own Table 1 shows {shows} here ({figure})")
    return replace(claim, paper_figure=figure, paper_diff=diff)


def _pooled(claim: claims.Claim, ref: pd.DataFrame, cells) -> claims.Claim:
    """A pooled claim with the paper's mean difference over the run cells its Table 1 reports."""
    if claim.metric != "accuracy" or "test_condition" not in claim.a:
        return claim
    d = paper_diff(ref, claim.a["method"], claim.b["method"], cells, claim.a["test_condition"])
    if d is None:
        return claim
    mine = [c for c in cells if len(_paper_acc(ref, *c, claim.a["test_condition"]))]
    # the size comparison reads our interval on these cells only (the paper's datasets and fractions); the pooled
    # interval over every cell we ran stays the verdict's
    paper_cells = tuple({"dataset": ds, "fraction": float(f)} for ds, f in mine
                        if set(claim.pool) == {"dataset", "fraction"})
    return replace(claim, paper_diff=d, paper_cells=paper_cells,
                   paper_figure=f"{claim.a['method']} − {claim.b['method']} {d:+.1f} points, "
                   f"mean of the {len(mine)} run cell(s) in Table 1")


def _readable(claim: claims.Claim) -> claims.Claim:
    """The claim with its test condition's code in the text replaced by the condition's name."""
    cond = claim.a.get("test_condition")
    if cond not in ALL_CONDITIONS:
        return claim
    return replace(claim, text=claim.text.replace(f"{cond} test images", f"{ALL_CONDITIONS[cond]} test images"))


def table1_claims(reference: pd.DataFrame, runs: pd.DataFrame, missing: list[str],
                  path: Path = CLAIMS_FILE, unrun: str | None = None) -> list[claims.Claim]:
    """The chapter's claims on the runs frame (``claims.yaml`` without the mechanism claims of
    :func:`mechanism_claims`): the pooled claims; per-cell claims for the (dataset, fraction) cells and test
    conditions present in ``runs`` (origin and paper_diff from the paper's own Table 1, :func:`_classify`); the
    per-dataset untestable claims for the paper's datasets in ``missing`` (no data file here) and the claims on data
    the chapter did not run (chest X-rays). A claim whose sides have no runs (:func:`synthmed.claims.unmatched`) is
    left out, or, with ``unrun`` (a profile name), kept as untestable with :func:`synthmed.claims.not_run_reason`
    (a bundle still being filled shows what it lacks)."""
    ref = _paper(reference)
    run_cells = sorted({(d, round(float(f), 4)) for d, f in zip(runs["dataset"], runs["fraction"])})
    keep = []
    for c in claims.load_claims(path, paper="TSynD", chapter="tsynd", section="tsynd.html#verdicts"):
        if "stage" in c.a:
            continue
        c = _readable(c)
        if c.untestable:
            dataset = c.a.get("dataset")
            if dataset is None or dataset in missing or dataset not in set(ref["dataset"]):
                keep.append(replace(c, paper_figure=_paper_figure(c, ref)))
            continue
        not_run = claims.unmatched(c, runs)  # a cell, condition or method this profile does not run
        if not_run and not unrun:
            continue
        c = _pooled(c, ref, run_cells) if "fraction" not in c.a else _classify(c, ref)
        keep.append(replace(c, untestable=claims.not_run_reason(c, runs, unrun)) if not_run else c)
    return keep


# ---- the ascent: displacement and MI before / after (issue 24) ----------------------------------------------------

def first_evaluation_text(runs: pd.DataFrame) -> str:
    """Markdown: in how many runs the kept model is the first evaluation's (``best_is_first`` of
    :func:`synthmed.fit.fit`: no later evaluation beat its validation metric, nor tied it at a lower or equal
    validation loss), per method and (dataset, fraction) cell where any is; "" without that column."""
    if "best_is_first" not in runs:
        return ""
    r = runs.drop_duplicates(["dataset", "fraction", "method", "seed"])
    first = r["best_is_first"].astype("boolean").fillna(False).astype(bool)
    if not first.any():
        return f"In none of the {len(r)} runs is the kept model the one of the first evaluation."
    parts = [f"{m} on {d} {fraction_label(f)}: {int(g.sum())} of {len(g)}"
             for (d, f, m), g in first.groupby([r["dataset"], r["fraction"], r["method"]], sort=False, observed=True)
             if g.any()]
    return (f"In {int(first.sum())} of {len(r)} runs the kept model is the one of the first evaluation (a flat or "
            f"falling validation curve: the model barely trained): {'; '.join(parts)}.")


def ascent_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows of :func:`synthmed.tsynd.experiment.ascent_rows` as a frame with ``cell`` (dataset and fraction) and
    ``ratio`` (displacement / noise sigma)."""
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["cell"] = [_cell(d, f) for d, f in zip(frame["dataset"], frame["fraction"])]
    frame["fraction_label"] = frame["fraction"].map(fraction_label)
    frame["ratio"] = frame["displacement"] / frame["noise_sigma"]
    return frame


def mechanism_frame(ascent: pd.DataFrame) -> pd.DataFrame:
    """Rows per run of ``ascent`` with column ``mi``, paired by seed: the runs frame of the mechanism claims. Stage
    "before" / "after": the synthetic images' MI before / after the run's own move; stage "random" (TSynD runs that
    recorded it): after the matched random move (the ascent's per-image lengths, a random direction) measured at the
    same steps on the same frozen classifier, from the same start as "after". So "after" vs "random" compares the MI
    gain of the ascent with that of the matched random move on one classifier (their "before" is the same)."""
    keys = ["dataset", "fraction", "method", "seed"]
    parts = [ascent[keys].assign(stage=s, mi=ascent[s]) for s in ("before", "after")]
    if "after_random" in ascent:
        has = ascent["after_random"].notna()
        parts.append(ascent.loc[has, keys].assign(stage="random", mi=ascent.loc[has, "after_random"]))
    return pd.concat(parts, ignore_index=True)


def mechanism_claims(ascent: pd.DataFrame, path: Path = CLAIMS_FILE) -> list[claims.Claim]:
    """The claims on the ascent's premise (selectors with ``stage``) for the cells, methods and stages in
    ``ascent`` (stage "random" only where TSynD runs recorded the matched random move)."""
    cells = {(d, round(float(f), 4)) for d, f in zip(ascent["dataset"], ascent["fraction"])}
    methods = set(ascent["method"])
    stages = set(mechanism_frame(ascent)["stage"])
    return [c for c in claims.load_claims(path, paper="TSynD", chapter="tsynd", section="tsynd.html#verdicts")
            if "stage" in c.a and {c.a["method"], c.b["method"]} <= methods and {c.a["stage"], c.b["stage"]} <= stages
            and ("fraction" not in c.a or (c.a["dataset"], round(float(c.a["fraction"]), 4)) in cells)]


def ascent_figure(ascent: pd.DataFrame) -> plt.Figure:
    """Per run (points) and (dataset, fraction) cell: left, the mean RMS latent displacement of the synthetic
    latents in units of the latent noise σ (dotted line: σ, dashed: 3σ); right, the classifier's MI after minus
    before the move (millinats). TSynD moves by the ascent, Noise-matched by as much in a random direction."""
    import seaborn as sns

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
    order = list(dict.fromkeys(ascent["cell"]))
    hue_order = [m for m in METHODS if m in set(ascent["method"])]
    kw = dict(x="cell", hue="method", order=order, hue_order=hue_order, dodge=True, palette="colorblind", size=4)
    sns.stripplot(data=ascent, y="ratio", ax=axes[0], **kw)
    axes[0].axhline(1, ls=":", c="grey", lw=1, label="noise σ")
    axes[0].axhline(3, ls="--", c="grey", lw=1, label="3 σ")
    axes[0].set_ylabel("displacement / noise σ")
    axes[0].set_ylim(bottom=0)
    sns.stripplot(data=ascent.assign(gain=1000 * ascent["gain"]), y="gain", ax=axes[1], legend=False, **kw)
    axes[1].axhline(0, c="grey", lw=1)
    axes[1].set_ylabel("MI after − before (millinats)")
    for ax in axes:
        ax.set_xlabel("")
        ax.grid(alpha=0.3, axis="y")
    axes[0].legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def ascent_text(ascent: pd.DataFrame) -> str:
    """Per dataset and method: mean displacement in noise σ units, MI before and after (millinats), over runs."""
    lines = []
    for (d, m), g in ascent.groupby(["dataset", "method"], sort=False):
        lines.append(f"- {d}, {m}: the synthetic latents move {g['ratio'].mean():.1f}× the noise σ on average "
                     f"(range {g['ratio'].min():.1f}–{g['ratio'].max():.1f} over {len(g)} runs); the classifier's MI "
                     f"goes from {1000 * g['before'].mean():.1f} to {1000 * g['after'].mean():.1f} millinats "
                     f"({'up' if g['gain'].mean() > 0 else 'down'} in {int((g['gain'] > 0).sum())} of {len(g)} "
                     "runs).")
    t = ascent[ascent["method"] == "TSynD"]
    if len(t):
        lines.append(f"\nOver all TSynD runs the ascent moves the latents {t['ratio'].min():.1f}–"
                     f"{t['ratio'].max():.1f}× the noise σ: "
                     + ("at least 3× in every run." if (t["ratio"] >= 3).all() else
                        f"under 3× in {int((t['ratio'] < 3).sum())} of {len(t)} runs."))
        if "gain_random" in t and t["gain_random"].notna().any():
            r = t[t["gain_random"].notna()]
            lines.append(f"On the same frozen classifier, at the same steps and from the same noisy latents, the "
                         f"ascent raises the MI by {1000 * r['gain'].mean():.1f} millinats on average and a random "
                         f"move of the same per-image lengths by {1000 * r['gain_random'].mean():.1f} (the ascent's "
                         f"gain is the larger in {int((r['gain'] > r['gain_random']).sum())} of {len(r)} runs).")
    if "move_std" in ascent and ascent["move_std"].notna().any():
        for m, g in ascent.groupby("method", sort=False):
            lines.append(f"- {m}, in units of the VQ-VAE's latent std ({g['latent_std'].min():.3g}–"
                         f"{g['latent_std'].max():.3g}): noise {g['noise_std'].mean():.2f}, move after it "
                         f"{g['move_std'].mean():.2f}; the decoded images change by RMS {g['pixel_rms'].mean():.3f} "
                         f"([0, 1] pixels) from the reconstructions.")
    return "\n".join(lines)


# ---- robustness beyond one FGSM step (issue 24) --------------------------------------------------------------------

def robustness_table(runs: pd.DataFrame, metric: str = "balanced_accuracy") -> pd.DataFrame:
    """Mean ``metric`` (percent) over seeds per (dataset, fraction, method) and test condition (columns in the
    order of :data:`ALL_CONDITIONS`)."""
    cols = [c for c in ALL_CONDITIONS if c in set(runs["test_condition"])]
    wide = runs.pivot_table(index=["dataset", "fraction_label", "method"], columns="test_condition", values=metric,
                            sort=False)
    return wide[cols].rename(columns=ALL_CONDITIONS).round(1)


def masking_text(runs: pd.DataFrame) -> str:
    """The gradient-masking check, computed: per method, mean balanced accuracy under white-box FGSM, PGD and the
    transfer attack (FGSM crafted on the paired model), and in how many (dataset, fraction) cells the transfer
    attack hurts more than the white-box one."""
    need = {"fgsm", "pgd", "transfer"}
    if not need <= set(runs["test_condition"]):
        return ""
    cell = runs.pivot_table(index=["dataset", "fraction", "method"], columns="test_condition",
                            values="balanced_accuracy")
    lines = []
    for m in [x for x in METHODS if x in set(runs["method"])]:
        g = cell.xs(m, level="method")
        worse = int((g["transfer"] < g["fgsm"]).sum())
        src = "the paired TSynD model" if m == "Baseline" else "the paired Baseline"
        lines.append(f"- {m}: balanced accuracy {g['fgsm'].mean():.1f} % under its own FGSM, {g['pgd'].mean():.1f} "
                     f"% under PGD, {g['transfer'].mean():.1f} % under FGSM crafted on {src}; the transferred "
                     f"attack hurts more than the white-box one in {worse} of {len(g)} cells.")
    lines.append("\nA model whose white-box robustness came from a hidden gradient would resist its own FGSM better "
                 "than one crafted on another model; PGD, which takes many small steps, is at most as kind as FGSM "
                 "to a model whose gradient is informative.")
    return "\n".join(lines)


def clamp_text(shifts: dict[str, tuple[float, float]], sigma: float) -> str:
    """What clamping does to Gaussian test noise, per dataset: the mean pixel change (in [0, 1] units) at the
    paper's σ on [0, 1] pixels and on [−1, 1] pixels (σ / 2 here). shifts: dataset -> (shift at σ, at σ / 2)."""
    listed = "; ".join(f"{d}: {100 * a:+.1f} and {100 * b:+.1f}" for d, (a, b) in shifts.items())
    return (f"The paper states σ = {sigma:g} without a pixel range. On [0, 1] pixels that is our `gaussian` "
            f"condition; on [−1, 1] pixels (MedMNIST's usual normalisation) the same σ is {sigma / 2:g} on [0, 1], "
            f"our `gaussian_pm1` condition. Noise is clamped back to the valid range, which cuts the negative tail on "
            f"black pixels and the positive one on white pixels, so the noise no longer has mean zero: on the test "
            f"images it changes the mean pixel by (percent of the range, at σ = {sigma:g} and {sigma / 2:g}) "
            f"{listed}.")


def cell_verdicts(verdicts: list[claims.Verdict], metric: str = "accuracy", against: str = "Baseline") -> dict:
    """{(dataset, fraction, test_condition): verdict label} of the per-cell "TSynD beats ``against``" claims in
    ``metric`` (the colours of :func:`table1_grid`)."""
    out = {}
    for v in verdicts:
        a, b = v.claim.a, v.claim.b or {}
        if "fraction" in a and v.claim.metric == metric and b.get("method") == against:
            out[(a["dataset"], round(float(a["fraction"]), 4), a["test_condition"])] = v.verdict
    return out


def verdict_text(verdicts: list[claims.Verdict]) -> str:
    """Counts of verdicts per comparison and test condition, then each decided claim's generated sentence; the
    undecided ones are summarised by how many seeds they would need."""
    frame = pd.DataFrame([{"group": _group(v.claim), "verdict": v.verdict} for v in verdicts])
    if frame.empty:
        return "No claim could be judged from these runs."
    lines = []
    for group, g in frame.groupby("group", sort=False):
        c = g["verdict"].value_counts()
        lines.append(f"- {group}: " + ", ".join(f"{n} {k}" for k, n in c.items()) + ".")
    decided = [v for v in verdicts if v.verdict in ("supported", "contradicted")]
    if decided:
        lines.append("\nDecided claims:\n")
        lines += [f"- {v.sentence()}" for v in decided]
    undecided = [v for v in verdicts if v.verdict == "inconclusive"]
    if undecided:
        need = [v.seeds_needed for v in undecided if v.seeds_needed is not None]
        span = (f"about {min(need)}" if need and min(need) == max(need) else
                f"between {min(need)} and {max(need)}" if need else "")
        lines.append(f"\n{len(undecided)} claim(s) are inconclusive: the 95 % interval of the paired difference "
                     "spans zero" + (f"; with the observed spread, {span} seeds would decide those that more "
                                     "seeds can decide" if need else "") + ".")
        if undecided[0].profile and undecided[0].profile != "paper":
            lines.append(f"These runs use the `{undecided[0].profile}` profile (smaller models and fewer training "
                         "and ascent steps than the paper), so an inconclusive cell says that any effect is "
                         "smaller than these seeds resolve at this scale, not that it is absent at the paper's.")
    return "\n".join(lines)


def _group(c: claims.Claim) -> str:
    if c.untestable:
        return "claims not run here"
    if "stage" in c.a:
        return "the ascent raises MI" + (" (pooled)" if "fraction" not in c.a else ", per cell")
    metric = "balanced accuracy" if c.metric == "balanced_accuracy" else "accuracy"
    pooled = " (pooled)" if "fraction" not in c.a else ""
    return f"TSynD vs {c.b['method']}, {ALL_CONDITIONS[c.a['test_condition']]}, {metric}{pooled}"


def sample_figure(examples: dict, title: str) -> plt.Figure:
    """Rows original / reconstruction / noise / tsynd of :func:`synthmed.tsynd.experiment.sample_examples`, each
    image titled with the classifier's mutual information on it (nats)."""
    names = ["original", "reconstruction", "noise", "tsynd"]
    n = len(examples["original"])
    fig, axes = plt.subplots(len(names), n, figsize=(1.6 * n, 1.8 * len(names)), squeeze=False)
    for i, name in enumerate(names):
        for j in range(n):
            img = examples[name][j].permute(1, 2, 0).squeeze(-1).numpy()
            axes[i, j].imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1)
            axes[i, j].set_title(f"MI {examples['mi_' + name][j]:.3f}", fontsize=8)
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
        axes[i, 0].set_ylabel(name, fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def sample_text(examples: dict) -> str:
    """Mean mutual information of each row of the sample figure, and which is highest."""
    means = {k: float(examples[f"mi_{k}"].mean()) for k in ("original", "reconstruction", "noise", "tsynd")}
    top = max(means, key=means.get)
    return ("Mean MI over these images: " + ", ".join(f"{k} {v:.4f}" for k, v in means.items())
            + f" nats; the {top} images have the highest"
            + (", as the ascent intends." if top == "tsynd" else
               ", so on these images the ascent did not raise the classifier's uncertainty above the other rows."))


def paper_scale_samples(root, version: str = paper_scale.VERSION) -> list:
    """For ``display(*parts)``: the decoded images of the first run of the paper-scale bundle ``version`` under
    ``root`` that stored them (:func:`synthmed.tsynd.paper_scale.stored_samples`; :func:`sample_figure` and
    :func:`sample_text`), or a line saying that no run has stored them yet."""
    stored = paper_scale.stored_samples(root, version)
    if not stored:
        return [Markdown("No run of this bundle has stored decoded images yet (runs computed since the bundle "
                         "began storing them do).")]
    name, ex = stored[0]
    fig = sample_figure(ex, f"{name}: paper-scale VQ-VAE; the ascent targets the seed's Baseline classifier")
    plt.close(fig)
    return [fig, Markdown(f"{len(stored)} run(s) stored such images; shown: `{name}`. " + sample_text(ex))]


def class_shares(labels) -> np.ndarray:
    """(C,) share of each class in (N,) labels, in percent."""
    counts = np.bincount(np.asarray(labels).reshape(-1))
    return 100.0 * counts / counts.sum()


def constant_like(accuracy: float, shares: np.ndarray, tol: float = 0.5) -> int | None:
    """The class whose test share (percent) lies within ``tol`` points of ``accuracy`` (percent), i.e. the class
    a constant predictor would need to predict to score it; None if no class is that close. ``tol`` covers the
    paper's one-decimal rounding plus small differences between test-set versions."""
    diff = np.abs(np.asarray(shares) - accuracy)
    c = int(diff.argmin())
    return c if diff[c] <= tol else None


def paper_constant_cells(reference: pd.DataFrame, shares: dict[str, np.ndarray], tol: float = 0.5) -> pd.DataFrame:
    """Rows of the paper's table (columns test_condition, method, dataset, fraction, accuracy) whose accuracy equals a
    class share of that dataset's test split within ``tol`` points; adds columns ``class`` and ``class_share``.
    shares: dataset -> (C,) percent, for the datasets whose test split could be read."""
    out = []
    for _, r in reference.iterrows():
        if r["dataset"] not in shares:
            continue
        c = constant_like(float(r["accuracy"]), shares[r["dataset"]], tol)
        if c is not None:
            out.append({**r.to_dict(), "class": c, "class_share": float(shares[r["dataset"]][c])})
    return pd.DataFrame(out, columns=[*reference.columns, "class", "class_share"])


def paper_constant_text(reference: pd.DataFrame, shares: dict[str, np.ndarray], n_test: dict[str, int]) -> str:
    """Per paper dataset: its majority-class rate and which of the paper's cells equal a class share (computed
    from the data file), or that its test split is not available here."""
    cells = paper_constant_cells(reference, shares)
    lines = []
    for d in sorted(set(reference["dataset"])):
        if d not in shares:
            lines.append(f"- **{d}**: test split not available here; its class shares cannot be computed.")
            continue
        own = cells[cells["dataset"] == d]
        listed = "; ".join(f"{r.method} {fraction_label(r.fraction)} {CONDITIONS[r.test_condition]} "
                           f"({r.accuracy:.1f})" for r in own.itertuples())
        lines.append(f"- **{d}**: the majority class is {shares[d].max():.1f} % of the {n_test[d]} test images. "
                     f"Paper cells within 0.5 points of a class share: {len(own)} of "
                     f"{int((reference['dataset'] == d).sum())}" + (f" ({listed})." if listed else "."))
    return "\n".join(lines)


def pooled_text(verdicts: list[claims.Verdict]) -> str:
    """The pooled claims (the paper's primary ones first), each with its verdict and paired interval, and the
    paper's own difference where its Table 1 gives it."""
    pooled = [v for v in verdicts if v.claim.pool and not v.claim.untestable]
    pooled.sort(key=lambda v: not v.claim.primary)
    lines = []
    for v in pooled:
        c = v.claim
        tag = "primary, the paper's" if c.primary else "ours"
        paper = f"; the paper's own difference {c.paper_diff:+.1f}" if c.paper_diff is not None else ""
        lines.append(f"- {c.text} ({tag}): **{v.verdict}**, {v.interval()} "
                     f"{'millinats' if c.metric == 'mi' else 'points'}{paper}.")
    return "\n".join(lines)


# ---- the Table 1 notebook's sections (notebooks/tsynd.py) ------------------------------------------------------------

@dataclass
class Plan:
    """What the Table 1 notebook runs: the paper's Table 1 (``ref``), the datasets with a file here (``local``), the
    paper's datasets without one (``missing``) and the labelled fractions."""

    ref: pd.DataFrame
    local: list[str]
    missing: list[str]
    fractions: list[float]


def table1_plan(settings) -> Plan:
    """The :class:`Plan` of a resolved ``tsynd`` settings."""
    ref = reference.load("tsynd_table1")
    missing = [d for d, s in available(sorted(set(ref["dataset"]))).items() if s != "ok"]
    return Plan(ref, settings.usable(settings.datasets), missing,
                [float(f) for f in as_list(settings.fraction)])


def plan_text(p: Plan, settings, device) -> str:
    """The line under the settings: device, what runs here, and the paper's datasets without a file here."""
    return (f"Device: {describe(device)}. Run here: {', '.join(p.local) or 'none'} at "
            f"{', '.join(map(fraction_label, p.fractions))}, seeds {settings.seeds}. "
            f"Paper datasets without a file here: {', '.join(p.missing) or 'none'}.")


#: the pooled claim the chapter opens its paper-scale answer with (ours: targeted vs a random move of the same size)
TARGETING_CLAIM = "tsynd-fgsm-vs-noise-matched-paper-scale"


def paper_scale_verdicts(rows: pd.DataFrame) -> list[claims.Verdict]:
    """The verdicts of the paper-scale rows ``rows`` (:func:`synthmed.tsynd.paper_scale.frame`): the chapter's
    Table 1 claims that those rows can judge (:func:`synthmed.tsynd.paper_scale.scale_claims`, runs the bundle
    still lacks kept as not run), judged as one family under the ``paper`` profile; none for no rows. The
    paper-scale page and the chapter's opener both read these."""
    if rows.empty:
        return []
    chapter_claims = table1_claims(reference.load("tsynd_table1"), rows, [], unrun="paper")
    return claims.judge_all(paper_scale.scale_claims(chapter_claims, rows), rows, "paper")


def paper_scale_pairs(rows: pd.DataFrame, verdicts: list[claims.Verdict]) -> list:
    """Each seed's paired difference under the pooled claims of the paper-scale page (the primary claims and ours
    that pool the cells; :func:`synthmed.claims.pairs_section`): [figure, caption], or [] with fewer than two
    seeds. rows, verdicts: :func:`synthmed.tsynd.paper_scale.frame` and :func:`paper_scale_verdicts` of them."""
    return claims.pairs_section([v for v in verdicts if v.claim.pool], {"rows": rows}, unit="seed")


def paper_scale_status(root=None) -> Markdown:
    """The chapter's paper-scale answer in a few generated lines (issue 32 item 6): how many runs of the v2 bundle
    (BreastMNIST at the paper's settings) are committed, and the targeting claim (:data:`TARGETING_CLAIM`:
    TSynD − Noise-matched, FGSM accuracy, paired by seed) with the engine's verdict on the paper-scale page
    (:func:`paper_scale_verdicts`), its reason when the rows cannot answer it, and the paired difference per
    fraction with both arms (mean and 95 % t interval). root: the checkout holding ``results/`` (default: this
    code's)."""
    from synthmed import stats

    root = paper_scale.repo_root() if root is None else root
    rows = paper_scale.frame(root, "v2")
    specs, _, _, s = paper_scale.plan()
    planned = len(specs)
    head = (f"**At paper scale** ({s['backbone']}, {s['epochs']} epochs, the paper's noise and ascent on "
            f"{', '.join(paper_scale.DATASETS)})")
    if rows.empty:
        return Markdown(f"{head}: none of the {planned} planned runs is committed yet.")
    n = rows["run_id"].nunique()
    parts = []
    fgsm = rows[rows["test_condition"] == "fgsm"]
    for fraction, g in fgsm.groupby("fraction", sort=True):
        wide = g.pivot_table(index="seed", columns="method", values="accuracy")
        if not {"TSynD", "Noise-matched"} <= set(wide.columns):
            continue
        d = (wide["TSynD"] - wide["Noise-matched"]).dropna()
        if len(d) < 2:
            parts.append(f"{fraction_label(fraction)}: {len(d)} seed with both arms, no interval yet")
            continue
        lo, hi = stats.t_interval(d)
        parts.append(f"{fraction_label(fraction)}: {d.mean():+.1f} [{lo:+.1f}, {hi:+.1f}] points over {len(d)} "
                     "seeds")
    if not parts:
        return Markdown(f"{head}: {n} of {planned} planned runs committed; no seed has both TSynD and Noise-matched "
                        "yet, so the targeting claim waits. Verdicts: the paper-scale page.")
    verdict = next((v for v in paper_scale_verdicts(rows) if v.claim.id == TARGETING_CLAIM), None)
    said = "" if verdict is None else f" is **{verdict.verdict}**" + (
        f": {verdict.reason.rstrip('.')}" if verdict.verdict == "not testable" and verdict.reason else "")
    return Markdown(f"{head}: {n} of {planned} planned runs committed. The targeting claim (ours: TSynD − "
                    f"Noise-matched, FGSM accuracy, paired by seed){said}. The paired difference, "
                    + "; ".join(parts) + ". Verdicts: the paper-scale page.")


@dataclass
class Frames:
    """The result frames of the Table 1 runs: Table 1's conditions and the robustness extras (``runs``), the
    test-noise σ sweep, the FGSM ε sweep and the ascent record."""

    runs: pd.DataFrame
    sweep: pd.DataFrame
    eps_sweep: pd.DataFrame
    ascent: pd.DataFrame


def table1_frames(specs: list, results: list) -> Frames:
    """:class:`Frames` of :func:`synthmed.tsynd.experiment.run_many`'s results."""
    return Frames(runs_frame(result_rows(specs, results) + result_rows(specs, results, "robust")),
                  runs_frame(result_rows(specs, results, "sweep")),
                  runs_frame(result_rows(specs, results, "eps_sweep")),
                  ascent_frame(ascent_rows(specs, results)))


def table1_verdicts(p: Plan, f: Frames, settings) -> list[claims.Verdict]:
    """Table 1's claims judged on the runs, the mechanism claims on the ascent record (when TSynD ran), entered in
    the ``tsynd`` family (primary claims are adjusted across the chapter's notebooks)."""
    out = claims.judge_all(table1_claims(p.ref, f.runs, p.missing), f.runs, settings.profile)
    if len(f.ascent):
        out += claims.judge_all(mechanism_claims(f.ascent), mechanism_frame(f.ascent), settings.profile)
    return claims.in_family("tsynd", settings, out)


def table1_parts(f: Frames, p: Plan, verdicts: list[claims.Verdict]) -> list:
    """Table 1, ours beside the paper's: the grid, the first evaluation's text and every run (folded)."""
    return [table1_grid(f.runs, p.ref, cell_verdicts(verdicts)), Markdown(first_evaluation_text(f.runs)),
            display.folded(f.runs.drop(columns=["fraction_label"]), "Every run and test condition")]


def robustness_parts(runs: pd.DataFrame) -> list:
    """Balanced accuracy per method and test condition, and the same in accuracy (folded)."""
    return [display.plain(robustness_table(runs).reset_index()),
            display.folded(robustness_table(runs, "accuracy").reset_index(), "The same in accuracy")]


def noise_parts(local: list[str], runs: pd.DataFrame, test_sigma: float) -> list:
    """What the paper's test noise does to the pixels in both conventions (clamping), and which classifiers it turns
    into constant predictors."""
    sigmas = (test_sigma, pm1_sigma(test_sigma))
    shifts = {d: tuple(clamp_shift(load_medmnist(d).test.images, s) for s in sigmas) for d in local}
    return [Markdown(clamp_text(shifts, test_sigma)), Markdown(constant_text(runs, test_sigma))]


def shares_text(ref: pd.DataFrame, local: list[str]) -> str:
    """:func:`paper_constant_text` from the test splits' class shares of the datasets here."""
    tests = {d: load_medmnist(d).test.labels for d in local}
    shares = {d: class_shares(y) for d, y in tests.items()}
    return paper_constant_text(ref, shares, {d: len(y) for d, y in tests.items()})
