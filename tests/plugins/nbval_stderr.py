"""A pytest plugin for the nbval check of `make test`, under which stderr is not compared:
``PYTHONPATH=tests/plugins pytest -p nbval_stderr --nbval ...`` (not ``-p tests.…``: a dependency installs a
top-level ``tests`` package that shadows this folder).

A notebook's stderr holds progress bars and warnings, never a result (results are printed or displayed). Bars are
drawn only by a step that computes, so the runner's execution (whose cache may already hold the step: a warm
`make test`) and nbval's re-execution against an empty cache differed by whole stderr outputs, which no sanitiser
can equalise, and ``TQDM_DISABLE`` cannot silence a bar that passes ``disable=`` itself. nbval documents this hook
for skipping an output type ("Skipping certain output types").
"""

from __future__ import annotations


def pytest_collectstart(collector):
    if getattr(collector, "skip_compare", None) is not None and str(collector.fspath).endswith(".ipynb"):
        collector.skip_compare = (*collector.skip_compare, "stderr")
