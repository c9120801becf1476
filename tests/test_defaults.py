"""Defaults live only in the profiles (issue 22, item 6): the notebooks' parameters cells hold no values, no notebook
sets a setting after it, and the chapter code never falls back to a literal for a setting the profiles define.

The scanners are tested on small bad examples, so a check that finds nothing finds nothing for a reason.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import synthmed
from synthmed import profiles

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
SRC = Path(synthmed.__file__).parent
# A chapter package is a synthmed subpackage that declares claims (claims*.yaml), so a new one is scanned too.
CHAPTER_PACKAGES = sorted(p.name for p in SRC.iterdir() if p.is_dir() and any(p.glob("claims*.yaml")))

# (notebook, parameter) -> why its parameters cell may give it a value other than None. None so far.
PARAMETER_EXCEPTIONS: dict[tuple[str, str], str] = {}
# (file under src/synthmed, setting) -> why that file may fall back to a value of its own for a profile setting.
FALLBACK_EXCEPTIONS: dict[tuple[str, str], str] = {}


def _settings_names() -> set[str]:
    return {k for blocks in profiles.NOTEBOOKS.values() for block in blocks.values() for k in block}


def _code_cells(path: Path) -> list[tuple[list[str], str]]:
    cells = json.loads(path.read_text())["cells"]
    return [(c.get("metadata", {}).get("tags", []), "".join(c["source"])) for c in cells if c["cell_type"] == "code"]


def _parse(source: str) -> ast.Module:
    """``source`` without IPython magics and shell escapes (lines starting with % or !)."""
    return ast.parse("\n".join("" if line.lstrip().startswith(("%", "!")) else line
                               for line in source.splitlines()))


def parameter_problems(notebook: str, source: str) -> list[str]:
    """What is wrong with a parameters cell: a statement other than ``name = None``, or a name that is not a
    setting of ``notebook`` (nor ``profile``)."""
    allowed = {"profile"} | set(profiles.NOTEBOOKS.get(notebook, {}).get("smoke", {}))
    problems = []
    for node in _parse(source).body:
        names = [t.id for t in node.targets if isinstance(t, ast.Name)] if isinstance(node, ast.Assign) else []
        if not names or len(names) != len(node.targets):
            problems.append(f"{notebook}: not a plain assignment: {ast.unparse(node)}")
            continue
        for name in names:
            if name not in allowed:
                problems.append(f"{notebook}: {name} is not a setting of its profiles")
            is_none = isinstance(node.value, ast.Constant) and node.value.value is None
            if not is_none and (notebook, name) not in PARAMETER_EXCEPTIONS:
                problems.append(f"{notebook}: {name} = {ast.unparse(node.value)} (a default: put it in the "
                                f"profiles, leave None here)")
    return problems


def overridden_settings(notebook: str, source: str, settings: set[str]) -> list[str]:
    """Lines of a notebook's code (outside its parameters cell) that assign a setting's name, or read a setting
    with a fallback (``settings.get("epochs", 5)``): both bypass the profiles."""
    found = []
    for node in ast.walk(_parse(source)):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        else:
            targets = []
        assigns = any(isinstance(t, ast.Name) and t.id in settings | {"profile"} for t in targets)
        if assigns or _fallback(node, settings):
            found.append(f"{notebook}: line {node.lineno}: {ast.unparse(node)}")
    return found


def _fallback(node: ast.AST, settings: set[str]) -> str | None:
    """The setting read with a fallback by ``node`` when it is ``x.get("<setting>", <default>)``, else None."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and len(node.args) == 2 and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in settings):
        return node.args[0].value
    return None


def chapter_fallbacks(relative: str, source: str, settings: set[str]) -> list[tuple[str, str]]:
    """(file, setting) for each ``x.get("<setting>", <default>)`` in a chapter module's source."""
    return [(relative, name) for node in ast.walk(ast.parse(source)) if (name := _fallback(node, settings))]


NOTEBOOKS_ON_DISK = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def test_the_notebooks_on_disk_are_the_profiles_registry():
    assert {p.stem for p in NOTEBOOKS_ON_DISK} == set(profiles.NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS_ON_DISK, ids=lambda p: p.stem)
def test_every_parameter_is_none_and_nothing_sets_a_setting_later(path):
    cells = _code_cells(path)
    params = [src for tags, src in cells if "parameters" in tags]
    assert len(params) == 1, f"{path.name} needs exactly one cell tagged 'parameters'"
    assert parameter_problems(path.stem, params[0]) == []
    later = "\n".join(src for tags, src in cells if "parameters" not in tags)
    assert overridden_settings(path.stem, later, set(profiles.NOTEBOOKS[path.stem]["smoke"])) == []


def test_the_parameter_scanner_finds_a_default_an_unknown_name_and_code():
    cell = "profile = None\nepochs = 5  # a default\nnot_a_setting = None\nimport os\n%matplotlib inline\n"
    assert parameter_problems("imbalance", cell) == [
        "imbalance: epochs = 5 (a default: put it in the profiles, leave None here)",
        "imbalance: not_a_setting is not a setting of its profiles",
        "imbalance: not a plain assignment: import os"]
    later = "workers = 2\nx = settings.get('epochs', 3)\ny = settings['epochs']\n"
    assert overridden_settings("imbalance", later, {"workers", "epochs"}) == [
        "imbalance: line 1: workers = 2", "imbalance: line 2: settings.get('epochs', 3)"]


@pytest.mark.parametrize("package", CHAPTER_PACKAGES)
def test_chapter_code_takes_every_setting_from_the_settings(package):
    settings, found = _settings_names(), []
    for path in sorted((SRC / package).glob("*.py")):
        relative = str(path.relative_to(SRC))
        found += [f for f in chapter_fallbacks(relative, path.read_text(), settings) if f not in FALLBACK_EXCEPTIONS]
    assert found == []


def test_the_chapter_scanner_finds_a_fallback_and_the_exceptions_still_exist():
    source = "def f(s):\n    return s.get('epochs', 10), s.get('epochs'), s['lr'], d.get('other', 1)\n"
    assert chapter_fallbacks("x.py", source, {"epochs", "lr"}) == [("x.py", "epochs")]
    assert CHAPTER_PACKAGES == sorted({"gan", "imbalance", "tsynd"} | set(CHAPTER_PACKAGES))
    for relative, setting in FALLBACK_EXCEPTIONS:  # an exception that no longer applies is removed from the list
        assert (relative, setting) in chapter_fallbacks(relative, (SRC / relative).read_text(), _settings_names())
