"""Tables, figures and generated text of the class-imbalance chapter (the notebook only calls these).

Every sentence here is computed from results passed in: no number is typed by hand, and a sentence about a result
changes with it (if/else on the numbers and on the verdicts of :mod:`synthmed.claims`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from synthmed import claims as claims_mod
from synthmed import display
from synthmed.data import grouped
from synthmed.data.nih import select_nih1000, select_pneumonia
from synthmed.imbalance import paper_check

CLAIMS = Path(__file__).with_name("claims.yaml")
PAPER_POSITIVES = 212  # Aloo et al., Sec. 4.1
METRICS = {"sensitivity": "sensitivity", "specificity": "specificity", "balanced_accuracy": "balanced accuracy",
           "roc_auc": "ROC-AUC"}
RULES = {"0.5": "threshold 0.5", "val_spec": "validation-specificity threshold"}
EXPERIMENT_NAMES = {"nih_patient": "1: NIH1000 by patient", "pneumonia_minority": "2: PneumoniaMNIST",
                    "metadata_only": "3: metadata only"}


def load_claims() -> list[claims_mod.Claim]:
    """The chapter's claims (``claims.yaml`` beside this module)."""
    return claims_mod.load_claims(CLAIMS)


# ---- the data: splits and selection ---------------------------------------------------------------------------------

def nih1000_frames(nih_dir: Path, cap: int) -> dict[str, pd.DataFrame]:
    """NIH1000's rows under its original split and under the patient re-split (all positives, before the
    training subsample)."""
    csv = Path(nih_dir) / "NIH1000_metadata.csv"
    return {"original": select_nih1000(csv, minority_ratio=None, split="original"),
            "patient": select_nih1000(csv, minority_ratio=None, split="patient", cap=cap)}


