"""CycleGAN (Zhu et al. 2017) for unpaired translation between two classes of one-channel images.

As in the reference implementation (junyanz/pytorch-CycleGAN-and-pix2pix): a ResNet generator (7x7 stem, two
stride-2 downsamplings, ``n_blocks`` residual blocks, two transposed-conv upsamplings, tanh), a 70x70-style PatchGAN
discriminator with instance norm, the least-squares GAN loss, cycle-consistency weight lambda = 10, identity weight
0.5 * lambda, an image pool of 50 generated images for the discriminator updates, Adam (lr 2e-4, beta1 0.5) and a
learning rate held constant for the first half of training and decayed linearly to zero over the second half.

Images enter and leave as (N, 1, H, W) tensors in [-1, 1]; H and W must be divisible by 4.
Domain A is the source (here: the majority class), domain B the target (the minority class).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import torch
from torch import nn
from tqdm.std import tqdm  # text bars; tqdm.auto warns "IProgress not found" without ipywidgets

from synthmed import fit
from synthmed.pixels import signed_to_unit, to_signed, to_uint8


@dataclass(frozen=True)
class CycleGANConfig:
    """Architecture and optimisation settings; the defaults are the reference implementation's."""

    channels: int = 1
    ngf: int = 64  # generator width
    ndf: int = 64  # discriminator width
    n_blocks: int = 6  # residual blocks in the generator (reference: 6 at 128 px, 9 at 256 px)
    n_layers_d: int = 3  # PatchGAN stride-2 layers
    steps: int = 10_000  # optimisation steps in total (half constant lr, half linear decay)
    batch_size: int = 1
    lr: float = 2e-4
    beta1: float = 0.5
    lambda_cycle: float = 10.0
    lambda_identity: float = 0.5  # times lambda_cycle
    pool_size: int = 50
    checkpoint_every: int = 200


