"""Sphinx extension: a page that glues a value from another page is rebuilt when that page changes.

myst-nb resolves ``{glue:text}`executed/tsynd.ipynb::key``` when the quoting page is written, so after an
incremental build (the runner's default) a prose page would keep the value of the notebook's previous execution.
Noting the notebook as a dependency of the quoting page makes Sphinx re-read the page whenever the notebook's file
changes. Listed in ``_config.yml`` (``sphinx.extra_extensions``).
"""

from __future__ import annotations


def _note_glue_sources(app, doctree) -> None:
    from myst_nb.ext.glue.utils import PendingGlueReference

    env = app.env
    for node in doctree.findall(PendingGlueReference):
        env.note_dependency(str(env.doc2path(node.refdoc)))


def setup(app) -> dict:
    app.connect("doctree-read", _note_glue_sources)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
