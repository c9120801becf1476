"""One registry for every network trunk and classifier the chapters use.

``create(name, in_channels, n_classes, image_size)`` is the only way the project builds a convolutional network
(timm's ``create_model(name, in_chans=..., num_classes=...)`` is the model of this interface). With
``n_classes=None`` it returns a *trunk*: ``(N, C, H, W) -> (N, F)`` pooled features with ``out_features = F`` and
``last_conv_block`` (the layer a class-activation map hooks). With an integer it returns the trunk followed by one
linear layer: ``(N, C, H, W) -> (N, n_classes)`` softmax logits. A paper that needs another head (TSynD's
MC-dropout head, the imbalance paper's metadata fusion) puts its own head on a trunk.

Names: ``smallcnn`` (4 conv blocks, for CPU profiles), ``resnet18``, ``resnet50``, ``densenet121``, ``vgg16``
(torchvision architectures, randomly initialised); ``cnn`` is an alias of ``smallcnn`` (:data:`ALIASES`).
:data:`MODELS` is the one allow-list of backbone names: every chapter's ``backbone`` / ``backbones`` setting is
checked by :func:`check` (with the valid names in its error), and display names live in :data:`TITLES`. A builder
joins all three with the :func:`register_model` decorator (timm's ``register_model``). The
grey-image first layer and the small-image stem are written
once, here: images of at most 32 pixels get a 3x3 stride-1 stem without the max-pool (ResNet, DenseNet), and VGG-16
drops the max-pools that would shrink the map below 2x2.

We adapt torchvision's architectures rather than depend on timm: torchvision is already a dependency (it must be,
for torch-fidelity and grad-cam), timm's small-image stem would need the same hand changes, and no pretrained
weights can be downloaded on these machines either way.

Weights: nothing is downloaded. ``weights=`` takes a local ``state_dict`` file (e.g. ImageNet weights saved from
torchvision) and loads it *strictly* into the trunk: a file whose keys or shapes do not match is an error that names
the missing and unexpected keys (see :func:`load_weights`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

# The registry, filled by @register_model below: {name: trunk builder(in_channels, image_size, width) -> Trunk}.
_BUILDERS: dict[str, Callable[[int, int, int], Trunk]] = {}
MODELS = _BUILDERS.keys()  # the registered names, in registration order (a live view: a new registration shows)
ALIASES: dict[str, str] = {}  # other spellings accepted wherever a model name is (an older TSynD profile value)
TITLES: dict[str, str] = {}  # how the book writes each model's name
SMALL_IMAGE = 32  # images of at most this many pixels get the small-image stem


class WeightsMismatchError(ValueError):
    """A weights file whose keys or shapes do not match the network it is loaded into."""


class Trunk(nn.Module):
    """``body`` followed by global average pooling: (N, C, H, W) -> (N, out_features)."""

    def __init__(self, body: nn.Module, out_features: int, last: nn.Module):
        super().__init__()
        self.body, self.out_features = body, out_features
        self._last = [last]  # a list keeps the hooked layer out of the state_dict (it is inside body already)

    @property
    def last_conv_block(self) -> nn.Module:
        """The layer a class-activation map hooks: the last convolutional block, before pooling."""
        return self._last[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(self.body(x), 1).flatten(1)


class Classifier(nn.Module):
    """``trunk`` + ``Linear(trunk.out_features, n_classes)``: (N, C, H, W) -> (N, n_classes) logits."""

    def __init__(self, trunk: nn.Module, n_classes: int):
        super().__init__()
        self.trunk, self.fc = trunk, nn.Linear(trunk.out_features, n_classes)

    @property
    def last_conv_block(self) -> nn.Module:
        return self.trunk.last_conv_block

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.trunk(x))


def register_model(name: str, *, title: str, aliases: Iterable[str] = ()):
    """Decorator (timm's ``register_model``): registers ``builder(in_channels, image_size, width) -> Trunk`` under
    ``name``, with the book's ``title`` of the model and other spellings ``aliases``. A name registered twice is an
    error."""

    def register(builder: Callable[[int, int, int], Trunk]) -> Callable[[int, int, int], Trunk]:
        if name in _BUILDERS or name in ALIASES:
            raise ValueError(f"model {name!r} is registered already")
        _BUILDERS[name], TITLES[name] = builder, title
        ALIASES.update(dict.fromkeys(aliases, name))
        return builder

    return register


@register_model("smallcnn", title="small CNN", aliases=("cnn",))
def _smallcnn(in_channels: int, image_size: int, width: int) -> Trunk:
    """4 conv3x3-BN-ReLU blocks with widths (w, 2w, 4w, 4w); a 2x2 max-pool follows a block while the map is larger
    than 8 pixels (28 px: pools after blocks 1 and 2, the last blocks at 7x7; 64 px: after blocks 1-3, 8x8)."""
    chans = [in_channels, width, width * 2, width * 4, width * 4]
    layers: list[nn.Module] = []
    size = image_size
    for i in range(4):
        layers += [nn.Conv2d(chans[i], chans[i + 1], 3, padding=1, bias=False), nn.BatchNorm2d(chans[i + 1]),
                   nn.ReLU()]
        if i < 3 and size > 8:
            layers.append(nn.MaxPool2d(2))
            size //= 2
    body = nn.Sequential(*layers)
    return Trunk(body, chans[-1], body[-1])


def _torchvision():
    import synthmed  # noqa: F401  (makes torchvision importable next to a CPU-only torch)
    from torchvision import models

    return models


def _resnet(depth: int, in_channels: int, image_size: int) -> Trunk:
    tv = _torchvision()
    net = (tv.resnet18 if depth == 18 else tv.resnet50)(weights=None)
    if image_size <= SMALL_IMAGE:
        net.conv1, net.maxpool = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False), nn.Identity()
    else:
        net.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
    net.fc = nn.Identity()
    body = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool, net.layer1, net.layer2, net.layer3, net.layer4)
    return Trunk(body, 512 if depth == 18 else 2048, net.layer4)


@register_model("resnet18", title="ResNet-18")
def _resnet18(in_channels: int, image_size: int, width: int) -> Trunk:
    return _resnet(18, in_channels, image_size)


@register_model("resnet50", title="ResNet-50")
def _resnet50(in_channels: int, image_size: int, width: int) -> Trunk:
    return _resnet(50, in_channels, image_size)


@register_model("densenet121", title="DenseNet-121")
def _densenet121(in_channels: int, image_size: int, width: int) -> Trunk:
    f = _torchvision().densenet121(weights=None).features
    if image_size <= SMALL_IMAGE:
        f.conv0, f.pool0 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False), nn.Identity()
    else:
        f.conv0 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
    body = nn.Sequential(f, nn.ReLU())
    return Trunk(body, 1024, f.denseblock4)


@register_model("vgg16", title="VGG-16")
def _vgg16(in_channels: int, image_size: int, width: int) -> Trunk:
    f = _torchvision().vgg16(weights=None).features
    f[0] = nn.Conv2d(in_channels, 64, 3, padding=1)
    size, layers = image_size, []
    for layer in f:
        if isinstance(layer, nn.MaxPool2d):
            if size // 2 < 2:  # keep at least a 2x2 map (28 px images would otherwise pool to nothing)
                continue
            size //= 2
        layers.append(layer)
    body = nn.Sequential(*layers)
    return Trunk(body, 512, body[-1])


def check(name: str) -> str:
    """The registry name of a backbone setting: ``name`` itself when it is one of :data:`MODELS`, the model an
    alias stands for (:data:`ALIASES`), else a ValueError naming the valid models. Every chapter validates its
    backbone names here, so the allow-list is this module's alone."""
    if isinstance(name, str) and name in ALIASES:
        return ALIASES[name]
    if name not in MODELS:
        aliases = ", ".join(f"{a} = {m}" for a, m in ALIASES.items())
        raise ValueError(f"unknown model {name!r}; valid: {', '.join(MODELS)} (alias: {aliases})")
    return name


def title(name: str) -> str:
    """The book's name of a model (``"resnet50"`` -> ``"ResNet-50"``); an unknown name is returned as it is."""
    return TITLES.get(ALIASES.get(name, name), name)


def _trunk(name: str, in_channels: int, image_size: int, width: int) -> Trunk:
    return _BUILDERS[check(name)](in_channels, image_size, width)


def create(name: str, in_channels: int, n_classes: int | None, image_size: int, *,
           weights: str | Path | None = None, width: int = 16, seed: int | None = None) -> nn.Module:
    """A network by name, randomly initialised (or from a local weights file).

    name: one of :data:`MODELS` (or an alias, :func:`check`); in_channels: C; n_classes: None for a trunk ((N, C, H,
    W) -> (N, F)), else the
    number of logits of a linear head; image_size: H (= W), which picks the small-image stem; weights: a local
    state_dict file for the trunk, loaded strictly (:func:`load_weights`); width: channels of ``smallcnn``'s first
    block; seed: initialise under this seed without touching the caller's global RNG (None: from the global RNG).
    """
    if in_channels < 1 or image_size < 4:
        raise ValueError(f"need in_channels >= 1 and image_size >= 4, got {in_channels} and {image_size}")
    if n_classes is not None and n_classes < 1:
        raise ValueError(f"n_classes must be None (a trunk) or >= 1, got {n_classes}")
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        trunk = _trunk(name, in_channels, image_size, width)
        net = trunk if n_classes is None else Classifier(trunk, n_classes)
    if weights is not None:
        load_weights(trunk, weights)
    return net


def _adapt_first_conv(state: dict, own: dict, rgb_to_grey: bool) -> dict:
    """Sum the RGB filters of a 3-channel first convolution into one channel when the network is grey."""
    if not rgb_to_grey:
        return state
    out = dict(state)
    for key, value in state.items():
        mine = own.get(key)
        if (mine is not None and value.ndim == 4 and mine.ndim == 4 and value.shape[1] == 3 and mine.shape[1] == 1
                and value.shape[0] == mine.shape[0] and value.shape[2:] == mine.shape[2:]):
            out[key] = value.sum(dim=1, keepdim=True)
    return out


def load_weights(module: nn.Module, path: str | Path, *, drop_prefixes: Iterable[str] = (),
                 rgb_to_grey: bool = True) -> nn.Module:
    """Load a local state_dict file into ``module`` strictly and return the module.

    The file may hold the state_dict of the bare torchvision network (keys such as ``conv1.weight``) or of our trunk
    (``body.0.weight``); torchvision keys are renamed by position, as both list the same parameters in the same order.
    drop_prefixes: keys to ignore (e.g. ``("fc.",)`` for an ImageNet classification layer the trunk does not have);
    rgb_to_grey: sum a 3-channel first convolution's filters into one channel for a grey network.
    Raises :class:`WeightsMismatchError` naming the missing and unexpected keys (and shape mismatches).
    """
    state = torch.load(Path(path), map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise WeightsMismatchError(f"{path}: expected a state_dict (a dict of tensors), got {type(state).__name__}")
    drop = tuple(drop_prefixes)
    state = {k: v for k, v in state.items() if not (drop and k.startswith(drop))}
    own = module.state_dict()
    if set(state) != set(own) and len(state) == len(own):
        state = dict(zip(own, state.values()))  # same parameters, other names (torchvision vs our trunk)
    state = _adapt_first_conv(state, own, rgb_to_grey)
    missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    shapes = [f"{k}: file {tuple(state[k].shape)} vs network {tuple(own[k].shape)}"
              for k in own if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or shapes:
        def some(keys):
            return ", ".join(keys[:8]) + (f" … (+{len(keys) - 8})" if len(keys) > 8 else "") if keys else "none"

        raise WeightsMismatchError(
            f"weights file {path} does not match the network ({type(module).__name__}, {len(own)} tensors): "
            f"missing keys: {some(missing)}; unexpected keys: {some(unexpected)}; shape mismatches: {some(shapes)}")
    module.load_state_dict(state, strict=True)
    return module
