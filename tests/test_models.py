"""synthmed.models: one registry for every trunk and classifier."""

from __future__ import annotations

import pytest
import torch

from synthmed import models


@pytest.mark.parametrize("name,size,features", [("smallcnn", 28, 64), ("smallcnn", 64, 64), ("resnet18", 28, 512),
                                                ("resnet50", 64, 2048), ("densenet121", 28, 1024),
                                                ("vgg16", 28, 512), ("vgg16", 64, 512)])
def test_trunks_and_classifiers_have_the_documented_shapes(name, size, features):
    trunk = models.create(name, 1, None, size, seed=0)
    assert trunk.out_features == features
    x = torch.randn(2, 1, size, size)
    assert trunk.eval()(x).shape == (2, features)
    assert trunk.last_conv_block is not None
    clf = models.create(name, 3, 5, size, seed=0).eval()
    assert clf(torch.randn(2, 3, size, size)).shape == (2, 5)


def test_small_image_stem_is_applied_once_for_every_resnet():
    small, large = models.create("resnet18", 1, None, 28), models.create("resnet18", 1, None, 64)
    assert small.body[0].kernel_size == (3, 3) and isinstance(small.body[3], torch.nn.Identity)
    assert large.body[0].kernel_size == (7, 7) and isinstance(large.body[3], torch.nn.MaxPool2d)


def test_seed_is_deterministic_and_leaves_the_global_rng_alone():
    state = torch.get_rng_state()
    a, b = models.create("smallcnn", 1, 2, 28, seed=3), models.create("smallcnn", 1, 2, 28, seed=3)
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid: smallcnn, resnet18"):
        models.create("resnet9", 1, 2, 28)


def test_weights_load_strictly_from_torchvision_keys_with_rgb_summed(tmp_path):
    import synthmed  # noqa: F401
    from torchvision.models import resnet18

    tv = resnet18(weights=None)
    path = tmp_path / "imagenet.pt"
    torch.save(tv.state_dict(), path)
    with pytest.raises(models.WeightsMismatchError, match="unexpected keys: .*fc.bias"):
        models.create("resnet18", 1, None, 64, weights=path)
    trunk = models.create("resnet18", 1, None, 64)
    models.load_weights(trunk, path, drop_prefixes=("fc.",))
    assert torch.allclose(trunk.body[0].weight, tv.conv1.weight.sum(1, keepdim=True))
    assert torch.equal(trunk.body[4][0].conv1.weight, tv.layer1[0].conv1.weight)


def test_mismatched_weights_name_missing_keys(tmp_path):
    path = tmp_path / "partial.pt"
    trunk = models.create("smallcnn", 1, None, 28)
    state = trunk.state_dict()
    state.pop(next(iter(state)))
    torch.save(state, path)
    with pytest.raises(models.WeightsMismatchError, match="missing keys: body.0.weight"):
        models.load_weights(models.create("smallcnn", 1, None, 28), path)
