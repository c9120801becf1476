"""Training a :class:`~synthmed.imbalance.fusion.Classifier` with the per-epoch record of the paper's Figs. 3-5:
train loss, validation loss, accuracy, precision, recall and ROC-AUC (on the validation split, threshold 0.5)."""

from __future__ import annotations

import pandas as pd
import torch
from sklearn.metrics import roc_auc_score
from torch import nn
from tqdm.auto import tqdm

from synthmed.imbalance.data import Part
from synthmed.imbalance.fusion import Classifier


def _inputs(model: Classifier, part: Part, rows: torch.Tensor, device: torch.device):
    images = part.images[rows].to(device).float().div_(127.5).sub_(1.0) if model.uses_images else None
    meta = part.metadata[rows].to(device) if model.uses_metadata else None
    return images, meta


@torch.no_grad()
def predict_proba(model: Classifier, part: Part, *, device: torch.device | None = None,
                  batch_size: int = 256) -> torch.Tensor:
    """(N,) float probabilities of label 1 for every item of ``part`` (on the CPU)."""
    device = device or torch.device("cpu")
    model = model.to(device).eval()
    out = []
    for i in range(0, len(part), batch_size):
        rows = torch.arange(i, min(i + batch_size, len(part)))
        out.append(torch.sigmoid(model(*_inputs(model, part, rows, device))).cpu())
    return torch.cat(out)


def binary_metrics(prob: torch.Tensor, labels: torch.Tensor, threshold: float = 0.5) -> dict[str, float]:
    """accuracy, precision, recall (sensitivity), specificity and roc_auc of (N,) probabilities against (N,) 0/1
    labels (precision 0 when nothing is predicted positive; ROC-AUC NaN with one class)."""
    p, y = (prob >= threshold).long(), labels.long()
    tp, fp = int(((p == 1) & (y == 1)).sum()), int(((p == 1) & (y == 0)).sum())
    fn, tn = int(((p == 0) & (y == 1)).sum()), int(((p == 0) & (y == 0)).sum())
    auc = roc_auc_score(y.numpy(), prob.numpy()) if 0 < int(y.sum()) < len(y) else float("nan")
    return {"accuracy": (tp + tn) / len(y), "precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / (tp + fn) if tp + fn else float("nan"),
            "specificity": tn / (tn + fp) if tn + fp else float("nan"), "roc_auc": float(auc)}


def train_classifier(model: Classifier, train: Part, val: Part, *, epochs: int, batch_size: int = 32,
                     lr: float = 1e-3, weight_decay: float = 1e-4, seed: int = 0,
                     device: torch.device | None = None, progress: bool = True) -> tuple[dict, pd.DataFrame]:
    """Train with Adam and binary cross-entropy (no class weights: balancing is the data's job), shuffling with
    ``seed``; the last epoch's weights are kept (the paper reports the final model).

    Returns (CPU state_dict, history) where history has one row per epoch: epoch, train_loss, valid_loss,
    accuracy, precision, recall, specificity, roc_auc (validation split).
    """
    device = device or torch.device("cpu")
    torch.manual_seed(seed)
    model = model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.BCEWithLogitsLoss()
    g = torch.Generator().manual_seed(seed)
    labels = train.labels.float()
    rows_all = []
    n = len(train)
    drop_last = n > batch_size  # avoid a size-1 batch for BatchNorm
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress, leave=False):
        model.train()
        order = torch.randperm(n, generator=g)
        total = torch.zeros((), device=device)
        seen = 0
        for i in range(0, n, batch_size):
            rows = order[i:i + batch_size]
            if drop_last and len(rows) < 2:
                continue
            logits = model(*_inputs(model, train, rows, device))
            loss = loss_fn(logits, labels[rows].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * len(rows)
            seen += len(rows)
        prob = predict_proba(model, val, device=device)
        valid_loss = float(nn.functional.binary_cross_entropy(prob.clamp(1e-7, 1 - 1e-7), val.labels.float()))
        rows_all.append({"epoch": epoch, "train_loss": float(total) / max(seen, 1), "valid_loss": valid_loss,
                         **binary_metrics(prob, val.labels)})
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return state, pd.DataFrame(rows_all)

