"""Tables, figures and text of the Fig. 2 notebook (``tsynd_explain``), computed from the crossing-distance
measurements of :mod:`synthmed.tsynd.explain_runs`; nothing here trains or scores."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from scipy import stats

import torch
from IPython.display import Markdown

from synthmed import claims, display
from synthmed.data import load_images
from synthmed.display import t_interval
from synthmed.pixels import to_unit
from synthmed.tsynd import fig2
from synthmed.tsynd.explain import eigen_gradcam
from synthmed.tsynd.explain_runs import load_models
from synthmed.tsynd.training import METHOD_LABELS

CLAIMS = Path(__file__).with_name("claims_explain.yaml")  # Table 2 and Fig. 2 claims of the paper
# the Fig. 2 claims' metric columns (100 x the latent change in units of the latents' std)
METRIC = "latent change in % of the latent std"
METRIC_WALKED = "walked distance in % of the latent std"
SKIPS = [label for code, label in fig2.STATUS_LABELS.items() if code != fig2.CROSSED]
# Fair comparison (issue 24): only the test images that every arm of a seed classifies correctly, original and
# reconstruction alike; a walk that never crossed counts as the budget (a lower bound). Our operationalisations of
# the paper's qualitative claim: latent distance, and in pixel space the L2 norm of the difference map and the
# share of pixels that changed by more than AREA_THRESHOLD (of the [0, 1] range).
AREA_THRESHOLD = 0.1
FAIR_METRICS = {"latent_change_common": "latent change (% of the latent std)", "pixel_l2_common": "pixel L2 change",
                "pixel_area_common": "pixels changed by > 0.1 (%)"}
_WALKED = {fig2.STATUS_LABELS[fig2.CROSSED], fig2.STATUS_LABELS[fig2.NOT_CROSSED]}


def labelled(fraction: float) -> str:
    """0.1 -> "10%": the label of a labelled share, as the claims' selectors spell it."""
    return f"{100 * fraction:g}%"


def image_frame(specs: list, measurements: list[dict]) -> pd.DataFrame:
    """One row per (run, test image): dataset, fraction, labelled, method, seed, image, label, status (text),
    distance (the walk's crossing distance; NaN unless the walk crossed), p_start, and distance_all: the latent
    change that flips a correctly classified image, 0 when its reconstruction (the walk's start) is already below
    0.5, NaN for misclassified images and walks that never crossed."""
    parts = []
    for spec, m in zip(specs, measurements):
        status = m["status"].numpy()
        parts.append(pd.DataFrame({
            "dataset": spec.dataset, "fraction": spec.fraction, "labelled": labelled(spec.fraction),
            "method": METHOD_LABELS[spec.train.method], "seed": spec.seed, "image": m["index"].numpy(),
            "label": m["label"].numpy(), "status": [fig2.STATUS_LABELS[int(c)] for c in status],
            "distance": m["distance"].numpy(), "p_start": m["p_start"].numpy(),
            "distance_all": np.where(status == fig2.START_BELOW, 0.0, m["distance"].numpy()),
            **pixel_changes(m["diff"].numpy())}))
    return pd.concat(parts, ignore_index=True)


def pixel_changes(diff: np.ndarray) -> dict[str, np.ndarray]:
    """(N, H, W) |reconstruction - image where the walk stopped| -> {"pixel_l2": (N,) L2 norm of the map,
    "pixel_area": (N,) percent of pixels above :data:`AREA_THRESHOLD`}."""
    return {"pixel_l2": np.sqrt((diff ** 2).sum((1, 2))), "pixel_area": 100 * (diff > AREA_THRESHOLD).mean((1, 2))}


def common_images(images: pd.DataFrame) -> pd.Series:
    """(rows,) bool: the image was walked (its original and its reconstruction classified correctly) by every
    method of its (dataset, fraction, seed)."""
    walked = images["status"].isin(_WALKED)
    keys = ["dataset", "fraction", "seed", "image"]
    n_methods = images.groupby(["dataset", "fraction", "seed"])["method"].transform("nunique")
    n_walked = walked.groupby([images[k] for k in keys]).transform("sum")
    return n_walked == n_methods


