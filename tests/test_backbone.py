"""One name and one allow-list for the classifier backbone (issue 22, item 2).

Every chapter names its classifier's network with the setting ``backbone`` (the class-imbalance paper trains three,
so its setting is the list ``backbones``); every name is checked by :func:`synthmed.models.check`, the only
allow-list; and no chapter's code (outside the profile blocks of its ``chapter.py``) names a model itself.
"""

import ast
import importlib.util
from pathlib import Path

import pytest

from synthmed import chapters, cost, models, profiles

VALID = "valid: " + ", ".join(models.MODELS)


def test_check_accepts_the_registry_and_its_aliases_and_names_the_valid_ones_otherwise():
    assert [models.check(m) for m in models.MODELS] == list(models.MODELS)
    assert models.check("cnn") == "smallcnn"
    for bad in ("vgg", "resnet19", "ResNet18", None):
        with pytest.raises(ValueError, match=VALID):
            models.check(bad)
    assert models.title("resnet50") == "ResNet-50" and models.title("cnn") == models.title("smallcnn")


def test_every_chapter_calls_its_backbone_setting_backbone():
    """TSynD and GAN ensembles: one ``backbone``, a str; class imbalance: ``backbones``, a list of such names. The
    old names (TSynD's ``arch``, the GAN chapter's ``classifier``) are gone from every profile."""
    old = {"arch", "classifier", "classifier_width"}
    for name, nb in chapters.notebooks().items():
        for profile, block in nb.profiles.items():
            assert not old & set(block), f"{name}/{profile}: {sorted(old & set(block))}"
            if "backbone" in block:
                assert isinstance(block["backbone"], str), (name, profile)
                models.check(block["backbone"])
            if name == "imbalance":
                assert isinstance(block["backbones"], list) and all(models.check(b) for b in block["backbones"])
    for nb in ("tsynd", "tsynd_uncertainty", "tsynd_explain", "gan_zoo", "gan_ensemble", "gan_backbones",
               "gan_fidelity"):
        assert "backbone" in profiles.resolve(nb, "smoke") and "backbone" in profiles.sources(nb), nb
    assert "list" in profiles.sources("imbalance")["backbones"] and "`backbone`" in \
        profiles.sources("imbalance")["backbones"]


# ---- a bad name stops each chapter's entry path with the valid ones --------------------------------------------

def test_tsynd_rejects_a_bad_backbone_before_training():
    from synthmed.tsynd import experiment

    s = profiles.resolve("tsynd", "smoke", backbone="vgg")
    with pytest.raises(ValueError, match=VALID):
        experiment.make_specs(s, "breastmnist", 0.1, "baseline", 0)
    with pytest.raises(ValueError, match=VALID):
        chapters.notebook("tsynd").workload("tsynd", s)


def test_gan_rejects_a_bad_backbone_or_embedding_model_before_training():
    from synthmed.gan import experiment

    for key in ("backbone", "simclr_model", "embedding_model"):
        s = profiles.resolve("gan_ensemble", "smoke", **{key: "vgg"})
        with pytest.raises(ValueError, match=VALID):
            experiment.chapter(s, "cpu")  # the check comes first: nothing is trained
    with pytest.raises(ValueError, match=VALID):
        chapters.notebook("gan_ensemble").workload("gan_ensemble",
                                                     profiles.resolve("gan_ensemble", "smoke", backbone="vgg"))


def test_imbalance_rejects_a_bad_backbone_before_training(tmp_path):
    from synthmed.imbalance import experiment

    s = profiles.resolve("imbalance", "smoke", backbones=["smallcnn", "vgg"])
    with pytest.raises(ValueError, match=VALID):
        experiment.specs_from_settings(s, tmp_path, "cpu")
    with pytest.raises(ValueError, match=VALID):
        chapters.notebook("imbalance").workload("imbalance", s)


def test_a_backbone_set_in_the_profile_reaches_the_runs():
    from synthmed.imbalance import experiment as imb
    from synthmed.tsynd import experiment as tsynd

    s = profiles.resolve("tsynd", "smoke", backbone="densenet121")
    assert {spec.train.backbone for spec in tsynd.make_specs(s, "breastmnist", 0.1, ["baseline", "tsynd"], 0)} \
        == {"densenet121"}
    s = profiles.resolve("imbalance", "smoke", backbones=["vgg16", "resnet18"])
    assert {spec.backbone for spec in imb.specs_from_settings(s, "/nowhere", "cpu")} == {"vgg16", "resnet18"}


# ---- no model name in chapter code -------------------------------------------------------------------------------

def _chapter_packages() -> list[Path]:
    """The source folders of the papers' chapter packages (synthmed.<chapter name>)."""
    out = []
    for c in chapters.chapters():
        spec = importlib.util.find_spec(f"synthmed.{c.name}") if c.paper else None
        if spec is not None and spec.submodule_search_locations:
            out.append(Path(next(iter(spec.submodule_search_locations))))
    return out


def test_no_chapter_code_names_a_model():
    """A backbone (or any network of models.MODELS) is chosen in a profile block of the chapter's record
    (``chapter.py``) and passed down; a string literal equal to a model name anywhere else in a chapter's package
    is a hidden second place to edit."""
    names = set(models.MODELS) | set(models.ALIASES)
    packages = _chapter_packages()
    assert {p.name for p in packages} >= {"tsynd", "gan", "imbalance"}
    found = []
    for package in packages:
        for path in sorted(package.rglob("*.py")):
            if path.name == "chapter.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
                    found.append(f"{path.relative_to(package.parent)}:{node.lineno}: {node.value!r}")
    assert not found, "model names in chapter code (take them from the settings):\n" + "\n".join(found)


def test_cost_model_name_is_the_registry_check():
    assert cost.model_name("cnn") == "smallcnn" and cost.model_name("vgg16") == "vgg16"
    with pytest.raises(ValueError, match=VALID):
        cost.model_name("vgg")


def test_an_old_setting_name_says_what_it_is_called_now():
    with pytest.raises(ValueError, match="'arch' is now 'backbone'"):
        profiles.resolve("tsynd", "smoke", arch="resnet18")
    with pytest.raises(ValueError, match="'classifier_width' is now 'backbone_width'"):
        profiles.resolve("gan_ensemble", "smoke", classifier_width=8)