def overlap_table(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Patients shared between each pair of splits, for each split design (computed)."""
    parts = []
    for name, frame in frames.items():
        t = grouped.patient_overlap(frame).set_index("splits")
        t.columns = pd.MultiIndex.from_product([[f"{name} split"], ["patients", "images (first)",
                                                                      "images (second)"]])
        parts.append(t)
    return pd.concat(parts, axis=1)


def split_table(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Images, classes, patients and the largest one-patient share per split, for each design."""
    return pd.concat({f"{k} split": grouped.split_summary(f).set_index("split") for k, f in frames.items()})


def patient_assignment(frame: pd.DataFrame) -> pd.DataFrame:
    """The split as recorded: one row per patient with its split, images and positives."""
    g = frame.groupby("patient_id")
    return pd.DataFrame({"split": g.split.first(), "images": g.size(), "positives": g.label.sum()}).reset_index()


def concentration_text(original: pd.DataFrame) -> str:
    """What the original split's test positives rest on (computed)."""
    test_pos = original[(original.split == "test") & (original.label == 1)]
    by_patient = test_pos.groupby("patient_id").size().sort_values(ascending=False)
    top, n_top = by_patient.index[0], int(by_patient.iloc[0])
    train_top = original[(original.split == "train") & (original.patient_id == top)]
    overlap = grouped.patient_overlap(original)
    shared = ", ".join(f"{r.patients_shared} patients in {r.splits}" for r in overlap.itertuples())
    text = (f"In NIH1000's own split the same patients appear in several splits ({shared}). Patient {top} "
            f"supplies {n_top} of the {len(test_pos)} test positives; the two largest contributors supply "
            f"{int(by_patient.iloc[:2].sum())}.")
    if len(train_top):
        text += (f" The same patient has {len(train_top)} training images, {int((train_top.label == 0).sum())} of "
                 "them labelled *no finding*.")
    return text + (" A test score on this split measures a handful of patients, and partly whether the model "
                   "recognises them.")


def selection_text(data_entry_csv: Path, seed: int = 0) -> str:
    """The paper's selection rule applied to Data_Entry_2017.csv, and why the count differs (computed)."""
    frame = select_pneumonia(data_entry_csv, seed=seed)
    n_pos = int((frame.label == 1).sum())
    entry = pd.read_csv(data_entry_csv, usecols=["Finding Labels", "Follow-up #"])
    pneu = entry["Finding Labels"].str.split("|").apply(lambda labels: "Pneumonia" in labels)
    n_any, n_only = int(pneu.sum()), int((pneu & (entry["Follow-up #"] == 0)
                                          & (entry["Finding Labels"] == "Pneumonia")).sum())
    verb = "matches" if n_pos == PAPER_POSITIVES else "differs from"
    return (f"Applied to `Data_Entry_2017.csv`, the paper's rule (first visit, pneumonia among the findings) "
            f"selects **{n_pos}** images, which {verb} the paper's {PAPER_POSITIVES}. The file holds {n_any} "
            f"pneumonia images over all visits and {n_only} first-visit images whose only finding is pneumonia; "
            "the paper does not say which further images it counted (an earlier release of the labels, or some "
            "follow-up visits, would give other counts), so its exact selection cannot be rebuilt from its text. "
            f"Experiment 3 uses these {n_pos} positives and 700 first-visit normal images drawn per seed.")


# ---- the paper's Table 1 against its Figs. 3-5 ----------------------------------------------------------------------

def table1_check() -> tuple[pd.DataFrame, str]:
    """The computed check of Table 1 against Figs. 3-5 and the text it supports."""
    table, f = paper_check.table1_check()
    table = table.set_index("model")
    same = f["all_ensemble_equal_last_recall"]
    text = (f"Each value of Table 1's *ensemble* column "
            f"{'equals' if same else 'does not always equal'} the recall of the last epoch of the matching "
            f"per-epoch figure (Figs. 3-5). Those figures are validation metrics: their recall values are "
            f"multiples of 1/{f['denominator_fig_recall']} and their accuracies of "
            f"1/{f['denominator_fig_accuracy']}, i.e. {f['denominator_fig_recall']} positives among "
            f"{f['denominator_fig_accuracy']} images. The *real* and *real-meta* columns are multiples of "
            f"1/{f['denominator_real']} and 1/{f['denominator_real_meta']}")
    if same and f["denominator_real"] == f["denominator_real_meta"] != f["denominator_fig_recall"]:
        text += (f": consistent with {f['denominator_real']} test positives, not "
                 f"{f['denominator_fig_recall']}. The ensemble column thus appears to come from another set of "
                 "images (the validation split, after the last epoch) than the columns it is compared with, so "
                 "Table 1's differences need not be effects of the training data.")
    else:
        text += "."
    return table, text


# ---- results ----------------------------------------------------------------------------------------------------------

def summary(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95 % t interval (over seeds, x 100, clipped to [0, 100]) per experiment, variant, backbone,
    threshold rule and metric."""
    long = results.melt(id_vars=["experiment", "variant", "backbone", "seed", "threshold_rule"],
                        value_vars=list(METRICS), var_name="metric")
    rows = []
    for keys, g in long.groupby(["experiment", "variant", "backbone", "threshold_rule", "metric"], sort=False):
        low, high = display.t_interval(100 * g.value.to_numpy())
        low, high = max(low, 0.0), min(high, 100.0)  # a rate's interval cannot leave [0, 100]
        rows.append(dict(zip(["experiment", "variant", "backbone", "threshold_rule", "metric"], keys),
                         mean=100 * g.value.mean(), low=low, high=high, n=len(g)))
    return pd.DataFrame(rows)


def _verdict_lookup(verdicts) -> dict:
    out = {}
    for v in verdicts:
        a = v.claim.a
        out[(a["experiment"], a["variant"], a["threshold_rule"], v.claim.metric)] = v.verdict
    return out


def headline_grid(results: pd.DataFrame, verdicts, rule: str = "0.5") -> display.Grid:
    """Experiment x variant rows; one column per metric at one threshold ``rule`` (a key of :data:`RULES`; ROC-AUC,
    which needs no threshold, beside the 0.5 rule); "mean [95 % CI]" cells in percent, coloured by the verdict of
    the claim whose A side the cell is (its B side is the variant above it). One grid per rule, so that each fits
    the book's column."""
    if rule not in RULES:
        raise ValueError(f"headline_grid: rule {rule!r} is not one of {', '.join(RULES)}")
    s = summary(results)
    s = s[(s.threshold_rule == rule) & ((s.metric != "roc_auc") | (rule == "0.5"))].copy()
    lookup = _verdict_lookup(verdicts)
    s["verdict"] = [lookup.get((r.experiment, r.variant, r.threshold_rule, r.metric), "") for r in s.itertuples()]
    s["experiment"] = s.experiment.map(EXPERIMENT_NAMES)
    s["column"] = s.metric.map(METRICS)  # the rule is in the caption
    if s.backbone.nunique() > 1:
        s["variant"] = s.variant + " (" + s.backbone + ")"
    order = list(METRICS.values())
    s["column"] = pd.Categorical(s.column, order, ordered=True)
    s = s.sort_values(["column"], kind="stable")
    s["cell"] = [f"{m:.1f}\n[{lo:.1f}, {hi:.1f}]" for m, lo, hi in zip(s["mean"], s.low, s.high)]
    s["column"] = s.column.astype(str)
    rows = s.drop_duplicates(["experiment", "variant"])[["experiment", "variant"]]
    s = rows.merge(s, on=["experiment", "variant"])  # keep the run order of the rows
    return display.compact_grid(s, rows=["experiment", "variant"], columns="column", cell="cell",
                                colour="verdict", caption=f"Test metrics in % at the {RULES[rule]} (mean [95 % t "
                                                          f"interval] over seeds)")


def interval_plot(results: pd.DataFrame) -> plt.Figure:
    """Means with 95 % t intervals over seeds: one panel per metric, both threshold rules as hue."""
    long = results.melt(id_vars=["experiment", "variant", "backbone", "seed", "threshold_rule"],
                        value_vars=list(METRICS), var_name="metric")
    long["value"] *= 100
    long = long[(long.metric != "roc_auc") | (long.threshold_rule == "0.5")]
    long["metric"] = long.metric.map(METRICS)
    long["classifier"] = long.experiment.map(lambda e: EXPERIMENT_NAMES[e].split(":")[0]) + ": " + long.variant
    long["threshold"] = long.threshold_rule.map({"0.5": "0.5", "val_spec": "val. specificity"})
    fig = display.interval_figure(long, x="classifier", y="value", hue="threshold", col="metric",
                                  ylabel="test metric (%)", col_wrap=2, height=2.8, aspect=1.5)
    for ax in fig.axes:
        ax.tick_params(axis="x", labelrotation=60, labelsize=7)
        ax.axhline(50, color="grey", lw=0.8, ls=":")
        ax.set_ylim(-2, 102)  # rates: an interval reaching past 0 or 100 is cut at the axis
    fig.tight_layout()
    return fig


def history_plot(history: pd.DataFrame) -> plt.Figure | None:
    """Validation recall and ROC-AUC per epoch (mean over seeds) for experiment 1, with the paper's ensemble
    curves of Figs. 3-5 for comparison."""
    import seaborn as sns
    h = history[history.experiment == "nih_patient"]
    if h.empty:
        return None
    paper = paper_check.paper_figures().rename(columns={"model": "variant"})
    paper["variant"] = "paper ensemble: " + paper.variant
    frame = pd.concat([h.assign(source="ours"), paper.assign(source="paper")], ignore_index=True)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3))
    for ax, metric in zip(axes, ("recall", "roc_auc")):
        sns.lineplot(data=frame, x="epoch", y=metric, hue="variant", style="source", errorbar=None, ax=ax)
        ax.set_title(f"validation {metric.replace('_', '-')}", fontsize=9)
        ax.get_legend().remove()
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7)
    fig.tight_layout()
    return fig


