"""Profiles: parsing and resolving every notebook's parameters against the defaults its chapter declares.

The defaults and their sources live in each chapter's record (``synthmed/<paper>/chapter.py``, collected by
:mod:`synthmed.chapters`); :data:`NOTEBOOKS` is a read-only view of them. A notebook's ``parameters`` cell sets
each knob to ``None``; :func:`resolve` fills every ``None`` from the profile and keeps every explicit value (a
papermill ``-p`` always wins). Profiles:

- ``smoke``: seconds per notebook, tiny models. What ``make test`` executes: shows the code path runs, not that a
  paper reproduces.
- ``quick`` (default): minutes per notebook on a 2-core CPU. What the book shows when built on a laptop.
- ``paper``: the papers' own settings. Meant for a GPU.

The profile itself defaults to ``$SYNTHMED_PROFILE``, else ``quick``. :func:`from_notebook` also makes the run's
:class:`~synthmed.context.RunContext` (``settings.context``), which the notebook passes to the executor; this module
reads the environment but never writes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from synthmed import chapters
from synthmed.context import RunContext, environment

PROFILES = chapters.PROFILE_NAMES
DEFAULT_PROFILE = "quick"


class _Defaults(Mapping):
    """{notebook: {profile: {setting: default}}}, read from the chapter registry on each access (a chapter
    registered later is seen)."""

    def __getitem__(self, notebook: str) -> dict[str, dict[str, Any]]:
        found = chapters.notebooks()
        if notebook not in found:
            raise KeyError(notebook)
        return {p: dict(block) for p, block in found[notebook].profiles.items()}

    def __iter__(self):
        return iter(chapters.notebooks())

    def __len__(self) -> int:
        return len(chapters.notebooks())


NOTEBOOKS: Mapping[str, dict[str, dict[str, Any]]] = _Defaults()

_IPYTHON_NAMES = {"In", "Out", "exit", "quit", "get_ipython", "open"}
_PARAMETER_TYPES = (type(None), bool, int, float, str, list, tuple, dict)
_TRUE, _FALSE = {"true", "yes", "1", "on"}, {"false", "no", "0", "off"}


def sources(notebook: str) -> dict[str, str]:
    """{setting: where its value comes from} for ``notebook``: the paper's section or table for a value a paper
    states, "ours: why" for a value the project chose, as the notebook's chapter record declares them."""
    return dict(chapters.notebook(notebook).sources)


class _Plain:
    """A glued text whose text/plain is the text itself (a glued str would carry its quotes)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


class Settings(dict):
    """The resolved settings of one notebook run: a dict with attribute access that remembers its profile, which
    values were set explicitly, and (after :func:`from_notebook`) which datasets the data layer found
    (``data_status``: name -> "ok" or the reason it is missing). Shown in a notebook, it renders as a table with
    each value's origin and its source (the paper's section, or "ours: why")."""

    def __init__(self, notebook: str, profile: str, values: Mapping[str, Any], explicit: set[str]):
        super().__init__(values)
        self.notebook, self.profile, self.explicit = notebook, profile, frozenset(explicit)
        self.data_status: dict[str, str] = {}
        self.context: RunContext | None = None  # set by from_notebook

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as err:
            raise AttributeError(f"{self.notebook!r} has no setting {name!r}; it has: {', '.join(self)}") from err

    def usable(self, names: Any) -> list[str]:
        """The datasets among ``names`` that the data layer found (all of them before any check was made)."""
        names = names if isinstance(names, (list, tuple)) else [names]
        return [n for n in names if self.data_status.get(n, "ok") == "ok"]

    def table(self):
        """The settings as a frame: setting, value, from (explicit / profile), source."""
        import pandas as pd

        src = sources(self.notebook)
        rows = [{"setting": "profile", "value": self.profile, "from": "", "source": "smoke / quick / paper"}]
        rows += [{"setting": k, "value": repr(v), "from": "explicit" if k in self.explicit else "profile",
                  "source": src.get(k, "")} for k, v in self.items()]
        return pd.DataFrame(rows)

    def glue_values(self) -> dict[str, str]:
        """{key: text} of every setting a page's prose may quote: ``profile``, each scalar setting, each list as
        its items joined by ", " and its length as ``<name>_count``. :meth:`_ipython_display_` glues them (myst-nb),
        so that a book page writes ``{glue:text}`executed/tsynd.ipynb::ascent_steps``` instead of typing a number
        that goes stale when the profile changes."""
        values = {"profile": self.profile}
        for key, value in self.items():
            if isinstance(value, (list, tuple)):
                values[key] = ", ".join(map(str, value))
                values[f"{key}_count"] = str(len(value))
            elif value is None or isinstance(value, (bool, int, float, str)):
                values[key] = str(value)
        return values

    def _ipython_display_(self) -> None:
        """The settings table, and every :meth:`glue_values` entry glued (not displayed) for the book's prose."""
        from IPython.display import HTML, display
        from myst_nb import glue

        display(HTML(self._repr_html_()))
        for key, text in self.glue_values().items():
            glue(key, _Plain(text), display=False)

    def _repr_html_(self) -> str:
        import html

        rows = "".join(
            f"<tr><td><code>{html.escape(r['setting'])}</code></td><td><code>{html.escape(str(r['value']))}</code>"
            f"</td><td>{html.escape(r['from'])}</td><td>{html.escape(r['source'])}</td></tr>"
            for r in self.table().to_dict("records"))
        return (f'<table class="synthmed-settings"><thead><tr><th>setting</th><th>value</th><th>from</th>'
                f"<th>source</th></tr></thead><tbody>{rows}</tbody></table>")


