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

from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from synthmed import claims, display

METHODS = ["Baseline", "Noise", "TSynD"]
CONDITIONS = {"clean": "clean", "gaussian": "Gaussian noise", "fgsm": "FGSM"}
METRICS = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy"}


def fraction_label(fraction: float) -> str:
    """0.01 -> '1 %', 0.1 -> '10 %'."""
    return f"{100 * float(fraction):g} %"


def runs_frame(rows: list[dict]) -> pd.DataFrame:
    """(runs x conditions, ...) rows of :func:`synthmed.tsynd.experiment.result_rows` as a frame with accuracy,
    balanced accuracy and majority rate in percent, a ``fraction_label`` column and categorical method order."""
    frame = pd.DataFrame(rows)
    for col in ("accuracy", "balanced_accuracy", "majority_rate"):
        frame[col] = 100 * frame[col]
    frame["fraction_label"] = frame["fraction"].map(fraction_label)
    return frame


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
    below. Column headers carry each test split's majority-class rate."""
    cells = cell_frame(runs, reference, verdicts)
    cells["condition"] = pd.Categorical(cells["test_condition"].map(CONDITIONS), list(CONDITIONS.values()))
    cells["method"] = pd.Categorical(cells["method"], METHODS)
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
    long = _long(runs)
    ref = _paper(reference).rename(columns={"paper": "percent"})
    ref = ref.assign(cell=[_cell(d, f) for d, f in zip(ref["dataset"], ref["fraction"])],
                     condition=ref["test_condition"].map(CONDITIONS), metric="accuracy")
    ref = ref[ref["cell"].isin(long["cell"])]
    fig = display.interval_figure(long, x="cell", y="percent", hue="method", col="condition", row="metric",
                                  reference=ref, hue_order=METHODS, col_order=list(CONDITIONS.values()),
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
    diffs = _paired(runs, "accuracy")
    parts = [f"Points: mean over seeds with 95 % t intervals; diamonds: the paper's accuracy."]
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


def sweep_figure(sweep: pd.DataFrame) -> plt.Figure:
    """Accuracy and balanced accuracy against the test-noise sigma, per method: one column per dataset, one row per
    (metric, fraction); lines through means over seeds with 95 % t intervals; the dotted line is the test split's
    majority-class rate."""
    import seaborn as sns

    long = sweep.melt(id_vars=["dataset", "fraction", "fraction_label", "method", "seed", "level", "majority_rate"],
                      value_vars=list(METRICS), var_name="metric", value_name="percent")
    long["panel"] = long["metric"].map(METRICS) + ", " + long["fraction_label"]
    order = [f"{METRICS[m]}, {fraction_label(f)}" for m in METRICS for f in sorted(long["fraction"].unique())]
    grid = sns.relplot(data=long, kind="line", x="level", y="percent", hue="method", hue_order=METHODS,
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
    grid.set_axis_labels("test-noise σ (pixels in [0, 1])", "%")
    grid.tight_layout()
    sns.move_legend(grid, "lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(METHODS), title=None,
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


def sweep_text(sweep: pd.DataFrame) -> str:
    """Per method: balanced accuracy at the smallest and largest sweep sigma, averaged over datasets, fractions
    and seeds, and the smallest sigma at which at least half of its runs are constant predictors."""
    lo, hi = sweep["level"].min(), sweep["level"].max()
    lines = []
    for m in [x for x in METHODS if x in set(sweep["method"])]:
        s = sweep[sweep["method"] == m]
        b = s.groupby("level")["balanced_accuracy"].mean()
        share = s.groupby("level")["constant"].mean()
        collapse = share[share >= 0.5]
        where = (f"at least half of its runs are constant predictors from σ = {collapse.index.min():g}"
                 if len(collapse) else "fewer than half of its runs are constant predictors at every σ")
        lines.append(f"- {m}: balanced accuracy {b.loc[lo]:.1f} % at σ = {lo:g} and {b.loc[hi]:.1f} % at "
                     f"σ = {hi:g}; {where}.")
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


def table1_claims(reference: pd.DataFrame, runs: pd.DataFrame, missing: list[str],
                  path: Path = CLAIMS_FILE) -> list[claims.Claim]:
    """The chapter's claims (``claims.yaml``) with the paper's figures from ``reference``: per-cell claims for the
    (dataset, fraction) cells present in ``runs``, and the per-dataset untestable claims for the paper's datasets
    in ``missing`` (no data file here)."""
    ref = _paper(reference)
    run_cells = {(d, round(float(f), 4)) for d, f in zip(runs["dataset"], runs["fraction"])}
    keep = []
    for c in claims.load_claims(path, paper="TSynD", chapter="tsynd", section="tsynd.html#verdicts"):
        if c.untestable:
            selected = c.a["dataset"] in missing
        else:
            selected = (c.a["dataset"], round(float(c.a["fraction"]), 4)) in run_cells
        if selected:
            extension = c.a["dataset"] not in set(ref["dataset"])
            keep.append(replace(c, paper_figure=_paper_figure(c, ref),
                                source="Sec. 4.1 (its general claim; this dataset is not in Table 1)"
                                if extension else c.source))
    return keep


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
        return "paper datasets not available here"
    metric = "balanced accuracy" if c.metric == "balanced_accuracy" else "accuracy"
    return f"TSynD vs {c.b['method']}, {CONDITIONS[c.a['test_condition']]}, {metric}"


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