class ResnetBlock(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), nn.InstanceNorm2d(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), nn.InstanceNorm2d(dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """(N, C, H, W) in [-1, 1] -> (N, C, H, W) in [-1, 1]."""

    def __init__(self, channels: int = 1, ngf: int = 64, n_blocks: int = 6):
        super().__init__()
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(channels, ngf, 7), nn.InstanceNorm2d(ngf), nn.ReLU(True)]
        for i in range(2):
            m = 2 ** i
            layers += [nn.Conv2d(ngf * m, ngf * m * 2, 3, stride=2, padding=1), nn.InstanceNorm2d(ngf * m * 2),
                       nn.ReLU(True)]
        layers += [ResnetBlock(ngf * 4) for _ in range(n_blocks)]
        for i in range(2):
            m = 2 ** (2 - i)
            layers += [nn.ConvTranspose2d(ngf * m, ngf * m // 2, 3, stride=2, padding=1, output_padding=1),
                       nn.InstanceNorm2d(ngf * m // 2), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class PatchDiscriminator(nn.Module):
    """PatchGAN: (N, C, H, W) -> (N, 1, h, w) real/fake scores, one per overlapping patch."""

    def __init__(self, channels: int = 1, ndf: int = 64, n_layers: int = 3):
        super().__init__()
        layers = [nn.Conv2d(channels, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2 ** n, 8)
            stride = 2 if n < n_layers else 1
            layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=stride, padding=1), nn.InstanceNorm2d(ndf * mult),
                       nn.LeakyReLU(0.2, True)]
        layers += [nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class ImagePool:
    """The history buffer of Shrivastava et al.: once full, each generated image is, with probability 1/2, swapped
    for a stored one, so the discriminator also sees older generator outputs."""

    def __init__(self, size: int = 50, seed: int = 0):
        self.size, self.images, self.rng = size, [], random.Random(seed)

    def query(self, images: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return images
        out = []
        for img in images.detach():
            img = img.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(img)
                out.append(img)
            elif self.rng.random() < 0.5:
                j = self.rng.randrange(self.size)
                out.append(self.images[j].clone())
                self.images[j] = img
            else:
                out.append(img)
        return torch.cat(out)

    def state(self) -> dict:
        return {"images": [i.cpu() for i in self.images], "rng": self.rng.getstate()}

    def load(self, state: dict, device: torch.device) -> None:
        self.images = [i.to(device) for i in state["images"]]
        self.rng.setstate(state["rng"])


def _init_weights(m: nn.Module) -> None:
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


def lr_factor(step: int, steps: int) -> float:
    """Learning-rate multiplier: 1 for the first half of ``steps``, then linear to 0 at the last step."""
    half = steps // 2
    return 1.0 if step < half else max(0.0, 1.0 - (step - half) / max(steps - half, 1))


def _cpu_state(module: nn.Module) -> dict:
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


def train_cyclegan(domain_a: torch.Tensor, domain_b: torch.Tensor, config: CycleGANConfig, *, seed: int,
                   device: torch.device | str, checkpoint: Path | None = None, log_every: int = 10,
                   progress: bool = True) -> dict:
    """Train a CycleGAN between two unpaired image sets.

    domain_a: (Na, C, H, W), domain_b: (Nb, C, H, W) float tensors in [-1, 1] (training images only).
    seed: initialisation, batch sampling and the image pools (the caller's global RNG is left as it was).
    checkpoint: a file to save progress to every ``config.checkpoint_every`` steps (:class:`synthmed.fit.Checkpoint`)
    and resume from; a resumed run ends with the same weights as an uninterrupted one. Returns {"G_AB", "G_BA":
    CPU state_dicts, "config": dict, "history": DataFrame with one row per ``log_every`` steps (step, loss_G,
    loss_D, gan, cycle, identity)}.
    """
    device = torch.device(device)
    c = config
    with fit.seeded(seed, device):
        g_ab, g_ba = (ResnetGenerator(c.channels, c.ngf, c.n_blocks).to(device) for _ in range(2))
        d_a, d_b = (PatchDiscriminator(c.channels, c.ndf, c.n_layers_d).to(device) for _ in range(2))
        for m in (g_ab, g_ba, d_a, d_b):
            m.apply(_init_weights)
        nets = {"G_AB": g_ab, "G_BA": g_ba, "D_A": d_a, "D_B": d_b}
        opt_g = torch.optim.Adam([*g_ab.parameters(), *g_ba.parameters()], lr=c.lr, betas=(c.beta1, 0.999))
        opt_d = torch.optim.Adam([*d_a.parameters(), *d_b.parameters()], lr=c.lr, betas=(c.beta1, 0.999))
        opts = {"opt_G": opt_g, "opt_D": opt_d}
        pool_a, pool_b = ImagePool(c.pool_size, seed), ImagePool(c.pool_size, seed + 1)
        sampler = torch.Generator().manual_seed(seed)
        ckpt = fit.Checkpoint(checkpoint)
        start, history = 0, []
        restored = ckpt.restore(modules=nets, optimizers=opts, generators={"sampler": sampler})
        if restored is not None:
            start, extra = restored
            history = extra["history"]
            pool_a.load(extra["pool_A"], device)
            pool_b.load(extra["pool_B"], device)
        a, b = domain_a.to(device), domain_b.to(device)
        mse, l1 = nn.MSELoss(), nn.L1Loss()
        running = torch.zeros(5, device=device)
        n_run = 0
        for step in tqdm(range(start, c.steps), initial=start, total=c.steps, desc="CycleGAN",
                         disable=not progress, leave=False):
            for opt in (opt_g, opt_d):
                for group in opt.param_groups:
                    group["lr"] = c.lr * lr_factor(step, c.steps)
            real_a = a[torch.randint(len(a), (c.batch_size,), generator=sampler).to(device)]
            real_b = b[torch.randint(len(b), (c.batch_size,), generator=sampler).to(device)]
            # generators
            for d in (d_a, d_b):
                d.requires_grad_(False)
            fake_b, fake_a = g_ab(real_a), g_ba(real_b)
            rec_a, rec_b = g_ba(fake_b), g_ab(fake_a)
            pred_fb, pred_fa = d_b(fake_b), d_a(fake_a)
            gan = mse(pred_fb, torch.ones_like(pred_fb)) + mse(pred_fa, torch.ones_like(pred_fa))
            cycle = l1(rec_a, real_a) + l1(rec_b, real_b)
            identity = l1(g_ab(real_b), real_b) + l1(g_ba(real_a), real_a) if c.lambda_identity > 0 else gan * 0
            loss_g = gan + c.lambda_cycle * cycle + c.lambda_cycle * c.lambda_identity * identity
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            # discriminators
            for d in (d_a, d_b):
                d.requires_grad_(True)
            loss_d = 0.0
            for d, real, fake in ((d_b, real_b, pool_b.query(fake_b)), (d_a, real_a, pool_a.query(fake_a))):
                pr, pf = d(real), d(fake.detach())
                loss_d = loss_d + 0.5 * (mse(pr, torch.ones_like(pr)) + mse(pf, torch.zeros_like(pf)))
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            running += torch.stack([loss_g.detach(), loss_d.detach(), gan.detach(), cycle.detach(),
                                    identity.detach()])
            n_run += 1
            if (step + 1) % log_every == 0 or step + 1 == c.steps:
                vals = (running / n_run).tolist()  # host sync only at logging points
                history.append({"step": step + 1, "loss_G": vals[0], "loss_D": vals[1], "gan": vals[2],
                                "cycle": vals[3], "identity": vals[4]})
                running.zero_()
                n_run = 0
            if (step + 1) % c.checkpoint_every == 0 and step + 1 < c.steps:
                ckpt.save(step + 1, modules=nets, optimizers=opts, generators={"sampler": sampler},
                          extra={"history": history, "pool_A": pool_a.state(), "pool_B": pool_b.state()})
    return {"G_AB": _cpu_state(g_ab), "G_BA": _cpu_state(g_ba), "config": asdict(c),
            "history": pd.DataFrame(history)}


def load_generator(state: dict, direction: str = "G_AB") -> ResnetGenerator:
    """Rebuild a trained generator from the result of :func:`train_cyclegan` (on the CPU, in eval mode)."""
    c = state["config"]
    with torch.random.fork_rng(devices=[]):  # the random init is overwritten: leave the caller's RNG alone
        g = ResnetGenerator(c["channels"], c["ngf"], c["n_blocks"])
    g.load_state_dict(state[direction])
    return g.eval()


@torch.no_grad()
def translate(generator: nn.Module, images: torch.Tensor, *, device: torch.device | str,
              batch_size: int = 64) -> torch.Tensor:
    """Translate uint8 images (N, C, H, W) with a generator; returns uint8 images of the same shape (on the CPU)."""
    device = torch.device(device)
    generator = generator.to(device).eval()
    out = []
    for i in range(0, len(images), batch_size):
        y = to_uint8(signed_to_unit(generator(to_signed(images[i:i + batch_size].to(device)))))
        out.append(y.cpu())
    return torch.cat(out) if out else images.new_zeros((0, *images.shape[1:]))


def plateau(history: pd.DataFrame, window: float = 0.1, tolerance: float = 0.05) -> dict:
    """Whether the cycle loss had stopped falling before the learning rate began to decay (the stopping rule's
    check: :func:`lr_factor` holds the rate for the first half of the steps, so the loss's fall there is the
    training's own; over the second half the decay flattens any curve).

    history: :func:`train_cyclegan`'s (step, cycle, ...) rows. window: the fraction of all steps each mean covers.
    Returns {"cycle_first", "cycle_last": mean cycle loss over the first and the last window; "cycle_fall_at_half":
    the relative fall of the mean cycle loss from the window ending at 40 % of the steps to the window ending at
    the half (with the default window), 0.1 = fell by 10 %; "plateaued": that fall is below ``tolerance``}."""
    steps = float(history["step"].iloc[-1])
    w = window * steps

    def mean(lo: float, hi: float) -> float:
        rows = history[(history["step"] > lo) & (history["step"] <= hi)]
        return float(rows["cycle"].mean()) if len(rows) else float("nan")

    before, at_half = mean(steps / 2 - 2 * w, steps / 2 - w), mean(steps / 2 - w, steps / 2)
    fall = (before - at_half) / before if before == before and before > 0 else float("nan")
    return {"cycle_first": mean(0, w), "cycle_last": mean(steps - w, steps), "cycle_fall_at_half": fall,
            "plateaued": bool(fall < tolerance)}
