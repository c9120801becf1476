"""The layers of synthmed, lowest first; a module imports only from its own layer or a lower one.

- ``core``: what every paper shares and no paper names: data, models, the training loop, metrics, statistics, the
  claims engine, profiles, the cache, the executor, the run context, display helpers.
- ``chapter``: one paper's method and experiment (settings -> specs -> runs -> rows) and its chapter record:
  ``synthmed.tsynd``, ``synthmed.gan``, ``synthmed.imbalance`` and the Data chapter's record. A chapter does not
  import another chapter.
- ``report``: tables, figures and text computed from a chapter's results (``<paper>.report*``, the Data page's
  ``data.report``, the Compute page's ``build_cost``).
- ``notebook``: what executes and builds the book (``runner``, the Sphinx extension ``book_glue``) and the notebooks
  themselves.

``tests/test_layers.py`` walks every module's imports (function-local ones included) and checks this table, and that
no two modules import each other through any chain.
"""

from __future__ import annotations

LAYERS: tuple[str, ...] = ("core", "chapter", "report", "notebook")

# Modules and packages named explicitly; a name covers its submodules. The first matching rule wins; a module no
# rule names is core.
RULES: tuple[tuple[str, str], ...] = (
    ("synthmed.runner", "notebook"),
    ("synthmed.book_glue", "notebook"),
    ("synthmed.build_cost", "report"),
    ("synthmed.tsynd.report", "report"),
    ("synthmed.tsynd.report_explain", "report"),
    ("synthmed.tsynd.report_uncertainty", "report"),
    ("synthmed.gan.report", "report"),
    ("synthmed.imbalance.report", "report"),
    ("synthmed.imbalance.paper_check", "report"),
    ("synthmed.data.report", "report"),
    ("synthmed.tsynd", "chapter"),
    ("synthmed.gan", "chapter"),
    ("synthmed.imbalance", "chapter"),
    ("synthmed.data.chapter", "chapter"),
)
CHAPTERS: tuple[str, ...] = ("synthmed.tsynd", "synthmed.gan", "synthmed.imbalance")


def layer_of(module: str) -> str:
    """The layer of a synthmed module ("synthmed.tsynd.report" -> "report"); notebooks are "notebook"."""
    for prefix, layer in RULES:
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return "core"


def rank(module: str) -> int:
    """The layer's position in :data:`LAYERS` (0 = core)."""
    return LAYERS.index(layer_of(module))


def chapter_of(module: str) -> str | None:
    """The paper package a module belongs to, or None."""
    return next((c for c in CHAPTERS if module == c or module.startswith(c + ".")), None)
