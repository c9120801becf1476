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


# state_dict digests of create(name, 1, n_classes, size, seed=0, width=8) computed before the registry became a
# decorator (issue 35 item 6): the builders and their parameter-initialisation order did not change, so neither did
# any initial weight (and cached results trained from them stay valid).
INIT_DIGESTS = {("smallcnn", 28): "502db51e7ba722ee", ("smallcnn", 64): "b4db6ed72ca56746",
                ("resnet18", 28): "2d37880af6f2c7d0", ("resnet18", 64): "5d1399c569f46135",
                ("resnet50", 28): "de2684ae1370a235", ("densenet121", 28): "a4023913c1aac790",
                ("vgg16", 28): "ee05833f72548a2f", ("vgg16", 64): "c99d2f7007d4733c"}


@pytest.mark.parametrize("name, size", sorted(INIT_DIGESTS))
def test_registry_builds_bit_identical_initial_weights(name, size):
    import hashlib

    net = models.create(name, 1, 2 if size == 28 else None, size, seed=0, width=8)
    h = hashlib.sha256()
    for key, value in net.state_dict().items():
        h.update(key.encode())
        h.update(value.detach().cpu().contiguous().numpy().tobytes())
    assert h.hexdigest()[:16] == INIT_DIGESTS[(name, size)]


def test_register_model_adds_a_name_its_title_and_aliases():
    @models.register_model("tinyprobe", title="Tiny probe", aliases=("probe",))
    def _tiny(in_channels, image_size, width):
        body = torch.nn.Sequential(torch.nn.Conv2d(in_channels, width, 3, padding=1))
        return models.Trunk(body, width, body[-1])

    try:
        assert "tinyprobe" in models.MODELS and models.check("probe") == "tinyprobe"
        assert models.title("tinyprobe") == "Tiny probe"
        assert models.create("probe", 1, 3, 28, width=4)(torch.zeros(2, 1, 28, 28)).shape == (2, 3)
        with pytest.raises(ValueError, match="registered already"):
            models.register_model("tinyprobe", title="again")(_tiny)
    finally:
        models._BUILDERS.pop("tinyprobe"), models.TITLES.pop("tinyprobe"), models.ALIASES.pop("probe")
    assert list(models.MODELS) == ["smallcnn", "resnet18", "resnet50", "densenet121", "vgg16"]