def fair_frame(images: pd.DataFrame, budget: float) -> pd.DataFrame:
    """Per run, over :func:`common_images` (walks that never crossed count as ``budget``, and their pixel changes
    are those at the budget's end): :data:`FAIR_METRICS` and ``n_common``."""
    common = images[common_images(images)].copy()
    common["latent"] = 100 * common["distance"].fillna(budget)
    keys = ["dataset", "fraction", "labelled", "method", "seed"]
    return common.groupby(keys, sort=False).agg(
        latent_change_common=("latent", "mean"), pixel_l2_common=("pixel_l2", "mean"),
        pixel_area_common=("pixel_area", "mean"), n_common=("image", "count")).reset_index()


def fair_text(fair: pd.DataFrame) -> str:
    """Per method: the mean of each fair metric over runs, and how many images were common to every arm."""
    if fair.empty:
        return "No test image was classified correctly, original and reconstruction, by every arm of a seed."
    lines = []
    for m, g in fair.groupby("method", sort=False):
        vals = ", ".join(f"{name} {g[col].mean():.2f}" for col, name in FAIR_METRICS.items())
        lines.append(f"- {m}: {vals} (means over {len(g)} runs; {int(g['n_common'].min())}–"
                     f"{int(g['n_common'].max())} common images per run).")
    return "\n".join(lines)


def run_frame(images: pd.DataFrame, specs: list, results: list[dict]) -> pd.DataFrame:
    """One row per run (the claims' input): the mean latent change over the correctly classified test images
    (:data:`METRIC`, x 100; reconstructions already below 0.5 count as 0) and over the images the walk flipped
    (:data:`METRIC_WALKED`, x 100), the image counts per status, and ``constant`` (the run's clean test
    predictions are >= 95 % one class; from ``results`` of experiment.run_many for ``specs``)."""
    constant = {(METHOD_LABELS[s.train.method], s.seed): bool(next(
        t["constant"] for t in r["test"] if t["test_condition"] == "clean")) for s, r in zip(specs, results)}
    keys = ["dataset", "fraction", "labelled", "method", "seed"]
    g = images.groupby(keys, sort=False)
    out = g.agg(distance_all=("distance_all", "mean"), distance_walked=("distance", "mean")).reset_index()
    out[METRIC], out[METRIC_WALKED] = 100 * out["distance_all"], 100 * out["distance_walked"]
    counts = images.pivot_table(index=keys, columns="status", values="image", aggfunc="count", fill_value=0)
    counts = counts.reindex(columns=list(fig2.STATUS_LABELS.values()), fill_value=0).reset_index()
    out = out.merge(counts, on=keys)
    out["constant"] = [constant[(m, s)] for m, s in zip(out["method"], out["seed"])]
    return out


SHORT = {fig2.STATUS_LABELS[fig2.NOT_CROSSED]: "not crossed", fig2.STATUS_LABELS[fig2.MISCLASSIFIED]: "misclassified",
         fig2.STATUS_LABELS[fig2.START_BELOW]: "recon. below 0.5"}


def runs_display(runs: pd.DataFrame) -> pd.DataFrame:
    """The per-run frame with short column names, for the folded 'every run' table."""
    short = {METRIC: "latent change (% std)", METRIC_WALKED: "walked (% std)", "crossed": "flipped", **SHORT}
    return runs.drop(columns=["labelled", "distance_all", "distance_walked"]).rename(columns=short)


def _seed_cell(values: pd.Series) -> str:
    lo, hi = t_interval(values)
    return f"{values.mean():.3f} [{lo:.3f}, {hi:.3f}]"


