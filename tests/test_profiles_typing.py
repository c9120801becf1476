"""profiles.resolve parses every parameter as the type its profile gives it, for every notebook alike."""

from __future__ import annotations

import shutil

import pytest

from synthmed import profiles
from synthmed.data.medmnist import ChecksumError, DataUnavailableError
from synthmed.data.check import UnknownDatasetError, check_datasets

from conftest import requires_data


def _list_settings():
    out = []
    for nb, by_profile in profiles.NOTEBOOKS.items():
        for key in by_profile["quick"]:
            like = profiles._hint(nb, key)
            if isinstance(like, list) and like and all(isinstance(v, str) for v in like):
                out.append((nb, key, like))
    return out


LIST_SETTINGS = _list_settings()


def test_every_notebook_with_datasets_has_a_list_setting_under_test():
    assert {nb for nb, key, _ in LIST_SETTINGS if key == "datasets"} >= {"data", "tsynd"}


@pytest.mark.parametrize("notebook,key,like", LIST_SETTINGS, ids=lambda v: v if isinstance(v, str) else "")
def test_string_list_settings_accept_every_form(notebook, key, like):
    one, two = like[0], like[:2]
    forms = {one: [one], ",".join(two): two, ", ".join(two): two, str(two).replace("'", '"'): two,
             "[" + ", ".join(two) + "]": two}
    for given, expected in forms.items():
        assert profiles.resolve(notebook, profile="smoke", **{key: given})[key] == expected, given
    assert profiles.resolve(notebook, profile="smoke", **{key: two})[key] == two  # papermill -y "k: [a, b]"
    assert profiles.resolve(notebook, profile="smoke", **{key: tuple(two)})[key] == two


def test_numbers_given_as_text_are_converted_or_rejected_by_name():
    nb = next(nb for nb, p in profiles.NOTEBOOKS.items() if isinstance(profiles._hint(nb, "per_class"), int))
    assert profiles.resolve(nb, profile="smoke", per_class="7").per_class == 7
    with pytest.raises(ValueError, match="parameter 'per_class' of notebook 'data' expects an integer"):
        profiles.resolve(nb, profile="smoke", per_class="seven")
    with pytest.raises(ValueError, match="expects an integer"):
        profiles.resolve(nb, profile="smoke", per_class=True)


def test_numeric_lists_and_scalars():
    float_lists = [(nb, k) for nb, p in profiles.NOTEBOOKS.items() for k in p["quick"]
                   if isinstance(profiles._hint(nb, k), list) and profiles._hint(nb, k)
                   and all(isinstance(v, float) for v in profiles._hint(nb, k))]
    assert float_lists, "some notebook has a list of fractions or sigmas"
    nb, key = float_lists[0]
    assert profiles.resolve(nb, profile="smoke", **{key: "0.01"})[key] == [0.01]
    assert profiles.resolve(nb, profile="smoke", **{key: 0.01})[key] == [0.01]
    assert profiles.resolve(nb, profile="smoke", **{key: "0.01,0.1"})[key] == [0.01, 0.1]
    with pytest.raises(ValueError, match=f"parameter '{key}'.*expects a number"):
        profiles.resolve(nb, profile="smoke", **{key: "0.01,abc"})


def test_coerce_units():
    assert profiles._convert_scalar("x", "nb", "yes", True) is True
    assert profiles._convert_scalar("x", "nb", "0.5", 1.0) == 0.5
    assert profiles._convert_scalar("x", "nb", 3.0, 1) == 3
    with pytest.raises(ValueError, match="expects a string"):
        profiles._convert_scalar("x", "nb", 3, "breastmnist")
    with pytest.raises(ValueError, match="not a list"):
        profiles._parse_text_list("[breastmnist")


def test_unknown_dataset_name_is_the_data_layers_error():
    with pytest.raises(UnknownDatasetError, match="not a MedMNIST dataset name: 'chestxray'"):
        check_datasets(["chestxray"], required=False)
    with pytest.raises(ValueError, match="unknown 2D MedMNIST flag"):
        check_datasets(["fakemnist"], required=False)