def _hint(notebook: str, key: str) -> Any:
    """A non-None default of ``key`` in any profile (the type a parameter is parsed as), else None."""
    for profile in PROFILES:
        value = NOTEBOOKS[notebook][profile].get(key)
        if value is not None:
            return value
    return None


def _parse_text_list(text: str) -> list:
    stripped = text.strip()
    if stripped.startswith("["):
        import yaml

        try:
            value = yaml.safe_load(stripped)  # JSON is YAML
        except yaml.YAMLError as err:
            raise ValueError(f"not a list: {text!r} ({err})") from err
        if not isinstance(value, list):
            raise ValueError(f"not a list: {text!r}")
        return value
    return [part.strip() for part in stripped.split(",") if part.strip()]


def _convert_scalar(name: str, notebook: str, value: Any, like: Any) -> Any:
    """``value`` as the type of ``like`` (bool, int, float or str), converting text; ValueError naming ``name``."""
    def fail(expected: str):
        return ValueError(f"parameter {name!r} of notebook {notebook!r} expects {expected}, got {value!r}")

    if isinstance(like, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise fail("true or false")
    if isinstance(like, int):
        if isinstance(value, bool):
            raise fail("an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise fail("an integer")
    if isinstance(like, float):
        if isinstance(value, bool):
            raise fail("a number")
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise fail("a number")
    if isinstance(like, str):
        if isinstance(value, str):
            return value
        raise fail("a string")
    return value


def coerce(notebook: str, name: str, value: Any) -> Any:
    """Parse a parameter as the type its profiles give it.

    A list setting accepts one value, a comma-separated string ("breastmnist,pneumoniamnist") or a JSON/YAML list
    ('["breastmnist"]'); its items are converted like the profile's items (numbers given as text become numbers).
    A number, flag or string setting converts text ("0.01" -> 0.01) or raises ValueError naming the parameter.
    Settings whose profiles give no typed value (None everywhere, dicts) pass through unchanged.
    """
    like = _hint(notebook, name)
    if value is None or like is None:
        return value
    if isinstance(like, (list, tuple)):
        if isinstance(value, str):
            items = _parse_text_list(value)
        elif isinstance(value, (list, tuple)):
            items = list(value)
        else:
            items = [value]
        if not items:
            raise ValueError(f"parameter {name!r} of notebook {notebook!r} expects at least one value, got "
                             f"{value!r}")
        item_like = next((v for v in like if v is not None), None)
        if isinstance(item_like, float) or (like and all(isinstance(v, (int, float)) for v in like)
                                            and any(isinstance(v, float) for v in like)):
            item_like = 0.0
        return [_convert_scalar(name, notebook, v, item_like) if item_like is not None else v for v in items]
    if isinstance(like, dict):
        return value
    if isinstance(like, str) and isinstance(value, (list, tuple)):
        raise ValueError(f"parameter {name!r} of notebook {notebook!r} takes one value, got the list {value!r}")
    return _convert_scalar(name, notebook, value, like)


# Settings renamed by issue 22 (one name for the classifier backbone in every chapter): an old name is still an
# unknown parameter, but its error says what it is called now.
RENAMED = {"arch": "backbone", "classifier": "backbone", "classifier_width": "backbone_width"}


def resolve(notebook: str, profile: str | None = None, **params: Any) -> Settings:
    """Fill a notebook's parameters from a profile, each parsed as the type its profile gives it (:func:`coerce`).

    notebook: a key of :data:`NOTEBOOKS`; profile: one of :data:`PROFILES` or None ($SYNTHMED_PROFILE, else quick);
    params: the notebook's parameters, None meaning "take the profile's value". Raises ValueError naming the valid
    choices for an unknown notebook, profile or parameter, and naming the parameter for a value of the wrong type.
    """
    if notebook not in NOTEBOOKS:
        raise ValueError(f"unknown notebook {notebook!r}; valid notebooks: {', '.join(sorted(NOTEBOOKS))}")
    profile = profile or environment("SYNTHMED_PROFILE") or DEFAULT_PROFILE
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid profiles: {', '.join(PROFILES)}")
    defaults = NOTEBOOKS[notebook][profile]
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        renamed = [f"{k!r} is now {RENAMED[k]!r}" for k in unknown if RENAMED.get(k) in defaults]
        raise ValueError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))} for notebook {notebook!r}; "
            + (f"renamed: {', '.join(renamed)}; " if renamed else "")
            + f"valid parameters: profile, {', '.join(defaults)}"
        )
    explicit = {k for k, v in params.items() if v is not None}
    values = {k: (coerce(notebook, k, params[k]) if k in explicit else v) for k, v in defaults.items()}
    return Settings(notebook, profile, values, explicit)


