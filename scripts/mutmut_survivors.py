"""The mutants of a finished ``mutmut run`` that no test killed, one line each: where in the source file (line,
function)
and what changed (the original text -> the mutant's). Used by scripts/mutate_claims.sh; run from the project root
with the Python that has mutmut (``.venv/bin/python scripts/mutmut_survivors.py``).

mutmut 3 names a mutant after its function (``pkg.module.x_func__mutmut_3``, ``pkg.module.xǁClassǁmethod__mutmut_3``)
and keeps every mutant of a function beside the unmutated copy in ``mutants/``; the diff of the two is the mutation,
and the function's place in the original source gives the line.
"""

from __future__ import annotations

import ast
import difflib
import re
import sys
from collections import Counter
from pathlib import Path

from mutmut.configuration import config
from mutmut.mutation.diff_apply import read_functions_from_index, read_mutants_module
from mutmut.mutation.diff_apply import read_mutant_function, read_original_function
from mutmut.mutation.data import SourceFileMutationData
from mutmut.stats import status_by_exit_code
from mutmut.utils.file_utils import walk_mutatable_files


def _function_of(mutant_name: str) -> tuple[str | None, str]:
    """(class or None, function) of a mutant's name."""
    base = re.sub(r"__mutmut_\d+$", "", mutant_name.rpartition(".")[-1])
    if base.startswith("xǁ"):
        _, cls, func = base.split("ǁ")[:3]
        return cls, func
    return None, base[2:]  # "x_" + the function's name


def _first_lines(source: str) -> dict[tuple[str | None, str], int]:
    """(class or None, function) -> the line its definition starts on (decorators included)."""
    out: dict[tuple[str | None, str], int] = {}
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[(None, node.name)] = min([node.lineno] + [d.lineno for d in node.decorator_list])
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out[(node.name, item.name)] = min([item.lineno] + [d.lineno for d in item.decorator_list])
    return out


def _changes(orig: str, mutant: str) -> list[tuple[int, str, str]]:
    """(0-based line in ``orig``, original text, mutated text) of each changed block."""
    a, b = orig.split("\n"), mutant.split("\n")
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            old = " / ".join(s.strip() for s in a[i1:i2]) or "(nothing)"
            new = " / ".join(s.strip() for s in b[j1:j2]) or "(removed)"
            out.append((i1, old, new))
    return out


def main() -> int:
    import libcst as cst

    rows, status_count = [], Counter()
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        first = _first_lines(Path(path).read_text(encoding="utf-8"))
        module = None
        for name, code in data.exit_code_by_key.items():
            status = status_by_exit_code[code]
            status_count[status] += 1
            if status == "killed":
                continue
            functions = read_functions_from_index(name, path)
            if functions is None:
                module = module or read_mutants_module(path)
                functions = (read_original_function(module, name), read_mutant_function(module, name))
            orig, mutant = (cst.Module([f]).code.strip() for f in functions)
            cls, func = _function_of(name)
            start = first.get((cls, func))
            where = f"{cls}.{func}" if cls else func
            for i, old, new in _changes(orig, mutant) or [(0, "?", "?")]:
                line = start + i if start else 0
                rows.append((str(path), line, where, status, old, new, name.rpartition("__mutmut_")[-1]))
    rows.sort(key=lambda r: (r[0], r[1], int(r[6])))
    for path, line, where, status, old, new, n in rows:
        tag = "" if status == "survived" else f" [{status}]"
        print(f"{path}:{line} {where} #{n}{tag}: {old}  ->  {new}")
    print("; ".join(f"{k}: {v}" for k, v in sorted(status_count.items())) + f"; total: {sum(status_count.values())}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    config()  # read [tool.mutmut] from pyproject.toml (the project root is the working directory)
    sys.exit(main())
