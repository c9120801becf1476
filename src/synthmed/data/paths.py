"""Where the data lives: one environment variable, ``SYNTHMED_DATA_ROOT``.

- MedMNIST files are looked for in ``$SYNTHMED_DATA_ROOT/medmnist`` (or ``$SYNTHMED_DATA_ROOT`` itself when it has
  no ``medmnist`` folder); with the variable unset, in medmnist's own default ``~/.medmnist``.
- NIH ChestX-ray files (``Data_Entry_2017.csv``, image folders) in ``$SYNTHMED_DATA_ROOT/nih``.
"""

from __future__ import annotations

from pathlib import Path

from synthmed.context import environment

ENV_VAR = "SYNTHMED_DATA_ROOT"


def data_root() -> Path | None:
    """``$SYNTHMED_DATA_ROOT`` as a path, or None when unset."""
    value = environment(ENV_VAR)
    return Path(value).expanduser() if value else None


def medmnist_root() -> Path:
    """The folder holding the MedMNIST ``.npz`` files."""
    root = data_root()
    if root is None:
        from medmnist.info import DEFAULT_ROOT

        return Path(DEFAULT_ROOT)
    return root / "medmnist" if (root / "medmnist").is_dir() else root


def nih_root() -> Path | None:
    """The folder holding the NIH ChestX-ray metadata and images, or None when no data root is set."""
    root = data_root()
    return None if root is None else root / "nih"
