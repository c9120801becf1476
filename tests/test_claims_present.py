"""synthmed.claims.present: the Scorecard's text, labels and forest plot on fixed inputs (issue 31)."""

from __future__ import annotations

from dataclasses import replace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from synthmed import claims  # noqa: E402

LONG = ("TSynD's adversarially trained classifier keeps more of its balanced accuracy under FGSM than the "
        "baseline on every dataset")  # 114 characters: the old label cut it at 58


def _runs(spec: dict[str, tuple[list[float], list[float]]], constant: dict[str, set[int]] | None = None):
    rows = []
    for name, (a, b) in spec.items():
        for side, values in (("A", a), ("B", b)):
            for s, v in enumerate(values):
                rows.append({"method": f"{side}{name}", "seed": s, "acc": v,
                             "constant": s in (constant or {}).get(f"{side}{name}", set())})
    return pd.DataFrame(rows)


def _claim(name: str, text: str = "", paper: str = "TSynD", **kw) -> claims.Claim:
    return claims.Claim(f"c{name}", paper, "Table 1", text or f"A{name} beats B{name}", "acc", "better",
                        a={"method": f"A{name}"}, b={"method": f"B{name}"}, scale=100, primary=True, **kw)


# --- primary_text: the expected false discoveries count every decision ---------------------------------------------

def test_the_expected_false_discoveries_count_supported_and_contradicted():
    # d x 100: claim s [10, 11, 12] (p = 0.0027, supported), claim c [-10, -11, -12] (contradicted);
    # BH over 2: q = 2 * 0.0027 / 2 = 0.0027 for both, so both stay decided
    runs = _runs({"s": ([0.80, 0.81, 0.82], [0.70] * 3), "c": ([0.60, 0.59, 0.58], [0.70] * 3)})
    out = claims.judge_all([_claim("s"), _claim("c")], runs)
    assert [v.verdict for v in out] == ["supported", "contradicted"]
    text = claims.primary_text(claims.verdict_frame(out), "quick")
    # 2 decisions at a false discovery rate of 0.05: at most 0.05 * 2 = 0.1 expected false
    assert "2 primary claims: 1 supported, 1 contradicted." in text
    assert "Of 2 decided claims (1 supported, 1 contradicted), at most about 0.1 would be expected to be false " \
           "discoveries." in text
    assert f"{claims.expected_false(2):.2g}" == "0.1"
    assert "Without the adjustment" not in text  # the adjustment changed nothing


def test_the_text_says_what_the_adjustment_left_undecided():
    # d x 100: [2, 3, 4] (p = 1 - sqrt(27/29) = 0.0351, q = 1.5 * 0.0351 = 0.0526: undecided by the adjustment),
    # [-1, 0, 1] (p = 1), [10, 11, 12] (p = 0.0027, q = 0.0082): one decision left, two without the adjustment
    runs = _runs({"0": ([0.72, 0.73, 0.74], [0.70] * 3), "1": ([0.69, 0.70, 0.71], [0.70] * 3),
                  "2": ([0.80, 0.81, 0.82], [0.70] * 3)})
    out = claims.judge_all([_claim("0"), _claim("1"), _claim("2")], runs)
    text = claims.primary_text(claims.verdict_frame(out), "quick")
    assert "3 primary claims: 1 supported, 2 inconclusive." in text
    assert "Of 1 decided claim (1 supported), at most about 0.05 would be expected" in text
    assert "Without the adjustment, 2 would be decided (2 supported)." in text


def test_a_paper_without_a_decision_expects_no_false_discovery():
    runs = _runs({"1": ([0.69, 0.70, 0.71], [0.70] * 3)})
    text = claims.primary_text(claims.verdict_frame(claims.judge_all([_claim("1")], runs)), "quick")
    assert "1 primary claim: 1 inconclusive." in text and "decided" not in text.split("\n\n", 1)[1]


# --- adjust_frame keeps "inconclusive: <size>" -----------------------------------------------------------------------

