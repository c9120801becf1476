"""The layers of synthmed (``synthmed.layers.LAYERS``) hold for every import, function-local ones included, and no
module reaches back to itself through a chain of imports (issue 35, item 6)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from synthmed import layers

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def module_files() -> dict[str, Path]:
    """{module name: file} of every module under src/synthmed."""
    files = {}
    for path in sorted((SRC / "synthmed").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The synthmed modules ``path`` imports anywhere (top level, in functions, under TYPE_CHECKING); ``from
    synthmed.x import y`` counts as synthmed.x.y when that is a module, else as synthmed.x."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names}
    return {m for m in found if m in known and m != name}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    files = module_files()
    return {name: imports(name, path, set(files)) for name, path in files.items()}


def test_every_layer_has_modules(graph):
    assert {layers.layer_of(m) for m in graph} == set(layers.LAYERS)
    assert layers.layer_of("synthmed.tsynd.report") == "report"
    assert layers.layer_of("synthmed.tsynd.latent") == "chapter"


def test_no_module_imports_a_higher_layer(graph):
    upward = [f"{m} ({layers.layer_of(m)}) imports {d} ({layers.layer_of(d)})"
              for m, deps in graph.items() for d in sorted(deps) if layers.rank(d) > layers.rank(m)]
    assert not upward, "\n".join(upward)


def test_no_chapter_imports_another_chapter(graph):
    across = [f"{m} imports {d}" for m, deps in graph.items() for d in sorted(deps)
              if layers.chapter_of(m) and layers.chapter_of(d) and layers.chapter_of(m) != layers.chapter_of(d)]
    assert not across, "\n".join(across)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle(graph):
    assert cycles(graph) == []


def test_the_checks_catch_what_they_forbid(tmp_path):
    """A function-local import is seen, a core module importing a report is upward, and a cycle is found."""
    probe = tmp_path / "probe.py"
    probe.write_text("import os\n\ndef f():\n    from synthmed.tsynd import report\n    from . import fit\n")
    known = {"synthmed.tsynd", "synthmed.tsynd.report", "synthmed.fit", "synthmed.models"}
    found = imports("synthmed.models", probe, known)
    assert found == {"synthmed.tsynd.report", "synthmed.fit"}
    assert layers.rank("synthmed.tsynd.report") > layers.rank("synthmed.models")
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_notebooks_import_only_synthmed_modules_that_exist(graph):
    """Notebooks are the top layer: they may import anything, but only what exists."""
    for path in sorted((ROOT / "notebooks").glob("*.py")):
        if path.name == "conftest.py":
            continue
        assert imports("notebooks." + path.stem, path, set(graph)) <= set(graph)