def examples_plot(examples, label_names: tuple[str, str]) -> plt.Figure:
    """Source majority images (top) and their CycleGAN translations (bottom)."""
    source, translated = examples
    k = len(source)
    fig, axes = plt.subplots(2, k, figsize=(1.1 * k, 2.4), squeeze=False)
    for r, (imgs, title) in enumerate(((source, f"real {label_names[0]}"),
                                       (translated, f"→ {label_names[1]}"))):
        for c in range(k):
            axes[r, c].imshow(imgs[c, 0], cmap="gray", vmin=0, vmax=255)
            axes[r, c].axis("off")
        axes[r, 0].set_title(title, fontsize=8, loc="left")
    fig.tight_layout()
    return fig


# ---- generated text ---------------------------------------------------------------------------------------------------

def _cell(s: pd.DataFrame, experiment: str, variant: str, metric: str, rule: str = "0.5") -> pd.Series | None:
    rows = s[(s.experiment == experiment) & (s.variant == variant) & (s.metric == metric)
             & (s.threshold_rule == rule)]
    return rows.iloc[0] if len(rows) else None


def _fmt(row) -> str:
    return f"{row['mean']:.1f} [{row.low:.1f}, {row.high:.1f}]"


def findings(results: pd.DataFrame, verdicts, n_seeds: int) -> str:
    """Markdown bullets: each experiment's headline numbers with intervals and what they show."""
    s = summary(results)
    lines = []
    above = []
    for (e, v, b), g in s[(s.metric == "balanced_accuracy")].groupby(["experiment", "variant", "backbone"],
                                                                      sort=False):
        for r in g.itertuples():
            if r.low > 50:
                above.append(f"{EXPERIMENT_NAMES[e]} {v} ({RULES[r.threshold_rule]}: {r.mean:.1f} "
                             f"[{r.low:.1f}, {r.high:.1f}])")
    for e in EXPERIMENT_NAMES:
        sub = s[s.experiment == e]
        if sub.empty:
            continue
        parts = []
        for v in dict.fromkeys(sub.variant):
            auc, ba = _cell(sub, e, v, "roc_auc"), _cell(sub, e, v, "balanced_accuracy", "val_spec")
            sens = _cell(sub, e, v, "sensitivity")
            parts.append(f"{v}: ROC-AUC {_fmt(auc)}, sensitivity at 0.5 {_fmt(sens)}, balanced accuracy at the "
                         f"validation threshold {_fmt(ba)}")
        runs = results[results.experiment == e]
        train_pos = runs.n_train_pos.mean() / (runs.n_train_pos + runs.n_train_neg).mean()
        lines.append(f"- **Experiment {EXPERIMENT_NAMES[e]}** ({n_seeds} seeds, mean [95 % t interval], %; "
                     f"test majority-class rate {100 * runs.majority_rate.mean():.1f}, positives "
                     f"{100 * train_pos:.0f} % of training on average): " + "; ".join(parts) + ".")
    lines.append("- Balanced accuracy with its whole interval above 50 (better than chance): "
                 + ("; ".join(above) if above else "none") + ".")
    meta = s[(s.experiment == "metadata_only") & (s.metric == "roc_auc") & (s.threshold_rule == "0.5")]
    for r in meta.itertuples():
        verdict = ("carries signal: its interval lies above 50" if r.low > 50 else
                   "shows no signal: its interval lies at or below 50" if r.high <= 50 else
                   "is not distinguishable from chance: its interval spans 50")
        lines.append(f"- Metadata alone ({r.variant}) {verdict} (ROC-AUC {r.mean:.1f} [{r.low:.1f}, "
                     f"{r.high:.1f}]).")
    lines.append(prior_shift_text(verdicts))
    return "\n".join(line for line in lines if line)


