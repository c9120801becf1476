import json
import re
from pathlib import Path

import pytest

from synthmed.profiles import NOTEBOOKS, PROFILES, from_notebook, notebook_parameters, resolve

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"


def test_profile_fills_defaults_and_explicit_value_wins():
    s = resolve("data", profile="smoke", per_class=7)
    assert s.per_class == 7 and "per_class" in s.explicit
    assert s.datasets == NOTEBOOKS["data"]["smoke"]["datasets"]
    assert s.profile == "smoke"


def test_none_means_profile_default(monkeypatch):
    monkeypatch.delenv("SYNTHMED_PROFILE", raising=False)
    s = resolve("data", per_class=None)
    assert s.profile == "quick" and s.per_class == NOTEBOOKS["data"]["quick"]["per_class"]


def test_environment_sets_default_profile(monkeypatch):
    monkeypatch.setenv("SYNTHMED_PROFILE", "smoke")
    assert resolve("data").profile == "smoke"
    assert resolve("data", profile="paper").profile == "paper"


def test_unknown_profile_lists_valid_ones():
    with pytest.raises(ValueError, match=r"unknown profile 'fast'; valid profiles: smoke, quick, paper"):
        resolve("data", profile="fast")


def test_unknown_parameter_lists_valid_ones():
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) 'fraktion'.*valid parameters: profile, datasets"):
        resolve("data", fraktion=0.1)


def test_unknown_notebook():
    with pytest.raises(ValueError, match="unknown notebook 'nope'"):
        resolve("nope")


def test_unknown_setting_attribute_names_the_valid_ones():
    with pytest.raises(AttributeError, match="has no setting 'x'"):
        resolve("data").x  # noqa: B018


def test_every_profile_of_a_notebook_has_the_same_keys():
    for name, by_profile in NOTEBOOKS.items():
        assert set(by_profile) == set(PROFILES), name
        keys = {p: set(v) for p, v in by_profile.items()}
        assert keys["smoke"] == keys["quick"] == keys["paper"], name


def test_notebook_parameters_ignore_modules_functions_constants_and_ipython_names():
    ns = {"profile": "smoke", "seed": 3, "json": json, "resolve": resolve, "In": [], "Out": {}, "_x": 1,
          "CONSTANT": "c", "datasets": ["breastmnist"]}
    assert notebook_parameters(ns) == {"profile": "smoke", "seed": 3, "datasets": ["breastmnist"]}
    assert from_notebook("data", ns).seed == 3


def _parameters_cell(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name} needs exactly one cell tagged 'parameters'"
    return re.findall(r"^([a-z_][a-z0-9_]*)\s*=", "".join(tagged[0]["source"]), flags=re.M)


@pytest.mark.parametrize("path", sorted(NOTEBOOK_DIR.glob("*.ipynb")), ids=lambda p: p.stem)
def test_each_notebook_declares_profile_parameters_and_resolves_them(path):
    """The parameters cell declares ``profile`` and only settings its profiles define (a notebook may leave the
    less central ones out: papermill still injects them and the settings table lists them all), and the notebook
    resolves them through the profiles module under its own name."""
    assert path.stem in NOTEBOOKS, f"no profiles for notebook {path.stem}"
    names = _parameters_cell(path)
    assert "profile" in names
    assert set(names) - {"profile"} <= set(NOTEBOOKS[path.stem]["smoke"]), path.stem
    source = path.read_text()
    assert any(f'{call}(\\"{path.stem}\\"' in source for call in ("from_notebook", "settings")), path.stem


def test_a_setting_left_out_of_the_parameters_cell_can_still_be_passed():
    """papermill injects ``-p gan_iters 7`` as a global even when the parameters cell does not declare it."""
    ns = {"profile": "smoke", "datasets": None, "gan_iters": 7}
    settings = from_notebook("gan_zoo", ns)
    assert settings.gan_iters == 7 and "gan_iters" in settings.explicit
    assert settings.gan_batch == NOTEBOOKS["gan_zoo"]["smoke"]["gan_batch"]


@pytest.mark.parametrize("path", sorted(NOTEBOOK_DIR.glob("*.ipynb")), ids=lambda p: p.stem)
def test_papermill_parses_every_declared_parameter(path):
    """`papermill --help-notebook` lists every parameter (a line it cannot parse is dropped with a warning)."""
    import papermill

    assert set(papermill.inspect_notebook(str(path))) == set(_parameters_cell(path))
