"""Profiles and defaults for every notebook, in one place.

A notebook's ``parameters`` cell sets each knob to ``None``; :func:`resolve` fills every ``None`` from the profile
and keeps every explicit value (a papermill ``-p`` always wins). Profiles:

- ``smoke``: seconds per notebook, tiny models. For nbval in CI: shows the code path runs, not that a paper
  reproduces.
- ``quick`` (default): minutes per notebook on a 2-core CPU. What the book shows when built on a laptop.
- ``paper``: the papers' own settings. Meant for a GPU.

The profile itself defaults to ``$SYNTHMED_PROFILE``, else ``quick``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

PROFILES = ("smoke", "quick", "paper")
DEFAULT_PROFILE = "quick"

# The MedMNIST files the book can use when they are present (the paper datasets not here are reported as such).
_LOCAL_MEDMNIST = ["breastmnist", "breastmnist_64", "pneumoniamnist", "retinamnist"]

NOTEBOOKS: dict[str, dict[str, dict[str, Any]]] = {
    # ---- data chapter -------------------------------------------------------------------------------------------
    "data": {
        "smoke": {"datasets": ["breastmnist"], "include_nih": True, "per_class": 4, "seed": 0},
        "quick": {"datasets": _LOCAL_MEDMNIST, "include_nih": True, "per_class": 8, "seed": 0},
        "paper": {"datasets": _LOCAL_MEDMNIST, "include_nih": True, "per_class": 8, "seed": 0},
    },
    # ---- TSynD chapter (issue 3): tsynd, tsynd_uncertainty, tsynd_explain -----------------------------------------
    # ---- GAN-ensembles chapter (issue 4): gan_zoo, gan_ensemble, gan_backbones, gan_fidelity ---------------------
    # ---- class-imbalance chapter (issue 5): imbalance -----------------------------------------------------------
    # ---- compute chapter ----------------------------------------------------------------------------------------
    "compute": {
        "smoke": {"runs_file": None},
        "quick": {"runs_file": None},
        "paper": {"runs_file": None},
    },
}

_IPYTHON_NAMES = {"In", "Out", "exit", "quit", "get_ipython", "open"}
_PARAMETER_TYPES = (type(None), bool, int, float, str, list, tuple, dict)


class Settings(dict):
    """The resolved settings of one notebook run: a dict with attribute access that remembers its profile and
    which values were set explicitly. Shown in a notebook, it renders as a small table."""

    def __init__(self, notebook: str, profile: str, values: Mapping[str, Any], explicit: set[str]):
        super().__init__(values)
        self.notebook, self.profile, self.explicit = notebook, profile, frozenset(explicit)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as err:
            raise AttributeError(f"{self.notebook!r} has no setting {name!r}; it has: {', '.join(self)}") from err

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td><code>{k}</code></td><td><code>{v!r}</code></td>"
            f"<td>{'explicit' if k in self.explicit else 'profile ' + self.profile}</td></tr>"
            for k, v in self.items()
        )
        return (f"<table><thead><tr><th>setting</th><th>value</th><th>from</th></tr></thead>"
                f"<tbody><tr><td><code>profile</code></td><td><code>{self.profile!r}</code></td><td></td></tr>"
                f"{rows}</tbody></table>")


def resolve(notebook: str, profile: str | None = None, **params: Any) -> Settings:
    """Fill a notebook's parameters from a profile.

    notebook: a key of :data:`NOTEBOOKS`; profile: one of :data:`PROFILES` or None ($SYNTHMED_PROFILE, else quick);
    params: the notebook's parameters, None meaning "take the profile's value". Raises ValueError naming the valid
    choices for an unknown notebook, profile or parameter.
    """
    if notebook not in NOTEBOOKS:
        raise ValueError(f"unknown notebook {notebook!r}; valid notebooks: {', '.join(sorted(NOTEBOOKS))}")
    profile = profile or os.environ.get("SYNTHMED_PROFILE") or DEFAULT_PROFILE
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid profiles: {', '.join(PROFILES)}")
    defaults = NOTEBOOKS[notebook][profile]
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))} for notebook {notebook!r}; "
            f"valid parameters: profile, {', '.join(defaults)}"
        )
    explicit = {k for k, v in params.items() if v is not None}
    values = {k: (params[k] if k in explicit else v) for k, v in defaults.items()}
    return Settings(notebook, profile, values, explicit)


def notebook_parameters(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters a notebook holds in its global namespace: every public lower-case plain-data name (None, bool,
    number, str, list, tuple, dict) that is not an IPython built-in (capitalised names are constants). Passing them to :func:`resolve` turns a mistyped
    papermill ``-p`` name into an error instead of a silently ignored value. ``profile`` is returned too."""
    return {
        k: v for k, v in namespace.items()
        if not k.startswith("_") and not k[0].isupper() and k not in _IPYTHON_NAMES
        and isinstance(v, _PARAMETER_TYPES)
    }


def from_notebook(notebook: str, namespace: Mapping[str, Any]) -> Settings:
    """``resolve(notebook, **notebook_parameters(namespace))``: the one call a notebook makes after its parameters."""
    params = notebook_parameters(namespace)
    return resolve(notebook, **params)