def distance_table(runs: pd.DataFrame, images: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Per method, in units of the latents' std: the latent change over all correctly classified images and over
    the walked ones, each as mean over seeds of the per-run means [95 % t interval over seeds]; the former also
    pooled over (run, image) pairs with a 95 % bootstrap interval (scipy.stats.bootstrap, seeded); then the
    (run, image) pairs per status, summed over runs (short names, :data:`SHORT`)."""
    rows = []
    for method, r in runs.groupby("method", sort=False):
        d = images.loc[images["method"] == method, "distance_all"].dropna().to_numpy()
        boot = stats.bootstrap((d,), np.mean, n_resamples=2000, random_state=seed) if len(d) > 1 else None
        row = {"method": method, "seeds": len(r), "all correct [CI seeds]": _seed_cell(r["distance_all"]),
               "[CI images]": (f"[{boot.confidence_interval.low:.3f}, {boot.confidence_interval.high:.3f}]"
                               if boot else "—"),
               "walked [CI seeds]": _seed_cell(r["distance_walked"]), "flipped": int(r["crossed"].sum())}
        row.update({SHORT[s]: int(r[s].sum()) for s in SKIPS})
        rows.append(row)
    return pd.DataFrame(rows)


def distance_figure(images: pd.DataFrame, budget: float) -> plt.Figure:
    """Latent change of every correctly classified image (0 where the reconstruction already flips it), per seed
    (x) and method (colour), boxes over the images; the walk's budget as a dashed line."""
    data = images.dropna(subset=["distance_all"])
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    sns.boxplot(data=data, x="seed", y="distance_all", hue="method", ax=ax, fliersize=2, palette="colorblind")
    ax.axhline(budget, ls="--", c="grey", lw=1, label="budget")
    ax.set_ylabel("latent change to p = 0.5\n(RMS, units of latent std)")
    ax.legend(fontsize=8, ncol=3)
    fig.tight_layout()
    return fig


def shown_images(images: pd.DataFrame, seed: int, n: int) -> list[int]:
    """Up to ``n`` test rows (image indices) that every method flipped in run ``seed``, alternating the classes,
    smallest index first."""
    run = images[images["seed"] == seed]
    flipped = run.dropna(subset=["distance"]).groupby("image")["method"].nunique()
    both = flipped[flipped == run["method"].nunique()].index
    by_class = run[run["image"].isin(both)].drop_duplicates("image").groupby("label")["image"].apply(list)
    out, lists = [], [sorted(v) for v in by_class]
    while len(out) < n and any(lists):
        for rows in lists:
            if rows and len(out) < n:
                out.append(int(rows.pop(0)))
    return sorted(out)


def shown_differences(specs: list, walks: list[dict], seed: int, rows: list[int]
                      ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """For the test images ``rows`` of run ``seed``: ({method: (n, H, W) difference maps}, {method: (n,)
    crossing distances}), from the walks of :func:`synthmed.tsynd.explain_runs.measure_many`."""
    diffs, dists = {}, {}
    for spec, w in zip(specs, walks):
        if spec.seed != seed:
            continue
        pos = [int((w["index"] == r).nonzero()[0, 0]) for r in rows]
        name = METHOD_LABELS[spec.train.method]
        diffs[name], dists[name] = w["diff"][pos].numpy(), w["distance"][pos].numpy()
    return diffs, dists


def difference_figure(recon: np.ndarray, diffs: dict[str, np.ndarray], distances: dict[str, np.ndarray],
                      titles: list[str]) -> plt.Figure:
    """Row 0: the test images (n, H, W); one row per method: |reconstruction - image at the crossing| on one
    colour scale, titled with that image's crossing distance."""
    n = len(recon)
    vmax = max(float(np.max(d)) for d in diffs.values())
    fig, axes = plt.subplots(1 + len(diffs), n, figsize=(1.6 * n, 1.7 * (1 + len(diffs))), squeeze=False)
    for j in range(n):
        axes[0, j].imshow(recon[j], cmap="gray")
        axes[0, j].set_title(titles[j], fontsize=7)
        for i, name in enumerate(diffs, start=1):
            axes[i, j].imshow(diffs[name][j], cmap="magma", vmin=0, vmax=vmax)
            axes[i, j].set_title(f"d = {distances[name][j]:.3f}", fontsize=7)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for i, name in enumerate(["test image", *diffs]):
        axes[i, 0].set_ylabel(name, fontsize=8)
    fig.tight_layout()
    return fig


def cam_figure(images: np.ndarray, cams: dict[str, np.ndarray], titles: list[str]) -> plt.Figure:
    """Row 0: the images (n, H, W); one row per classifier: its EigenGradCAM map over the image."""
    n = len(images)
    fig, axes = plt.subplots(1 + len(cams), n, figsize=(1.6 * n, 1.7 * (1 + len(cams))), squeeze=False)
    for j in range(n):
        for i in range(1 + len(cams)):
            axes[i, j].imshow(images[j], cmap="gray")
        axes[0, j].set_title(titles[j], fontsize=7)
        for i, name in enumerate(cams, start=1):
            axes[i, j].imshow(cams[name][j], cmap="jet", alpha=0.45, vmin=0, vmax=1)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for i, name in enumerate(["image", *cams]):
        axes[i, 0].set_ylabel(name, fontsize=8)
    fig.tight_layout()
    return fig


def cam_area_text(cams: dict[str, np.ndarray]) -> str:
    """The share of the image where each classifier's map exceeds half its maximum, as a sentence."""
    parts = [f"{name} {100 * float((c > 0.5).mean()):.1f} %" for name, c in cams.items()]
    return "Share of the image where the map exceeds half its maximum: " + ", ".join(parts) + "."


def skipped_text(table: pd.DataFrame, budget: float) -> str:
    """Per method, how many (run, image) pairs were measured and why the others were skipped."""
    lines = []
    for _, r in table.iterrows():
        skipped = {s: int(r[SHORT[s]]) for s in SKIPS if int(r[SHORT[s]])}
        why = "; ".join(f"{n} {s}" for s, n in skipped.items()) if skipped else "none skipped"
        lines.append(f"- {r['method']}: {int(r['flipped'])} (run, image) pairs flipped by the walk within the "
                     f"budget (distance {budget:g}); besides: {why}.")
    return "\n".join(lines)


def reconstruction_text(table: pd.DataFrame) -> str:
    """The share of each method's correctly classified (run, image) pairs whose reconstruction alone (the start
    of the walk, latent change 0) already falls below p = 0.5, as a sentence."""
    parts = []
    for _, r in table.iterrows():
        correct = int(r["flipped"]) + int(r["not crossed"]) + int(r["recon. below 0.5"])
        share = 100 * int(r["recon. below 0.5"]) / correct if correct else float("nan")
        parts.append(f"{r['method']} {share:.0f} % ({int(r['recon. below 0.5'])} of {correct})")
    return ("Share of the correctly classified test images whose autoencoder reconstruction alone (latent change "
            "0) already drops the true class below 0.5: " + ", ".join(parts) + ".")


def budget_note(table: pd.DataFrame) -> str:
    """A sentence when the methods differ in the share of images that never flipped within the budget (the mean
    over flipped images then leaves out the hardest ones of that method); empty otherwise."""
    share = {}
    for _, r in table.iterrows():
        measured = int(r["flipped"]) + int(r["not crossed"]) + int(r["recon. below 0.5"])
        share[r["method"]] = r["not crossed"] / measured if measured else 0.0
    if len(share) < 2 or max(share.values()) - min(share.values()) < 0.05:
        return ""
    top = max(share, key=share.get)
    return (f"{top} kept {100 * share[top]:.0f} % of its correctly classified images on the true side within the "
            f"budget (others: " + ", ".join(f"{m} {100 * s:.0f} %" for m, s in share.items() if m != top)
            + "); those images are left out of its mean distance, which therefore understates its robustness.")


# ---- Sec. 4.3: ROC AUC of Baseline and TSynD ----------------------------------------------------------------------
AUC_METRICS = {"val_auc": "validation AUC", "test_auc": "test AUC"}


def paper_auc_gain(reference: pd.DataFrame, fraction: float) -> float | None:
    """The paper's validation AUC gain at ``fraction`` (``tsynd_sec43_auc``, AUC points), None where it gives none."""
    gain = reference.set_index("fraction")["auc_gain"].get(round(float(fraction), 2))
    return None if gain is None else float(gain)


def auc_frame(specs: list, aucs: list[dict]) -> pd.DataFrame:
    """One row per run: dataset, fraction, labelled, method, seed, val_auc, test_auc
    (:func:`synthmed.tsynd.experiment.auc`)."""
    return pd.DataFrame([{"dataset": s.dataset, "fraction": s.fraction, "labelled": labelled(s.fraction),
                          "method": METHOD_LABELS[s.train.method], "seed": s.seed, **a}
                         for s, a in zip(specs, aucs)])


def auc_table(auc: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """One row per (labelled share, split): seeds, each method's mean AUC (x 100), the paired TSynD - Baseline
    difference per seed as mean [95 % t interval], and the paper's validation gain (``tsynd_sec43_auc``)."""
    rows = []
    for (frac, lab), g in auc.groupby(["fraction", "labelled"], sort=True):
        wide = g.pivot_table(index="seed", columns="method", values=list(AUC_METRICS))
        paper = paper_auc_gain(reference, frac)
        for col, name in AUC_METRICS.items():
            d = 100 * (wide[(col, "TSynD")] - wide[(col, "Baseline")]).dropna()
            lo, hi = t_interval(d)
            rows.append({"labelled": lab, "AUC": name, "seeds": len(d),
                         **{m: f"{100 * g.loc[g.method == m, col].mean():.1f}" for m in ("Baseline", "TSynD")},
                         "TSynD − Baseline [95 % t]": f"{d.mean():+.1f} [{lo:+.1f}, {hi:+.1f}]",
                         "paper": f"≈ {paper:+.1f}" if paper is not None and col == "val_auc" else "—"})
    return pd.DataFrame(rows)


def auc_claims(claims_: list, reference: pd.DataFrame) -> list:
    """The Sec. 4.3 AUC claims with the paper's figure and difference read from ``tsynd_sec43_auc`` (the
    validation claims; the test-split claims are ours and get the figure as context)."""
    from dataclasses import replace

    out = []
    for c in claims_:
        paper = paper_auc_gain(reference, c.a["fraction"]) if "fraction" in c.a else None
        if paper is None:
            out.append(c)
            continue
        figure = f"validation AUC gain of about {paper:.0f} % (Sec. 4.3; read here as {paper:+.1f} AUC points)"
        out.append(replace(c, paper_figure=figure, paper_diff=paper if c.metric == "val_auc" else None))
    return out


def is_auc_claim(claim) -> bool:
    """Whether a claim is judged on :func:`auc_frame`'s rows (its metric is one of :data:`AUC_METRICS`)."""
    return claim.metric in AUC_METRICS


def claims_for(registered: list, runs: pd.DataFrame, chapter: str) -> list:
    """The claims of ``chapter`` to judge on ``runs``: those marked untestable here (with their reason) and those
    whose every side has runs (:func:`synthmed.claims.runnable`; claims registered for datasets, labelled shares
    or arms that this profile does not run are left out)."""
    return claims.runnable([c for c in registered if c.chapter == chapter], runs)


# ---- the Fig. 2 notebook's sections (notebooks/tsynd_explain.py) ----------------------------------------------------

@dataclass
class Walks:
    """The walks as frames: one row per (run, image) (``images``), per run with the fair comparison merged in
    (``runs``), the fair comparison per run (``fair``), and the walk's budget (step x max_steps)."""

    images: pd.DataFrame
    runs: pd.DataFrame
    fair: pd.DataFrame
    budget: float


def walk_frames(specs: list, results: list[dict], walks: list[dict], step: float, max_steps: int) -> Walks:
    """:class:`Walks` of :func:`synthmed.tsynd.explain_runs.measure_many`'s walks and the runs' results."""
    images = image_frame(specs, walks)
    budget = step * max_steps
    fair = fair_frame(images, budget)
    runs = run_frame(images, specs, results).merge(fair, on=["dataset", "fraction", "labelled", "method", "seed"],
                                                   how="left")
    return Walks(images, runs, fair, budget)


def distance_parts(w: Walks) -> list:
    """The distance table, every run (folded) and the text on skipped images, reconstructions and the budget."""
    table = distance_table(w.runs, w.images)
    return [table.style.hide(axis="index").format(precision=3),
            display.folded(runs_display(w.runs), "Every run: latent changes, image counts"),
            Markdown(skipped_text(table, w.budget) + "\n\n" + reconstruction_text(table) + " "
                     + budget_note(table))]


def fair_figure(fair: pd.DataFrame) -> plt.Figure:
    """Per method and measure of :data:`FAIR_METRICS`: the change over the images every arm gets right."""
    long_fair = fair.melt(id_vars=["method", "seed"], value_vars=list(FAIR_METRICS), var_name="measure",
                          value_name="change")
    return display.interval_figure(long_fair, x="method", y="change", hue="method", col="measure", ylabel="change")


@dataclass
class Shown:
    """The test images of the figures: their indices, titles (class names), pixels in [0, 1] and labels."""

    rows: list[int]
    titles: list[str]
    images: torch.Tensor
    labels: torch.Tensor

    @property
    def pics(self) -> np.ndarray:
        """(n, H, W[, C]) arrays for imshow."""
        return self.images.permute(0, 2, 3, 1).squeeze(-1).numpy()


def shown(dataset: str, images: pd.DataFrame, seed: int, n: int) -> Shown:
    """:class:`Shown` for up to ``n`` test images that every method flipped in run ``seed`` (:func:`shown_images`)."""
    ds = load_images(dataset)
    rows = shown_images(images, seed, n)
    return Shown(rows, [ds.label_names[int(ds.test.labels[r])][:14] for r in rows], to_unit(ds.test.images[rows]),
                 ds.test.labels[rows])


def no_flip_text(seed: int) -> str:
    """Said instead of the difference maps when no image was flipped by every classifier."""
    return (f"No test image of run {seed} was flipped by every classifier within the budget: no difference maps "
            "to show.")


def cams(specs: list, s: Shown, device) -> dict[str, np.ndarray]:
    """{method label: EigenGradCAM maps of the true class on the images ``s``} for the classifiers of ``specs``."""
    models = load_models(specs, device)
    return {name: eigen_gradcam(m, s.images.to(device), s.labels) for name, m in models.items()}


def auc_figure(auc: pd.DataFrame) -> plt.Figure:
    """Validation and test ROC AUC (x 100) per labelled share and method, intervals over seeds."""
    long_auc = auc.melt(id_vars=["labelled", "method", "seed"], value_vars=list(AUC_METRICS), var_name="split",
                        value_name="AUC")
    return display.interval_figure(long_auc.assign(AUC=100 * long_auc["AUC"]), x="labelled", y="AUC",
                                   hue="method", col="split", ylabel="ROC AUC (x 100)")


def judge(runs: pd.DataFrame, auc: pd.DataFrame, auc_ref: pd.DataFrame, profile: str) -> list[claims.Verdict]:
    """The notebook's claims: those on the walks judged on ``runs``, the Sec. 4.3 AUC claims (against the paper's
    gain, :func:`auc_claims`) on ``auc``; Benjamini-Hochberg over all of them."""
    registered = claims.load_claims(CLAIMS)
    on_auc = auc_claims([c for c in claims_for(registered, auc, "tsynd_explain") if is_auc_claim(c)], auc_ref)
    on_runs = [c for c in claims_for(registered, runs, "tsynd_explain") if not is_auc_claim(c)]
    return claims.adjust([claims.judge(c, runs, profile=profile) for c in on_runs]
                         + [claims.judge(c, auc, profile=profile) for c in on_auc])
