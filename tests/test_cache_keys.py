"""Cache keys are derived from what a step runs (synthmed.cache.step_version), not from hand-written module lists.

Each test copies the installed synthmed package into a temporary folder, adds a small probe subpackage to the copy,
and measures step versions in a subprocess that imports the copy, before and after editing one of its files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import synthmed

PROBE = {
    "__init__.py": "",
    "deep.py": "FACTOR = 2\n",
    "helper.py": "from synthmed._probe import deep\n\n\ndef scale(x):\n    return x * deep.FACTOR\n",
    "train.py": textwrap.dedent("""
        from synthmed._probe import helper
        from synthmed._probe import evaluate  # imported by the module, never used by train_step


        def _inner(x):
            return helper.scale(x)


        def train_step():
            return _inner(3)


        def make_step(n):
            def compute():
                return helper.scale(n)
            return compute
        """),
    "evaluate.py": "def score(w):\n    return w + 1\n",
    "report.py": "from synthmed._probe import evaluate\n\n\ndef table(w):\n    return [evaluate.score(w)]\n",
}

MEASURE = textwrap.dedent("""
    import json, sys
    from synthmed import cache
    from synthmed._probe import train, report
    print(json.dumps({"train": cache.step_version(train.train_step),
                      "closure": cache.step_version(train.make_step(4)),
                      "report": cache.step_version(report.table)}))
    """)


@pytest.fixture
def package_copy(tmp_path):
    root = tmp_path / "src"
    shutil.copytree(Path(synthmed.__file__).parent, root / "synthmed",
                    ignore=shutil.ignore_patterns("__pycache__"))
    probe = root / "synthmed" / "_probe"
    probe.mkdir()
    for name, text in PROBE.items():
        (probe / name).write_text(text)
    return root


def _versions(root: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", MEASURE], env={"PYTHONPATH": str(root), "PATH": ""},
                         capture_output=True, text=True, check=True, cwd=root)
    return json.loads(out.stdout)


def _edit(root: Path, relative: str) -> None:
    path = root / "synthmed" / relative
    path.write_text(path.read_text() + "\n# edited\n")


def test_editing_a_transitively_imported_module_changes_the_step_key(package_copy):
    before = _versions(package_copy)
    _edit(package_copy, "_probe/deep.py")  # train_step -> _inner -> helper (module) -> imports deep
    after = _versions(package_copy)
    assert after["train"] != before["train"]
    assert after["closure"] != before["closure"]


def test_editing_an_evaluation_or_report_leaves_the_training_key_unchanged(package_copy):
    before = _versions(package_copy)
    _edit(package_copy, "_probe/evaluate.py")
    _edit(package_copy, "_probe/report.py")
    after = _versions(package_copy)
    assert after["train"] == before["train"]
    assert after["closure"] == before["closure"]
    assert after["report"] != before["report"]


def test_editing_the_step_function_itself_changes_its_key(package_copy):
    before = _versions(package_copy)
    path = package_copy / "synthmed" / "_probe" / "train.py"
    path.write_text(path.read_text().replace("return _inner(3)", "return _inner(4)"))
    assert _versions(package_copy)["train"] != before["train"]


def test_step_modules_lists_what_is_hashed():
    import importlib

    from synthmed import cache

    subsample = importlib.import_module("synthmed.data.subsample")
    reached = cache.step_modules(subsample.subsample)
    assert "function synthmed.data.subsample.subsample" in reached
    assert "function synthmed.data.subsample.stratified_indices" in reached
    assert "synthmed.cache" not in reached


HEAVY_MEASURE = textwrap.dedent("""
    import json, sys
    from synthmed import cache
    from synthmed._probe import user
    first = cache.step_version(user.step)
    print(json.dumps({"lazy": first, "again": cache.step_version(user.step),
                      "imported": "synthmed._probe.heavy" in sys.modules}))
    """)


def test_a_module_imported_inside_a_function_is_hashed_without_being_executed(package_copy):
    """A step that imports a heavy module only when it computes (as the GAN steps import torch-fidelity) must not
    import it to derive its key: a warm rebuild derives hundreds of keys. Its file is still hashed."""
    probe = package_copy / "synthmed" / "_probe"
    (probe / "heavy.py").write_text("raise RuntimeError('executed while deriving a key')\n\n\ndef thing():\n"
                                    "    return 1\n")
    (probe / "lazy.py").write_text("def run():\n    from synthmed._probe.heavy import thing\n\n"
                                   "    return thing()\n")
    # the step names the module lazy, so lazy.py is hashed whole, with the modules it imports (heavy.py)
    (probe / "user.py").write_text("from synthmed._probe import lazy\n\n\ndef step():\n    return lazy.run()\n")

    def measure():
        out = subprocess.run([sys.executable, "-c", HEAVY_MEASURE], env={"PYTHONPATH": str(package_copy),
                             "PATH": ""}, capture_output=True, text=True, check=True, cwd=package_copy)
        return json.loads(out.stdout)

    before = measure()
    assert not before["imported"]
    assert before["again"] == before["lazy"]  # the memoised derivation gives the same version
    _edit(package_copy, "_probe/heavy.py")
    assert measure()["lazy"] != before["lazy"]
