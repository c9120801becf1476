"""The chapter contract: every part of the book declares itself once, as a :class:`Chapter`, and the rest is derived.

A paper's package holds a ``chapter.py`` with one module-level ``CHAPTER``: its name and paper, its notebooks in
book order, each notebook's profile blocks (``{"smoke": {...}, "quick": {...}, "paper": {...}}``) with the source of
every value, whether it writes verdicts, its cost model, and the chapter's entry points under one set of names
(:data:`STAGES`). From the registry come:

- the runner's order (:func:`order`: chapters by ``position``, then the reports, Scorecard and Compute);
- every notebook's defaults and sources (:mod:`synthmed.profiles` keeps only parsing and resolution);
- the cost tables (:mod:`synthmed.cost` reads each notebook's ``workload`` or ``not_modelled``);
- the Scorecard's expected chapters (:func:`verdict_notebooks`).

Discovery: every subpackage of ``synthmed`` with a ``chapter`` module, and every module named by an entry point of
the group ``synthmed.chapters`` (a paper kept outside this package registers there, in its own ``pyproject.toml``).
Adding a paper is therefore one package (or one module with an entry point), one notebook and one ``_toc.yml`` line.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

ENTRY_POINT_GROUP = "synthmed.chapters"
PROFILE_NAMES = ("smoke", "quick", "paper")  # synthmed.profiles.PROFILES; here so chapter modules need not import it
# A chapter's entry points, in the order data flows through them: resolved settings -> run specs -> executed runs
# -> one frame of score rows -> the chapter's report (tables, claims, text); "bundle" returns the chapter's committed
# result bundle (a synthmed.bundle.Spec: python -m synthmed.bundle CHAPTER). Each is "module:function".
STAGES = ("specs", "runs", "rows", "report", "bundle")
REPORT_POSITION = 1000  # the report pages (Scorecard, Compute) come after every chapter


@dataclass(frozen=True)
class Notebook:
    """One executed notebook: its profile blocks, the source of each value, and what the cost model knows of it.

    profiles: {profile: {setting: default}} for every profile of :data:`PROFILE_NAMES`; sources: {setting: "Sec. ..."
    of the paper, or "ours: why"}; workload: ``f(notebook, settings) -> list[cost.Workload]`` for a notebook that
    starts training runs, else ``not_modelled`` says why it has no cost model; verdicts: whether it writes verdicts
    for the Scorecard.
    """

    name: str
    profiles: Mapping[str, Mapping[str, Any]]
    sources: Mapping[str, str] = field(default_factory=dict)
    workload: Callable[[str, Mapping], list] | None = None
    not_modelled: str | None = None
    verdicts: bool = False

    def __post_init__(self):
        missing = [p for p in PROFILE_NAMES if p not in self.profiles]
        if missing:
            raise ValueError(f"notebook {self.name!r} has no profile block for {', '.join(missing)}")
        keys = [set(self.profiles[p]) for p in PROFILE_NAMES]
        if any(k != keys[0] for k in keys):
            raise ValueError(f"notebook {self.name!r}: its profile blocks have different settings "
                             f"({', '.join(sorted(set.union(*keys) - set.intersection(*keys)))})")
        if (self.workload is None) == (self.not_modelled is None):
            raise ValueError(f"notebook {self.name!r}: give exactly one of workload (its cost model) and "
                             f"not_modelled (why it has none)")


@dataclass(frozen=True)
class Chapter:
    """One part of the book: a paper's chapter, the data chapter, or the report pages.

    name: short id (also the package's name for a paper); title: as the book and the cost tables name it;
    paper: the citation (empty for pages that are not a paper's); notebooks: in book order; claims: claim files
    (paths relative to the chapter's package); stages: {stage of :data:`STAGES`: "module:function"};
    position: where the chapter stands in the book (smaller first).
    """

    name: str
    title: str
    notebooks: tuple[Notebook, ...]
    paper: str = ""
    claims: tuple[str, ...] = ()
    stages: Mapping[str, str] = field(default_factory=dict)
    position: int = 500

    def __post_init__(self):
        unknown = sorted(set(self.stages) - set(STAGES))
        if unknown:
            raise ValueError(f"chapter {self.name!r}: unknown stage(s) {', '.join(unknown)}; stages: "
                             f"{', '.join(STAGES)}")

    def stage(self, name: str) -> Callable:
        """The function of stage ``name`` (imported on first use). KeyError naming the stages it has."""
        if name not in self.stages:
            raise KeyError(f"chapter {self.name!r} has no stage {name!r}; it has: {', '.join(self.stages) or 'none'}")
        module, _, function = self.stages[name].partition(":")
        return getattr(importlib.import_module(module), function)


_EXTRA: dict[str, Chapter] = {}  # chapters registered by register() (tests, interactive use)


def register(chapter: Chapter) -> Chapter:
    """Add ``chapter`` to the registry of this process (the discovered chapters need no call). Returns it."""
    _EXTRA[chapter.name] = chapter
    _registry.cache_clear()
    return chapter


def unregister(name: str) -> None:
    """Remove a chapter added by :func:`register`."""
    _EXTRA.pop(name, None)
    _registry.cache_clear()


def _discovered() -> list[Chapter]:
    import synthmed

    found = []
    modules = [f"synthmed.{m.name}.chapter" for m in pkgutil.iter_modules(synthmed.__path__) if m.ispkg]
    from importlib.metadata import entry_points

    modules += [ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)]
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name == name:  # a subpackage without a chapter module
                continue
            raise
        if not isinstance(getattr(module, "CHAPTER", None), Chapter):
            raise TypeError(f"{name} must define CHAPTER = synthmed.chapters.Chapter(...)")
        found.append(module.CHAPTER)
    return found


@lru_cache(maxsize=1)
def _registry() -> dict[str, Chapter]:
    chapters = {c.name: c for c in _discovered()}
    chapters.update(_EXTRA)
    chapters["reports"] = _reports(list(chapters.values()))
    ordered = sorted(chapters.values(), key=lambda c: (c.position, c.name))
    seen: dict[str, str] = {}
    for chapter in ordered:
        for nb in chapter.notebooks:
            if nb.name in seen:
                raise ValueError(f"notebook {nb.name!r} is declared by chapters {seen[nb.name]!r} and "
                                 f"{chapter.name!r}")
            seen[nb.name] = chapter.name
    return {c.name: c for c in ordered}


def _reports(chapters: list[Chapter]) -> Chapter:
    """The pages that report on the chapters: the Scorecard (reads their verdicts) and Compute (their run records)."""
    verdicts = [nb.name for c in sorted(chapters, key=lambda c: (c.position, c.name)) for nb in c.notebooks
                if nb.verdicts]
    scorecard = Notebook("scorecard", {p: {"chapters": verdicts} for p in PROFILE_NAMES},
                         {"chapters": "ours: the chapter notebooks that write verdicts (from synthmed.chapters)"},
                         not_modelled="trains nothing (reads the chapters' verdicts)")
    compute = Notebook("compute", {p: {"runs_file": None} for p in PROFILE_NAMES},
                       {"runs_file": "ours: the runner's record of the last build (book/executed/runs.json)"},
                       not_modelled="trains nothing (reads the run records)")
    return Chapter("reports", "Reports", (scorecard, compute), position=REPORT_POSITION)


def chapters() -> list[Chapter]:
    """Every chapter, in book order (the report pages last)."""
    return list(_registry().values())


def chapter(name: str) -> Chapter:
    """The chapter called ``name``. ValueError naming the registered ones."""
    registry = _registry()
    if name not in registry:
        raise ValueError(f"no chapter named {name!r}; registered: {', '.join(registry)}")
    return registry[name]


def notebooks() -> dict[str, Notebook]:
    """{notebook name: :class:`Notebook`} of every chapter, in book order."""
    return {nb.name: nb for c in chapters() for nb in c.notebooks}


def notebook(name: str) -> Notebook:
    """The notebook called ``name``. ValueError naming the registered ones."""
    found = notebooks()
    if name not in found:
        raise ValueError(f"unknown notebook {name!r}; valid notebooks: {', '.join(sorted(found))}")
    return found[name]


def order() -> list[str]:
    """Every notebook's name in book order: what the runner executes, in that order."""
    return list(notebooks())


def verdict_notebooks() -> list[str]:
    """The notebooks that write verdicts for the Scorecard, in book order."""
    return [name for name, nb in notebooks().items() if nb.verdicts]
