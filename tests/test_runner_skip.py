"""The runner re-executes a notebook only when one of its inputs changed (synthmed.inputs): each input is changed in
turn on a notebook executed by a real kernel, and the runner's decision names it; with nothing changed it keeps
the executed copy."""

import json

import pytest

import synthmed
from synthmed import chapters, runner
from synthmed.chapters import Chapter, Notebook
from test_runner import _notebook  # the same one-cell parameterised notebook the runner tests write

TOY_MODULE = "toy_skip_module"  # a synthmed module of the test's own, so the test can edit its code




def _verdict(paper, claim, p):
    return {"paper": paper, "profile": "smoke", "chapter": "x", "id": claim, "role": "primary", "p": p,
            "p_loo": None}


@pytest.fixture
def book(tmp_path, cache_dir, monkeypatch):
    """A book with one notebook, "skipdemo", that reads a data file, lists a folder, imports a synthmed module of
    the test's and writes its verdicts (paper "P", adjusted over the family with its sibling's primary claim, as
    synthmed.claims.in_family does) beside a sibling's ("sibling", stored by the test)."""
    root = tmp_path / "book"
    (root / "notebooks").mkdir(parents=True)
    (root / "_toc.yml").write_text("format: jb-book\n")
    code = tmp_path / "code"
    (code / "synthmed").mkdir(parents=True)
    (code / "synthmed" / f"{TOY_MODULE}.py").write_text("VALUE = 1\n")
    data = root / "data"
    (data / "images").mkdir(parents=True)
    (data / "table.csv").write_text("a,b\n1,2\n")
    (data / "images" / "one.png").write_bytes(b"png")
    monkeypatch.setattr(synthmed, "__path__", [*synthmed.__path__, str(code / "synthmed")])
    verdicts = cache_dir / "verdicts" / "smoke"
    verdicts.mkdir(parents=True)
    (verdicts / "sibling.json").write_text(json.dumps([_verdict("P", "s1", 0.01), _verdict("Q", "q1", 0.2)]))
    _notebook(root / "notebooks" / "skipdemo.ipynb", f"""
import json, os
from pathlib import Path
import synthmed
synthmed.__path__.append({str(code / 'synthmed')!r})
from synthmed import {TOY_MODULE}
text = Path('../data/table.csv').read_text()
images = sorted(os.listdir('../data/images'))
folder = Path(os.environ['SYNTHMED_CACHE_DIR']) / 'verdicts' / 'smoke'
siblings = [json.loads(p.read_text()) for p in folder.glob('*.json') if p.stem != 'skipdemo']
from synthmed.claims.judge import family_digest
family = [(r['chapter'], r['id'], r['p']) for rows in siblings for r in rows if r['paper'] == 'P']
own = {{**{_verdict('P', 'own', 0.03)!r}, 'family_key': family_digest(family + [('x', 'own', 0.03)])}}
(folder / 'skipdemo.json').write_text(json.dumps([own]))
print({TOY_MODULE}.VALUE, text, images, len(siblings))
""")
    chapters.register(Chapter("skiptoy", "Skip toy", (Notebook(
        "skipdemo", {p: {} for p in chapters.PROFILE_NAMES}, not_modelled="a test", verdicts=True),)))
    yield root
    chapters.unregister("skiptoy")


def _edit(path, old, new):
    path.write_text(path.read_text().replace(old, new))


