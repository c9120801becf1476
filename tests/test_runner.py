import json

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


def test_notebook_order_puts_compute_last_and_rejects_unknown(tmp_path):
    for name in ("compute", "zeta", "data", "tsynd"):
        _notebook(tmp_path / f"{name}.ipynb", "1")
    assert runner.notebooks(notebook_dir=tmp_path) == ["data", "tsynd", "zeta", "compute"]
    assert runner.notebooks(["tsynd", "data"], notebook_dir=tmp_path) == ["data", "tsynd"]
    with pytest.raises(ValueError, match="no notebook named nope; available: data, tsynd, zeta, compute"):
        runner.notebooks(["nope"], notebook_dir=tmp_path)


@pytest.mark.slow
def test_execute_records_time_profile_and_cache_events(tmp_path, cache_dir):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    _notebook(src / "demo.ipynb", "from synthmed.cache import cached\n"
                                  "a = cached('demo', lambda: 41, params={})\n"
                                  "b = cached('demo', lambda: 41, params={})\n"
                                  "assert profile == 'smoke'")
    record = runner.execute("demo", "smoke", executed_dir=out, notebook_dir=src)
    assert record["status"] == "ok" and record["profile"] == "smoke"
    assert (record["cache_hits"], record["cache_misses"]) == (1, 1)
    assert record["wall_s"] > 0 and record["device"].startswith(("cpu", "cuda"))
    assert json.loads((out / runner.RUNS_FILE).read_text())["demo"] == record
    assert (out / "demo.ipynb").exists()
