"""A small VQ-VAE (van den Oord et al. 2017) whose quantised latent map is the space TSynD searches.

encoder: (N, C, H, W) in [0, 1] -> (N, D, H/4, W/4) continuous map; the vector quantiser of
``vector-quantize-pytorch`` (EMA codebook, commitment loss) snaps each position to one of ``codebook_size`` codes;
decoder: (N, D, H/4, W/4) -> (N, C, H, W) in [0, 1] (sigmoid). The *latent* of an image is its quantised map
``z_q``; TSynD perturbs and optimises ``z_q`` as a continuous tensor and decodes it without re-quantising (the
decoder is differentiable in z, the quantiser is not).

It is trained unsupervised on the full training split (not only the 1 %/10 % labelled subset), as in the paper.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.std import tqdm  # text bars; tqdm.auto warns "IProgress not found" without ipywidgets
from vector_quantize_pytorch import VectorQuantize

from synthmed.fit import seeded
from synthmed.pixels import to_signed


class _ResBlock(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.net = nn.Sequential(nn.ReLU(), nn.Conv2d(ch, ch, 3, padding=1), nn.ReLU(), nn.Conv2d(ch, ch, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


class VQVAE(nn.Module):
    """Encoder (two stride-2 convs + residual block), VectorQuantize, decoder (mirror). H and W divisible by 4."""

    def __init__(self, in_channels: int, hidden: int = 64, latent_dim: int = 16, codebook_size: int = 256,
                 commitment_weight: float = 0.25, decay: float = 0.9):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, hidden, 4, 2, 1), nn.ReLU(), nn.Conv2d(hidden, hidden, 4, 2, 1),
            _ResBlock(hidden), nn.ReLU(), nn.Conv2d(hidden, latent_dim, 1))
        self.quantizer = VectorQuantize(dim=latent_dim, codebook_size=codebook_size, decay=decay,
                                        commitment_weight=commitment_weight, accept_image_fmap=True,
                                        kmeans_init=True, threshold_ema_dead_code=2)
        self.decoder = nn.Sequential(
            nn.Conv2d(latent_dim, hidden, 3, padding=1), _ResBlock(hidden), nn.ReLU(),
            nn.ConvTranspose2d(hidden, hidden, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(hidden, in_channels, 4, 2, 1))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) in [0, 1] -> (N, D, H/4, W/4) quantised latent z_q."""
        z_q, _, _ = self.quantizer(self.encoder(to_signed(x)))
        return z_q

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(N, D, h, w) latent (quantised or not) -> (N, C, 4h, 4w) image in [0, 1]; differentiable in z."""
        return torch.sigmoid(self.decoder(z))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, C, H, W) -> (reconstruction (N, C, H, W), commitment loss scalar)."""
        z_q, _, commit = self.quantizer(self.encoder(to_signed(x)))
        return self.decode(z_q), commit.sum()


@dataclass(frozen=True, kw_only=True)
class VQVAEConfig:
    """Architecture and training settings of :func:`train_vqvae` (the cache key holds all of them). No defaults:
    every value comes from the profile (``vqvae_hidden``, ``vqvae_latent_dim``, ``vqvae_codebook``, ``vqvae_steps``,
    ``vqvae_batch``, ``vqvae_lr``; :func:`synthmed.tsynd.experiment.vqvae_config`)."""

    hidden: int
    latent_dim: int
    codebook_size: int
    steps: int
    batch_size: int
    lr: float

    def model_kwargs(self) -> dict:
        return {"hidden": self.hidden, "latent_dim": self.latent_dim, "codebook_size": self.codebook_size}

    def as_dict(self) -> dict:
        return asdict(self)


def train_vqvae(images: torch.Tensor, in_channels: int, config: VQVAEConfig, seed: int = 0,
                device: torch.device | str = "cpu", progress: bool = True) -> VQVAE:
    """Train a VQ-VAE on (N, C, H, W) float images in [0, 1] (the full training split) with Adam on
    MSE + commitment loss; returns the model in eval mode on ``device``.

    Initialisation and the codebook's k-means initialisation draw from the global RNG; they run under
    :func:`synthmed.fit.seeded` (seeded, then the caller's RNG state restored), batches from a seeded generator."""
    gen = torch.Generator().manual_seed(seed)
    with seeded(seed, device):
        model = VQVAE(in_channels, **config.model_kwargs()).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=config.lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, config.steps)
        model.train()
        for _ in tqdm(range(config.steps), desc="VQ-VAE", disable=not progress, leave=False):
            idx = torch.randint(len(images), (min(config.batch_size, len(images)),), generator=gen)
            x = images[idx].to(device)
            recon, commit = model(x)
            loss = F.mse_loss(recon, x) + commit
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


@torch.no_grad()
def reconstruction_mse(model: VQVAE, images: torch.Tensor, batch_size: int = 256) -> float:
    """Mean squared error (pixel range [0, 1]) of reconstructing (N, C, H, W) images through the quantiser."""
    device = next(model.parameters()).device
    total, n = torch.zeros((), device=device), 0
    for i in range(0, len(images), batch_size):
        x = images[i:i + batch_size].to(device)
        total += F.mse_loss(model.decode(model.encode(x)), x, reduction="sum")
        n += x.numel()
    return float(total) / n


@torch.no_grad()
def encode_all(model: VQVAE, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """(N, C, H, W) -> (N, D, H/4, W/4) quantised latents, computed in batches on the model's device."""
    device = next(model.parameters()).device
    return torch.cat([model.encode(images[i:i + batch_size].to(device)) for i in range(0, len(images), batch_size)])
