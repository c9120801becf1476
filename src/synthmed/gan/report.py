"""Tables, figures and generated text of the GAN-ensembles chapter (every number from the runs frames of
:mod:`synthmed.gan.experiment`; every sentence about results depends on them)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown

from synthmed import display, reference
from synthmed.gan import runs
from synthmed.gan.experiment import STRATEGY_NAMES, TEST_SELECTED
from synthmed.metrics.fid import frechet_distance

CLAIMS_FILE = Path(__file__).with_name("claims.yaml")
#: the claim (id prefix) that compares ours with each strategy in Table 3, for the cell colours
_T3_CLAIM = {"single_top1": "gan-ours-vs-single-top1", "single_average": "gan-ours-vs-single-average",
             "naive_random": "gan-ours-vs-naive-random", "naive_all": "gan-ours-vs-naive-all",
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
                                "downstream seeds; BA: balanced accuracy ×100; Δ: gap to real data in % "
                                "(paper's definition). † every run a "
                                "constant predictor. Colour: verdict of the paper's claim that ours beats (or, "
                                "for the oracle, is close to) the row.")


def table3_figure(frame: pd.DataFrame) -> plt.Figure:
    long = frame.assign(strategy=frame.strategy.map(STRATEGY_NAMES)).melt(
        id_vars=["dataset", "strategy", "seed"], value_vars=["g_mean", "balanced_accuracy"], var_name="metric")
    long["value"] *= 100
    fig = display.interval_figure(long, x="strategy", y="value", hue="metric", col="dataset",
                                  ylabel="test score ×100 (95 % t interval over seeds)", height=3.2, aspect=1.6)
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
        practical = m.drop(list(TEST_SELECTED))
        best = practical.idxmax()
        rank = int((practical > m["ours"]).sum()) + 1
        lines.append(
            f"- **{d}** (majority-class rate {100 * maj[d]:.1f} %): among the strategies a practitioner can run "
            f"(no test-set selection), the best mean g-mean is {STRATEGY_NAMES[best]} ({100 * m[best]:.1f}); "
            f"ours ({100 * m['ours']:.1f}) ranks {rank} of {len(practical)}. The validation-selected single GAN "
            f"scores {100 * m['single_val']:.1f} against {100 * m['single_top1']:.1f} for the test-selected one, "
            f"and the validation-selected Pareto solution {100 * m['pareto_val']:.1f} against "
            f"{100 * m['oracle']:.1f} for the test-selected oracle; real data {100 * m['real']:.1f}.")
    return Markdown("\n".join(lines))


def pareto_figure(results: dict) -> plt.Figure:
    """Fig. A1: every ensemble evaluated by the search (grey), the Pareto front over all of them (red), eq. 6
    (star), the validation-selected and the oracle Pareto solutions."""
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
        ax.set_title(f"{d} ({res.method})", fontsize=9)
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
                                "zoo, several draws per m; test g-mean ×100 of the eq. 6 choice (mean over "
                                "downstream seeds, then mean ± std over draws) and its size.")


def ablation_grid(frame: pd.DataFrame):
    cells = [{"dataset": d, "criterion": c, "cell": f"{_ms(g['g_mean'])}\n{g['n_gans'].iloc[0]} candidates"}
             for (d, c), g in frame.groupby(["dataset", "criterion"], sort=False)]
    return display.compact_grid(pd.DataFrame(cells), rows=["criterion"], columns=["dataset"], cell="cell",
                                caption="Table A2 (ours): test g-mean ×100 (mean ± std over seeds) and size of "
                                "the eq. 6 choice under each search criterion.")


def table5_grid(frame: pd.DataFrame):
    paper = reference.load("gan_ensembles_table5")
    cells = [{"dataset": d, "backbone": b, "cell": f"{_ms(g['g_mean'])}\n{g['n_gans'].iloc[0]} candidates"}
             for (d, b), g in frame.groupby(["dataset", "backbone"], sort=False)]
    cells += [{"dataset": r.dataset, "backbone": f"paper: {r.backbone}",
               "cell": (f"{100 * r.g_mean:.1f}" if pd.notna(r.g_mean) else "—") + f"\n{r.n_gans} GANs"}
              for r in paper.itertuples() if r.dataset in set(frame.dataset)]
    return display.compact_grid(pd.DataFrame(cells), rows=["backbone"], columns=["dataset"], cell="cell",
                                caption="Table 5: oracle (test-selected) Pareto ensemble per backbone (each "
                                "backbone searched on the same number of real and generated images), test "
                                "g-mean ×100 and size; ours above, the paper's (Tronchin et al., Table 5; cells "
                                "lost in transcription: —) below.")


def table6_grid(frame: pd.DataFrame):
    paper = reference.load("gan_ensembles_table6").set_index(["dataset", "strategy"])
    cells = []
    for (d, s), g in frame.groupby(["dataset", "strategy"], sort=False):
        p = paper.loc[(d, s)] if (d, s) in paper.index else None
        for metric, digits in (("fid", 1), ("density", 3), ("coverage", 3)):
            ref = f" ({p[metric]:.{digits}f})" if p is not None else ""
            cells.append({"dataset": d, "metric": metric, "strategy": STRATEGY_NAMES[s],
                          "cell": _ms(g[metric], 1.0, digits) + ref})
    return display.compact_grid(pd.DataFrame(cells), rows=["strategy"], columns=["dataset", "metric"],
                                cell="cell", caption="Table 6: FID (Inception-v3), density and coverage (search "
                                "backbone) of each strategy's samples, mean ± std over random halves of the "
                                "samples; the paper's value in brackets (its FID uses far more images and "
                                "ImageNet-era backbones, so only orderings compare).")


# ---- claims -------------------------------------------------------------------------------------------------------

def frame_of(claim) -> str:
    """The runs frame a claim is judged on, from its selectors and metric."""
    keys = set().union(*(set(s) for s in [claim.a, claim.b or {}, *claim.order]))
    for col, frame in (("backbone", "table5"), ("m", "table4"), ("criterion", "a2")):
        if col in keys:
            return frame
    return "table6" if claim.metric in ("fid", "density", "coverage") else "table3"


def paper_figures() -> dict[str, str]:
    """The paper's own Table 6 numbers for the fidelity claims, from the reference table (never typed here)."""
    t6 = reference.load("gan_ensembles_table6").set_index(["dataset", "strategy"])
    out = {}
    for (d, s), r in t6.iterrows():
        if s == "ours" or (d, "ours") not in t6.index:
            continue
        o = t6.loc[(d, "ours")]
        for metric, digits in (("fid", 3), ("density", 3), ("coverage", 3)):
            out[f"gan-{metric}-ours-vs-{s}-{d}"] = f"ours {o[metric]:.{digits}f} vs {r[metric]:.{digits}f}"
    return out


def judge(frames: dict[str, pd.DataFrame], profile: str, datasets) -> list:
    """Judge every registered claim whose frame is given and whose datasets were run."""
    from synthmed import claims

    out = []
    for c in claims.with_paper_figures(claims.load_claims(CLAIMS_FILE, paper="GAN ensembles"), paper_figures()):
        sel = [s for s in [c.a, c.b, *c.order] if s]
        if frame_of(c) not in frames or any(s.get("dataset") not in datasets for s in sel):
            continue
        out.append(claims.judge(c, frames[frame_of(c)], profile=profile))
    return out