def test_the_scorecard_keeps_the_size_of_an_inconclusive_primary_claim():
    # claim i: d x 100 = [-1, 0, 1], interval [-2.48, +2.48], inconclusive; the paper reports +12: above our interval
    # claim a: d x 100 = [2, 3, 4], interval [0.52, 5.48], supported alone, inconclusive once adjusted (q = 0.0526,
    # see above); the paper reports +20, above it too. claim s: d x 100 = [10, 11, 12], supported, no paper_diff.
    runs = _runs({"i": ([0.69, 0.70, 0.71], [0.70] * 3), "a": ([0.72, 0.73, 0.74], [0.70] * 3),
                  "s": ([0.80, 0.81, 0.82], [0.70] * 3)})
    specs = [_claim("i", paper_diff=12.0), _claim("a", paper_diff=20.0), _claim("s")]
    raw = [claims.judge(c, runs) for c in specs]
    assert [v.size for v in raw[:2]] == ["smaller than the paper reports"] * 2
    frame = claims.adjust_frame(claims.verdict_frame(raw))
    assert list(frame["verdict"]) == ["inconclusive", "inconclusive", "supported"]
    assert list(frame["label"][:2]) == ["inconclusive: smaller than the paper reports"] * 2
    assert frame.loc[2, "label"].startswith("supported")
    # the same labels as the chapter's own adjusted verdicts
    assert list(frame["label"][:2]) == [v.label() for v in claims.adjust(raw)][:2]


# --- forest_figure: not testable without a dot, labels whole -------------------------------------------------------

def _forest_frame() -> pd.DataFrame:
    # claim s: supported (d x 100 = [10, 11, 12]); claim n: A is a constant predictor in 3/3 runs, so not testable
    # although its mean difference (+11) is computed; claim l: the long label, supported
    runs = _runs({"s": ([0.80, 0.81, 0.82], [0.70] * 3), "n": ([0.80, 0.81, 0.82], [0.70] * 3),
                  "l": ([0.80, 0.81, 0.83], [0.70] * 3)}, constant={"An": {0, 1, 2}})
    out = claims.judge_all([_claim("s"), _claim("n", text="A constant predictor beats B"), _claim("l", text=LONG)],
                           runs)
    assert [v.verdict for v in out] == ["supported", "not testable", "supported"] and out[1].diff == pytest.approx(11)
    return claims.verdict_frame(out)


def _rows(ax) -> dict[str, float]:
    """Tick label (lines joined by a space) -> its y."""
    return {t.get_text().replace("\n", " "): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks())}


def test_a_not_testable_claim_is_a_marked_row_without_a_dot():
    fig = claims.forest_figure(_forest_frame())
    try:
        ax = fig.axes[0]
        rows = _rows(ax)
        y_nt = rows["A constant predictor beats B"]
        points = [tuple(p) for c in ax.collections for p in c.get_offsets()]
        assert points, "the decided claims are drawn as dots"
        assert not [p for p in points if p[1] == pytest.approx(y_nt)], "a not-testable claim must not be a dot"
        assert {round(p[1]) for p in points} == {round(rows["As beats Bs"]), round(rows[LONG])}
        # no interval line on that row either, and the row says why it has no dot
        assert not [ln for ln in ax.lines if list(ln.get_ydata()) == [y_nt, y_nt]]
        assert any(t.get_text().endswith("not testable") for t in ax.texts)
        bands = [p for p in ax.patches if p.get_hatch()]
        assert len(bands) == 1
        ys = [v[1] for v in bands[0].get_path().transformed(bands[0].get_patch_transform()).vertices]
        assert min(ys) < y_nt < max(ys)  # the band lies on the not-testable row
    finally:
        plt.close(fig)


def test_a_fragile_decision_is_marked_on_its_row_and_only_a_decided_one():
    frame = _forest_frame()
    frame["fragile"] = [True, True, False]  # the second claim is not testable: nothing to mark
    fig = claims.forest_figure(frame)
    try:
        ax = fig.axes[0]
        marks = [t for t in ax.texts if t.get_text() == "fragile"]
        assert len(marks) == 1 and round(marks[0].get_position()[1] - 0.3) == round(_rows(ax)["As beats Bs"])
    finally:
        plt.close(fig)


def test_claim_labels_are_wrapped_whole_and_the_figure_is_tall_enough():
    fig = claims.forest_figure(_forest_frame())
    try:
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert len(LONG) > 58 and LONG in _rows(ax)  # whole: no "…", no character lost
        wrapped = next(t for t in labels if t.replace("\n", " ") == LONG)
        assert "…" not in wrapped and 2 <= wrapped.count("\n") + 1 <= 3
        assert max(len(line) for line in wrapped.split("\n")) <= 58
        # three rows, one of three lines: at least 0.3 in. a row
        assert fig.get_size_inches()[1] >= 3 * 0.3 + 0.5
    finally:
        plt.close(fig)


