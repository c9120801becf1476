import json
import os

import pytest
import torch

from synthmed import cache


def _counting(value):
    calls = []

    def compute():
        calls.append(1)
        return value

    return compute, calls


def test_miss_then_hit(cache_dir):
    compute, calls = _counting({"w": torch.arange(3)})
    a = cache.cached("model", compute, params={"lr": 0.1}, seed=0)
    b = cache.cached("model", compute, params={"lr": 0.1}, seed=0)
    assert len(calls) == 1 and torch.equal(a["w"], b["w"])
    assert len(list((cache_dir / "model").glob("*.pt"))) == 1


@pytest.mark.parametrize("change", [{"params": {"lr": 0.2}}, {"seed": 1}, {"data_md5": ["abc"]},
                                   {"code": [json]}])
def test_key_depends_on_everything(change):
    base = {"params": {"lr": 0.1}, "seed": 0, "data_md5": [], "code": []}
    assert cache.cache_key("m", **base) != cache.cache_key("m", **{**base, **change})


def test_key_is_stable_for_equal_parameters():
    a = cache.cache_key("m", params={"b": [1, 2], "a": torch.ones(2)}, seed=1)
    b = cache.cache_key("m", params={"a": torch.ones(2), "b": (1, 2)}, seed=1)
    assert a == b


def test_unhashable_parameter_is_a_clear_error():
    with pytest.raises(TypeError, match="cannot be hashed"):
        cache.cache_key("m", params={"f": object()})


def test_code_version_changes_with_source(tmp_path, monkeypatch):
    mod = tmp_path / "mod_under_test.py"
    mod.write_text("def f():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    m = importlib.import_module("mod_under_test")
    v1 = cache.code_version(m.f)
    mod.write_text("def f():\n    return 2\n")
    assert cache.code_version(m.f) != v1


def test_recompute_environment(cache_dir, monkeypatch):
    compute, calls = _counting(1)
    cache.cached("a", compute, params={})
    monkeypatch.setenv("SYNTHMED_RECOMPUTE", "b,a")
    cache.cached("a", compute, params={})
    monkeypatch.setenv("SYNTHMED_RECOMPUTE", "b")
    cache.cached("a", compute, params={})
    assert len(calls) == 2


def test_failed_compute_stores_nothing(cache_dir):
    def boom():
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        cache.cached("x", boom, params={})
    assert not list(cache_dir.rglob("*.pt"))


class _Unpicklable:
    def __reduce__(self):
        raise RuntimeError("cannot pickle")


def test_atomic_save_leaves_no_partial_file(tmp_path):
    target = tmp_path / "entry.pt"
    cache.atomic_save({"ok": 1}, target)
    with pytest.raises(RuntimeError):
        cache.atomic_save({"bad": _Unpicklable()}, target)
    assert cache.load(target) == {"ok": 1}
    assert sorted(os.listdir(tmp_path)) == ["entry.pt"]


def test_resumable_compute_gets_a_checkpoint_that_is_removed(cache_dir):
    seen = {}

    def compute(ckpt):
        seen["ckpt"] = ckpt
        start = cache.load(ckpt)["step"] if ckpt.exists() else 0
        cache.atomic_save({"step": start + 5}, ckpt)
        return start + 5

    key = cache.step_key("train", compute, params={"n": 1})
    cache.atomic_save({"step": 10}, cache.checkpoint_path("train", key))  # an interrupted earlier run
    assert cache.cached("train", compute, params={"n": 1}, resumable=True) == 15
    assert not seen["ckpt"].exists()


def test_cache_log_records_hits_and_misses(cache_dir, tmp_path, monkeypatch):
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv("SYNTHMED_CACHE_LOG", str(log))
    cache.cached("y", lambda: 1, params={})
    cache.cached("y", lambda: 1, params={})
    assert [json.loads(line)["event"] for line in log.read_text().splitlines()] == ["miss", "hit"]


def _slow(seconds, value):
    def compute():
        import time

        time.sleep(seconds)
        return value

    return compute


def test_an_entry_keeps_its_computing_seconds_and_a_hit_reports_them(cache_dir):
    with cache.recording() as events:
        cache.cached("timed", _slow(0.2, 1), params={"a": 1})
        cache.cached("timed", _slow(0.2, 1), params={"a": 1})
    miss, hit = events
    assert miss["event"] == "miss" and miss["compute_s"] == miss["seconds"] >= 0.2
    assert hit["event"] == "hit" and hit["compute_s"] == miss["compute_s"] and hit["seconds"] < 0.2
    assert cache.recorded_seconds("timed", miss["key"]) == miss["compute_s"]
    cache.seconds_path("timed", miss["key"]).unlink()  # an entry stored before the seconds were kept
    with cache.recording() as events:
        cache.cached("timed", _slow(0.2, 1), params={"a": 1})
    assert events[0]["event"] == "hit" and events[0]["compute_s"] is None


def test_a_step_computed_inside_another_is_marked_nested(cache_dir):
    def outer():
        return cache.cached("inner", _slow(0.0, 2), params={}) + 1

    with cache.recording() as events:
        assert cache.cached("outer", outer, params={}) == 3
        assert not cache.inside_step()
    assert [(e["name"], e["event"], e.get("nested", False)) for e in events] == [
        ("inner", "miss", True), ("outer", "miss", False)]
