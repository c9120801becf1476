import json
import os
from pathlib import Path

import nbformat
import pytest

from synthmed import runner


def _notebook(path, source):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("profile = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(source)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_notebook_order_puts_the_scorecard_after_the_chapters_then_compute_and_rejects_unknown(tmp_path):
    for name in ("compute", "zeta", "scorecard", "data", "tsynd"):
        _notebook(tmp_path / f"{name}.ipynb", "1")
    assert runner.notebooks(notebook_dir=tmp_path) == ["data", "tsynd", "zeta", "scorecard", "compute"]
    assert runner.notebooks(["tsynd", "data"], notebook_dir=tmp_path) == ["data", "tsynd"]
    with pytest.raises(ValueError, match="no notebook named nope; available: data, tsynd, zeta, scorecard, compute"):
        runner.notebooks(["nope"], notebook_dir=tmp_path)


def _fake_execute(calls, failing=(), monkeypatch=None):
    """An execute that records the names it was called with (and raises for ``failing``); with ``monkeypatch``,
    the runner's staleness check then says a name is up to date once it was executed (these tests are about what
    the runner does around execution, not about what it skips: tests/test_runner_skip.py)."""
    def execute(name, profile, *_folders, **_kw):
        calls.append(name)
        if name in failing:
            raise RuntimeError(f"{name} raised")
        return {"wall_s": 0.0, "cache_hits": 0, "cache_misses": 0}

    if monkeypatch is not None:
        monkeypatch.setattr(runner, "stale", lambda name, *_a: [] if name in calls else ["not executed yet"])
    return execute


def test_a_failing_notebook_lets_the_others_run_then_fails_without_building(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(runner, "notebooks", lambda only=None, _folder=None: ["data", "tsynd", "compute"])
    monkeypatch.setattr(runner, "execute", _fake_execute(calls, failing={"data"}, monkeypatch=monkeypatch))
    monkeypatch.setattr(runner, "build_book", lambda *_a, **_kw: pytest.fail("built a book after a failure"))
    assert runner.main(["--profile", "smoke"]) == 1
    assert calls == ["data", "tsynd", "compute"]
    assert "1 notebook(s) raised: data" in capsys.readouterr().err


def test_a_paper_build_prints_its_projection_and_stops_without_yes(monkeypatch, capsys, cache_dir):
    calls = []
    monkeypatch.setenv("SYNTHMED_DEVICE", "cpu")
    monkeypatch.setattr(runner, "notebooks", lambda only=None, _folder=None: ["tsynd", "imbalance"])
    monkeypatch.setattr(runner, "execute", _fake_execute(calls, monkeypatch=monkeypatch))
    monkeypatch.setattr(runner, "build_book", lambda *_a, **_kw: None)
    assert runner.main(["--profile", "paper", "--no-build"]) == 2
    out, err = capsys.readouterr()
    assert calls == [] and "paper h, this CPU (est.)" in out and "TSynD" in out and "Class imbalance" in out
    assert "projected paper cost of tsynd, imbalance:" in out
    assert "not started: the projection exceeds 2 h or is incomplete. Run again with --yes" in err
    assert runner.main(["--profile", "paper", "--no-build", "--yes"]) == 0
    assert calls == ["tsynd", "imbalance"]


def test_a_paper_build_projected_under_two_hours_starts_without_yes(monkeypatch, cache_dir):
    calls = []
    monkeypatch.setenv("SYNTHMED_DEVICE", "cpu")
    monkeypatch.setattr(runner, "notebooks", lambda only=None, _folder=None: ["data", "compute"])  # no training runs
    monkeypatch.setattr(runner, "execute", _fake_execute(calls, monkeypatch=monkeypatch))
    assert runner.main(["--profile", "paper", "--no-build"]) == 0 and calls == ["data", "compute"]


@pytest.mark.slow
def test_execute_records_time_profile_and_cache_events(tmp_path, cache_dir):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    _notebook(src / "demo.ipynb", "from synthmed.cache import cached\n"
                                  "a = cached('demo', lambda: 41, params={})\n"
                                  "b = cached('demo', lambda: 41, params={})\n"
                                  "assert profile == 'smoke'\n"
                                  "import os\n"
                                  "assert os.environ['SYNTHMED_NOTEBOOK'] == 'demo'")
    def ours():  # the runner's variables (importing scikit-learn sets KMP_* in any process that imports it)
        return {k: v for k, v in os.environ.items() if k.startswith("SYNTHMED_")}

    before = ours()
    record = runner.execute("demo", "smoke", executed_dir=out, notebook_dir=src)
    assert ours() == before  # the variables went to the kernel only
    assert record["status"] == "ok" and record["profile"] == "smoke"
    assert (record["cache_hits"], record["cache_misses"]) == (1, 1)
    assert record["wall_s"] > 0 and record["device"].startswith(("cpu", "cuda"))
    assert json.loads((out / runner.RUNS_FILE).read_text())["demo"] == record
    assert (out / "demo.ipynb").exists()
    assert not (out / "demo.partial.ipynb").exists()


def test_an_interrupted_run_keeps_the_last_complete_copy(tmp_path, cache_dir, monkeypatch):
    """A notebook that raises replaces the book's copy (its error is shown); one interrupted mid-run (here:
    papermill stopped by KeyboardInterrupt after writing part of the output) leaves the previous copy alone."""
    import papermill

    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    _notebook(src / "demo.ipynb", "x = 1")
    runner.execute("demo", "smoke", executed_dir=out, notebook_dir=src)
    complete = (out / "demo.ipynb").read_text()

    def interrupted(_input, output, **_kw):
        Path(output).write_text("{half a notebook")
        raise KeyboardInterrupt

    monkeypatch.setattr(papermill, "execute_notebook", interrupted)
    with pytest.raises(KeyboardInterrupt):
        runner.execute("demo", "smoke", executed_dir=out, notebook_dir=src)
    assert (out / "demo.ipynb").read_text() == complete
    monkeypatch.undo()

    _notebook(src / "demo.ipynb", "raise ValueError('boom')")
    with pytest.raises(Exception, match="boom"):
        runner.execute("demo", "smoke", executed_dir=out, notebook_dir=src)
    assert "boom" in (out / "demo.ipynb").read_text()
    assert json.loads((out / runner.RUNS_FILE).read_text())["demo"]["status"] == "failed"



def test_the_book_is_found_from_the_working_directory_not_the_package(tmp_path, monkeypatch):
    book = tmp_path / "book-copy"
    (book / "notebooks" / "deep").mkdir(parents=True)
    (book / "_toc.yml").write_text("format: jb-book\n")
    _notebook(book / "notebooks" / "data.ipynb", "1")
    monkeypatch.chdir(book / "notebooks" / "deep")
    assert runner.find_root() == book.resolve()
    assert runner.notebooks() == ["data"] and runner.executed_folder() == book.resolve() / "book" / "executed"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="no book found at or above .*; run from the project's folder or "
                                                "pass --root"):
        runner.find_root()
    assert runner.find_root(book) == book.resolve()


def test_the_kernel_gets_profile_notebook_and_log_in_its_own_environment_only(tmp_path):
    env = runner.kernel_env("tsynd", "smoke", tmp_path / "log.jsonl", force=True)
    assert env == {"SYNTHMED_PROFILE": "smoke", "SYNTHMED_NOTEBOOK": "tsynd",
                   "SYNTHMED_CACHE_LOG": str(tmp_path / "log.jsonl"), "SYNTHMED_RECOMPUTE": "1"}
    assert "SYNTHMED_RECOMPUTE" not in runner.kernel_env("tsynd", "smoke", tmp_path / "log.jsonl")


def test_list_prints_the_executed_notebooks_in_book_order(tmp_path, capsys):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "_toc.yml").write_text("format: jb-book\n")
    executed = tmp_path / "book" / "executed"
    executed.mkdir(parents=True)
    for name in ("compute", "scorecard", "data", "tsynd"):
        _notebook(tmp_path / "notebooks" / f"{name}.ipynb", "1")
    for name in ("tsynd", "compute", "scorecard"):  # data was never executed
        _notebook(executed / f"{name}.ipynb", "1")
    assert runner.main(["--list", "--root", str(tmp_path)]) == 0
    listed = capsys.readouterr().out.split()
    assert listed == [str(executed / f"{n}.ipynb") for n in ("tsynd", "scorecard", "compute")]
    assert runner.main(["--list", "--root", str(tmp_path), "--chapters", "reports", "data"]) == 0
    assert capsys.readouterr().out.split() == [str(executed / f"{n}.ipynb") for n in ("scorecard", "compute")]
    with pytest.raises(SystemExit):
        runner.main(["--list", "--root", str(tmp_path), "--chapters", "tsynd", "nope"])
    assert "no chapter named 'nope'; registered: data, tsynd" in capsys.readouterr().err


def test_the_book_is_rebuilt_whole_only_first_after_a_failure_or_when_forced(tmp_path, monkeypatch):
    """After a build that succeeded, Sphinx re-reads only changed pages (an edited page rebuilds in seconds); after
    one that failed, every page, so its warnings are reported again; ``--force`` rebuilds every page too."""
    import subprocess

    commands, fail = [], []

    def run(cmd, check):
        commands.append("--all" in cmd)
        if fail:
            raise subprocess.CalledProcessError(1, cmd)

    monkeypatch.setattr(subprocess, "run", run)
    (tmp_path / "_build").mkdir()
    runner.build_book(tmp_path)
    runner.build_book(tmp_path)
    runner.build_book(tmp_path, full=True)
    fail.append(True)
    with pytest.raises(subprocess.CalledProcessError):
        runner.build_book(tmp_path)
    fail.clear()
    runner.build_book(tmp_path)
    runner.build_book(tmp_path)
    assert commands == [True, False, True, False, True, False]