def test_a_label_too_long_for_three_lines_is_whole_on_more_lines_and_leaves_the_plot_its_width():
    text = " ".join(["word"] * 66)  # 329 characters, as long as the imbalance bundle's primary claim
    frame = pd.DataFrame([{"role": "primary", "paper": "TSynD", "claim": text, "verdict": "inconclusive",
                           "low": -1.0, "high": 1.0, "diff": 0.0, "paper_diff": float("nan")}])
    fig = claims.forest_figure(frame)
    try:
        (label,) = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert label.replace("\n", " ") == text and label.count("\n") + 1 > 3
        assert max(len(line) for line in label.split("\n")) <= 58
        # a 3-line label 110 characters wide left the plot a sixth of the figure's width
        assert fig.axes[0].get_position().width >= 0.4
        # the panel is as tall as the label's lines need
        assert fig.get_size_inches()[1] >= 0.15 * (label.count("\n") + 1)
    finally:
        plt.close(fig)


def test_the_bundle_section_opens_with_the_forest_plot_of_its_primary_claims_only_when_it_has_some():
    from matplotlib.figure import Figure

    frame = _forest_frame()
    shown = claims.bundle_tables(frame)
    assert isinstance(shown[0], Figure) and shown[1].data == claims.FOREST_CAPTION
    assert len(shown[0].axes) == frame.loc[frame["role"] == "primary", "paper"].nunique()
    assert not plt.fignum_exists(shown[0].number)  # closed: displaying it shows it once
    others = claims.bundle_tables(frame.assign(role="ours"))
    assert not any(isinstance(s, Figure) for s in others) and len(others) == len(shown) - 2


# --- pairs_figure: the per-replicate differences under each verdict's interval --------------------------------------

def test_the_pairs_figure_draws_every_replicate_under_its_verdict_marks_fragile_and_leaves_out_untestable():
    rows = _runs({"1": ([0.80, 0.82, 0.85, 0.81], [0.70, 0.71, 0.74, 0.72]),
                  "2": ([0.70, 0.72, 0.71, 0.73], [0.71, 0.70, 0.72, 0.70]),
                  "3": ([0.70, 0.70, 0.70, 0.70], [0.60, 0.60, 0.60, 0.60])})  # zero spread: not testable
    cs = [_claim("1"), _claim("2"), _claim("3")]
    verdicts = [claims.judge(c, rows) for c in cs]
    assert [v.verdict for v in verdicts] == ["supported", "inconclusive", "not testable"]
    verdicts[0] = replace(verdicts[0], fragile=True)
    diffs = claims.paired_differences(cs, {"runs": rows})
    assert diffs.groupby("claim").size().to_dict() == {"c1": 4, "c2": 4, "c3": 4}
    fig = claims.pairs_figure(verdicts, diffs, unit="seed")
    try:
        ax = fig.axes[0]
        dots = [c for c in ax.collections if c.get_gid() is None and len(c.get_offsets())]
        points = sorted(round(float(x), 6) for c in dots for x, _ in c.get_offsets())
        # the eight dots of the two testable claims; the zero-spread claim's differences decide nothing
        assert points == sorted(round(float(x), 6) for x in diffs.loc[diffs["claim"] != "c3", "difference"])
        means = [c.get_offsets()[0][0] for c in ax.collections if c.get_gid() == "ours"]
        assert means == pytest.approx([verdicts[0].diff, verdicts[1].diff])
        assert [t.get_text() for t in ax.texts] == ["fragile"]
        assert [t.get_text() for t in ax.get_yticklabels()] == ["A1 beats B1 [paper]", "A2 beats B2 [paper]"]
        assert "one dot per seed" in ax.get_xlabel()
    finally:
        plt.close(fig)
    assert claims.pairs_figure(verdicts, diffs.iloc[0:0]) is None


def test_the_pairs_section_needs_two_pairs_and_returns_the_figure_closed():
    rows = _runs({"1": ([0.80, 0.82, 0.85], [0.70, 0.71, 0.74])})
    verdicts = [claims.judge(_claim("1"), rows)]
    fig, caption = claims.pairs_section(verdicts, {"runs": rows}, unit="seed")
    assert not plt.fignum_exists(fig.number) and caption.data == claims.PAIRS_CAPTION.format(unit="seed")
    one = rows[rows["seed"] == 0]
    assert claims.pairs_section([claims.judge(_claim("1"), one)], {"runs": one}) == []
