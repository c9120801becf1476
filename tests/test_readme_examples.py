"""The README's papermill examples run as written (make test runs this file after the smoke runner, on its cache:
an example whose parameters the smoke book already ran loads its results instead of computing them again)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _readme_papermill_examples() -> list[str]:
    return re.findall(r"^(papermill notebooks/\S+\.ipynb out\.ipynb .*)$", (ROOT / "README.md").read_text(),
                      flags=re.M)


@pytest.mark.slow
@pytest.mark.parametrize("command", _readme_papermill_examples())
def test_readme_papermill_examples_run(command, tmp_path, monkeypatch):
    """Each `papermill ...` line of the README runs from the repository root (with the smoke profile as the
    environment's default, so it takes seconds; an explicit `-p profile` in the line still wins)."""
    import shlex

    args = shlex.split(command)
    args[2] = str(tmp_path / "out.ipynb")
    monkeypatch.setenv("SYNTHMED_PROFILE", "smoke")
    exe = Path(sys.executable).parent / "papermill"
    result = subprocess.run([str(exe), *args[1:], "--no-progress-bar"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "out.ipynb").exists()
