"""Tables, figures and generated text of the class-imbalance chapter (the notebook only calls these).

Every sentence here is computed from results passed in: no number is typed by hand, and a sentence about a result
changes with it (if/else on the numbers and on the verdicts of :mod:`synthmed.claims`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown

from synthmed import claims as claims_mod
from synthmed import bundle, display, models, profiles
from synthmed.data import grouped
from synthmed.data.nih import select_nih1000
from synthmed.device import describe
from synthmed.imbalance import paper_check, scoring
from synthmed.imbalance.experiment import EXPERIMENT_LABELS, VARIANTS, history_frame

CLAIMS = Path(__file__).with_name("claims.yaml")
CONTROL_CLAIMS = Path(__file__).with_name("claims_controls.yaml")  # Exp 1's controls (oversampling, class weights)
PAPER_POSITIVES = paper_check.PAPER_POSITIVES  # Aloo et al., Sec. 4.1
PAPER_IMAGES, PAPER_PATIENTS = 112_120, 30_805  # Aloo et al., Sec. 4.1: the NIH collection as they describe it
TABLE1_COLUMN = {"real": "real", "real_meta": "real_meta", "real_synth_meta": "ensemble"}  # variant -> Table 1
METRICS = {"sensitivity": "sensitivity", "specificity": "specificity", "balanced_accuracy": "balanced accuracy",
           "roc_auc": "ROC-AUC"}
RULES = scoring.RULE_LABELS  # threshold rule -> label, defined once in scoring
EXPERIMENT_NAMES = EXPERIMENT_LABELS  # experiment -> label, defined once in experiment


def load_claims() -> list[claims_mod.Claim]:
    """The chapter's claims: ``claims.yaml`` and Exp 1's controls (:data:`CONTROL_CLAIMS`) beside this module."""
    return [*claims_mod.load_claims(CLAIMS), *claims_mod.load_claims(CONTROL_CLAIMS)]


def judge(results: pd.DataFrame, settings) -> list:
    """The chapter's verdicts: its claims (:func:`prepare_claims`) judged on ``results`` and entered in the
    ``imbalance`` family (Benjamini-Hochberg over the paper's primary claims)."""
    chapter_claims = prepare_claims(load_claims(), results, settings)
    return claims_mod.in_family("imbalance", settings,
                                claims_mod.judge_all(chapter_claims, results, profile=settings.profile))


def run_summary(settings, device, specs_: list, results: pd.DataFrame) -> str:
    """The line under the setup: profile, device, runs and classifiers."""
    return (f"Profile `{settings.profile}`; device: {describe(device)}; {len(specs_)} runs, "
            f"{len(results) // 2} classifiers (training and scoring are separate cached steps).")


def _exp(experiment: str) -> str:
    """ "Exp 1 (NIH1000 by patient)" from :data:`EXPERIMENT_NAMES`' "1: NIH1000 by patient"."""
    number, name = EXPERIMENT_NAMES[experiment].split(": ", 1)
    return f"Exp {number} ({name})"


def learning_lines(results: pd.DataFrame) -> list[str]:
    """Whether each experiment's classifiers learn, one line per experiment that ran: their test ROC-AUC (mean
    over seeds, the lowest and the highest classifier) and how many of them have the whole 95 % t interval above
    50 (a classifier that ranks the test images better than chance)."""
    s = summary(results)
    lines = []
    for experiment in EXPERIMENT_NAMES:
        auc = s[(s.experiment == experiment) & (s.metric == "roc_auc") & (s.threshold_rule == "0.5")]
        if auc.empty:
            continue
        n, above = len(auc), int((auc.low > 50).sum())
        word = "yes" if above == n else "no" if above == 0 else "partly"
        lines.append(f"{_exp(experiment)}: **{word}**, test ROC-AUC {auc['mean'].min():.1f} to "
                     f"{auc['mean'].max():.1f} over its {n} classifiers (means over seeds), {above} of {n} with "
                     "the whole 95 % interval above 50")
    return lines


def cyclegan_lines(frame: pd.DataFrame) -> list[str]:
    """:func:`cyclegan_summaries` in short, one line per experiment that trained CycleGANs: count, steps, the
    cycle loss at the first and the last logged step (mean over seeds) and whether it had levelled off."""
    lines = []
    for g in cyclegan_summaries(frame):
        level = ("too few logged steps to tell whether it levelled off" if not g["judged"] else
                 f"levelled off in {g['plateaued']} of {g['judged']}")
        lines.append(f"{_exp(g['experiment'])}: {g['n']} CycleGAN{'s' * (g['n'] != 1)} of {g['steps']:,} steps, "
                     f"cycle loss {g['first']:.2f} → {g['last']:.2f}, {level}")
    return lines


def minute_parts(results: pd.DataFrame, verdicts, settings, outputs: list[dict], specs_: list) -> list:
    """The chapter in a minute, for the top of the page (every line generated): the paper's headline and our
    verdict on it, whether the classifiers learn, what the CycleGANs did (and the one caveat on their images),
    what the controls show, and what the paper's Table 1 can show."""
    by_id = {v.claim.id: v for v in verdicts}
    ran = set(results.experiment)
    head = by_id.get("imbalance-ensemble-vs-real-sensitivity")
    paper = (f" (the paper: {head.claim.paper_diff:+.1f} points)"
             if head is not None and head.claim.paper_diff is not None else "")
    lines = [f"- **The paper's headline** (images + CycleGAN images + metadata against images alone, sensitivity "
             f"at the validation-specificity threshold, Exp 1): {_said(head, short=True)}{paper}."]
    lines.append("- **Do the classifiers learn?** " + "; ".join(learning_lines(results)) + ".")
    gans = cyclegan_lines(cyclegan_frame(outputs, specs_))
    synth = any(v.verdict != "not testable" and any(VARIANTS[x].adds == "synthetic" for x in _variants(v.claim))
                for v in verdicts)
    caveat = cyclegan_caveat(settings) if synth else ""
    if gans or caveat:
        lines.append("- **The CycleGANs**" + (" (figures below): " + "; ".join(gans) + "." if gans else ":")
                     + (f" Every verdict on their images {caveat}." if caveat else ""))
    controls = [(e, c) for e, c in (("exp1", "nih_patient"), ("pneumonia", "pneumonia_minority")) if c in ran]
    parts = [f"{_exp(c)}: CycleGAN images against oversampling "
             f"{_said(by_id.get(f'imbalance-{e}-synth-vs-oversample-roc_auc'), True)}, against class weights "
             f"{_said(by_id.get(f'imbalance-{e}-synth-vs-weighted-roc_auc'), True)}" for e, c in controls]
    if parts:
        lines.append("- **Against plain rebalancing** (test ROC-AUC, paired over seeds): " + "; ".join(parts) + ".")
    lines.append("- **The paper's Table 1** compares columns measured on different images (the analysis is the "
                 "first thing under the details below)." if paper_check.table1_check()[1][
                     "all_ensemble_equal_last_recall"] else
                 "- **The paper's Table 1**: the analysis below reads it from its own numbers.")
    return [Markdown("\n".join(lines))]


ANSWERS_LEAD = "**Our three experiments** (paired differences over seeds with 95 % t intervals; details below):"


def answers_parts(results: pd.DataFrame, verdicts, settings) -> list:
    """Under "What we found, in detail": the paper's Table 1 read from its own numbers (:func:`table1_text`), then
    each of our experiments' answer (:func:`experiment_answers`). The CycleGAN caveat is stated once, in
    :func:`minute_parts`."""
    return [Markdown(table1_text()), Markdown(ANSWERS_LEAD), Markdown(experiment_answers(results, verdicts))]


def headline_parts(results: pd.DataFrame, verdicts) -> list:
    """Every classifier on its test split: the grid at threshold 0.5 and at the validation-specificity threshold."""
    return [headline_grid(results, verdicts, "0.5"), headline_grid(results, verdicts, "val_spec")]


def findings_parts(results: pd.DataFrame, verdicts, settings) -> list:
    """Under the interval figure's caption: :func:`findings` and every run (folded; one row per classifier and
    threshold rule)."""
    return [Markdown(findings(results, verdicts, len(settings.seeds))),
            display.folded(results.drop(columns="target_specificity"),
                           "All runs (one row per classifier and threshold rule)",
                           keys=["experiment", "variant", "backbone", "seed", "threshold_rule"])]


def threshold_parts(outputs: list[dict], results: pd.DataFrame) -> list:
    """Where each threshold lands (:func:`threshold_audit`) and the prior shift behind it (:func:`shift_text`)."""
    return [display.plain(threshold_audit(results)), Markdown(shift_text(outputs, results))]


def verdict_parts(verdicts, settings, extra: list = ()) -> list:
    """How the chapter ends: the claims table and text (:func:`synthmed.claims.publish`, which stores the verdicts
    for the Scorecard, with ``extra``: the CPU-scale bundle's, :func:`cpu_section`) and :func:`caveat_note`, the
    count of verdicts the page's one CycleGAN caveat covers."""
    return [*claims_mod.publish("imbalance", settings, verdicts, text=verdict_text(verdicts, settings),
                                extra=extra),
            Markdown(caveat_note(verdicts, settings))]


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


def selection_rules(data_entry_csv: Path) -> pd.DataFrame:
    """Readings of the paper's selection ("pneumonia cases ... from the first round of the CXR image scanning") and
    the number of positive images each gives on ``Data_Entry_2017.csv``, computed. Columns: rule, positives,
    used_here (the reading Exp 3 uses: :func:`synthmed.data.nih.select_pneumonia`)."""
    d = pd.read_csv(data_entry_csv, usecols=["Finding Labels", "Follow-up #", "Patient ID", "Patient Age",
                                             "View Position"])
    pneumonia = d["Finding Labels"].str.split("|").apply(lambda labels: "Pneumonia" in labels)
    first = d["Follow-up #"] == 0
    images_per_patient = d["Patient ID"].map(d.groupby("Patient ID").size())
    base = first & pneumonia
    rules = [
        ("first visit (follow-up 0), Pneumonia among the findings", base, True),
        ("first visit, Pneumonia the only finding", first & (d["Finding Labels"] == "Pneumonia"), False),
        ("follow-up 0 or 1, Pneumonia among the findings", (d["Follow-up #"] <= 1) & pneumonia, False),
        ("first visit, Pneumonia among the findings, age at most 100", base & (d["Patient Age"] <= 100), False),
        ("first visit, Pneumonia among the findings, PA view only", base & (d["View Position"] == "PA"), False),
        ("first visit, Pneumonia among the findings, patients with more than one image",
         base & (images_per_patient > 1), False),
        ("each patient's earliest Pneumonia image (any visit)",
         pd.Series(d.index.isin(d[pneumonia].groupby("Patient ID")["Follow-up #"].idxmin()), index=d.index),
         False),
        ("every Pneumonia image (any visit)", pneumonia, False),
    ]
    return pd.DataFrame([{"rule": r, "positives": int(mask.sum()), "used_here": used} for r, mask, used in rules])


def selection_text(data_entry_csv: Path, rules: pd.DataFrame) -> str:
    """What the selection-rule table shows (computed): the file's totals against the paper's, and whether any
    reading gives the paper's 212."""
    d = pd.read_csv(data_entry_csv, usecols=["Patient ID"])
    n_images, n_patients = len(d), d["Patient ID"].nunique()
    same = n_images == PAPER_IMAGES and n_patients == PAPER_PATIENTS
    hits = rules[rules.positives == PAPER_POSITIVES]
    used = rules[rules.used_here].iloc[0]
    text = (f"`Data_Entry_2017.csv` holds {n_images:,} images of {n_patients:,} patients, "
            f"{'the same totals as' if same else 'not the totals of'} the paper's description "
            f"({PAPER_IMAGES:,} and {PAPER_PATIENTS:,}). ")
    if hits.empty:
        text += (f"None of the {len(rules)} readings of its selection rule in the table gives the paper's "
                 f"{PAPER_POSITIVES} positives (they give {rules.positives.min()} to {rules.positives.max()}), so the "
                 "paper's exact selection cannot be rebuilt from its text. ")
    else:
        text += f"The reading(s) {', '.join(hits.rule)} give the paper's {PAPER_POSITIVES}. "
    return text + (f"Experiment 3 uses the first reading ({used.positives} positives) and 700 first-visit normal "
                   "images drawn per seed.")


# ---- the paper's Table 1 against its Figs. 3-5 ----------------------------------------------------------------------

def nih1000_parts(nih_dir: Path, cap: int, outputs: list[dict]) -> list:
    """The NIH1000 overview, in order: where its images concentrate, the patients shared between its own splits, the
    split sizes, the patient re-split (folded) and what that re-split concentrates in the runs' splits."""
    frames = nih1000_frames(nih_dir, cap)
    return [Markdown(concentration_text(frames["original"])), overlap_table(frames), split_table(frames),
            display.folded(patient_assignment(frames["patient"]), "The patient re-split, per patient"),
            Markdown(patient_concentration(frames["patient"], outputs, cap))]


def selection_parts(data_entry_csv: Path) -> list:
    """The readings of the paper's selection rule counted on ``Data_Entry_2017.csv``: the table and its text."""
    rules = selection_rules(data_entry_csv)
    return [display.plain(rules), Markdown(selection_text(data_entry_csv, rules))]


def table1_check() -> tuple[pd.DataFrame, str]:
    """The computed check of Table 1 against Figs. 3-5 (one row per backbone) and the text it supports
    (:func:`table1_text`)."""
    table, _ = paper_check.table1_check()
    return table.set_index("model"), table1_text()


def _epochs(matches: dict, last: dict) -> str:
    return ", ".join(f"{models.title(m)} epoch {' and '.join(str(e) for e in es if e != last[m])}"
                     for m, es in matches.items() if any(e != last[m] for e in es))


def table1_text() -> str:
    """The chapter's reading of the paper's Table 1, every number computed from its printed figures
    (:func:`synthmed.imbalance.paper_check.table1_analysis`)."""
    _, f = paper_check.table1_check()
    a = paper_check.table1_analysis()
    same = f["all_ensemble_equal_last_recall"]
    ens = ", ".join(f"1/{n}" for n in a["ensemble_denominators"])
    real = ", ".join(f"1/{n}" for n in a["real_denominators"])
    lo, hi = a["test_positives"]
    text = (f"Table 1's *ensemble* values are multiples of {ens} and each "
            f"{'equals' if same else 'does not always equal'} the recall of the last epoch of the paper's "
            f"per-epoch Figs. 3-5, which are validation metrics: their recalls are multiples of "
            f"1/{a['fig_positives']} and their accuracies of 1/{a['fig_images']}, i.e. {a['fig_positives']} "
            f"positives among {a['fig_images']} images. The *real* and *real-meta* columns are multiples of {real} "
            f"(no other denominator up to 100 fits them)")
    if not a["test_fits_real"]:
        text += (f", never of 1/{lo} or 1/{hi}, the positives a 7 : 3 split of the paper's {PAPER_POSITIVES} leaves "
                 f"for test ({PAPER_POSITIVES} × {paper_check.PAPER_TEST_FRACTION:g} = "
                 f"{PAPER_POSITIVES * paper_check.PAPER_TEST_FRACTION:.1f})")
    text += (f"; {a['real_denominators'][0]} is what a {paper_check.VAL_FRACTION_READING:.0%} validation cut of "
             f"the 7 : 3 training part would hold ({PAPER_POSITIVES} × "
             f"{1 - paper_check.PAPER_TEST_FRACTION:g} × {paper_check.VAL_FRACTION_READING:g} = "
             f"{a['val_positives_reading']:.1f}; the paper names no validation fraction, this is our reading).")
    if a["fig_positives"] > hi:
        text += (f" The {a['fig_positives']} positives the ensemble was scored on exceed the {hi} real positives a "
                 f"7 : 3 split can leave for test, so that set cannot consist of held-out real positives only.")
    earlier = _epochs(a["matches"], a["last_epoch"])
    if earlier:
        text += (f" The same ensemble values also occur at earlier epochs ({earlier}): the match tells which "
                 "images were scored, not which epoch was kept.")
    if same:
        text += (" The columns Table 1 compares were therefore measured on different sets of images, and its "
                 "differences need not be effects of the training data.")
    return text


# ---- results -----------------------------------------------------------------------------------------------------

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
    """{(experiment, A variant, B variant, threshold rule, metric): verdict} of the per-cell claims (a claim that
    pools over the rules or names a backbone colours no cell)."""
    out = {}
    for v in verdicts:
        a, b = v.claim.a, v.claim.b or {}
        if "threshold_rule" in a and "backbone" not in a and "variant" in b:
            rules = RULES if v.claim.metric == "roc_auc" else [a["threshold_rule"]]  # ROC-AUC: rule-free
            for rule in rules:
                out[(a["experiment"], a["variant"], b["variant"], rule, v.claim.metric)] = v.verdict
    return out


def _cell_verdicts(s: pd.DataFrame, lookup: dict) -> list[str]:
    """Each cell's colour: the verdict on the claim that its classifier beats its experiment's first classifier
    (``real``), or, where no claim compares those two, the classifier above it in its experiment."""
    order = {e: list(dict.fromkeys(g.variant)) for e, g in s.groupby("experiment", sort=False)}
    out = []
    for r in s.itertuples():
        vs = order[r.experiment]
        i = vs.index(r.variant)
        key = (r.experiment, r.variant, None, r.threshold_rule, r.metric)
        found = ""
        for b in ([vs[0]] if i else []) + ([vs[i - 1]] if i > 1 else []):
            found = lookup.get(key[:2] + (b,) + key[3:], "")
            if found:
                break
        out.append(found)
    return out


def headline_grid(results: pd.DataFrame, verdicts, rule: str = "0.5") -> display.Grid:
    """Experiment x variant rows; one column per metric at one threshold ``rule`` (a key of :data:`RULES`; ROC-AUC,
    which needs no threshold, beside the 0.5 rule); "mean [95 % CI]" cells in percent, coloured as
    :func:`_cell_verdicts` says. One grid per rule, so that each fits the book's column."""
    if rule not in RULES:
        raise ValueError(f"headline_grid: rule {rule!r} is not one of {', '.join(RULES)}")
    s = summary(results)
    s = s[(s.threshold_rule == rule) & ((s.metric != "roc_auc") | (rule == "0.5"))].copy()
    s["verdict"] = _cell_verdicts(s, _verdict_lookup(verdicts))
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


# ---- generated text ----------------------------------------------------------------------------------------------

def history_figure(outputs: list[dict]) -> plt.Figure | None:
    """:func:`history_plot` of every classifier's per-epoch validation record."""
    return history_plot(history_frame(outputs))


def translation_figure(outputs: list[dict], specs_: list) -> plt.Figure | None:
    """Per experiment that trained CycleGANs, the real majority images of its first seed that kept examples (upper
    row) and their translations to the minority class (lower row); None when no run kept any."""
    shown = {}
    for o, s in zip(outputs, specs_):
        if o["examples"] is not None and s.experiment not in shown:
            shown[s.experiment] = o["examples"]
    if not shown:
        return None
    k = max(len(src) for src, _ in shown.values())
    fig, axes = plt.subplots(2 * len(shown), k, figsize=(1.1 * k, 2.4 * len(shown)), squeeze=False)
    for i, (experiment, (source, translated)) in enumerate(shown.items()):
        for r, (imgs, title) in enumerate(((source, f"Exp. {EXPERIMENT_LABELS[experiment]}: real majority"),
                                           (translated, "→ CycleGAN minority"))):
            for c in range(k):
                ax = axes[2 * i + r, c]
                ax.axis("off")
                if c < len(imgs):
                    ax.imshow(imgs[c, 0], cmap="gray", vmin=0, vmax=255)
            axes[2 * i + r, 0].set_title(title, fontsize=8, loc="left")
    fig.tight_layout()
    return fig


def cyclegan_frame(outputs: list[dict], specs_: list) -> pd.DataFrame:
    """Every CycleGAN the runs trained, one row per logged step: experiment, seed, step, loss_G, loss_D, gan,
    cycle, identity (:func:`synthmed.imbalance.cyclegan.train_cyclegan`'s history)."""
    parts = [o["gan_history"].assign(experiment=s.experiment, seed=s.seed) for o, s in zip(outputs, specs_)
             if o["gan_history"] is not None and len(o["gan_history"])]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def cyclegan_history_plot(frame: pd.DataFrame) -> plt.Figure | None:
    """The CycleGANs' losses against the training step, one line per experiment (mean over seeds, band: sd)."""
    import seaborn as sns
    if frame.empty:
        return None
    long = frame.assign(experiment=frame.experiment.map(EXPERIMENT_LABELS))
    fig, axes = plt.subplots(1, 3, figsize=(10, 2.8))
    for ax, (col, title) in zip(axes, (("cycle", "cycle-consistency loss"), ("gan", "generators' adversarial loss"),
                                       ("loss_D", "discriminators' loss"))):
        sns.lineplot(data=long, x="step", y=col, hue="experiment", errorbar="sd", ax=ax)
        ax.set_title(title, fontsize=9)
        ax.set_ylabel("")
        if ax is not axes[-1]:
            ax.get_legend().remove()
    fig.tight_layout()
    return fig


def cyclegan_summaries(frame: pd.DataFrame) -> list[dict]:
    """What the CycleGANs' loss records show, one dict per experiment that trained them: "experiment", "n" (how
    many), "steps", "first" and "last" (the cycle loss at the first and the last logged step, mean over seeds),
    "logged" (the fewest logged steps of a run), "judged" (the runs with enough steps for
    :func:`synthmed.imbalance.cyclegan.plateau`) and "plateaued" (of those, the ones whose cycle loss had levelled
    off before the learning rate's decay)."""
    from synthmed.imbalance.cyclegan import plateau

    out = []
    for experiment, part in (frame.groupby("experiment", sort=False) if not frame.empty else []):
        runs = [h.sort_values("step") for _, h in part.groupby("seed")]
        checks = pd.DataFrame([plateau(h) for h in runs])
        judged = checks[checks.cycle_fall_at_half.notna()]
        out.append({"experiment": experiment, "n": len(runs), "steps": int(part.step.max()),
                    "first": float(np.mean([h.cycle.iloc[0] for h in runs])),
                    "last": float(np.mean([h.cycle.iloc[-1] for h in runs])),
                    "logged": min(len(h) for h in runs), "judged": len(judged),
                    "plateaued": int(judged.plateaued.sum())})
    return out


def cyclegan_text(frame: pd.DataFrame) -> str:
    """:func:`cyclegan_summaries` in full: per experiment how many CycleGANs were trained and for how many steps,
    the cycle loss at the first and the last logged step (mean over seeds) and whether it had stopped falling
    before the learning rate's decay."""
    if frame.empty:
        return "No run of this build trained a CycleGAN."
    lines = []
    for g in cyclegan_summaries(frame):
        still = g["judged"] - g["plateaued"]
        if not g["judged"]:
            state = f"too few logged steps ({g['logged']}) to tell whether the cycle loss had levelled off"
        elif still:
            state = (f"the cycle loss was still falling (by more than 5 % over the tenth of the steps before the "
                     f"learning rate's decay) in {still} of {g['judged']}")
        else:
            state = f"the cycle loss had levelled off before the learning rate's decay in all {g['judged']}"
        lines.append(f"- Experiment {EXPERIMENT_LABELS[g['experiment']]}: {g['n']} CycleGAN{'s' * (g['n'] != 1)} "
                     f"of {g['steps']:,} steps; cycle loss {g['first']:.2f} at the first logged step, "
                     f"{g['last']:.2f} at the last (mean over seeds); {state}.")
    return "\n".join(lines)


def cyclegan_parts(outputs: list[dict], specs_: list) -> list:
    """The CycleGAN section, for ``display(*parts)``: :func:`cyclegan_text`, :func:`cyclegan_history_plot` and
    :func:`translation_figure` (figures closed, so that each shows once)."""
    frame = cyclegan_frame(outputs, specs_)
    figures = [f for f in (cyclegan_history_plot(frame), translation_figure(outputs, specs_)) if f is not None]
    for f in figures:
        plt.close(f)
    return [Markdown(cyclegan_text(frame)), *figures]


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
    for (e, v, _b), g in s[(s.metric == "balanced_accuracy")].groupby(["experiment", "variant", "backbone"],
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
        share = (runs.n_train_pos / (runs.n_train_pos + runs.n_train_neg)).groupby(runs.variant, sort=False).mean()
        lo, hi = share.idxmin(), share.idxmax()
        pos = (f"positives {100 * share[lo]:.0f} % of training" if round(100 * share[lo]) == round(100 * share[hi])
               else f"positives from {100 * share[lo]:.0f} % ({lo}) to {100 * share[hi]:.0f} % ({hi}) of training")
        lines.append(f"- **Experiment {EXPERIMENT_NAMES[e]}** ({n_seeds} seeds, mean [95 % t interval], %; "
                     f"test majority-class rate {100 * runs.majority_rate.mean():.1f}, {pos}): "
                     + "; ".join(parts) + ".")
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


# ---- claims: the paper's sizes, per-backbone testability, the CycleGAN caveat ------------------------------------

def _variants(claim: claims_mod.Claim) -> list[str]:
    return [sel["variant"] for sel in (claim.a, claim.b or {}) if "variant" in sel]


def paper_sides(claim: claims_mod.Claim) -> tuple[pd.Series, pd.Series] | None:
    """The paper's Table 1 values (0-1) of a claim's A and B sides, one per backbone the claim covers (its
    ``backbone`` selector, else all three), or None where Table 1 does not give both sides."""
    a, b = claim.a, claim.b or {}
    if claim.metric != "sensitivity" or a.get("experiment") != "nih_patient" or b.get("experiment") != "nih_patient":
        return None
    cols = [TABLE1_COLUMN.get(sel.get("variant")) for sel in (a, b)]
    if None in cols:
        return None
    table = paper_check.table1()
    rows = [a["backbone"]] if "backbone" in a else list(table.index)
    return table.loc[rows, cols[0]], table.loc[rows, cols[1]]


def cyclegan_caveat(settings) -> str:
    """The caveat every verdict resting on CycleGAN images carries under a profile whose CycleGAN is smaller than
    the paper profile's (reference-size) one; "" under the paper profile's settings."""
    ref = profiles.resolve("imbalance", "paper")
    if settings.gan_steps >= ref.gan_steps and settings.gan_width >= ref.gan_width:
        return ""
    return (f"rests on a `{settings.profile}`-profile CycleGAN ({settings.gan_steps} steps, width "
            f"{settings.gan_width}; the paper profile's reference-size one: {ref.gan_steps} steps, width "
            f"{ref.gan_width}), whose images are far cruder than a full CycleGAN's")


# The metric each threshold rule fixes by construction (synthmed.imbalance.scoring): "val_spec" picks the threshold
# at which validation specificity reaches its target, so a claim about specificity under that rule would test the
# rule, not the classifiers.
FIXED_BY_RULE = {"val_spec": ("specificity",)}


def fixed_by_threshold(claim: claims_mod.Claim) -> str:
    """The ``untestable`` reason of a claim whose metric its threshold rule fixes (:data:`FIXED_BY_RULE`), or ""."""
    rules = {s.get("threshold_rule") for s in claims_mod.selectors(claim)} - {None}
    for rule in sorted(rules):
        if claim.metric in FIXED_BY_RULE.get(str(rule), ()):
            return (f"fixed by the threshold: the `{rule}` rule chooses the threshold at which validation "
                    f"{claim.metric} reaches its target, so both arms hold {claim.metric} near that target by "
                    f"construction and a difference in it says nothing about the classifiers")
    return ""


def prepare_claims(claims: list[claims_mod.Claim], results: pd.DataFrame, settings) -> list[claims_mod.Claim]:
    """The claims as judged here: ``paper_diff`` (mean over the backbones covered of A - B, x scale) and
    ``paper_figure`` computed from Table 1 where it gives both sides; claims whose sides were not run
    (:func:`synthmed.claims.unmatched`: a backbone, experiment or variant this profile leaves out) ``untestable``
    with the reason; claims on a metric their threshold rule fixes (:func:`fixed_by_threshold`) ``untestable``
    with that reason. The CycleGAN caveat (:func:`cyclegan_caveat`) is the page's, stated once
    (:func:`minute_parts`), not repeated in every claim."""
    trained = sorted(set(results.backbone) - {"none"}) if "backbone" in results else []
    out = []
    for c in claims:
        changes = {}
        sides = paper_sides(c)
        if sides is not None:
            a, b = sides
            changes["paper_diff"] = float((a - b).mean() * c.scale)
            changes["paper_figure"] = ", ".join(
                f"{models.title(m)} {a[m] * c.scale:.1f} vs {b[m] * c.scale:.1f}" for m in a.index)
        backbone = c.a.get("backbone")
        if not c.untestable and claims_mod.unmatched(c, results):  # the one selection rule (synthmed.claims.select)
            changes["untestable"] = (
                f"a per-backbone claim on {models.title(backbone)}, which the `{settings.profile}` profile does not "
                f"train (it trains {', '.join(trained) or 'no image backbone'}); the paper profile does"
                if backbone and backbone not in trained else claims_mod.not_run_reason(c, results, settings.profile))
        fixed = fixed_by_threshold(c)
        if fixed and not c.untestable and "untestable" not in changes:
            changes["untestable"] = fixed
        out.append(replace(c, **changes) if changes else c)
    return out


def caveat_note(verdicts, settings) -> str:
    """Markdown under the claims table: which verdicts rest on the small CycleGAN (generated; "" if none)."""
    caveat = cyclegan_caveat(settings)
    ids = [v.claim.id for v in verdicts if v.verdict != "not testable"
           and any(VARIANTS[x].adds == "synthetic" for x in _variants(v.claim))]
    if not caveat or not ids:
        return ""
    decided = sum(v.verdict in ("supported", "contradicted") for v in verdicts if v.claim.id in ids)
    return (f"{len(ids)} of these verdicts ({decided} of them decided) have a CycleGAN side: the caveat at the top "
            "of the page (the size of this profile's CycleGAN) applies to them.")


def verdict_text(verdicts, settings) -> str:
    """Markdown under the claims table: :meth:`synthmed.claims.Verdict.sentence` of every verdict (the CycleGAN
    caveat is stated once at the top of the page, :func:`minute_parts`, and counted by :func:`caveat_note`)."""
    return "\n\n".join(f"- {v.sentence()}" for v in verdicts) or "No claim was registered for these runs."


# ---- thresholds a reader can audit -------------------------------------------------------------------------------

def threshold_audit(results: pd.DataFrame) -> pd.DataFrame:
    """Per experiment, variant and threshold rule (and backbone when several): the validation specificity the rule
    targets, the validation specificity and sensitivity its threshold reaches, and the test specificity and
    sensitivity it reaches (means over seeds, %)."""
    keys = ["experiment", "variant", "threshold_rule"] + (["backbone"] if results.backbone.nunique() > 1 else [])
    cols = {"target_specificity": "validation target specificity", "val_specificity": "validation specificity",
            "specificity": "test specificity", "val_sensitivity": "validation sensitivity",
            "sensitivity": "test sensitivity"}
    table = results.groupby(keys, sort=False)[list(cols)].mean() * 100
    table = table.rename(columns=cols).round(1)
    table.index = table.index.set_levels(table.index.levels[0].map(lambda e: EXPERIMENT_NAMES.get(e, e)), level=0)
    return table.rename(index=RULES, level="threshold_rule")


def shift_text(outputs: list[dict], results: pd.DataFrame, experiment: str = "pneumonia_minority") -> str:
    """PneumoniaMNIST's validation/test class shift and where the validation-specificity threshold lands on test
    (computed from the runs)."""
    runs = [r for o in outputs for r in o["runs"] if r["experiment"] == experiment]
    rows = results[(results.experiment == experiment) & (results.threshold_rule == "val_spec")]
    if not runs or rows.empty:
        return ""
    counts = {k: np.bincount(runs[0][f"{k}_labels"].numpy(), minlength=2) for k in ("val", "test")}
    train = runs[0]["train_counts"]

    def part(c):
        return f"{c[0]} normal / {c[1]} pneumonia ({100 * c[1] / c.sum():.1f} % pneumonia)"

    target = 100 * rows.target_specificity.iloc[0]
    spec, val_spec = 100 * rows.specificity, 100 * rows.val_specificity
    return (f"In Exp 2 the validation split ({part(counts['val'])}) is cut from PneumoniaMNIST's training source; "
            f"the test split ({part(counts['test'])}) is not. Training holds {train[0]} normal / {train[1]} "
            f"pneumonia images after the subsample (before any images are added). At the validation-specificity "
            f"rule (target {target:.0f} %, reached {val_spec.mean():.1f} % on validation), test specificity is "
            f"{spec.mean():.1f} % on average over Exp 2's {len(rows)} classifiers (from {spec.min():.1f} to "
            f"{spec.max():.1f} %): a threshold set on validation lands "
            f"{'below' if spec.mean() < target else 'above'} its target on test.")


# ---- Exp 1: whose images the positives are ------------------------------------------------------------------------

def patient_concentration(patient_frame: pd.DataFrame, outputs: list[dict], cap: int) -> str:
    """Exp 1: how many training positives come from the patients with more than ``cap`` images (kept in training
    by the re-split), before and after each seed's subsample (computed)."""
    per_patient = patient_frame.groupby("patient_id").size()
    heavy = set(per_patient[per_patient > cap].index)
    pos = patient_frame[(patient_frame.split == "train") & (patient_frame.label == 1)]
    from_heavy = pos.patient_id.isin(heavy)
    shares = []
    for o in outputs:
        if o["runs"] and o["runs"][0]["experiment"] == "nih_patient":
            f = o["split"]
            p = f[(f.split == "train") & (f.label == 1)]
            shares.append(100 * p.patient_id.isin(heavy).mean())
    text = (f"In Exp 1's training split, {pos[from_heavy].patient_id.nunique()} patients (those with more than "
            f"{cap} images, kept in training by the re-split) supply {int(from_heavy.sum())} of the {len(pos)} "
            "positive training images")
    if shares:
        text += (f"; after each seed's subsample to the paper's ratio they supply {min(shares):.0f}–"
                 f"{max(shares):.0f} % of the positives ({len(shares)} runs)")
    return text + ". The positives a classifier learns from are, for the most part, the images of a few patients."


# ---- the paper profile against the paper -------------------------------------------------------------------------

def _splits_text() -> str:
    """The chapter's split fractions, read from the loaders' defaults."""
    import inspect

    from synthmed.data.nih import select_pneumonia

    def defaults(fn):
        return {k: v.default for k, v in inspect.signature(fn).parameters.items()}
    n1, n3 = defaults(select_nih1000), defaults(select_pneumonia)
    test1, val1 = n1["test_fraction"], n1["val_fraction"]
    test3, val3 = n3["test_fraction"], n3["val_fraction"] * (1 - n3["test_fraction"])
    return (f"Exp 1: {1 - val1 - test1:.0%} / {val1:.0%} / {test1:.0%} by patient; Exp 2: PneumoniaMNIST's own; "
            f"Exp 3: {1 - val3 - test3:.0%} / {val3:.0%} / {test3:.0%} by patient")


def paper_vs_ours(settings=None) -> pd.DataFrame:
    """What the `paper` profile matches of the paper's setup and what differs (the paper's side quotes its text;
    ours is read from the resolved settings)."""
    s = settings or profiles.resolve("imbalance", "paper")
    bb = [models.title(b) for b in s.backbones]
    rows = [
        ("image size", "256 × 256 (Sec. 4.2)", f"{s.image_size} × {s.image_size} (NIH1000 files are 64 px)",
         s.image_size == 256),
        ("pretraining", "ImageNet-pretrained (Sec. 5)",
         "local weights: " + ", ".join(s.weights) if s.weights else "random initialisation (no weights here)",
         bool(s.weights)),
        ("label", "pneumonia vs normal, first visit (Sec. 4.1)",
         "Exp 1: any finding vs no finding (NIH1000); Exp 2: pneumonia vs normal (PneumoniaMNIST)", False),
        ("split", "train : test 7 : 3 (Sec. 4.2); no validation split described", _splits_text(), False),
        ("backbones", "ResNet-50, DenseNet-121, VGG-16 (Sec. 5)", ", ".join(bb) + " (torchvision; VGG-16 without "
         "batch norm)", set(s.backbones) == set(paper_check.table1().index)),
        ("training", "optimiser, learning rate, batch size not stated; 9-10 epochs (Figs. 3-5)",
         f"Adam, lr {s.lr:g}, batch {s.batch_size}, {s.epochs} epochs, {s.keep} epoch kept", None),
        ("fusion", "'merge the outputs of the networks' (Sec. 3.2): how is not stated",
         "ours: MLP features concatenated with image features before one joint output layer", None),
        ("CycleGAN", "CycleGAN, 350 synthetic pneumonia images (Sec. 5.2); settings not stated",
         f"{s.gan_steps} steps, width {s.gan_width}, {s.gan_blocks} residual blocks; minority grown by "
         f"{s.synthetic_ratio:g} × the majority", None),
        ("synthetic images' metadata", "not stated", f"ours: {s.synthetic_metadata!r} (the source image's)", None),
        ("threshold", "not stated (recall reported)", f"0.5 and validation specificity {s.specificity:g}", None),
        ("repeats", "one run", f"{len(s.seeds)} seeds", False),
    ]
    mark = {True: "matches", False: "differs", None: "paper silent: ours"}
    return pd.DataFrame([{"setting": k, "paper": p, "paper profile": o, "": mark[m]} for k, p, o, m in rows]
                        ).set_index("setting")


# ---- what we found -----------------------------------------------------------------------------------------------

def _said(v, short: bool = False) -> str:
    """A verdict in words: its interval and verdict, or "not testable" and why (``short``: the first clause of
    why); "not run" when the claim was not judged."""
    if v is None:
        return "not run"
    if v.verdict == "not testable":
        return f"not testable ({str(v.reason).split(' (')[0] if short else v.reason})"
    return f"{v.interval()} points (**{v.verdict}**)"


def experiment_answers(results: pd.DataFrame, verdicts) -> str:
    """Markdown: one generated sentence per experiment that ran, from its verdicts and intervals."""
    by_id = {v.claim.id: v for v in verdicts}
    ran = set(results.experiment)
    lines = []
    if "nih_patient" in ran:
        v = by_id.get("imbalance-ensemble-vs-real-sensitivity")
        n_bb = results.loc[(results.experiment == "nih_patient") & (results.variant == "real"), "backbone"].nunique()
        lines.append(f"- **Exp 1** ({EXPERIMENT_NAMES['nih_patient'].split(': ')[1]}, any finding vs none), the "
                     "paper's headline, the ensemble (images + CycleGAN images + metadata) against images alone, "
                     "sensitivity at the validation-specificity threshold"
                     + (f" (its {n_bb} backbones averaged within a seed)" if n_bb > 1 else "") + f": {_said(v)}.")
    if "pneumonia_minority" in ran:
        def g(cid):
            return _said(by_id.get(f"imbalance-pneumonia-{cid}"))
        lines.append(
            "- **Exp 2** (PneumoniaMNIST, pneumonia the minority), CycleGAN images against as many copies of real "
            f"pneumonia images: sensitivity at threshold 0.5 {g('synth-vs-oversample-sensitivity-0.5')}, at the "
            f"validation-specificity threshold {g('synth-vs-oversample-sensitivity-val_spec')}, ROC-AUC "
            f"{g('synth-vs-oversample-roc_auc')}; against `real`, ROC-AUC with CycleGAN images "
            f"{g('synth-vs-real-roc_auc')}, with oversampling {g('oversample-vs-real-roc_auc')}, with class "
            f"weights {g('weighted-vs-real-roc_auc')}.")
    if "metadata_only" in ran:
        s = summary(results)
        meta = s[(s.experiment == "metadata_only") & (s.metric == "roc_auc") & (s.threshold_rule == "0.5")]
        parts = [f"{r.variant} {r.mean:.1f} [{r.low:.1f}, {r.high:.1f}]"
                 + (" (above chance)" if r.low > 50 else " (not above chance)") for r in meta.itertuples()]
        lines.append("- **Exp 3** (metadata only, the paper's first-visit rule): age, sex and view position give a "
                     f"test ROC-AUC of {'; '.join(parts)} (%, 95 % t interval over seeds).")
    return "\n".join(lines)


# ---- the CPU-scale bundle (synthmed.imbalance.cpu_scale) -------------------------------------------------------------

CPU_PAPER = "Class imbalance (CPU scale)"  # the bundle's claims: their own family and their own Scorecard count
CPU_RULE = "val_spec"  # the bundle's table: the headline's threshold rule


def cpu_settings():
    """The bundle's settings (:func:`synthmed.imbalance.cpu_scale.settings`) under the profile name ``cpu``, as the
    claims' reasons and caveats name them."""
    from synthmed.imbalance import cpu_scale

    s = cpu_scale.settings()
    return profiles.Settings(s.notebook, cpu_scale.PROFILE, dict(s), set(cpu_scale.CPU))


def cpu_claims(runs: pd.DataFrame) -> list[claims_mod.Claim]:
    """The claims the bundle's ``runs`` frame can judge: the chapter's Exp 1 claims (:func:`load_claims`: those of
    ``claims.yaml`` and the controls'), prepared as the page's (:func:`prepare_claims`: the paper's differences, the
    CycleGAN caveat) with those it cannot test left out, and renamed for the bundle: id + "-cpu", paper
    :data:`CPU_PAPER` (their own Benjamini-Hochberg family), chapter the bundle's
    (:data:`synthmed.imbalance.cpu_scale.VERDICT_CHAPTER`, which the Scorecard counts apart)."""
    from synthmed.imbalance import cpu_scale

    exp1 = [c for c in load_claims()
            if {s.get("experiment") for s in claims_mod.selectors(c)} == {cpu_scale.EXPERIMENT}]
    return [replace(c, id=f"{c.id}-cpu", paper=CPU_PAPER, chapter=cpu_scale.VERDICT_CHAPTER,
                    section=f"imbalance.html#claim-{c.id}-cpu")
            for c in prepare_claims(exp1, runs, cpu_settings()) if not c.untestable]


def cpu_judge(frames: dict[str, pd.DataFrame]) -> list:
    """The bundle's verdicts, judged like the chapter's (:func:`synthmed.claims.judge_all` on its ``runs`` frame,
    the replicate's seed as the pairing unit) and adjusted within their own family; [] when nothing is committed.
    frames: :meth:`synthmed.bundle.Spec.frames` of the imbalance bundle."""
    if not frames or "runs" not in frames:
        return []
    runs = frames["runs"]
    return claims_mod.judge_all(cpu_claims(runs), runs, profile="cpu")


def _ms_cell(values: pd.Series) -> str:
    v = 100 * values.dropna()
    if v.empty:
        return "—"
    return f"{v.mean():.1f} ± {v.std(ddof=1):.1f} ({len(v)})" if len(v) > 1 else f"{v.mean():.1f} (1)"


def cpu_table(cpu: pd.DataFrame, ours: pd.DataFrame | None, profile: str = "quick") -> pd.DataFrame:
    """Exp 1 side by side: rows variants (the controls included), columns (metric: scale): test sensitivity and
    balanced accuracy at the :data:`CPU_RULE` threshold and ROC-AUC, ×100, mean ± std over replicates (n), of the
    CPU-scale bundle and of this build's ``profile``. cpu, ours: :func:`synthmed.imbalance.experiment.results_frame`
    frames."""
    from synthmed.imbalance import cpu_scale

    cols = {}
    for label, frame in (("CPU scale", cpu), (profile, ours)):
        if frame is None or frame.empty:
            continue
        f = frame[(frame["experiment"] == cpu_scale.EXPERIMENT) & (frame["threshold_rule"] == CPU_RULE)]
        for metric in ("sensitivity", "balanced_accuracy", "roc_auc"):
            cols[f"{METRICS[metric]}: {label}"] = {v: _ms_cell(g[metric]) for v, g in f.groupby("variant")}
    order = [v for v in cpu_scale.VARIANTS if any(v in c for c in cols.values())]
    names = sorted(cols, key=lambda c: (list(METRICS.values()).index(c.split(": ")[0]), not c.endswith("CPU scale")))
    return pd.DataFrame({c: cols[c] for c in names}).reindex(order).fillna("—").rename_axis("variant")


def cpu_learning(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per replicate, whether its classifiers learn and its CycleGAN stopped: the image-only classifier's validation
    ROC-AUC at its kept epoch (``val_auc``, the best epoch's) and its test ROC-AUC, and the CycleGAN check
    (:func:`synthmed.imbalance.cyclegan.plateau`)."""
    runs, hist = frames["runs"], frames.get("history")
    real = runs[(runs["variant"] == "real") & (runs["threshold_rule"] == CPU_RULE)].set_index("seed")
    out = pd.DataFrame({"test_auc": real["roc_auc"]})
    if hist is not None and len(hist):
        out["val_auc"] = hist[hist["variant"] == "real"].groupby("seed")["roc_auc"].max()
    if "gan_check" in frames:
        check = frames["gan_check"].set_index("seed")
        out = out.join(check.reindex(columns=["plateaued", "cycle_first", "cycle_last"]))  # an all-NaN one is dropped
    return out.sort_index()


def cpu_status_text(frames: dict[str, pd.DataFrame], status: pd.DataFrame) -> Markdown:
    """How many replicates the bundle holds, from which commits and machine, whether each is current, whether its
    image-only classifiers learn (validation ROC-AUC) and whether its CycleGANs had stopped improving."""
    from synthmed.imbalance import cpu_scale

    where = f"`results/{cpu_scale.PROFILE}/{cpu_scale.CHAPTER}/`"
    if status.empty:
        return Markdown(f"**At CPU scale:** no replicate of the bundle is committed yet ({where} is empty): "
                        f"`{cpu_scale.BUNDLE.command}` computes them, one Exp 1 replicate (its own subsample, "
                        "CycleGAN and classifiers) per process, and commits each. Until then the headline is judged "
                        "on this build's runs only.")
    c = cpu_scale.CPU
    setup = (f"{models.title(cpu_scale.BACKBONE)} at {c['image_size']} px for {c['epochs']} epochs, a CycleGAN of "
             f"width {c['gan_width']} for {c['gan_steps']:,} steps per replicate")
    text = f"**At CPU scale** ({setup}): " + bundle.status_text(status, where, of=" of Exp 1") + " "
    learn = cpu_learning(frames)
    if "val_auc" in learn and learn["val_auc"].notna().any():
        v = 100 * learn["val_auc"].dropna()
        text += (f"The image-only classifier's validation ROC-AUC (kept epoch) is {v.mean():.1f} on average "
                 f"({v.min():.1f} to {v.max():.1f}); its test ROC-AUC {100 * learn['test_auc'].mean():.1f}. ")
    if "plateaued" in learn:
        k = int(learn["plateaued"].fillna(False).astype(bool).sum())
        text += (f"The cycle loss had stopped falling before the learning-rate decay in {k} of {len(learn)} "
                 "CycleGANs")
        first, last = learn["cycle_first"].mean(), learn["cycle_last"].mean()
        text += (f" (mean cycle loss {first:.2f} over the first tenth of training, {last:.2f} over the last)."
                 if pd.notna(first) and pd.notna(last) else ".")
    return Markdown(text)


class CPUSection(NamedTuple):
    """:func:`cpu_section`'s result: the bundle's verdicts and the objects the page displays."""

    verdicts: list
    shown: list


def cpu_section(results: pd.DataFrame, settings, root) -> CPUSection:
    """What the page shows of the bundle: (``verdicts``: its verdicts, ``shown``: the objects to display: the status
    text, Exp 1's arms at CPU scale beside this build's ``settings.profile``, the bundle's verdicts). The verdicts
    are stored with the page's own (:func:`verdict_parts`' ``extra``). root: the book's checkout, whose
    ``results/`` holds the bundle (the notebook passes :func:`synthmed.runner.find_root`'s)."""
    from synthmed.imbalance import cpu_scale

    frames, status = cpu_scale.BUNDLE.judged(root)
    shown = [cpu_status_text(frames, status)]
    verdicts = cpu_judge(frames)
    if frames:
        shown.append(display.plain(cpu_table(frames["runs"], results, settings.profile), caption=(
            "Exp 1 at CPU scale and under this build's profile: test metrics ×100 at the validation-specificity "
            "threshold (ROC-AUC needs none), mean ± std over replicates (n); real_oversample and real_weighted are "
            "the controls that rebalance without CycleGAN images.")))
        primary = [v for v in verdicts if v.claim.primary]
        controls = [v for v in verdicts if "-exp1-synth-vs-" in v.claim.id]
        shown.append(claims_mod.claims_table(primary + controls or verdicts, caption=(
            "CPU scale: the paper's headline and the controls, one replicate (its own subsample, CycleGAN and "
            "classifiers) per pair")))
        shown += claims_mod.pairs_section(primary + controls or verdicts, {"runs": frames["runs"]})
    return CPUSection(verdicts, shown)
