"""The nbval reproducibility check of `make test` (issue 22, item 5): what it ignores, and what would break it.

nbval itself runs in the Makefile (strict, over book/executed/*.ipynb, with an empty cache); these tests check its
sanitisers on the volatile text they are meant for (and that they leave results alone), and the notebook habits that
would make a strict comparison fail for no reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from synthmed import chapters

ROOT = Path(__file__).resolve().parents[1]
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"


def _patterns() -> list[tuple[str, str, str]]:
    """(section, regex, replacement) in file order, as nbval reads them (``regex:`` then ``replace:`` lines)."""
    text = SANITIZE.read_text()
    sections = re.findall(r"^\[(.+)\]\nregex: (.*)\nreplace: (.*)$", text, flags=re.M)
    assert len(sections) == len(re.findall(r"^regex: ", text, flags=re.M)), "a regex outside a [section]"
    return sections


def sanitize(text: str) -> str:
    for _, regex, replacement in _patterns():
        text = re.sub(regex, replacement, text)
    return text


def test_every_sanitiser_is_commented():
    lines = SANITIZE.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("["):
            assert lines[i - 1].startswith("#"), f"{line} has no comment saying what volatile text it removes"


BAR = "TSynD runs: 100%|██████████| "


@pytest.mark.parametrize("a, b", [
    (BAR + "6/6 [00:32<00:00,  5.45s/it]", BAR + "6/6 [00:00<00:00, 22.46it/s]"),
    ("<pandas.io.formats.style.Styler at 0x7f7b38f2ab90>", "<pandas.io.formats.style.Styler at 0x7f0012345678>"),
    ('<table id="T_215b7">#T_215b7_row0_col0', '<table id="T_916d3">#T_916d3_row0_col0'),
    ("Wall time of this notebook: 84 s.", "Wall time of this notebook: 29 s."),
])
def test_the_sanitisers_equalise_volatile_text(a, b):
    assert a != b and sanitize(a) == sanitize(b)


@pytest.mark.parametrize("a, b", [
    (BAR + "6/6 [00:32<00:00,  5.45s/it]", BAR + "5/6 [00:32<00:00,  5.45s/it]"),
    ("accuracy 73.1 [73.1, 73.1]", "accuracy 73.2 [73.1, 73.3]"),  # an interval is not a progress bar
    ("+23.1 [-270.1, +316.3]", "+23.1 [-270.1, +316.4]"),
    ("Total: **257 s** over 10 notebooks", "Total: **258 s** over 10 notebooks"),  # from runs.json: same file
])
def test_the_sanitisers_leave_results_alone(a, b):
    assert sanitize(a) != sanitize(b)


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_no_cell_hides_its_result_with_a_trailing_semicolon(path):
    """nbval executes cells without storing history, so IPython cannot see a trailing ``;`` and shows the value
    (a figure twice); assign it instead (``fig = ...``)."""
    cells = json.loads(path.read_text())["cells"]
    ends = [c["source"] and "".join(c["source"]).rstrip().endswith(";") for c in cells if c["cell_type"] == "code"]
    assert not any(ends)


def _target(makefile: str, name: str) -> str:
    """The rule of ``name`` (its header and recipe, continuation lines joined)."""
    return re.sub(r"\\\n\s*", " ", makefile.split(f"\n{name}:", 1)[1].split("\n\n", 1)[0])


def test_make_test_runs_nbval_strictly_on_the_executed_book_with_an_empty_cache():
    makefile = (ROOT / "Makefile").read_text()
    variables = dict(re.findall(r"^(NBVAL_\w+) := ([^#\n]*)", makefile, flags=re.M))
    parts = variables["NBVAL_PARTS"].split()
    assert "$(addprefix test-nbval-,$(NBVAL_PARTS))" in _target(makefile, "test")  # make test runs every part
    covered = [c for p in parts for c in variables[f"NBVAL_CHAPTERS_{p}"].split()]
    assert sorted(covered) == sorted(c.name for c in chapters.chapters())  # every chapter, each once
    rule = _target(makefile, "test-nbval-%")
    assert rule.startswith(" test-runner")  # after the runner, whose executed copies it compares with
    line = next(line for line in rule.splitlines() if "--nbval" in line)
    assert "--nbval " in line and "--nbval-lax" not in line and "--nbval-sanitize-with tests/nbval_sanitize.cfg" in line
    assert "rm -rf .synthmed-cache/nbval-$* &&" in line
    assert "SYNTHMED_CACHE_DIR=$(CURDIR)/.synthmed-cache/nbval-$*" in line
    assert "synthmed.runner --list --chapters $(NBVAL_CHAPTERS_$*)" in line
    # the same thread count for the execution and the re-execution: floating-point sums differ between 1 and 2
    # threads (seen: every GAN and imbalance table, 'Device: cpu (1 threads)' vs '(2 threads)')
    runner = _target(makefile, "test-runner")
    assert "$(SMOKE)" in runner and "synthmed.runner --profile smoke" in runner
    assert "OMP_NUM_THREADS=1" in variables.get("SMOKE", makefile.split("SMOKE := ", 1)[1].split("\n", 1)[0])
    assert "OMP_NUM_THREADS=1" in line
    # stderr is not compared (tests/plugins/nbval_stderr.py): a bar is printed only where a step computes, so a
    # warm runner cache and nbval's empty one would differ by whole stderr outputs (seen: gan_ensemble's bar)
    assert "PYTHONPATH=$(CURDIR)/tests/plugins $(PYTEST) -p nbval_stderr --nbval " in line
    assert "TQDM_DISABLE=1" in line and "TQDM_DISABLE=1" in makefile.split("SMOKE := ", 1)[1].split("\n", 1)[0]


def _nbval(tmp_path, stored_stdout: str, stored_stderr: str, plugin: bool):
    """nbval, as `make test` runs it, on a one-cell notebook that prints "result 1" to stdout and "bar" to stderr,
    stored with the given outputs."""
    import os
    import subprocess
    import sys

    import nbformat

    cell = nbformat.v4.new_code_cell('import sys\nprint("result 1")\nprint("bar", file=sys.stderr)', execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored_stdout),
                    nbformat.v4.new_output("stream", name="stderr", text=stored_stderr)]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "one.ipynb")
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *(["-p", "nbval_stderr"] * plugin),
            "--nbval", "--nbval-current-env", str(tmp_path / "one.ipynb")]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests" / "plugins")}
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_nbval_ignores_stderr_but_not_results(tmp_path):
    assert _nbval(tmp_path, "result 1\n", "another bar\n", plugin=True).returncode == 0
    assert _nbval(tmp_path, "result 1\n", "another bar\n", plugin=False).returncode == 1  # what the plugin fixes
    assert _nbval(tmp_path, "result 2\n", "bar\n", plugin=True).returncode == 1  # a changed result still fails


def test_tqdm_draws_no_bar_when_make_test_disables_it():
    import os
    import subprocess
    import sys

    code = "from tqdm.std import tqdm\nfor _ in tqdm(range(3), desc='steps'): pass"
    env = {**os.environ, "TQDM_DISABLE": "1"}
    quiet = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    env.pop("TQDM_DISABLE")
    drawn = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert quiet.stderr == "" and "steps: 100%" in drawn.stderr
