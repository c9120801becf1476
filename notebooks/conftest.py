"""`pytest --nbval-lax notebooks/`: nbval executes the book's notebooks as they are, to check that they run.

The kernels nbval starts inherit this process's environment, which is the only way to give them a profile: the
smoke profile unless the user set ``SYNTHMED_PROFILE`` (restored when pytest ends). The notebooks run in book order
(:func:`synthmed.runner.notebooks`), so the Scorecard reads the verdicts the chapters have just written.
"""

from __future__ import annotations

import os
from pathlib import Path

from synthmed import runner

_SET: list[str] = []


def pytest_configure(config):
    if "SYNTHMED_PROFILE" not in os.environ:
        os.environ["SYNTHMED_PROFILE"] = "smoke"
        _SET.append("SYNTHMED_PROFILE")


def pytest_unconfigure(config):
    for name in _SET:
        os.environ.pop(name, None)


def pytest_collection_modifyitems(config, items):
    order = runner.notebooks(notebook_dir=Path(__file__).parent)
    rank = {name: i for i, name in enumerate(order)}
    items.sort(key=lambda item: rank.get(Path(str(item.fspath)).stem, len(order)))  # stable: cells keep order