def prior_shift_text(verdicts) -> str:
    """For each comparison: does a sensitivity gain at 0.5 survive at a fixed validation specificity?"""
    by_id = {v.claim.id: v for v in verdicts}
    out = []
    for cid in dict.fromkeys(v.claim.id.rsplit("-sensitivity-", 1)[0] for v in verdicts
                             if "-sensitivity-" in v.claim.id):
        at5, fixed = by_id.get(f"{cid}-sensitivity-0.5"), by_id.get(f"{cid}-sensitivity-val_spec")
        spec = by_id.get(f"{cid}-specificity-0.5")
        if not at5 or not fixed or at5.verdict == "not testable" or fixed.verdict == "not testable":
            continue
        a, b = at5.claim.a["variant"], at5.claim.b["variant"]
        text = (f"- {a} vs {b}: sensitivity changes by {at5.interval()} points at threshold 0.5")
        if spec is not None and spec.verdict != "not testable":
            text += f" (specificity by {spec.interval()})"
        text += f", and by {fixed.interval()} at the validation-specificity threshold. "
        if at5.verdict == "supported" and fixed.verdict != "supported":
            text += ("The gain at 0.5 does not hold once specificity is held fixed: it comes from where the "
                     "threshold falls (more positives in training move the scores up), not from a better ranking.")
        elif at5.verdict == "supported" and fixed.verdict == "supported":
            text += "The gain holds at a fixed specificity too: the classifier ranks positives better."
        elif fixed.verdict == "supported":
            text += "Only at a fixed specificity is there a gain."
        else:
            text += "Neither threshold shows a gain that the seeds can tell from noise."
        out.append(text)
    return "\n".join(out)
