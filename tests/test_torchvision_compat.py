import torch
import torchvision

from synthmed._torchvision_compat import _nms_reference, ensure_torchvision_importable


def test_torchvision_imports_and_builds_models():
    model = torchvision.models.resnet18(num_classes=3).eval()
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 3)


def test_ensure_is_idempotent():
    first = ensure_torchvision_importable()
    assert ensure_torchvision_importable() == first


def test_nms_fallback_matches_hand_worked_case():
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30], [0, 0, 10, 9.0]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.95])
    # box 3 (0.95) suppresses 0 (IoU 0.9) and 1 (IoU 0.729); box 2 does not overlap
    assert _nms_reference(boxes, scores, 0.5).tolist() == [3, 2]
    assert _nms_reference(boxes, scores, 0.95).tolist() == [3, 0, 1, 2]
    assert torch.ops.torchvision.nms(boxes, scores, 0.5).tolist() == [3, 2]
