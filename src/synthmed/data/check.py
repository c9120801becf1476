"""Check a notebook's datasets through the data layer before any work starts.

A name is either a MedMNIST file stem (``breastmnist``, ``breastmnist_64``) or one of the NIH datasets of
:data:`NIH_DATASETS`. An unknown name and a corrupt file (MD5 mismatch) are always errors, with the data layer's own
message (file, expected MD5, where to download it). A missing file is an error when the user asked for the dataset
explicitly; a dataset that only a profile lists (e.g. a paper dataset not on this machine) is reported back with the
reason, so that the chapter can say which of the paper's columns it could not re-run.
"""

from __future__ import annotations

from collections.abc import Iterable

from synthmed.data.medmnist import ChecksumError, DataUnavailableError, locate, parse_name
from synthmed.data.paths import ENV_VAR, nih_root

# NIH datasets: name -> files needed under $SYNTHMED_DATA_ROOT/nih/. ``nih_metadata`` (the class-imbalance paper's
# first-visit pneumonia selection) is metadata only: it needs no image files.
NIH_DATASETS = {
    "nih1000": ("NIH1000_metadata.csv", "NIH1000"),
    "nih_metadata": ("Data_Entry_2017.csv",),
}


class UnknownDatasetError(ValueError):
    """A dataset name the data layer does not know."""


def _check_nih(name: str) -> None:
    root = nih_root()
    missing = [f for f in NIH_DATASETS[name] if root is None or not (root / f).exists()]
    if missing:
        where = f"{root}" if root is not None else f"$SYNTHMED_DATA_ROOT/nih (${ENV_VAR} is not set)"
        raise DataUnavailableError(f"dataset {name!r} needs {', '.join(missing)} under {where}; see the README's "
                                   f"Data section for where to get the NIH ChestX-ray14 files")


def check_one(name: str) -> None:
    """Raise the data layer's error when ``name`` is unknown, missing or corrupt; return None when it is usable."""
    if not isinstance(name, str):
        raise UnknownDatasetError(f"a dataset name must be a string, got {name!r}")
    if name in NIH_DATASETS:
        _check_nih(name)
        return
    try:
        flag, size = parse_name(name)
    except ValueError as err:
        raise UnknownDatasetError(f"{err}; the NIH datasets are {', '.join(NIH_DATASETS)}") from err
    locate(flag, size, download=False)


def check_datasets(names: Iterable[str], *, required: bool) -> dict[str, str]:
    """{name: "ok" or the reason it is missing} for every name, checked through the data layer.

    Raises UnknownDatasetError for an unknown name, ChecksumError for a corrupt file, and DataUnavailableError for
    a missing file when ``required`` (the user asked for it); otherwise a missing file is reported, not raised."""
    status = {}
    for name in names:
        try:
            check_one(name)
            status[name] = "ok"
        except DataUnavailableError as err:
            if required:
                raise
            status[name] = str(err)
        except ChecksumError:
            raise
    return status
