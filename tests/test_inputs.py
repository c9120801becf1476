"""The digests of a notebook's inputs (synthmed.inputs) without a kernel: what each kind covers and leaves out."""

import json

from synthmed import inputs


def _where(tmp_path):
    w = inputs.Where(notebooks=tmp_path / "notebooks", executed=tmp_path / "book" / "executed",
                     cache=tmp_path / "cache")
    (w.verdicts / "smoke").mkdir(parents=True)
    w.executed.mkdir(parents=True)
    return w


def _rows(*rows):
    return json.dumps([{"paper": p, "profile": "smoke", "id": i, "role": r, "p": v, "p_loo": None}
                       for p, i, r, v in rows])


def test_reads_are_sorted_into_files_verdicts_and_runs_and_the_cache_is_left_out(tmp_path):
    w = _where(tmp_path)
    record = {"modules": ["synthmed", "synthmed.stats"],
              "files": [str(w.cache / "gan_zoo" / "k.pt"), str(w.verdicts / "smoke" / "a.json"),
                        str(w.executed / "runs.json"), str(tmp_path / "data" / "x.npz")],
              "dirs": [str(w.notebooks), str(w.verdicts / "smoke"), str(tmp_path / "data")]}
    reads = inputs.Reads.sort(record, w)
    assert reads.files == (str(tmp_path / "data" / "x.npz"),) and reads.dirs == (str(tmp_path / "data"),)
    assert reads.verdicts and reads.runs and reads.modules == ("synthmed", "synthmed.stats")
    assert inputs.describe(reads) == "source, settings, 2 modules, 1 files, 1 folders, verdicts, runs.json"


def test_a_writer_depends_on_its_papers_siblings_primary_claims_a_reader_on_every_verdict(tmp_path):
    w = _where(tmp_path)
    folder = w.verdicts / "smoke"
    (folder / "own.json").write_text(_rows(("P", "o", "primary", 0.1)))
    (folder / "sib.json").write_text(_rows(("P", "s", "primary", 0.2), ("P", "e", "exploratory", 0.3),
                                           ("Q", "q", "primary", 0.4)))
    writer = inputs.verdicts_digest("own", "smoke", True, w)
    reader = inputs.verdicts_digest("scorecard", "smoke", False, w)
    (folder / "sib.json").write_text(_rows(("P", "s", "primary", 0.2), ("P", "e", "exploratory", 0.9),
                                           ("Q", "q", "primary", 0.5)))
    assert inputs.verdicts_digest("own", "smoke", True, w) == writer  # not its family's members
    assert inputs.verdicts_digest("scorecard", "smoke", False, w) != reader
    reader = inputs.verdicts_digest("scorecard", "smoke", False, w)
    (tmp_path / "results" / "reference").mkdir(parents=True)
    (tmp_path / "results" / "reference" / "smoke.json").write_text("{}")  # a reference stored after it ran
    assert inputs.verdicts_digest("scorecard", "smoke", False, w) != reader
    assert inputs.verdicts_digest("own", "smoke", True, w) == writer
    (folder / "sib.json").write_text(_rows(("P", "s", "primary", 0.25)))
    assert inputs.verdicts_digest("own", "smoke", True, w) != writer
    own = inputs.outputs_digest("own", "smoke", True, w)
    (folder / "own.json").write_text(_rows(("P", "o", "primary", 0.11)))
    assert inputs.outputs_digest("own", "smoke", True, w) not in (own, "missing")
    (folder / "own.json").unlink()
    assert inputs.outputs_digest("own", "smoke", True, w) == "missing"
    assert inputs.outputs_digest("scorecard", "smoke", False, w) == ""


def test_the_runs_a_page_reports_leave_out_its_own_record(tmp_path):
    w = _where(tmp_path)
    path = w.executed / "runs.json"
    path.write_text(json.dumps({"tsynd": {"wall_s": 1}, "compute": {"wall_s": 2}}))
    before = inputs.runs_digest("compute", w)
    path.write_text(json.dumps({"tsynd": {"wall_s": 1}, "compute": {"wall_s": 3}}))
    assert inputs.runs_digest("compute", w) == before
    path.write_text(json.dumps({"tsynd": {"wall_s": 4}, "compute": {"wall_s": 3}}))
    assert inputs.runs_digest("compute", w) != before


def test_source_digest_ignores_outputs_and_reads_tags(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    before = inputs.source_digest(path)
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="1")]
    nb.cells[0].execution_count = 3
    nbformat.write(nb, path)
    assert inputs.source_digest(path) == before
    nb.cells[0].metadata["tags"] = ["remove-input"]
    nbformat.write(nb, path)
    assert inputs.source_digest(path) != before


def test_settings_change_with_the_profile_the_resolved_settings_and_thread_counts(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    base = inputs.settings_digest("tsynd", "smoke", {})
    assert inputs.settings_digest("tsynd", "quick", {}) != base
    assert inputs.settings_digest("tsynd", "smoke", {"seeds": [5]}) != base
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert inputs.settings_digest("tsynd", "smoke", {}) != base


def test_files_digest_follows_content_and_folder_listings(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a").write_text("1")
    files, dirs = [str(tmp_path / "d" / "a")], [str(tmp_path / "d")]
    before = inputs.files_digest(files, dirs)
    (tmp_path / "d" / "a").write_text("2")
    after = inputs.files_digest(files, dirs)
    assert after != before
    (tmp_path / "d" / "b").write_text("")
    assert inputs.files_digest(files, dirs) != after
    assert inputs.files_digest([str(tmp_path / "gone")], []) != inputs.files_digest([], [])