def test_missing_file_is_an_error_only_when_asked_for(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHMED_DATA_ROOT", str(tmp_path))
    status = check_datasets(["dermamnist"], required=False)
    assert "dermamnist.npz" in status["dermamnist"] and "was not found" in status["dermamnist"]
    with pytest.raises(DataUnavailableError, match="dermamnist.npz"):
        check_datasets(["dermamnist"], required=True)


@requires_data("nih/NIH1000_metadata.csv", "nih/Data_Entry_2017.csv")
def test_nih_datasets_are_found_in_the_shared_layout(tmp_path, monkeypatch):
    """The layout the loaders read (NIH1000_metadata.csv beside NIH1000/) passes the check; without the image
    folder nih1000 is missing, while the metadata-only selection needs no images."""
    from conftest import DATA_ROOT

    assert check_datasets(["nih1000", "nih_metadata"], required=True) == {"nih1000": "ok", "nih_metadata": "ok"}
    (tmp_path / "nih").mkdir()
    for f in ("NIH1000_metadata.csv", "Data_Entry_2017.csv"):
        (tmp_path / "nih" / f).symlink_to(DATA_ROOT / "nih" / f)
    monkeypatch.setenv("SYNTHMED_DATA_ROOT", str(tmp_path))
    assert check_datasets(["nih_metadata"], required=True) == {"nih_metadata": "ok"}
    with pytest.raises(DataUnavailableError, match="needs NIH1000 under"):
        check_datasets(["nih1000"], required=True)


@requires_data("medmnist/breastmnist.npz")
def test_corrupt_file_stops_a_notebook_with_the_md5_message(tmp_path, monkeypatch):
    from conftest import DATA_ROOT

    (tmp_path / "medmnist").mkdir()
    target = tmp_path / "medmnist" / "breastmnist.npz"
    shutil.copy(DATA_ROOT / "medmnist" / "breastmnist.npz", target)
    raw = bytearray(target.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    target.write_bytes(bytes(raw))
    monkeypatch.setenv("SYNTHMED_DATA_ROOT", str(tmp_path))
    with pytest.raises(ChecksumError, match="MD5 mismatch for .*breastmnist.npz: expected 750601b1"):
        profiles.from_notebook("data", {"profile": "smoke", "datasets": "breastmnist"})


@requires_data("medmnist/breastmnist.npz")
def test_from_notebook_records_what_the_data_layer_found():
    s = profiles.from_notebook("data", {"profile": "smoke", "datasets": "breastmnist"})
    assert s.datasets == ["breastmnist"] and s.data_status == {"breastmnist": "ok"}
    assert s.usable(["breastmnist"]) == ["breastmnist"]


@pytest.mark.parametrize("notebook", sorted(profiles.NOTEBOOKS))
def test_every_setting_says_where_its_value_comes_from(notebook):
    """Every key of every profile has a source: a paper's section/table, or "ours: ..." for our choice."""
    src = profiles.sources(notebook)
    keys = {k for p in profiles.PROFILES for k in profiles.NOTEBOOKS[notebook][p]}
    assert not keys - set(src), f"{notebook}: no source for {sorted(keys - set(src))}"
    assert all(src[k].strip() for k in keys), f"{notebook}: an empty source"


def test_settings_table_has_a_source_column():
    table = profiles.resolve("tsynd", profile="quick").table()
    assert list(table.columns) == ["setting", "value", "from", "source"]


@pytest.mark.slow
@requires_data("medmnist/breastmnist.npz")
@pytest.mark.parametrize("notebook", ["data", "tsynd"])
def test_a_notebook_on_a_corrupt_file_stops_with_the_md5_message(notebook, tmp_path):
    """papermill on a data root whose breastmnist.npz has one byte flipped: the notebook fails in its settings
    cell with the data layer's MD5 message (file, expected MD5, where to download), not a KeyError later on."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from conftest import DATA_ROOT

    root = Path(__file__).resolve().parents[1]
    (tmp_path / "medmnist").mkdir()
    target = tmp_path / "medmnist" / "breastmnist.npz"
    shutil.copy(DATA_ROOT / "medmnist" / "breastmnist.npz", target)
    raw = bytearray(target.read_bytes())
    raw[1000] ^= 0x01
    target.write_bytes(bytes(raw))
    env = {**os.environ, "SYNTHMED_DATA_ROOT": str(tmp_path), "SYNTHMED_CACHE_DIR": str(tmp_path / "cache")}
    exe = Path(sys.executable).parent / "papermill"
    out = subprocess.run([str(exe), f"notebooks/{notebook}.ipynb", str(tmp_path / "out.ipynb"), "-p", "profile",
                          "smoke", "-p", "datasets", "breastmnist", "--no-progress-bar"], cwd=root, env=env,
                         capture_output=True, text=True)
    assert out.returncode != 0
    text = out.stderr + (tmp_path / "out.ipynb").read_text()
    assert "ChecksumError" in text and "expected 750601b1f35ba3300ea97c75c52ff8f6" in text
    assert "KeyError" not in text
