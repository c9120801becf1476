"""Tables and figures that describe a dataset: class balance per split and a grid of samples per class."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch


def class_balance(labels_by_split: Mapping[str, torch.Tensor], label_names: Sequence[str]) -> pd.DataFrame:
    """Counts per class (rows) and split (columns), with each split's total and majority-class share.

    labels_by_split: split name -> (N,) int64 class labels (multi-label (N, L): counts of positives per label).
    """
    cols = {}
    for split, labels in labels_by_split.items():
        counts = labels.sum(0) if labels.ndim == 2 else torch.bincount(labels, minlength=len(label_names))
        cols[split] = counts.tolist()
    table = pd.DataFrame(cols, index=pd.Index(list(label_names), name="class"))
    totals = {s: len(lab) for s, lab in labels_by_split.items()}
    table.loc["total"] = pd.Series(totals)
    if all(lab.ndim == 1 for lab in labels_by_split.values()):
        table.loc["majority share (%)"] = pd.Series(
            {s: round(100 * table.loc[list(label_names), s].max() / totals[s], 1) for s in totals})
    return table


def sample_grid(images: torch.Tensor, labels: torch.Tensor, label_names: Sequence[str], per_class: int,
                seed: int = 0, title: str | None = None) -> plt.Figure:
    """A figure with one row per class and ``per_class`` random images of it. images: (N, C, H, W) uint8."""
    gen = torch.Generator().manual_seed(seed)
    n_classes = len(label_names)
    fig, axes = plt.subplots(n_classes, per_class, figsize=(per_class * 0.9, n_classes * 0.95 + 0.4),
                             squeeze=False)
    for c, name in enumerate(label_names):
        rows = torch.nonzero(labels == c).reshape(-1)
        pick = rows[torch.randperm(len(rows), generator=gen)[:per_class]]
        for j, ax in enumerate(axes[c]):
            ax.set_xticks([]), ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if j < len(pick):
                img = images[pick[j]].permute(1, 2, 0).numpy()
                ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray", vmin=0, vmax=255)
        axes[c, 0].set_ylabel(f"{c}: {name}"[:22], rotation=0, ha="right", va="center", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def describe_column(values: pd.Series) -> str:
    """'mean ± std (min–max)' for a numeric column."""
    v = np.asarray(values, dtype=float)
    return f"{v.mean():.1f} ± {v.std(ddof=1):.1f} ({v.min():.0f}–{v.max():.0f})"


def metadata_by_split(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per split of NIH metadata frames ({split: frame with patient_age, patient_gender, view_position,
    finding_labels}): images, age (mean ± std (min–max)), % female, % PA view, images with a pneumonia finding."""
    return pd.DataFrame([
        {"split": s, "images": len(f), "age (years)": describe_column(f.patient_age),
         "female (%)": round(100 * (f.patient_gender == "F").mean(), 1),
         "PA view (%)": round(100 * (f.view_position == "PA").mean(), 1),
         "pneumonia finding": int(f.finding_labels.str.contains("Pneumonia").sum())}
        for s, f in frames.items()])
