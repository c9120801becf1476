"""Figures transcribed from the papers (``*.csv`` beside this file), for the book to show beside reproduced ones.

Each CSV starts with ``#`` comment lines naming the paper and table; :func:`load` returns the table and
:func:`header` those lines, so a notebook can print the citation with the figures.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd


def names() -> list[str]:
    """The available tables, e.g. ``['gan_ensembles_table5', ..., 'tsynd_table1']``."""
    return sorted(p.name[:-4] for p in resources.files(__package__).iterdir() if p.name.endswith(".csv"))


def _path(name: str):
    if name not in names():
        raise ValueError(f"no reference table {name!r}; available: {', '.join(names())}")
    return resources.files(__package__) / f"{name}.csv"


def load(name: str) -> pd.DataFrame:
    """The reference table ``name`` as a DataFrame (comment lines dropped)."""
    with resources.as_file(_path(name)) as path:
        return pd.read_csv(path, comment="#")


