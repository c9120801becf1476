"""synthmed.display: paper-layout grids, interval figures, folded frames, the shared verdict palette."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from synthmed import display  # noqa: E402


def _table1() -> pd.DataFrame:
    """A TSynD-Table-1-like long frame: method × condition rows, dataset × fraction columns."""
    rows = []
    for m, method in enumerate(["Baseline", "TSynD"]):
        for c, condition in enumerate(["clean", "fgsm"]):
            for d, dataset in enumerate(["breastmnist", "pneumoniamnist"]):
                for fraction in (0.01, 0.1):
                    mean = 60 + 10 * m - 5 * c + d + fraction
                    rows.append({"method": method, "condition": condition, "dataset": dataset,
                                 "fraction": fraction, "mean": mean, "std": 1.25, "paper": 70.0 + m,
                                 "verdict": ["supported", "contradicted", "inconclusive", ""][(m + c + d) % 4]})
    return pd.DataFrame(rows)


def _cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S)


def test_grid_pivots_into_the_papers_layout():
    frame = _table1()
    grid = display.compact_grid(frame, rows=["method", "condition"], columns=["dataset", "fraction"],
                                cell=lambda r: f"{r['mean']:.1f} ± {r['std']:.1f} ({r['paper']:.1f})")
    assert grid.cells.shape == (4, 4)
    assert list(grid.cells.index) == [("Baseline", "clean"), ("Baseline", "fgsm"), ("TSynD", "clean"),
                                      ("TSynD", "fgsm")]
    assert list(grid.cells.columns) == [("breastmnist", 0.01), ("breastmnist", 0.1), ("pneumoniamnist", 0.01),
                                        ("pneumoniamnist", 0.1)]
    # TSynD, fgsm, pneumoniamnist, 10 %: 60 + 10 - 5 + 1 + 0.1 = 66.1; std 1.25 -> "1.2" (round half to even)
    assert grid.cells.loc[("TSynD", "fgsm"), ("pneumoniamnist", 0.1)] == "66.1 ± 1.2 (71.0)"
    html = grid.to_html()
    assert "<td>66.1\u00a0±\u00a01.2 (71.0)</td>" in html  # a narrow column wraps before "(", never inside m ± s
    assert len(_cells(html)) == 16  # data cells only: row labels are <th>, there is no index column
    assert ">0<" not in html and "Unnamed" not in html
    # outer labels span their inner ones: one header for each dataset over its two fractions
    assert html.count('colspan="2" title="dataset">breastmnist</th>') == 1
    assert html.count('rowspan="2">Baseline</th>') == 1


def test_numeric_cells_use_the_precision_and_missing_cells_a_dash():
    frame = pd.DataFrame({"r": ["a", "a", "b"], "c": ["x", "y", "x"], "v": [1.23456, 2.0, np.nan]})
    grid = display.compact_grid(frame, rows="r", columns="c", cell="v", precision=2)
    assert grid.cells.to_dict("index") == {"a": {"x": "1.23", "y": "2.00"}, "b": {"x": "—", "y": "—"}}
    html = grid.to_html()
    assert "synthmed-legend" not in html  # no verdicts, no legend
    assert _cells(html) == ["1.23", "2.00", "—", "—"]


def test_verdict_colours_fill_the_cells_with_a_mark_and_a_legend():
    frame = _table1()
    grid = display.compact_grid(frame, rows=["method", "condition"], columns=["dataset", "fraction"],
                                cell="mean", colour="verdict")
    html = grid.to_html()
    # Baseline / clean / breastmnist: (0 + 0 + 0) % 4 = 0 -> supported
    first = re.search(r"<td[^>]*>", html).group(0)
    assert display.VERDICT_COLOURS["supported"] in first and 'title="supported"' in first
    coloured = re.findall(r'<td class="synthmed-verdict" style="background:(#[0-9A-F]{6})"', html)
    expected = [display.VERDICT_COLOURS[v] for v in frame["verdict"] if v]
    assert sorted(coloured) == sorted(expected)
    assert len(_cells(html)) - len(coloured) == (frame["verdict"] == "").sum()  # empty verdict: plain cell
    assert "synthmed-legend" in html and "✗" in html
    assert all(name in html.split("synthmed-legend")[1] for name in display.VERDICT_COLOURS)


def test_palette_is_distinct_and_verdict_labels_are_normalised():
    assert len(set(display.VERDICT_COLOURS.values())) == 4
    assert display.verdict_key("Not_Testable here") == "not testable"
    assert display.verdict_key("") is None and display.verdict_key(np.nan) is None
    with pytest.raises(ValueError, match="unknown verdict 'maybe'"):
        display.verdict_key("maybe")


def test_grid_rejects_duplicate_cells_and_unknown_columns():
    frame = pd.DataFrame({"r": ["a", "a"], "c": ["x", "x"], "v": [1.0, 2.0]})
    with pytest.raises(ValueError, match="2 rows share their"):
        display.compact_grid(frame, rows="r", columns="c", cell="v")
    with pytest.raises(ValueError, match="no column 'nope'"):
        display.compact_grid(frame, rows="r", columns="nope", cell="v")


def test_cell_text_is_escaped_and_newlines_break_lines():
    frame = pd.DataFrame({"r": ["<a>"], "c": ["x"], "v": ["1 < 2\n(paper 3) [1.5, 2.5]"]})
    html = display.compact_grid(frame, rows="r", columns="c", cell="v").to_html()
    assert "<td>1 &lt; 2<br>(paper 3) [1.5,\u00a02.5]</td>" in html and "&lt;a&gt;" in html


def test_t_interval_matches_a_hand_worked_case():
    # values 1, 2, 3: mean 2, sem = 1 / sqrt(3); t(0.975, df=2) = 4.302653
    low, high = display.t_interval([1.0, 2.0, 3.0])
    assert low == pytest.approx(2 - 4.302653 / np.sqrt(3), abs=1e-5)
    assert high == pytest.approx(2 + 4.302653 / np.sqrt(3), abs=1e-5)
    assert all(np.isnan(display.t_interval([5.0])))  # one value: no interval (as synthmed.stats)


def _runs() -> pd.DataFrame:
    gen = np.random.default_rng(0)
    return pd.DataFrame([{"method": m, "metric": metric, "condition": c, "seed": s,
                          "value": 50 + 10 * (m == "TSynD") + gen.normal()}
                         for m in ("Baseline", "Noise", "TSynD") for metric in ("accuracy", "balanced")
                         for c in ("clean", "gaussian", "fgsm") for s in range(3)])


def test_interval_figure_has_one_panel_per_facet_and_marks_the_paper():
    runs = _runs()
    reference = pd.DataFrame({"metric": ["accuracy"] * 2, "method": ["Baseline", "TSynD"],
                              "condition": ["clean", "fgsm"], "value": [70.0, 75.0]})
    fig = display.interval_figure(runs, x="metric", y="value", hue="method", col="condition",
                                  reference=reference, ylabel="%", ylim=(0, 100))
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in axes] == ["clean", "gaussian", "fgsm"]
    # the paper's values: one hollow diamond in the clean panel (Baseline) and one in the fgsm panel (TSynD)
    marks = {ax.get_title(): [c for c in ax.collections if c.get_label() == "paper"
                              or (len(c.get_offsets()) and c.get_facecolors().size == 0)] for ax in axes}
    assert len(marks["clean"]) == 1 and len(marks["gaussian"]) == 0 and len(marks["fgsm"]) == 1
    x_mark, y_mark = marks["fgsm"][0].get_offsets()[0]
    assert y_mark == 75.0
    # ... placed at the TSynD mean's x position (accuracy is category 0; TSynD the third of three hues)
    assert x_mark == pytest.approx(0 + 0.45 / 2)
    assert "paper" in [t.get_text() for t in fig.legends[0].texts]
    assert all(ax.get_ylim() == (0, 100) for ax in axes)
    plt.close(fig)


def test_interval_figure_intervals_are_t_intervals_over_seeds():
    runs = _runs()
    fig = display.interval_figure(runs[runs.metric == "accuracy"], x="condition", y="value", hue="method")
    ax = fig.axes[0]
    sub = runs[(runs.metric == "accuracy") & (runs.method == "Baseline") & (runs.condition == "clean")]
    low, high = display.t_interval(sub["value"])
    # each interval is one line (with its caps, NaN-separated) around the group's x: Baseline is the first hue
    spans = [(np.nanmin(line.get_ydata()), np.nanmax(line.get_ydata())) for line in ax.lines
             if len(line.get_xdata()) > 3 and np.nanmean(line.get_xdata()) == pytest.approx(-0.225)]
    assert spans == [pytest.approx((low, high))]
    plt.close(fig)


def test_folded_frame_is_a_closed_details_block_without_index():
    frame = pd.DataFrame({"seed": [0, 1], "accuracy": [0.51234, 0.6]})
    out = display.folded(frame, summary="Every run")._repr_html_()
    assert out.startswith('<details class="synthmed-folded"><summary>Every run (2 rows × 2 columns)</summary>')
    assert "0.512" in out and "<th>seed</th>" in out
    assert "<tbody>\n    <tr>\n      <td>0</td>" in out  # first cell is the seed, no index cell before it
    grid = display.compact_grid(pd.DataFrame({"r": ["a"], "c": ["x"], "v": [1.0]}), rows="r", columns="c",
                                cell="v")
    assert "synthmed-grid" in display.folded(grid)._repr_html_()


def test_folded_runs_frame_is_laid_out_to_fit():
    runs = pd.DataFrame({"dataset": ["breastmnist"] * 2, "method": ["Baseline", "TSynD"], "seed": [0, 1],
                         **{f"metric_{i}": [0.5, 0.25] for i in range(10)}})
    out = display.folded(runs, max_columns=6)._repr_html_()
    assert "All runs (2 rows × 13 columns)" in out
    # the constant column is named once above the tables, not repeated in every row
    assert "In every row: dataset = breastmnist." in out and "<th>dataset</th>" not in out
    tables = out.split("<table")[1:]
    assert len(tables) == 3  # 10 metrics, 4 per table beside the 2 key columns
    for table in tables:
        assert "<th>method</th>" in table and "<th>seed</th>" in table
        assert table.count("<th>") <= 6
    assert "<th>metric 9</th>" in tables[-1] and "metric_9" not in out


def test_plain_table_turns_a_named_index_into_a_column_and_drops_the_numeric_one():
    counts = pd.DataFrame({"train": [3, 1]}, index=pd.Index(["benign", "malignant"], name="class"))
    out = display.plain(counts, caption="Class counts")._repr_html_()
    assert out.startswith('<p class="synthmed-caption">Class counts</p>')
    assert "<th>class</th>" in out and "<td>benign</td>" in out
    numbered = display.plain(pd.DataFrame({"mean_v": [0.123456]}), precision=2)._repr_html_()
    assert "<td>0.12</td>" in numbered and "<td>0</td>" not in numbered and "<th>mean v</th>" in numbered


def test_rows_are_grouped_by_the_outer_key_in_order_of_first_appearance():
    frame = _table1()  # ordered method-major: Baseline/clean, Baseline/fgsm, TSynD/clean, TSynD/fgsm
    grid = display.compact_grid(frame[frame.fraction == 0.1], rows=["condition", "method"], columns="dataset",
                                cell="mean")
    assert list(grid.cells.index) == [("clean", "Baseline"), ("clean", "TSynD"), ("fgsm", "Baseline"),
                                      ("fgsm", "TSynD")]
    assert grid.to_html().count('rowspan="2">clean</th>') == 1


def test_significant_decimals_show_two_digits_of_the_largest_value_within_bounds():
    from synthmed.display import significant_decimals

    assert significant_decimals(4.2e-4, 3) == 5 and f"{4.2e-4:.5f}" == "0.00042"
    assert significant_decimals(-0.037, 1) == 3  # |value|: "0.037"
    assert significant_decimals(12.3, 3) == 3 and significant_decimals(0.05, 1) == 3
    assert significant_decimals(1e-12, 1) == 8 and significant_decimals(1e-12, 1, maximum=4) == 4
    assert significant_decimals(0.0, 2) == 2 and significant_decimals(float("nan"), 2) == 2
