"""Train one zoo GAN with snapshots at regular intervals; sample from a snapshot.

A snapshot is the generator's state at iteration t; every snapshot is one candidate of the ensemble search (the
paper keeps 5 per GAN, every 20 k of 100 k iterations). Training saves a resumable checkpoint every
``checkpoint_every`` iterations when given a path (a :class:`synthmed.fit.Checkpoint`; see
:func:`synthmed.cache.cached` with ``resumable=True``).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.std import tqdm  # text bars; tqdm.auto warns "IProgress not found" without ipywidgets

from synthmed.fit import Checkpoint, seeded
from synthmed.gan.zoo import SPECS, build, diff_augment
from synthmed.pixels import signed_to_unit, to_uint8


def _d_loss(loss: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    if loss == "bce":
        return F.softplus(-real).mean() + F.softplus(fake).mean()
    if loss == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    if loss == "wgan":
        return fake.mean() - real.mean()
    if loss == "ls":
        return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake ** 2).mean()
    raise ValueError(f"unknown loss {loss!r}")


def _g_loss(loss: str, fake: torch.Tensor) -> torch.Tensor:
    if loss == "bce":
        return F.softplus(-fake).mean()
    if loss in ("hinge", "wgan"):
        return -fake.mean()
    if loss == "ls":
        return 0.5 * ((fake - 1) ** 2).mean()
    raise ValueError(f"unknown loss {loss!r}")


def _gradient_penalty(d, real, fake, y):
    eps = torch.rand(len(real), 1, 1, 1, device=real.device)
    mix = (eps * real + (1 - eps) * fake).requires_grad_(True)
    out, _ = d(mix, y)
    (grad,) = torch.autograd.grad(out.sum(), mix, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def train_gan(name: str, images: torch.Tensor, labels: torch.Tensor, n_classes: int, n_iter: int = 1000,
              n_snapshots: int = 5, batch_size: int = 64, ch: int = 32, z_dim: int = 64, lr: float = 2e-4,
              seed: int = 0, device: torch.device | str = "cpu", checkpoint: Path | None = None,
              checkpoint_every: int = 200, progress: bool = True) -> dict:
    """Train zoo GAN ``name`` on images (N, C, S, S) in [-1, 1] with labels (N,), on ``device``.

    Snapshots at iterations n_iter/n_snapshots * (1..n_snapshots). All randomness comes from ``seed`` (the global
    RNG is forked, so the caller's is untouched); with ``checkpoint`` a :class:`synthmed.fit.Checkpoint` is saved
    every ``checkpoint_every`` iterations and resumed from, and the result equals an uninterrupted run's.
    Returns {"name", "config", "iters" (list), "snapshots" (list of generator state_dicts on CPU), "loss_d",
    "loss_g" (per-iteration lists)}.
    """
    spec = SPECS[name]
    device = torch.device(device)
    with seeded(seed, device):
        g, d = build(name, n_classes, images.shape[1], images.shape[2], ch, z_dim)
        g, d = g.to(device), d.to(device)
        opt_g = torch.optim.Adam(g.parameters(), lr=lr, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(d.parameters(), lr=lr, betas=(0.5, 0.999))
        snap_at = [round(n_iter * (j + 1) / n_snapshots) for j in range(n_snapshots)]
        state = {"it": 0, "snapshots": [], "loss_d": [], "loss_g": []}
        gen = torch.Generator(device="cpu").manual_seed(seed + 1)  # mini-batch indices
        ckpt = Checkpoint(checkpoint)
        restored = ckpt.restore(modules={"g": g, "d": d}, optimizers={"opt_g": opt_g, "opt_d": opt_d},
                                generators={"gen": gen})
        if restored is not None:
            state = restored[1]["state"]
        images, labels = images.to(device), labels.to(device)
        n = len(images)
        aug = diff_augment if spec["diffaug"] else (lambda x: x)
        losses_d, losses_g = [], []
        bar = tqdm(range(state["it"], n_iter), desc=name, disable=not progress, leave=False)
        for it in bar:
            idx = torch.randint(0, n, (batch_size,), generator=gen).to(device)
            real, y = images[idx], labels[idx]
            z = torch.randn(batch_size, z_dim, device=device)
            fake = g(z, y)
            # discriminator step
            out_r, aux_r = d(aug(real), y)
            out_f, aux_f = d(aug(fake.detach()), y)
            loss_d = _d_loss(spec["loss"], out_r, out_f)
            if aux_r is not None:
                loss_d = loss_d + F.cross_entropy(aux_r, y) + F.cross_entropy(aux_f, y)
            if spec["gp"]:
                loss_d = loss_d + spec["gp"] * _gradient_penalty(d, real, fake.detach(), y)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            # generator step
            out_f, aux_f = d(aug(fake), y)
            loss_g = _g_loss(spec["loss"], out_f)
            if aux_f is not None:
                loss_g = loss_g + F.cross_entropy(aux_f, y)
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            losses_d.append(loss_d.detach())
            losses_g.append(loss_g.detach())
            state["it"] = it + 1
            if it + 1 in snap_at:
                state["snapshots"].append({k: v.detach().cpu().clone() for k, v in g.state_dict().items()})
            if checkpoint is not None and (it + 1) % checkpoint_every == 0 and it + 1 < n_iter:
                state["loss_d"] += torch.stack(losses_d).cpu().tolist()  # host sync at checkpoints only
                state["loss_g"] += torch.stack(losses_g).cpu().tolist()
                losses_d, losses_g = [], []
                ckpt.save(it + 1, modules={"g": g, "d": d}, optimizers={"opt_g": opt_g, "opt_d": opt_d},
                          generators={"gen": gen}, extra={"state": state})
        if losses_d:
            state["loss_d"] += torch.stack(losses_d).cpu().tolist()
            state["loss_g"] += torch.stack(losses_g).cpu().tolist()
    return {"name": name, "config": {"n_classes": n_classes, "channels": images.shape[1], "size": images.shape[2],
                                     "ch": ch, "z_dim": z_dim},
            "iters": snap_at, "snapshots": state["snapshots"], "loss_d": state["loss_d"],
            "loss_g": state["loss_g"]}


@torch.no_grad()
def generate(name: str, config: dict, state_dict: dict, labels: torch.Tensor, seed: int = 0,
             device: torch.device | str = "cpu", batch_size: int = 512) -> torch.Tensor:
    """Sample one image per label from a snapshot. labels (M,) -> uint8 images (M, C, S, S) on the CPU (rounded
    to 8 bits, the format of the real MedMNIST images). Deterministic in ``seed``; the global RNG is untouched."""
    device = torch.device(device)
    g, _ = build(name, config["n_classes"], config["channels"], config["size"], config["ch"], config["z_dim"])
    g.load_state_dict(state_dict)
    g = g.to(device).eval()
    gen = torch.Generator().manual_seed(seed)
    out = []
    with seeded(seed, device):  # the style generator's noise injection draws from the (forked) global RNG
        for y in labels.split(batch_size):
            z = torch.randn(len(y), config["z_dim"], generator=gen).to(device)
            out.append(to_uint8(signed_to_unit(g(z, y.to(device)))).cpu())
    return torch.cat(out) if out else torch.zeros(0, config["channels"], config["size"], config["size"],
                                                  dtype=torch.uint8)