@pytest.mark.slow
def test_each_input_changed_in_turn_re_executes_the_notebook_and_nothing_changed_keeps_it(book, cache_dir,
                                                                                          monkeypatch, capsys):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the thread count a build ran with is one of its settings
    folders = runner.where(book)
    assert runner.stale("skipdemo", "smoke", folders) == ["not executed yet"]
    runner.execute("skipdemo", "smoke", folders.executed, folders.notebooks)
    stored = runner.load_inputs(folders.executed)["skipdemo"]["reads"]
    assert f"synthmed.{TOY_MODULE}" in stored["modules"] and stored["verdicts"]
    assert str(book / "data" / "table.csv") in stored["files"] and str(book / "data" / "images") in stored["dirs"]
    assert not any(p.endswith((".py", ".ipynb")) or "/cache/" in p for p in stored["files"])
    assert runner.stale("skipdemo", "smoke", folders) == []
    assert runner.stale("skipdemo", "quick", folders) == ["profile"]

    code = synthmed.__path__[-1] + f"/{TOY_MODULE}.py"
    verdicts = cache_dir / "verdicts" / "smoke"
    sibling = (verdicts / "sibling.json").read_text()
    own = (verdicts / "skipdemo.json").read_text()
    notebook = book / "notebooks" / "skipdemo.ipynb"
    source = notebook.read_text()
    changes = {  # kind: (change, undo)
        "source": (lambda: _edit(notebook, "print(", "print('edited', "), lambda: notebook.write_text(source)),
        "settings": (lambda: monkeypatch.setenv("OMP_NUM_THREADS", "7"),
                     lambda: monkeypatch.setenv("OMP_NUM_THREADS", "1")),
        "code": (lambda: _edit(__import__("pathlib").Path(code), "1", "2"),
                 lambda: _edit(__import__("pathlib").Path(code), "2", "1")),
        "files": (lambda: _edit(book / "data" / "table.csv", "1,2", "1,3"),
                  lambda: _edit(book / "data" / "table.csv", "1,3", "1,2")),
        "verdicts": (lambda: (verdicts / "sibling.json").write_text(sibling.replace("0.01", "0.02")),
                     lambda: (verdicts / "sibling.json").write_text(sibling)),
        "outputs": (lambda: (verdicts / "skipdemo.json").unlink(),
                    lambda: (verdicts / "skipdemo.json").write_text(own)),
    }
    also = {"outputs": ["verdicts"]}  # without its own file, which papers' family it collects is not known either
    for kind, (change, undo) in changes.items():
        change()
        assert runner.stale("skipdemo", "smoke", folders) == [*also.get(kind, []), kind], kind
        undo()
        assert runner.stale("skipdemo", "smoke", folders) == [], kind
    (book / "data" / "images" / "two.png").write_bytes(b"png")  # a file added to a folder it listed
    assert runner.stale("skipdemo", "smoke", folders) == ["files"]
    (book / "data" / "images" / "two.png").unlink()
    (verdicts / "sibling.json").write_text(sibling.replace("0.2", "0.3"))  # another paper's claim: not its family
    assert runner.stale("skipdemo", "smoke", folders) == []

    capsys.readouterr()
    args = ["--root", str(book), "--profile", "smoke", "--no-build", "--only", "skipdemo"]
    executed = (folders.executed / "skipdemo.ipynb").stat().st_mtime_ns
    assert runner.main(args) == 0
    out = capsys.readouterr().out
    assert "skipdemo (profile smoke): unchanged (source, settings, " in out and "kept the executed copy" in out
    assert (folders.executed / "skipdemo.ipynb").stat().st_mtime_ns == executed
    _edit(book / "data" / "table.csv", "1,2", "1,4")
    assert runner.main(args) == 0
    assert "skipdemo (profile smoke): files; executing ..." in capsys.readouterr().out
    assert "1,4" in (folders.executed / "skipdemo.ipynb").read_text()
    assert runner.stale("skipdemo", "smoke", folders) == []
    assert runner.main([*args, "--force"]) == 0
    assert "skipdemo (profile smoke): --force; executing ..." in capsys.readouterr().out


def test_a_notebook_with_no_stored_inputs_or_a_failed_run_is_executed(tmp_path, cache_dir):
    folders = runner.where(tmp_path)
    folders.executed.mkdir(parents=True)
    (folders.executed / "demo.ipynb").write_text("{}")
    assert runner.stale("demo", "smoke", folders) == ["not executed yet"]
    (folders.executed / runner.RUNS_FILE).write_text(json.dumps({"demo": {"status": "failed", "profile": "smoke"}}))
    assert runner.stale("demo", "smoke", folders) == ["failed last time"]
    (folders.executed / runner.RUNS_FILE).write_text(json.dumps({"demo": {"status": "ok", "profile": "smoke"}}))
    assert runner.stale("demo", "smoke", folders) == ["inputs not recorded"]  # executed before inputs were kept


def test_the_kernel_arguments_record_reads_without_leaving_a_name_in_the_namespace(tmp_path):
    (arg,) = runner.kernel_args(tmp_path / "r.json", [tmp_path])
    assert arg.startswith("--IPKernelApp.exec_lines=import synthmed.reads as _r; _r.watch(")
    assert arg.endswith("; del _r") and repr(str(tmp_path / "r.json")) in arg