def notebook_parameters(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters a notebook holds in its global namespace: every public lower-case plain-data name (None, bool,
    number, str, list, tuple, dict) that is not an IPython built-in (capitalised names are constants), including
    those papermill injects without the parameters cell declaring them. Passing them to :func:`resolve` turns a
    mistyped papermill ``-p`` name into an error instead of a silently ignored value. ``profile`` is returned too."""
    return {
        k: v for k, v in namespace.items()
        if not k.startswith("_") and not k[0].isupper() and k not in _IPYTHON_NAMES
        and isinstance(v, _PARAMETER_TYPES)
    }


DATASET_KEYS = ("dataset", "datasets")


def environment_context(notebook: str | None = None, profile: str | None = None) -> RunContext:
    """A :class:`~synthmed.context.RunContext` from the arguments and the environment: ``notebook`` else
    ``$SYNTHMED_NOTEBOOK``; ``profile`` else ``$SYNTHMED_PROFILE`` (None when unset); the cache folder and event
    log of :mod:`synthmed.cache` (``$SYNTHMED_CACHE_DIR``, ``$SYNTHMED_CACHE_LOG``). The runner sets these variables
    in the environment of each notebook kernel it starts; nothing else writes them."""
    from synthmed import cache

    return RunContext(profile=profile or environment("SYNTHMED_PROFILE") or None,
                      notebook=notebook or environment("SYNTHMED_NOTEBOOK") or None,
                      cache_dir=cache.cache_dir(), cost_log=cache.event_log())


def from_notebook(notebook: str, namespace: Mapping[str, Any]) -> Settings:
    """The one call a notebook makes after its parameters: :func:`resolve` on the notebook's namespace, then every
    ``dataset``/``datasets`` setting checked through the data layer (:func:`synthmed.data.check.check_datasets`):
    an unknown name or a corrupt file stops the notebook with the data layer's message, and so does a missing file
    the user asked for; a missing file that only the profile lists is recorded in ``settings.data_status``.
    ``settings.context`` is the run's :class:`~synthmed.context.RunContext` (this notebook and its resolved profile,
    so the executor's cost records name them also for a notebook run by papermill alone or with ``-p profile``)."""
    from synthmed.data.check import check_datasets

    params = notebook_parameters(namespace)
    settings = resolve(notebook, **params)
    settings.context = environment_context(notebook=notebook, profile=settings.profile)
    for key in DATASET_KEYS:
        if key in settings and settings[key] is not None:
            value = settings[key]
            names = value if isinstance(value, (list, tuple)) else [value]
            settings.data_status.update(check_datasets(names, required=key in settings.explicit))
    return settings
