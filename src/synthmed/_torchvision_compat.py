"""Make ``import torchvision`` work next to a CPU-only torch whose torchvision wheel is a CUDA build.

The registry's ``torchvision==0.28.0`` is compiled against CUDA. Beside the CPU wheel of ``torch==2.13.0`` its
extension ``torchvision/_C.so`` fails to load, so ``torchvision::nms`` is never defined and torchvision's import
(which registers a fake kernel for that op) raises ``operator torchvision::nms does not exist``.

:func:`ensure_torchvision_importable` first tries to load torchvision's own extension. Where it loads (any
machine with a matching build) it does nothing else. Where it cannot, it defines the ``torchvision::nms`` (and
``qnms``) schema
with a plain-torch kernel, which is all torchvision needs to import; models, transforms and torch-fidelity then
work. ``torchvision.ops`` still reports its compiled ops missing (detection ops); nothing in synthmed uses them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

_LIBRARY = None  # keeps the torch.library.Library alive; torch drops the registration when it is collected


def _nms_reference(dets: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy non-maximum suppression. dets: (N, 4) xyxy, scores: (N,) -> kept indices (K,) by falling score."""
    order = scores.argsort(descending=True)
    keep = []
    while order.numel() > 0:
        i = order[0]
        keep.append(i)
        if order.numel() == 1:
            break
        rest = dets[order[1:]]
        lt = torch.maximum(dets[i, :2], rest[:, :2])
        rb = torch.minimum(dets[i, 2:], rest[:, 2:])
        inter = (rb - lt).clamp(min=0).prod(dim=1)
        area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])  # noqa: E731
        iou = inter / (area(dets[i]) + area(rest) - inter)
        order = order[1:][iou <= iou_threshold]
    return torch.stack(keep) if keep else torch.empty(0, dtype=torch.long, device=dets.device)


def _own_extension_loads() -> bool:
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return True  # torchvision absent: nothing to patch, its import fails on its own terms
    for lib in Path(next(iter(spec.submodule_search_locations))).glob("_C*.so"):
        try:
            torch.ops.load_library(str(lib))
            return True
        except OSError:
            return False
    return True  # a build without a compiled extension (Windows .pyd and the like): leave it alone


def ensure_torchvision_importable() -> bool:
    """Register a fallback ``torchvision::nms`` if torchvision's compiled ops cannot load.

    Returns True when the fallback was installed, False when nothing had to be done. Idempotent.
    """
    global _LIBRARY
    if _LIBRARY is not None:
        return True
    if _own_extension_loads():
        return False
    try:
        torch.ops.torchvision.nms  # noqa: B018  (defined already by someone else)
        return False
    except (AttributeError, RuntimeError):
        pass
    _LIBRARY = torch.library.Library("torchvision", "DEF")
    # torchvision's import registers fake kernels for exactly these two ops without checking they exist
    for op in ("nms", "qnms"):
        _LIBRARY.define(f"{op}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        _LIBRARY.impl(op, _nms_reference, "CompositeExplicitAutograd")
    return True
