"""A small search space of class-conditional GANs for 28x28 (or 64x64) images.

The paper (Tronchin et al.) trains 22 StudioGAN models for 100 k iterations. Here seven tiny models differ in the
same axes (architecture, loss, conditioning, regularisation) so the search space trains in minutes on a CPU:

========== ======================= ============================== ===================== =====================
name       generator               discriminator conditioning     loss                  regularisation
========== ======================= ============================== ===================== =====================
dcgan      label embedding concat  label maps concatenated (cGAN) non-saturating BCE    —
sngan      conditional BatchNorm   projection                     hinge                 spectral norm
acgan      conditional BatchNorm   auxiliary classifier           BCE + cross-entropy   —
wgangp     conditional BatchNorm   projection                     Wasserstein           gradient penalty
lsgan      conditional BatchNorm   projection                     least squares         —
diffaug    conditional BatchNorm   projection                     hinge                 SN + DiffAugment
style      mapping net + AdaIN     projection                     hinge                 SN, noise injection
========== ======================= ============================== ===================== =====================

Images are in [-1, 1]. ``ch`` sets the width (quick: 32).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

GAN_NAMES = ("dcgan", "sngan", "acgan", "wgangp", "lsgan", "diffaug", "style")

SPECS = {
    "dcgan": {"gen": "concat", "disc": "concat", "loss": "bce", "sn": False, "gp": 0.0, "diffaug": False},
    "sngan": {"gen": "cbn", "disc": "proj", "loss": "hinge", "sn": True, "gp": 0.0, "diffaug": False},
    "acgan": {"gen": "cbn", "disc": "aux", "loss": "bce", "sn": False, "gp": 0.0, "diffaug": False},
    "wgangp": {"gen": "cbn", "disc": "proj", "loss": "wgan", "sn": False, "gp": 10.0, "diffaug": False},
    "lsgan": {"gen": "cbn", "disc": "proj", "loss": "ls", "sn": False, "gp": 0.0, "diffaug": False},
    "diffaug": {"gen": "cbn", "disc": "proj", "loss": "hinge", "sn": True, "gp": 0.0, "diffaug": True},
    "style": {"gen": "style", "disc": "proj", "loss": "hinge", "sn": True, "gp": 0.0, "diffaug": False},
}


class CondBatchNorm(nn.Module):
    """BatchNorm whose scale and shift are looked up from the class label. x (B, C, H, W), y (B,)."""

    def __init__(self, channels: int, n_classes: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gamma, self.beta = nn.Embedding(n_classes, channels), nn.Embedding(n_classes, channels)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, x, y):
        return self.bn(x) * self.gamma(y)[:, :, None, None] + self.beta(y)[:, :, None, None]


class Generator(nn.Module):
    """z (B, z_dim), y (B,) -> images (B, C, S, S) in [-1, 1]. kind: concat | cbn."""

    def __init__(self, n_classes: int, channels: int = 1, size: int = 28, z_dim: int = 64, ch: int = 32,
                 kind: str = "cbn"):
        super().__init__()
        self.kind, self.z_dim, self.n_classes = kind, z_dim, n_classes
        self.s0 = size // 4
        self.embed = nn.Embedding(n_classes, z_dim) if kind == "concat" else None
        self.fc = nn.Linear(z_dim * (2 if kind == "concat" else 1), 2 * ch * self.s0 * self.s0)
        self.c1 = nn.Conv2d(2 * ch, 2 * ch, 3, padding=1)
        self.c2 = nn.Conv2d(2 * ch, ch, 3, padding=1)
        self.out = nn.Conv2d(ch, channels, 3, padding=1)
        if kind == "concat":
            self.n0, self.n1, self.n2 = nn.BatchNorm2d(2 * ch), nn.BatchNorm2d(2 * ch), nn.BatchNorm2d(ch)
        else:
            self.n0, self.n1, self.n2 = (CondBatchNorm(2 * ch, n_classes), CondBatchNorm(2 * ch, n_classes),
                                         CondBatchNorm(ch, n_classes))
        self.ch = ch

    def _norm(self, layer, h, y):
        return layer(h) if self.kind == "concat" else layer(h, y)

    def forward(self, z, y):
        if self.kind == "concat":
            z = torch.cat([z, self.embed(y)], dim=1)
        h = self.fc(z).view(len(z), 2 * self.ch, self.s0, self.s0)
        h = F.relu(self._norm(self.n0, h, y))
        h = F.relu(self._norm(self.n1, self.c1(F.interpolate(h, scale_factor=2)), y))
        h = F.relu(self._norm(self.n2, self.c2(F.interpolate(h, scale_factor=2)), y))
        return torch.tanh(self.out(h))


class StyleBlock(nn.Module):
    """Conv -> noise injection -> AdaIN whose style comes from w. x (B, Cin, H, W), w (B, W) -> (B, Cout, H, W)."""

    def __init__(self, cin: int, cout: int, w_dim: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.noise = nn.Parameter(torch.zeros(1, cout, 1, 1))
        self.norm = nn.InstanceNorm2d(cout)
        self.style = nn.Linear(w_dim, 2 * cout)
        nn.init.zeros_(self.style.weight)
        with torch.no_grad():
            self.style.bias.copy_(torch.cat([torch.ones(cout), torch.zeros(cout)]))

    def forward(self, x, w):
        h = self.conv(x)
        h = h + self.noise * torch.randn(len(h), 1, h.shape[2], h.shape[3], device=h.device)
        scale, shift = self.style(w).chunk(2, dim=1)
        return F.leaky_relu(self.norm(h) * scale[:, :, None, None] + shift[:, :, None, None], 0.2)


class StyleGenerator(nn.Module):
    """Style-based generator: mapping MLP of (z, class embedding) to w; learned constant input; AdaIN blocks."""

    def __init__(self, n_classes: int, channels: int = 1, size: int = 28, z_dim: int = 64, ch: int = 32):
        super().__init__()
        self.z_dim, self.n_classes = z_dim, n_classes
        self.embed = nn.Embedding(n_classes, z_dim)
        self.mapping = nn.Sequential(nn.Linear(2 * z_dim, z_dim), nn.LeakyReLU(0.2), nn.Linear(z_dim, z_dim),
                                     nn.LeakyReLU(0.2))
        self.const = nn.Parameter(torch.randn(1, 2 * ch, size // 4, size // 4))
        self.b0 = StyleBlock(2 * ch, 2 * ch, z_dim)
        self.b1 = StyleBlock(2 * ch, 2 * ch, z_dim)
        self.b2 = StyleBlock(2 * ch, ch, z_dim)
        self.out = nn.Conv2d(ch, channels, 1)

    def forward(self, z, y):
        w = self.mapping(torch.cat([F.normalize(z, dim=1) * z.shape[1] ** 0.5, self.embed(y)], dim=1))
        h = self.b0(self.const.expand(len(z), -1, -1, -1), w)
        h = self.b1(F.interpolate(h, scale_factor=2), w)
        h = self.b2(F.interpolate(h, scale_factor=2), w)
        return torch.tanh(self.out(h))


class Discriminator(nn.Module):
    """x (B, C, S, S), y (B,) -> (logit (B,), class logits (B, n_classes) or None). kind: concat | proj | aux."""

    def __init__(self, n_classes: int, channels: int = 1, size: int = 28, ch: int = 32, kind: str = "proj",
                 sn: bool = False):
        super().__init__()
        wrap = spectral_norm if sn else (lambda m: m)
        self.kind, self.n_classes = kind, n_classes
        cin = channels + (n_classes if kind == "concat" else 0)
        self.body = nn.Sequential(
            wrap(nn.Conv2d(cin, ch, 4, 2, 1)), nn.LeakyReLU(0.2),
            wrap(nn.Conv2d(ch, 2 * ch, 4, 2, 1)), nn.LeakyReLU(0.2),
            wrap(nn.Conv2d(2 * ch, 4 * ch, 3, 1, 1)), nn.LeakyReLU(0.2),
        )
        self.head = wrap(nn.Linear(4 * ch, 1))
        self.proj = wrap(nn.Embedding(n_classes, 4 * ch)) if kind == "proj" else None
        self.aux = nn.Linear(4 * ch, n_classes) if kind == "aux" else None

    def forward(self, x, y):
        if self.kind == "concat":
            maps = F.one_hot(y, self.n_classes).float()[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
            x = torch.cat([x, maps], dim=1)
        h = self.body(x).sum(dim=(2, 3))
        out = self.head(h).squeeze(1)
        if self.proj is not None:
            out = out + (self.proj(y) * h).sum(dim=1)
        return out, (self.aux(h) if self.aux is not None else None)


def build(name: str, n_classes: int, channels: int = 1, size: int = 28, ch: int = 32, z_dim: int = 64
          ) -> tuple[nn.Module, nn.Module]:
    """(generator, discriminator) of the zoo member ``name`` (one of :data:`GAN_NAMES`)."""
    if name not in SPECS:
        raise ValueError(f"unknown GAN {name!r}; the zoo has: {', '.join(GAN_NAMES)}")
    spec = SPECS[name]
    if spec["gen"] == "style":
        g = StyleGenerator(n_classes, channels, size, z_dim, ch)
    else:
        g = Generator(n_classes, channels, size, z_dim, ch, kind=spec["gen"])
    d = Discriminator(n_classes, channels, size, ch, kind=spec["disc"], sn=spec["sn"])
    return g, d


def diff_augment(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """DiffAugment (Zhao et al., 2020): differentiable brightness, translation (1/8) and cutout (1/4).

    x: (B, C, H, W) -> (B, C, H, W)."""
    b, _, h, w = x.shape
    dev = x.device
    x = x + (torch.rand(b, 1, 1, 1, device=dev) - 0.5)
    shift = max(1, h // 8)
    tx, ty = (torch.randint(-shift, shift + 1, (2,)).tolist())
    x = torch.roll(F.pad(x, (shift, shift, shift, shift), value=-1.0), shifts=(ty, tx), dims=(2, 3))
    x = x[:, :, shift:shift + h, shift:shift + w]
    ch_, cw = h // 4, w // 4
    cy = torch.randint(0, h - ch_ + 1, (b,), device=dev)
    cx = torch.randint(0, w - cw + 1, (b,), device=dev)
    yy = torch.arange(h, device=dev)[None, :, None]
    xx = torch.arange(w, device=dev)[None, None, :]
    hole = ((yy >= cy[:, None, None]) & (yy < cy[:, None, None] + ch_) & (xx >= cx[:, None, None])
            & (xx < cx[:, None, None] + cw))
    return x * (~hole)[:, None].float()
