"""The book's cold cost from the cache's recorded step times (synthmed.build_cost)."""

import math

from synthmed import build_cost


def _event(event, key, seconds, compute_s=None, nested=False, name="step"):
    e = {"event": event, "name": name, "key": key, "seconds": seconds, "compute_s": compute_s}
    return {**e, "nested": True} if nested else e


def test_steps_count_each_top_level_key_once_with_its_recorded_seconds():
    events = [_event("miss", "a", 10.0, 10.0), _event("hit", "a", 0.1, 10.0), _event("miss", "n", 4.0, 4.0, True),
              _event("hit", "b", 0.2, None), _event("hit", "b", 0.2, 7.0), {"event": "run", "seconds": 3.0}]
    assert build_cost.steps_of(events) == {"a": {"name": "step", "compute_s": 10.0},
                                           "b": {"name": "step", "compute_s": 7.0}}
    assert math.isclose(build_cost.step_seconds(events), 10.5)


def test_a_step_shared_by_notebooks_is_charged_to_the_first_in_book_order():
    runs = {"gan_zoo": {"wall_s": 100.0, "step_s": 90.0, "steps": {"z": {"name": "gan_zoo", "compute_s": 80.0}}},
            "gan_fidelity": {"wall_s": 12.0, "step_s": 2.0,
                             "steps": {"z": {"name": "gan_zoo", "compute_s": 80.0},
                                       "f": {"name": "gan_fidelity", "compute_s": 30.0},
                                       "old": {"name": "gan_search", "compute_s": None}}},
            "compute": {"wall_s": 20.0}}
    table = build_cost.cold_table(runs, ["gan_zoo", "gan_fidelity", "tsynd", "compute"])
    assert list(table.index) == ["gan_zoo", "gan_fidelity", "compute"]
    assert table.loc["gan_zoo", "cold s"] == 10.0 + 80.0 and table.loc["gan_zoo", "steps"] == 1
    assert table.loc["gan_fidelity", "steps"] == 2 and table.loc["gan_fidelity", "steps s"] == 30.0
    assert table.loc["gan_fidelity", "not recorded"] == 1 and table.loc["gan_fidelity", "cold s"] == 40.0
    assert table.loc["compute", "cold s"] == 20.0 and table.loc["compute", "last build s"] == 20.0


def test_the_texts_say_minutes_from_scratch_and_the_last_executions_totals():
    runs = {"a": {"wall_s": 30.0, "step_s": 0.0, "cache_hits": 2, "cache_misses": 0, "profile": "smoke",
                  "steps": {"k": {"name": "s", "compute_s": 90.0}, "old": {"name": "s", "compute_s": None}}}}
    cold = build_cost.cold_table(runs, ["a"])
    assert build_cost.cold_text(cold) == ("From scratch: **2.0 min** of notebooks over 1 pages (2 cached steps); "
                                          "1 steps have no recorded time and are not counted.")
    last = build_cost.last_table(runs)
    assert list(last.columns) == list(build_cost.LAST_COLUMNS.values()) and last.loc["a", "profile"] == "smoke"
    assert build_cost.last_text(last) == "Total: **30 s** over 1 notebooks; 2 cache hits and 0 misses."
