"""No environment variable is read outside the run context module (issue 35, item 6).

:mod:`synthmed.context` reads the environment (``environment``, ``environment_items``) and lists every variable
synthmed reads (``VARIABLES``); every other module asks it. The exceptions, each with its reason:
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from synthmed import context

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "synthmed"

ALLOWED = {
    # the one module that reads the environment
    "context.py": "the run context: VARIABLES, environment(), environment_items()",
    # builds the environment of the kernels it starts: this process's environment plus the run's variables
    "runner.py": "passes its own environment on to each notebook kernel ({**os.environ, ...}); reads no value",
}
READ = re.compile(r"os\.environ|os\.getenv|getenv\(|environ\[")


def test_only_the_run_context_reads_the_environment():
    readers = {str(p.relative_to(SRC)): [i + 1 for i, line in enumerate(p.read_text().splitlines())
                                         if READ.search(line) and not line.lstrip().startswith("#")]
               for p in sorted(SRC.rglob("*.py"))}
    readers = {name: lines for name, lines in readers.items() if lines and name not in ALLOWED}
    assert not readers, f"environment read outside synthmed.context (use context.environment): {readers}"


def test_the_runner_only_forwards_the_environment():
    lines = [line.strip() for line in (SRC / "runner.py").read_text().splitlines() if READ.search(line)]
    assert lines == ['kw["env"] = {**os.environ, **kw.get("env", {}), **env}']


def test_every_variable_asked_for_is_listed():
    """Every environment("NAME") call in the package names a listed variable (a typo fails here, not at run time)."""
    asked = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            name = getattr(node, "func", None) and getattr(node.func, "id", getattr(node.func, "attr", None))
            if (isinstance(node, ast.Call) and name == "environment"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                asked.add(node.args[0].value)
    assert asked and asked <= set(context.VARIABLES), asked - set(context.VARIABLES)


def test_an_unlisted_variable_is_refused(monkeypatch):
    monkeypatch.setenv("SYNTHMED_DEVICE", "cpu")
    assert context.environment("SYNTHMED_DEVICE") == "cpu"
    with pytest.raises(KeyError, match="VARIABLES"):
        context.environment("SYNTHMED_NO_SUCH_THING")
