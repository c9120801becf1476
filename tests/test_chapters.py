"""synthmed.chapters: the registry every other module derives the book's structure from (issue 22, item 1).

The last test adds a fourth paper (tests/toy_chapter) through the ``synthmed.chapters`` entry point, without
touching a core module, and builds it through the runner and the Scorecard.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from synthmed import chapters, claims, cost, profiles, runner

ROOT = Path(__file__).resolve().parents[1]
TOY = Path(__file__).with_name("toy_chapter")


def test_the_book_order_comes_from_the_registry():
    order = chapters.order()
    assert order[0] == "data" and order[-2:] == ["scorecard", "compute"]
    assert order.index("tsynd") < order.index("gan_zoo") < order.index("imbalance")
    on_disk = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert runner.notebooks(notebook_dir=ROOT / "notebooks") == [n for n in order if n in on_disk]
    assert set(order) == on_disk  # every notebook is declared by a chapter, every declared one exists


def test_every_notebook_is_in_the_table_of_contents():
    toc = (ROOT / "_toc.yml").read_text()
    assert [n for n in chapters.order() if f"book/executed/{n}\n" not in toc + "\n"] == []


def test_the_scorecard_expects_the_notebooks_that_write_verdicts():
    expected = chapters.verdict_notebooks()
    assert profiles.resolve("scorecard", "smoke").chapters == expected
    assert "tsynd" in expected and "data" not in expected and "gan_zoo" not in expected


def test_every_chapter_ships_its_claims_and_its_stages_resolve():
    import importlib

    for chapter in chapters.chapters():
        if not chapter.paper:
            continue
        package = Path(importlib.import_module(f"synthmed.{chapter.name}").__path__[0])  # a paper's name: its package
        for stage in chapter.stages:
            assert callable(chapter.stage(stage)), (chapter.name, stage)
        assert {"runs", "rows", "report"} <= set(chapter.stages), chapter.name
        assert chapter.claims and all((package / f).exists() for f in chapter.claims), chapter.name
    with pytest.raises(KeyError, match="has no stage 'specs'"):
        chapters.chapter("gan").stage("specs")


def test_the_package_data_rule_ships_every_claims_file():
    """pyproject ships every *.yaml and *.csv of every package, so a new paper's claims need no pyproject edit."""
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert {"*.yaml", "*.csv"} <= set(data["*"])


def test_a_notebook_record_rejects_missing_profiles_uneven_blocks_and_a_missing_cost_model():
    with pytest.raises(ValueError, match="no profile block for paper"):
        chapters.Notebook("x", {"smoke": {}, "quick": {}}, not_modelled="no")
    with pytest.raises(ValueError, match=r"different settings \(b\)"):
        chapters.Notebook("x", {"smoke": {"a": 1}, "quick": {"a": 1}, "paper": {"a": 1, "b": 2}}, not_modelled="no")
    with pytest.raises(ValueError, match="exactly one of workload"):
        chapters.Notebook("x", {p: {} for p in chapters.PROFILE_NAMES})
    with pytest.raises(ValueError, match="unknown stage"):
        chapters.Chapter("x", "X", (), stages={"train": "m:f"})


def test_a_notebook_declared_twice_is_refused():
    twin = chapters.Chapter("twin", "Twin", (chapters.Notebook("tsynd", {p: {} for p in chapters.PROFILE_NAMES},
                                                               not_modelled="no"),))
    chapters.register(twin)
    try:
        with pytest.raises(ValueError, match="declared by chapters"):
            chapters.order()
    finally:
        chapters.unregister("twin")
    assert "tsynd" in chapters.order()


def _toy_book(tmp_path: Path, monkeypatch) -> Path:
    """A book folder with the toy chapter's notebook and the real Scorecard, the toy package importable and
    registered through an entry point (a dist-info folder on the path, as `pip install` of a plugin would write)."""
    site = tmp_path / "site"
    dist = site / "toy_paper-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-paper\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[synthmed.chapters]\ntoy = toy_paper\n")
    shutil.copy(TOY / "toy_paper.py", site / "toy_paper.py")
    shutil.copy(TOY / "claims.yaml", site / "claims.yaml")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", str(site))  # the notebook kernels
    monkeypatch.setenv("SYNTHMED_CACHE_DIR", str(tmp_path / "cache"))
    chapters._registry.cache_clear()

    book = tmp_path / "book"
    (book / "notebooks").mkdir(parents=True)
    (book / "_toc.yml").write_text("format: jb-book\nroot: book/executed/scorecard\n"
                                   "chapters:\n  - file: book/executed/toy\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell("profile = None\nseeds = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Toy paper"), params, nbformat.v4.new_code_cell(
        "from IPython.display import display\n"
        "from synthmed import chapters, claims, profiles\n"
        "settings = profiles.from_notebook('toy', globals())\n"
        "toy = chapters.chapter('toy')\n"
        "frame = toy.stage('rows')([toy.stage('runs')(s) for s in toy.stage('specs')(settings)])\n"
        "verdicts = claims.judge_all(toy.stage('report')(), frame, settings.profile)\n"
        "display(*claims.publish('toy', settings.profile, verdicts))")]
    nbformat.write(nb, str(book / "notebooks" / "toy.ipynb"))
    shutil.copy(ROOT / "notebooks" / "scorecard.ipynb", book / "notebooks" / "scorecard.ipynb")
    return book


def test_a_fourth_paper_builds_through_the_runner_and_the_scorecard(tmp_path, monkeypatch):
    book = _toy_book(tmp_path, monkeypatch)
    try:
        toy = chapters.chapter("toy")
        assert chapters.order().index("toy") == chapters.order().index("imbalance") + 1  # position 40
        assert "toy" in chapters.verdict_notebooks() and cost.unmodelled(["toy"]) == []
        assert runner.notebooks(notebook_dir=book / "notebooks") == ["toy", "scorecard"]
        assert runner.main(["--root", str(book), "--profile", "smoke", "--no-build"]) == 0

        stored = claims.read_verdicts("smoke", tmp_path / "cache" / "verdicts")
        row = stored.set_index("id").loc["toy-beats-plain"]
        assert row["chapter"] == "toy" and row["verdict"] == "supported" and row["paper"] == toy.title
        page = (book / "book" / "executed" / "scorecard.ipynb").read_text()
        assert "the toy arm scores higher than the plain arm" in page
        assert "Toy paper" in page
    finally:
        chapters._registry.cache_clear()


def test_the_toy_chapter_files_are_all_a_paper_needs():
    """The toy chapter is one module and one claims file (plus the notebook the test writes); its claims load."""
    assert sorted(p.name for p in TOY.iterdir() if p.suffix in {".py", ".yaml"}) == ["claims.yaml", "toy_paper.py"]
    assert [c["id"] for c in yaml.safe_load((TOY / "claims.yaml").read_text())] == ["toy-beats-plain"]
