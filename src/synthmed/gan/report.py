"""Tables, figures and generated text of the GAN-ensembles chapter (every number from the runs frames of
:mod:`synthmed.gan.experiment`; every sentence about results depends on them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown

from synthmed import bundle, display, reference
from synthmed.display import significant_decimals
from synthmed.gan import runs
from synthmed.gan.experiment import STRATEGY_NAMES, TEST_SELECTED

CLAIMS_FILE = Path(__file__).with_name("claims.yaml")
#: the datasets of the paper that this book can run; a claim naming no dataset pools (or pairs) over these
PAPER_DATASETS = ("pneumoniamnist", "breastmnist")
#: the claim (id prefix) that compares ours with each strategy in Table 3, for the cell colours
_T3_CLAIM = {"single_top1": "gan-ours-vs-single_top1", "single_average": "gan-ours-vs-single_average",
             "naive_random": "gan-ours-vs-naive_random", "naive_all": "gan-ours-vs-naive_all",
             "oracle": "gan-ours-close-to-oracle"}


def _ms(v, scale=100.0, digits=1) -> str:
    v = np.asarray(v, dtype=float) * scale
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return "—"
    return f"{v.mean():.{digits}f}" + (f" ± {v.std(ddof=1):.{digits}f}" if len(v) > 1 else "")


# ---- zoo ----------------------------------------------------------------------------------------------------------

def sample_grid(zoo: list[dict], n_classes: int, seed: int, per_class: int = 4, device="cpu") -> plt.Figure:
    """Rows: GANs; columns: snapshots; each cell ``per_class`` samples per class (class 0 on top)."""
    cands = runs.candidates(zoo)
    n_snap = len(zoo[0]["iters"])
    fig, axes = plt.subplots(len(zoo), n_snap, figsize=(1.7 * n_snap, 0.9 * len(zoo) * n_classes / 2 + 0.6),
                             squeeze=False)
    labels = torch.arange(n_classes).repeat_interleave(per_class)
    for i, c in enumerate(cands):
        img = runs.sample(c, labels, seed=seed, device=device)
        s = img.shape[2]
        grid = img.view(n_classes, per_class, img.shape[1], s, s).permute(0, 3, 1, 4, 2).reshape(
            n_classes * s, per_class * s, img.shape[1])
        ax = axes[i // n_snap, i % n_snap]
        ax.imshow(grid.squeeze(-1).numpy(), cmap="gray", vmin=0, vmax=255)
        ax.set_xticks([]), ax.set_yticks([])
        if i // n_snap == 0:
            ax.set_title(f"iter {c['iter']}", fontsize=8)
        if i % n_snap == 0:
            ax.set_ylabel(c["gan"], fontsize=8)
    fig.tight_layout()
    return fig


def snapshot_fid(feats: dict) -> pd.DataFrame:
    """FID of every candidate against the real reference set (same number of images on both sides)."""
    from synthmed.metrics.fid import frechet_distance  # here: importing torch-fidelity takes seconds

    rows = []
    for lab, f in zip(feats["labels"], feats["fakes"]):
        gan, it = lab.split("@")
        rows.append({"gan": gan, "iter": int(it), "fid": frechet_distance(feats["real"], f), "n": len(f)})
    return pd.DataFrame(rows)


def snapshot_fid_figure(frames: dict[str, pd.DataFrame]) -> plt.Figure:
    fig, axes = plt.subplots(1, len(frames), figsize=(4.5 * len(frames), 3), squeeze=False)
    for ax, (d, f) in zip(axes[0], frames.items()):
        for gan, g in f.groupby("gan", sort=False):
            ax.plot(g["iter"], g["fid"], marker="o", label=gan)
        ax.set_title(f"{d}: FID of each snapshot vs real ({f['n'].iloc[0]} images each)", fontsize=9)
        ax.set_xlabel("training iteration"), ax.set_ylabel("FID (Inception-v3)")
    axes[0, -1].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def convergence_text(frames: dict[str, pd.DataFrame]) -> Markdown:
    lines = []
    for d, f in frames.items():
        first, last = f["iter"].min(), f["iter"].max()
        piv = f.pivot(index="gan", columns="iter", values="fid")
        better = int((piv[last] < piv[first]).sum())
        best = f.loc[f["fid"].idxmin()]
        lines.append(f"- **{d}**: FID fell from the first snapshot (iteration {first}) to the last ({last}) for "
                     f"{better} of {len(piv)} GANs; the lowest FID is {best.fid:.1f} ({best.gan} at iteration "
                     f"{best.iter}); median over all snapshots {f['fid'].median():.1f}.")
    return Markdown("\n".join(lines))


def training_images_text(dataset: str, settings) -> str:
    """How many real training images the chapter's steps use on ``dataset`` (the GANs, the search's reference,
    the real baseline; every synthetic training set has as many)."""
    ds = runs.dataset(dataset, settings["image_size"])
    n = len(runs.real_training(ds, settings["n_train"], settings["seed"]))
    whole = "the whole training split" if n == len(ds.train) else f"drawn once from its {len(ds.train):,}"
    return f"{dataset} {n} ({whole})"


# ---- the ensemble page's frames --------------------------------------------------------------------------------

class EnsembleFrames(NamedTuple):
    """What the ensemble page reads from the chapter's results: ``t3`` (Table 3's strategy runs, averaged arms as
    one row), ``naive`` (Sec. A4's frames), ``points`` (Fig. 3's candidates) and ``claims`` (the frames its claims
    are judged on: Table 3 with averaged arms as their member runs, Table 4, A2, A4 and Fig. 3's correlations)."""

    t3: pd.DataFrame
    naive: dict
    points: pd.DataFrame
    claims: dict


def ensemble_frames(results: dict, k: int) -> EnsembleFrames:
    """:class:`EnsembleFrames` of :func:`synthmed.gan.experiment.chapter`'s results (``k``: density/coverage)."""
    from synthmed.gan import experiment as ex

    naive = ex.naive_im_runs(results)
    frames = {"table3": ex.strategy_runs(results, members=True), "table4": ex.table4_runs(results),
              "a2": ex.ablation_runs(results), **naive, "fig3": ex.fig3_relations(results, k)}
    return EnsembleFrames(ex.strategy_runs(results), naive, ex.fig3_frame(results, k), frames)


def folded_runs(t3: pd.DataFrame):
    """Every downstream run of Table 3, folded."""
    return display.folded(t3, "Every downstream run of Table 3")


def pooling_section(results: dict, k: int) -> tuple:
    """Issue 20's pooling comparison as the page shows it: what it is, the table, the text."""
    from synthmed.gan import experiment as ex

    table = ex.pooling_table(results, k)
    intro = Markdown("**Pooling: equal shares (ours) or every member's samples stacked (the authors' code).** "
                     "Sec. A2.1 compares the same number of synthetic and real images, so here an ensemble's M "
                     "samples are shared equally among its members; the authors' code stacks every member's M "
                     "samples instead. The same search run both ways, and each choice scored both ways:")
    return intro, display.plain(pooling_view(table), precision=3,
                                caption="Search choice under each pooling rule (search features)"), pooling_text(table)


def single_tables(results: dict, naive: dict[str, pd.DataFrame]) -> tuple:
    """Tables A3-A5 per dataset and Sec. A4's text, after a line saying what the cells are."""
    intro = Markdown("Test g-mean ×100 of the classifier trained on each single candidate (GAN × snapshot "
                     "iteration), with each GAN's mean over its snapshots (Mean (I)), each snapshot's mean over GANs "
                     "(Mean (M)), and the two ensembles the paper builds without any selection (Sec. A4): every "
                     "snapshot of one GAN (Naive (I)) and every GAN at one snapshot (Naive (M)), each trained like "
                     "any other training set.")
    tables = [display.plain(single_table(results, d, naive).rename_axis("GAN"), precision=1,
                            caption=f"Tables A3-A5 (ours), {d}: test g-mean ×100, mean over replicates")
              for d in results]
    return (intro, *tables, naive_im_text(naive))


# ---- Table 3 ------------------------------------------------------------------------------------------------------

def _verdict_of(verdicts, prefix: str, dataset: str):
    for v in verdicts or []:
        if getattr(v, "claim", None) is not None and v.claim.id == f"{prefix}-{dataset}":
            return v.verdict
    return None


def table3_grid(frame: pd.DataFrame, verdicts=None):
    """Rows: strategies; columns: datasets; cell: g-mean ×100 mean ± std over seeds and, below, the gap Δ in %.
    Colour: the verdict of the claim comparing ours with that strategy."""
    cells = []
    for (d, s), g in frame.groupby(["dataset", "strategy"], sort=False):
        text = f"{_ms(g['g_mean'])}\nBA {_ms(g['balanced_accuracy'])}"
        text += f"\nΔ {_ms(g['gap'], 1.0)} %" if s != "real" else ""
        if g["constant"].all():
            text += " †"
        cells.append({"dataset": d, "strategy": STRATEGY_NAMES[s], "GANs": str(g["n_gans"].iloc[0]),
                      "cell": text, "verdict": _verdict_of(verdicts, _T3_CLAIM.get(s, "-"), d) or ""})
    return display.compact_grid(pd.DataFrame(cells), rows=["strategy"], columns=["dataset"], cell="cell",
                                colour="verdict", caption="Table 3 (ours): test g-mean ×100, mean ± std over "
                                "replicates (each its own zoo, search and classifiers); BA: balanced accuracy ×100; "
                                "Δ: gap to real data in % "
                                "(paper's definition). † every run a "
                                "constant predictor. Colour: verdict of the paper's claim that ours beats (or, "
                                "for the oracle, is close to) the row.")


def table3_figure(frame: pd.DataFrame) -> plt.Figure:
    long = frame.assign(strategy=frame.strategy.map(STRATEGY_NAMES)).melt(
        id_vars=["dataset", "strategy", "seed"], value_vars=["g_mean", "balanced_accuracy"], var_name="metric")
    long["value"] *= 100
    fig = display.interval_figure(long, x="strategy", y="value", hue="metric", col="dataset",
                                  ylabel="test score ×100 (95 % t interval over replicates)", height=3.2, aspect=1.6)
    for ax in fig.axes:
        ax.set_ylim(0, 100)  # scores live in [0, 100]; a 2-seed t interval can reach far beyond
        plt.setp(ax.get_xticklabels(), rotation=45, ha="right", rotation_mode="anchor", fontsize=7)
    return fig


def table3_text(frame: pd.DataFrame) -> Markdown:
    """Which strategy is best per dataset, where ours ranks, and how the practitioner's choices compare."""
    means = frame.groupby(["dataset", "strategy"])["g_mean"].mean().unstack()
    maj = frame.groupby("dataset")["majority_rate"].first()
    lines = []
    for d, m in means.iterrows():
        practical = m.drop(list(TEST_SELECTED)).dropna()
        if practical.empty or pd.isna(m["ours"]):
            lines.append(f"- **{d}**: g-mean is undefined for every strategy a practitioner can run; no ranking.")
            continue
        best = practical.idxmax()
        rank = int((practical > m["ours"]).sum()) + 1
        tied = int((practical == practical[best]).sum())
        lines.append(
            f"- **{d}** (majority-class rate {100 * maj[d]:.1f} %): among the strategies a practitioner can run "
            f"(no test-set selection), the best mean g-mean is {STRATEGY_NAMES[best]} ({100 * m[best]:.1f}"
            + (f", tied with {tied - 1} other{'s' if tied > 2 else ''}" if tied > 1 else "") + "); "
            f"ours ({100 * m['ours']:.1f}) ranks {rank} of {len(practical)}. The validation-selected single GAN "
            f"scores {100 * m['single_val']:.1f} against {100 * m['single_top1']:.1f} for the test-selected one, "
            f"and the validation-selected Pareto solution {100 * m['pareto_val']:.1f} against "
            f"{100 * m['oracle']:.1f} for the test-selected oracle; real data {100 * m['real']:.1f}.")
    return Markdown("\n".join(lines))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def oracle_text(results: dict) -> Markdown:
    """Per dataset, over replicates: the Pareto front's size, how many of its solutions were trained (k), and
    whether the oracle (the trained solution with the best test g-mean: "best of the k trained" when k is less
    than the front) is the eq. 6 choice, another solution, or tied with eq. 6's (the same score: a tie, whichever
    row the ranking lists first). The paper trains every Pareto solution; on two of three datasets its oracle is
    the eq. 6 choice."""
    from synthmed.gan.experiment import replicates, runs_of, strategies

    per: dict[str, list] = {}
    for d, rec in replicates(results):
        strategies(rec)  # the sizes check
        score = np.array([runs_of(rec, m)["g_mean"].mean() for _, m in rec["pareto"]])
        at_best = np.isclose(score, score.max())
        ours_best = bool(at_best[[j for j, (row, _) in enumerate(rec["pareto"]) if row == 0][0]])
        same, tie = ours_best and at_best.sum() == 1, ours_best and at_best.sum() > 1
        per.setdefault(d, []).append((rec["front_size"], len(rec["pareto"]), same, tie))
    lines = []
    for d, rows in per.items():
        n = len(rows)
        whole = sum(k == f for f, k, _, _ in rows)
        same, tie = sum(r[2] for r in rows), sum(r[3] for r in rows)
        fronts = ", ".join(str(f) for f, _, _, _ in rows)
        trained = ", ".join(str(k) for _, k, _, _ in rows)
        name = ("the best of every front solution" if whole == n else
                f"the best of the k trained front solutions (k = {trained}; the profile's max_oracle caps it, "
                f"evenly spaced along the front), not of the whole front in {n - whole} of {n} replicates")
        lines.append(
            f"- **{d}**: front sizes {fronts} over {_count(n, 'replicate')}; the oracle is {name}. It is the eq. 6 "
            f"choice alone in {same} of {n} replicates, a tie (eq. 6's test g-mean shared by another trained "
            f"solution, so which one is 'the oracle' is a tie-break) in {tie}, and a better-scoring solution than "
            f"eq. 6's in {n - same - tie}"
            + (". Where the oracle is eq. 6's ensemble, 'eq. 6 matches the oracle' holds by identity, not by a test."
               if same else "."))
    return Markdown("\n".join(lines))


def pareto_figure(results: dict) -> plt.Figure:
    """Fig. A1 of replicate 0 (``results[d]``): every ensemble evaluated by the search (grey), the Pareto front over
    all of them (red), eq. 6 (star), the validation-selected and the oracle Pareto solutions."""
    from synthmed.gan.experiment import strategies

    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 4), squeeze=False)
    for ax, (d, rec) in zip(axes[0], results.items()):
        res, strat = rec["result"], strategies(rec)
        ax.scatter(res.seen_f[:, 1], res.seen_f[:, 0], s=5, c="0.75", label=f"evaluated ({len(res.seen_f)})")
        ax.plot(res.pareto_f[:, 1], res.pareto_f[:, 0], "o-", ms=4, c="tab:red", label="Pareto front")
        ax.scatter(res.pareto_f[0, 1], res.pareto_f[0, 0], s=160, marker="*", c="k", label="ours (eq. 6)")
        for key, mk, col in (("pareto_val", "s", "tab:green"), ("oracle", "D", "tab:blue")):
            r = strat[key]["row"]
            ax.scatter(res.pareto_f[r, 1], res.pareto_f[r, 0], s=80, marker=mk, facecolors="none",
                       edgecolors=col, label=STRATEGY_NAMES[key])
        ax.set_xlabel("Inter-d (minimise)"), ax.set_ylabel("Intra-d (maximise)")
        ax.set_title(f"{d}, replicate 0 ({res.method})", fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


# ---- Table 4, A2, 5, 6 --------------------------------------------------------------------------------------------

def table4_grid(frame: pd.DataFrame):
    cells = []
    for (d, m), g in frame.groupby(["dataset", "m"], sort=False):
        cells.append({"dataset": d, "GAN models (m)": str(m), "candidates": str(g["candidates"].iloc[0]),
                      "cell": f"{_ms(g['g_mean'])}\n{_ms(g['n_gans'], 1.0)} candidates chosen "
                              f"({len(g)} draws)"})
    return display.compact_grid(pd.DataFrame(cells), rows=["GAN models (m)", "candidates"], columns=["dataset"],
                                cell="cell", caption="Table 4 (ours): m GAN models drawn at random from the "
                                "zoo, several draws per m; test g-mean ×100 of the eq. 6 choice (mean ± std over "
                                "replicates and draws: each replicate draws its own spaces) and its size.")


def single_table(results: dict, dataset: str, naive: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Tables A3-A5 for one dataset: test g-mean x100 (mean over replicates: each retrains the GAN and snapshot) of
    every single candidate, GANs
    in rows and snapshot iterations in columns, with Mean (I) (each GAN's mean over its snapshots) and, when
    trained, Naive (I) (one classifier on all its snapshots); the rows Mean (M) and Naive (M) per iteration."""
    from synthmed.gan.experiment import replicates, single_frame

    single = pd.concat([single_frame(r) for _, r in replicates({dataset: results[dataset]})])
    grid = 100 * single.pivot_table(index="gan", columns="iteration", values="g_mean", aggfunc="mean", sort=False)
    grid.columns = [str(c) for c in grid.columns]
    grid["Mean (I)"] = grid.mean(axis=1)
    naive = naive or {}
    a4_i, a4_m = naive.get("a4_i"), naive.get("a4_m")
    if a4_i is not None and len(a4_i[a4_i["dataset"] == dataset]):
        g = a4_i[(a4_i["dataset"] == dataset) & (a4_i["kind"] == "naive_i")]
        grid["Naive (I)"] = 100 * g.groupby("gan")["g_mean"].mean().reindex(grid.index)
    means = grid.drop(columns=[c for c in ("Mean (I)", "Naive (I)") if c in grid]).mean(axis=0)
    grid.loc["Mean (M)"] = means.reindex(grid.columns)
    if a4_m is not None and len(a4_m[a4_m["dataset"] == dataset]):
        g = a4_m[(a4_m["dataset"] == dataset) & (a4_m["kind"] == "naive_m")]
        per_iter = 100 * g.groupby("iteration")["g_mean"].mean()
        grid.loc["Naive (M)"] = pd.Series({str(k): v for k, v in per_iter.items()}).reindex(grid.columns)
    return grid.round(1)


def pooling_view(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`synthmed.gan.experiment.pooling_table` turned on its side for the page: one row per quantity, one
    column per (dataset, pooling the search used), so that it stays narrow."""
    if table.empty:
        return table
    wide = table.set_index(["dataset", "selected with"]).T
    wide.columns = [f"{d}: selected with {mode}" for d, mode in wide.columns]
    return wide.rename_axis("quantity").reset_index()


def pooling_text(table: pd.DataFrame) -> Markdown:
    """What the pooling comparison shows, per dataset (computed from :func:`synthmed.gan.experiment.pooling_table`)."""
    if table.empty:
        return Markdown("The stacked-pooling search did not run under this profile (it is part of the Table A2 "
                        "ablation).")
    parts, changed = [], []
    for d, g in table.groupby("dataset", sort=False):
        eq, st = g.set_index("selected with").loc["equal"], g.set_index("selected with").loc["stacked"]
        if eq["Jaccard"] < 1:
            changed.append(d)
        parts.append(f"{d}: equal shares select {int(eq['members'])} candidates, stacking selects "
                     f"{int(st['members'])} ({int(eq['in common'])} in common, "
                     f"Jaccard {eq['Jaccard']:.2f}); scored stacked, the stacked choice reaches coverage "
                     f"{st['coverage (stacked)']:.3f} against {eq['coverage (stacked)']:.3f}")
    verdict = (f"Here the pooling rule changed the search's choice on {', '.join(changed)}" if changed else
               "Here both rules chose the same ensemble on every dataset")
    return Markdown("; ".join(parts) + ". Stacking gives a larger ensemble more samples, so its stacked coverage "
                    f"can only grow with each member. {verdict}; the downstream g-mean of the stacked choice is in "
                    "Table A2 above.")


def naive_im_text(naive: dict[str, pd.DataFrame]) -> Markdown:
    """How often Naive (I) beats Mean (I) (GANs, per dataset) and Naive (M) beats Mean (M) (iterations), from the
    mean over seeds, beside what the paper reports (Sec. A4; its rates are not in our reference tables)."""
    parts = []
    for key, unit, col in (("a4_i", "GANs", "gan"), ("a4_m", "snapshot iterations", "iteration")):
        frame = naive.get(key)
        if frame is None or frame.empty:
            continue
        kind = key[-1]
        for d, g in frame.groupby("dataset", sort=False):
            means = g.groupby([col, "kind"])["g_mean"].mean().unstack("kind")
            wins = int((means[f"naive_{kind}"] > means[f"mean_{kind}"]).sum())
            parts.append(f"{d}: Naive ({kind.upper()}) above Mean ({kind.upper()}) for {wins} of {len(means)} "
                         f"{unit} (mean over replicates)")
    if not parts:
        return Markdown("Naive (I) and Naive (M) are not trained under this profile (`naive_im`).")
    return Markdown("; ".join(parts) + ". The paper reports Naive (I) ahead of Mean (I) for most of its 22 GANs "
                    "on each dataset, and Naive (M) ahead of Mean (M) at every iteration (Sec. A4, Tables A3-A5). "
                    "The verdicts below test the mean difference over GANs or iterations, paired by "
                    "replicate.")


def fig3_figure(points: pd.DataFrame, results: dict, k: int) -> plt.Figure:
    """Fig. 3 for the datasets run: top, coverage (diversity) against density (fidelity) of every single candidate
    (circles, coloured by downstream g-mean) and of the ensembles (stars); bottom, downstream test g-mean against
    coverage and against density."""
    from synthmed.gan.experiment import fidelity_row, strategies

    datasets = list(dict.fromkeys(points["dataset"]))
    fig, axes = plt.subplots(2, len(datasets), figsize=(4.2 * len(datasets), 7.4), squeeze=False)
    stars = {"ours": ("tab:blue", "ours"), "naive_all": ("gold", "Naive (A)"),
             "single_top1": ("tab:red", "Single (top-1)")}
    for j, d in enumerate(datasets):
        pts = points[points["dataset"] == d]
        ax = axes[0, j]
        sc = ax.scatter(pts["coverage"], pts["density"], c=100 * pts["g_mean"], cmap="viridis", s=22,
                        edgecolor="none")
        strat = strategies(results[d])
        for key, (colour, name) in stars.items():
            fr = fidelity_row(results[d]["feats"], strat[key]["members"], k)
            ax.scatter(fr["coverage"], fr["density"], marker="*", s=180, color=colour, edgecolor="black",
                       label=name, zorder=3)
        ax.set(title=d, xlabel="coverage (diversity)", ylabel="density (fidelity)")
        fig.colorbar(sc, ax=ax, label="test g-mean ×100")
        if j == 0:
            ax.legend(fontsize=7, loc="best")
        ax = axes[1, j]
        ax.scatter(pts["coverage"], 100 * pts["g_mean"], s=18, label="coverage", color="tab:purple")
        ax.scatter(pts["density"], 100 * pts["g_mean"], s=18, label="density", color="tab:orange", marker="s")
        ax.set(xlabel="coverage or density (single candidates)", ylabel="test g-mean ×100")
        if j == 0:
            ax.legend(fontsize=7)
    fig.suptitle(f"Fig. 3 (ours, on the search backbone's features, k = {k}): fidelity and diversity of every "
                 "single candidate, and their downstream utility", fontsize=9)
    fig.tight_layout()
    return fig


def fig3_text(relations: pd.DataFrame) -> Markdown:
    """The mean Spearman correlation of single candidates' test g-mean with coverage and with density, per
    dataset (computed; the verdicts below pair them by seed)."""
    if relations.empty or relations["rho"].isna().all():
        return Markdown("No correlation can be computed: the single candidates' g-mean or measures are constant.")
    m = relations.groupby(["dataset", "relation"])["rho"].mean().unstack("relation")
    lines = [f"{d}: Spearman ρ of test g-mean with coverage {r['coverage']:+.2f}, with density {r['density']:+.2f} "
             f"({int(relations[relations['dataset'] == d]['n_candidates'].iloc[0])} single candidates, mean over "
             "replicates)" for d, r in m.iterrows()]
    return Markdown("; ".join(lines) + ". The paper reads its Fig. 3 (d-f) as diversity mattering more than "
                    "fidelity for downstream utility; the claim below asks whether coverage tracks g-mean more "
                    "closely than density does.")


def ablation_grid(frame: pd.DataFrame):
    cells = [{"dataset": d, "criterion": c, "cell": f"{_ms(g['g_mean'])}\n{_ms(g['n_gans'], 1.0)} candidates"}
             for (d, c), g in frame.groupby(["dataset", "criterion"], sort=False)]
    return display.compact_grid(pd.DataFrame(cells), rows=["criterion"], columns=["dataset"], cell="cell",
                                caption="Table A2 (ours): test g-mean ×100 (mean ± std over replicates) and size of "
                                "the eq. 6 choice under each search criterion.")


def a2_text(choices: pd.DataFrame) -> Markdown:
    """What Table A2's d-rows can show (:func:`synthmed.gan.experiment.a2_choices`): eq. 6 keeps the front's
    highest-Intra-d point, and an ensemble of maximal Intra-d is dominated by none, so the multi-objective choice
    is the Intra-d maximum over every ensemble the search evaluated, which is the Intra-d-only search's optimum
    (enumerated in tests/test_gan_search.py). Then, per dataset over replicates: how the searches ran, in how many
    replicates the two choices differ, whether the multi-objective one reached the highest Intra-d seen, and the
    test g-mean the difference cost."""
    if choices.empty:
        return Markdown("The Intra-d-only search is not run under these settings.")
    lines = ["Under eq. 6 the multi-objective search keeps the Pareto front's highest-Intra-d ensemble, and an "
             "ensemble of maximal Intra-d is dominated by no other; so its choice is the Intra-d maximum over every "
             "ensemble it evaluated, the Intra-d-only search's optimum whenever both searches find it (checked "
             "by enumerating every subset of small search spaces in the tests). A difference between the two rows "
             "of Table A2 (the paper's included) can therefore only come from search stochasticity: one search "
             "missing the maximum the other found, or a tie in Intra-d. Here:"]
    for d, g in choices.groupby("dataset", sort=False):
        n, differ = len(g), int((~g["same"]).sum())
        ties = int((~g["same"] & np.isclose(g["intra_d_multi"], g["intra_d_only"])).sum())
        at_max = int(np.isclose(g["intra_d_multi"], g["intra_d_max"]).sum())
        methods = " and ".join(sorted(set(g["method"])))
        how = ("every subset enumerated, so both found the maximum" if methods == "exhaustive" else
               f"searched with {methods}")
        cost = g.loc[~g["same"], "cost"]
        lines.append(
            f"- **{d}** ({_count(n, 'replicate')}; {how}): the two searches chose different ensembles in {differ} "
            f"of {n}" + (f" ({ties} of them a tie: the same Intra-d)" if ties else "")
            + f"; the multi-objective choice had the highest Intra-d either search evaluated in {at_max} of {n}"
            + (f"; where they differed, the multi-objective choice's test g-mean minus the Intra-d-only choice's "
               f"was {_ms(cost)} (×100)." if differ else
               ": the two rows are one arm in every replicate, and the verdict below says so instead of testing a "
               "difference of zero."))
    return Markdown("\n".join(lines))


def table5_grid(frame: pd.DataFrame):
    paper = reference.load("gan_ensembles_table5")
    def sizes(col, g):  # one value per replicate (the frame has one row per replicate)
        return ", ".join(str(int(v)) for v in g.drop_duplicates("seed")[col])

    cells = [{"dataset": d, "backbone": b, "cell": f"{_ms(g['g_mean'])}\n{_ms(g['n_gans'], 1.0)} candidates; "
                                                   f"front {sizes('front_size', g)}, {sizes('trained', g)} trained"}
             for (d, b), g in frame.groupby(["dataset", "backbone"], sort=False)]
    cells += [{"dataset": r.dataset, "backbone": f"paper: {r.backbone}",
               "cell": (f"{100 * r.g_mean:.1f}" if pd.notna(r.g_mean) else "—") + f"\n{r.n_gans} GANs"}
              for r in paper.itertuples() if r.dataset in set(frame.dataset)]
    return display.compact_grid(pd.DataFrame(cells), rows=["backbone"], columns=["dataset"], cell="cell",
                                caption="Table 5: oracle (test-selected) Pareto ensemble per backbone (each "
                                "backbone searched on the same n_feat real and generated images per candidate; "
                                "front: the Pareto front's size; trained: its solutions trained, per "
                                "replicate; the oracle is the best of those trained), test g-mean ×100 and size "
                                "(mean ± std over replicates); ours above, the paper's (Tronchin et al., Table 5; "
                                "cells "
                                "lost in transcription: —) below.")


def trunk_text(trunks: pd.DataFrame, settings) -> Markdown:
    """What each embedding network of Table 5 is under ``settings``, and how well the supervised trunk learned
    (trunks: :func:`synthmed.gan.experiment.trunk_runs`): its validation accuracy and balanced accuracy beside the
    majority-class rate, the kept epoch and how many of its trainings stopped at a plateau."""
    emb, bbs = settings["embedding_model"], list(settings["backbones"])
    what = {"simclr": f"`{settings['simclr_model']}` trained by us for {settings['simclr_steps']} SimCLR "
                      "(contrastive, self-supervised) steps on the real training images; our stand-in for SwAV",
            "supervised": f"`{emb}` trained by us as a classifier on the real training images, for at most "
                          f"{settings['supervised_epochs']} epoch{'s' if settings['supervised_epochs'] != 1 else ''}"
                          + (f", stopping after {settings['supervised_patience']} epochs without a better "
                             "validation balanced accuracy (its plateau)" if settings["supervised_patience"] else "")
                          + ", keeping its best epoch by validation balanced accuracy",
            "random": f"`{emb}` as initialised with the replicate's seed, never trained: the control that says "
                      "how much any training of the embedding adds",
            "inception": "Inception-v3's FID weights (ImageNet-supervised, through torch-fidelity)"}
    lines = [f"- **{b}**: {what[b]}." for b in bbs]
    for d, g in trunks.groupby("dataset", sort=False):
        n, const, plateau = len(g), int(g["constant"].sum()), int(g["plateau"].sum())
        kept = ", ".join(f"{int(k)} of {int(r)}" for k, r in zip(g["kept_epoch"], g["epochs_run"]))
        lines.append(
            f"- The supervised trunk on {d} ({n} trainings, one per replicate): validation accuracy "
            f"{_ms(g['accuracy'])}, balanced accuracy {_ms(g['balanced_accuracy'])} (×100, mean ± std), against "
            f"a majority-class rate of {100 * g['majority_rate'].iloc[0]:.1f}; kept epoch of epochs run per "
            f"replicate: {kept}; stopped at a plateau in {plateau} of {n}"
            + (" (the others ran out of epochs first)" if plateau < n else "")
            + (f". In {const} of {n} it predicts one class on validation: a trunk that learned nothing, so "
               "its rows below compare an untrained network." if const else "."))
    return Markdown("\n".join(lines))


def fd_decimals(values) -> int:
    """Decimals that print the largest of ``values`` (Fréchet distances) with two significant digits, at least 3
    and at most 8."""
    values = np.abs(np.asarray(values, dtype=float))
    return significant_decimals(float(np.nanmax(values)) if values.size else 0.0, 3)


def table6_grid(frame: pd.DataFrame):
    paper = reference.load("gan_ensembles_table6").set_index(["dataset", "strategy"])
    backbone = frame["backbone"].iloc[0]
    # FD: Inception-v3's FID is in the tens; another backbone's features give distances below 1 (a small CNN's
    # below 0.001), printed with two significant digits of the dataset's largest
    fd_digits = {d: 1 if backbone == "inception" else fd_decimals(g["fid"]) for d, g in frame.groupby("dataset")}
    cells = []
    for (d, s), g in frame.groupby(["dataset", "strategy"], sort=False):
        p = paper.loc[(d, s)] if (d, s) in paper.index else None
        for metric, digits in (("fid", fd_digits[d]), ("density", 3), ("coverage", 3)):
            ref = f" ({p[metric]:.1f})" if p is not None and metric == "fid" else \
                f" ({p[metric]:.{digits}f})" if p is not None else ""
            cells.append({"dataset": d, "metric": "FD" if metric == "fid" else metric,
                          "strategy": STRATEGY_NAMES[s], "cell": _ms(g[metric], 1.0, digits) + ref})
    space = "Inception-v3 (FID)" if backbone == "inception" else f"the {backbone} backbone's"
    return display.compact_grid(pd.DataFrame(cells), rows=["strategy"], columns=["dataset", "metric"],
                                cell="cell", caption=f"Table 6, held out: Fréchet distance (FD), density and "
                                f"coverage of fresh samples (new latents per replicate, as many as the real "
                                f"validation images) against the validation split, which the search never saw, "
                                f"in {space} features, which the search did not use; mean ± std over "
                                f"{frame['seed'].nunique()} independent replicates. The paper's value in brackets "
                                "(its FID uses Inception-v3 on far more images, so only orderings compare).")


def search_space_grid(frame: pd.DataFrame):
    digits = {d: fd_decimals(g["frechet"]) for d, g in frame.groupby("dataset")}
    cells = [{"dataset": r.dataset, "strategy": STRATEGY_NAMES[r.strategy],
              "cell": f"{r.density:.3f} / {r.coverage:.3f} / {r.frechet:.{digits[r.dataset]}f}"}
             for r in frame.itertuples()]
    return display.compact_grid(pd.DataFrame(cells), rows=["strategy"], columns=["dataset"], cell="cell",
                                caption="Search space, NOT held out: density / coverage / Fréchet distance of "
                                "the search's own features against the training images it used (Naive (R): its "
                                "first draw). Eq. 6 maximised the harmonic mean of exactly this density and "
                                "coverage, so ours leads here by construction; no verdict is drawn from it.")


# ---- claims -------------------------------------------------------------------------------------------------------

def _table6_pairs():
    """(dataset, strategy, the paper's "ours" row, that strategy's row) for every strategy of the paper's Table 6
    that has an "ours" row on the same dataset (reference table, never typed)."""
    t6 = reference.load("gan_ensembles_table6").set_index(["dataset", "strategy"])
    for (d, s), r in t6.iterrows():
        if s != "ours" and (d, "ours") in t6.index:
            yield d, s, t6.loc[(d, "ours")], r


def paper_figures() -> dict[str, str]:
    """The paper's own Table 6 numbers for the fidelity claims, from the reference table (never typed here)."""
    out = {}
    for d, s, o, r in _table6_pairs():
        for metric, digits in (("fid", 3), ("density", 3), ("coverage", 3)):
            out[f"gan-{metric}-ours-vs-{s}-{d}"] = f"ours {o[metric]:.{digits}f} vs {r[metric]:.{digits}f}"
    return out


def paper_diffs(datasets=PAPER_DATASETS) -> dict[str, float]:
    """{claim id: the paper's own A − B difference in the claim's units (B − A where lower is better)}, computed
    from the reference tables wherever the paper gives both sides: Table 6 (per cell) and Table 5 (n_gans of
    Inception-v3 vs SwAV, averaged over ``datasets`` as the claim pools them; InceptionV3 vs InceptionV3-Med)."""
    out = {}
    for d, s, o, r in _table6_pairs():
        out[f"gan-fid-ours-vs-{s}-{d}"] = float(r["fid"] - o["fid"])
        out[f"gan-density-ours-vs-{s}-{d}"] = float(o["density"] - r["density"])
        out[f"gan-coverage-ours-vs-{s}-{d}"] = float(o["coverage"] - r["coverage"])
    t5 = reference.load("gan_ensembles_table5").set_index(["backbone", "dataset"])
    ds = [d for d in datasets if ("swav", d) in t5.index and ("inceptionv3", d) in t5.index]
    if ds:
        out["gan-backbone-supervised-fewer-gans"] = float(np.mean(
            [t5.loc[("swav", d), "n_gans"] - t5.loc[("inceptionv3", d), "n_gans"] for d in ds]))
    for d in datasets:
        a, b = ("inceptionv3", d), ("inceptionv3_med", d)
        if a in t5.index and b in t5.index and pd.notna(t5.loc[a, "g_mean"]) and pd.notna(t5.loc[b, "g_mean"]):
            out[f"gan-backbone-finetuned-no-better-{d}"] = 100 * float(t5.loc[a, "g_mean"] - t5.loc[b, "g_mean"])
    return out


def load_claims() -> list:
    """The chapter's claims with the paper's figures and differences filled in from the reference tables."""
    from synthmed import claims

    cs = claims.with_paper_figures(claims.load_claims(CLAIMS_FILE, paper="GAN ensembles"), paper_figures())
    diffs = paper_diffs()
    return [replace(c, paper_diff=diffs[c.id]) if c.id in diffs else c for c in cs]


def judge(frames: dict[str, pd.DataFrame], profile: str, datasets, notebook: str = "", run=None) -> list:
    """Judge every registered claim that reads one of ``frames`` and whose sides were run (the selection rule of
    :mod:`synthmed.claims.select`: the frame with every column the claim names; each selector matching a run). A
    claim that names no dataset (pooled, or paired on datasets) is judged on the paper's datasets among
    ``datasets``. With ``notebook``, the paper's primary claims are adjusted over the paper's whole family
    (:func:`synthmed.claims.in_family`; ``run``: the notebook's settings, default ``profile``), as the page and the
    Scorecard show them."""
    from synthmed import claims

    def keep(c, frame):
        frame = frame[frame["dataset"].isin(datasets)]
        if not any("dataset" in s for s in claims.selectors(c)):
            frame = frame[frame["dataset"].isin(PAPER_DATASETS)]
        return frame

    out = claims.judge_frames([c for c in load_claims() if not c.untestable], frames, profile, keep)
    return claims.in_family(notebook, run or profile, out) if notebook else out


def no_claim_text(datasets) -> str:
    """What a page says when no registered claim could be judged on its runs: no claim concerns its datasets, or
    the claims on them compare arms (backbones, search-space sizes) this profile did not run."""
    from synthmed import claims

    registered = sorted({s["dataset"] for c in claims.load_claims(CLAIMS_FILE, paper="GAN ensembles")
                         for s in claims.selectors(c) if "dataset" in s})
    if not set(datasets) & set(registered):
        return (f"No claim of the paper concerns this dataset ({', '.join(datasets)}): the paper's claims are "
                f"registered for {', '.join(registered)} (the 28×28 MedMNIST files this book's profiles run; the "
                "paper's experiments are binary tasks, and our transcription of its Table 1 does not give the "
                "image size), so the tables above stand without verdicts.")
    return ("No claim of the paper could be judged on these runs: the claims on these datasets compare arms "
            "(backbones or search-space sizes) that this profile does not run; the settings table lists what "
            "it runs.")


def publish(notebook: str, run, verdicts: list, datasets, extra: list = ()) -> tuple:
    """What a GAN notebook ends with: :func:`synthmed.claims.publish`'s table and text, or, when no claim concerns
    the datasets run, the verdicts stored as empty and :func:`no_claim_text`. ``run``: the notebook's settings
    (or a profile name), as for :func:`synthmed.claims.publish`. ``extra``: verdicts shown elsewhere on the page
    and stored with these (the CPU-scale bundle's, :func:`cpu_section`: their own family, so adjusting them with
    the page's changes nothing)."""
    from synthmed import claims

    if verdicts:
        return claims.publish(notebook, run, verdicts, extra=extra)
    return claims.publish(notebook, run, [], text=no_claim_text(datasets), extra=extra)[1:]


# ---- the CPU-scale bundle ----------------------------------------------------------------------------------------

CPU_PAPER = "GAN ensembles (CPU scale)"  # the bundle's claims: their own family and their own Scorecard count
CPU_PROFILE = "cpu"


def cpu_claims() -> list:
    """The chapter's claims that the bundle's frames can judge (Table 3, held-out Table 6, Fig. 3), renamed for
    the bundle: id + "-cpu", paper :data:`CPU_PAPER` (their own Benjamini-Hochberg family), chapter the bundle's
    (:data:`synthmed.gan.cpu_scale.VERDICT_CHAPTER`, which the Scorecard counts apart), linked to this page."""
    from synthmed.gan import cpu_scale

    return [replace(c, id=f"{c.id}-cpu", paper=CPU_PAPER, chapter=cpu_scale.VERDICT_CHAPTER,
                    section=f"gan_ensemble.html#claim-{c.id}-cpu") for c in load_claims() if not c.untestable]


def cpu_judge(frames: dict[str, pd.DataFrame]) -> list:
    """The bundle's verdicts, judged like the chapter's (:func:`synthmed.claims.judge_frames` on the frames the
    claims read, the replicate's seed as the pairing unit) and adjusted within their own family; [] when no
    replicate is committed. frames: :meth:`synthmed.bundle.Spec.frames` of the GAN bundle."""
    from synthmed import claims

    if not frames:
        return []
    use, keep = _cpu_runs(frames)
    return claims.adjust(claims.judge_frames(cpu_claims(), use, CPU_PROFILE, keep))


def _cpu_runs(frames: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], Callable]:
    """(the runs frames the bundle's claims read, the narrowing to the paper's datasets) for
    :func:`synthmed.claims.judge_frames` and :func:`synthmed.claims.paired_differences`."""
    use = {"table3": frames["table3_members"], "table6": frames.get("table6"), "fig3": frames.get("fig3")}
    return ({k: v for k, v in use.items() if v is not None and len(v)},
            lambda c, frame: frame[frame["dataset"].isin(PAPER_DATASETS)])


def _cell(values: pd.Series) -> str:
    v = 100 * values.dropna()
    if v.empty:
        return "—"
    return f"{v.mean():.1f} ± {v.std(ddof=1):.1f} ({len(v)})" if len(v) > 1 else f"{v.mean():.1f} (1)"


def cpu_table3(cpu: pd.DataFrame, quick: pd.DataFrame, profile: str = "quick") -> pd.DataFrame:
    """Table 3 side by side: rows strategies, columns (dataset, scale): test g-mean ×100, mean ± std over
    replicates (n) of the CPU-scale bundle and of this build's ``profile``. cpu, quick:
    :func:`synthmed.gan.experiment.strategy_runs` frames."""
    out = {}
    for label, frame in (("CPU scale", cpu), (profile, quick)):
        if frame is None or frame.empty:
            continue
        for (d, s), g in frame.groupby(["dataset", "strategy"], sort=False):
            out.setdefault((d, label), {})[STRATEGY_NAMES[s]] = _cell(g["g_mean"])
    order = sorted(out, key=lambda c: (c[0], c[1] != "CPU scale"))
    table = pd.DataFrame({f"{d}: {label}": out[(d, label)] for d, label in order})
    return table.reindex([STRATEGY_NAMES[s] for s in STRATEGY_NAMES]).fillna("—").rename_axis("strategy")


def cpu_accuracy_table(cpu: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Table 3's other metrics at CPU scale: rows strategies, columns per dataset balanced accuracy and accuracy
    (×100, mean ± std over replicates (n)) and how many of the strategy's classifiers predict one class; with a
    caption naming each dataset's test majority-class rate (what a classifier that always predicts the majority
    class scores)."""
    out = {}
    for (d, st), g in cpu.groupby(["dataset", "strategy"], sort=False):
        row = out.setdefault(STRATEGY_NAMES[st], {})
        row[f"{d}: balanced acc."] = _cell(g["balanced_accuracy"])
        row[f"{d}: accuracy"] = _cell(g["accuracy"])
        row[f"{d}: constant"] = f"{int(g['constant'].astype(bool).sum())} of {len(g)}"
    table = pd.DataFrame.from_dict(out, orient="index")
    table = table.reindex([STRATEGY_NAMES[st] for st in STRATEGY_NAMES if STRATEGY_NAMES[st] in out]).fillna("—")
    rates = "; ".join(f"{d} {100 * g['majority_rate'].iloc[0]:.1f}" for d, g in cpu.groupby("dataset", sort=False))
    caption = ("Table 3 at CPU scale, balanced accuracy and accuracy ×100 (mean ± std over replicates (n)) and the "
               "classifiers that predict one class (constant) per strategy; test majority-class rate: "
               f"{rates} (the accuracy of a classifier that always predicts the majority class; one that always "
               "predicts the other class scores 100 minus it; balanced accuracy 50 either way).")
    return table.rename_axis("strategy"), caption


def trunk_line(trunk: pd.DataFrame) -> str:
    """One sentence on the supervised trunk whose features held-out Table 6 uses (the bundle's ``trunk`` frame,
    :func:`synthmed.gan.experiment.trunk_runs`' rows): validation balanced accuracy and accuracy per dataset beside
    its majority-class rate, and how many trainings stopped at a plateau or predict one class."""
    parts = [f"{d} balanced accuracy {_ms(g['balanced_accuracy'])}, accuracy {_ms(g['accuracy'])} (majority "
             f"{100 * g['majority_rate'].iloc[0]:.1f}; plateau in {int(g['plateau'].astype(bool).sum())} of {len(g)}"
             + (f", one class in {int(g['constant'].astype(bool).sum())}" if g["constant"].astype(bool).any()
                else "") + ")"
             for d, g in trunk.groupby("dataset", sort=False)]
    return "Table 6's supervised trunk on validation (×100, mean ± std over replicates): " + "; ".join(parts) + "."


def cpu_table6(t6: pd.DataFrame) -> pd.DataFrame:
    """Held-out Table 6 of the bundle beside the paper's (reference table): rows (dataset, strategy), columns
    density, coverage, FID: ours mean ± std over replicates (on our held-out features, so only the direction is
    comparable) and the paper's."""
    paper = reference.load("gan_ensembles_table6").set_index(["dataset", "strategy"])
    rows = []
    for (d, s), g in t6.groupby(["dataset", "strategy"], sort=False):
        row = {"dataset": d, "strategy": STRATEGY_NAMES[s]}
        for m in ("density", "coverage", "fid"):
            row[f"{m}: CPU scale"] = _ms(g[m], 1.0, 3)  # our features' Fréchet distance is far below Inception's
            row[f"{m}: paper"] = f"{paper.loc[(d, s), m]:.3f}" if (d, s) in paper.index else "—"
        rows.append(row)
    return pd.DataFrame(rows)


def constant_line(members: pd.DataFrame) -> str:
    """One sentence on how often a downstream classifier of the bundle predicts one class, per dataset: of those
    trained on one GAN's images (every single candidate of every replicate: the bundle's ``table3_members`` rows of
    Single (average)) and of those trained on the real images. A dataset where most do cannot answer Table 3's
    questions: the engine drops its cells (a constant side)."""
    parts = []
    for d, g in members.groupby("dataset", sort=False):
        single = g[g["strategy"] == "single_average"]["constant"].astype(bool)
        real = g[g["strategy"] == "real"]["constant"].astype(bool)
        parts.append(f"{d} {int(single.sum())} of {len(single)} trained on one GAN's images and {int(real.sum())} "
                     f"of {len(real)} trained on the real images")
    return ("Classifiers that predict one class on the test split: " + "; ".join(parts) + ".") if parts else ""


def cpu_status_text(frames: dict[str, pd.DataFrame], status: pd.DataFrame) -> Markdown:
    """How many replicates the bundle holds, from which commits and machine, and whether each is current."""
    from synthmed.gan import cpu_scale

    if status.empty:
        return Markdown(f"No CPU-scale replicate is committed yet (`results/{cpu_scale.PROFILE}/{cpu_scale.CHAPTER}/` "
                        f"is empty): `{cpu_scale.BUNDLE.command}` computes them, one replicate per process, and "
                        "commits each. Until then this section shows nothing.")
    text = bundle.status_text(status, f"`results/{cpu_scale.PROFILE}/{cpu_scale.CHAPTER}/`")
    if "trunk" in frames:
        text += " " + trunk_line(frames["trunk"])
    if "table3_members" in frames:
        text += " " + constant_line(frames["table3_members"])
    if "front" in frames:
        f = frames["front"]
        text += " Fronts: " + "; ".join(
            f"{d} {int(g['front_size'].min())}-{int(g['front_size'].max())} solutions (trained up to "
            f"{int(g['trained'].max())}), eq. 6 chose {int(g['ours_size'].min())}-{int(g['ours_size'].max())} of "
            f"{int(g['candidates'].iloc[0])} candidates" for d, g in f.groupby("dataset", sort=False)) + "."
    return Markdown(text)


def cpu_section(root, quick: pd.DataFrame, profile: str = "quick") -> tuple[list, tuple]:
    """What the page shows of the bundle: (its verdicts, the objects to display: status text, Table 3 beside
    ``profile``'s, Table 6 beside the paper's, the primary verdicts). The verdicts are stored with the page's own
    (:func:`publish`'s ``extra``)."""
    from synthmed import claims
    from synthmed.gan import cpu_scale

    frames, status = cpu_scale.BUNDLE.judged(root)
    shown = [cpu_status_text(frames, status)]
    verdicts = cpu_judge(frames)
    if frames:
        shown.append(display.plain(cpu_table3(frames["table3"], quick, profile), caption=(
            "Table 3 at CPU scale and under this build's profile: test g-mean ×100, mean ± std over replicates "
            "(n). The paper's Table 3 numbers are lost in our transcription; its claims are in the verdicts.")))
        acc, caption = cpu_accuracy_table(frames["table3"])
        shown.append(display.plain(acc, caption=caption))
        if "table6" in frames:
            shown.append(display.plain(cpu_table6(frames["table6"]), caption=(
                "Held-out Table 6 at CPU scale (validation reference, fresh samples, features the search did not "
                "use) beside the paper's own Table 6.")))
        primary = [v for v in verdicts if v.claim.primary]
        shown.append(claims.claims_table(primary or verdicts, caption="CPU scale: the paper's primary claims, "
                                         "one replicate (its own zoo, search, samples and classifiers) per pair"))
        shown += claims.pairs_section(primary, *_cpu_runs(frames))
    return verdicts, tuple(shown)
