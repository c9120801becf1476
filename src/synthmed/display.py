"""How results look in the book: compact result grids, interval figures and folded per-run frames.

Three helpers, one idea each:

- :func:`compact_grid` pivots a long frame (one row per table cell) into a paper's own layout, e.g. method ×
  test condition as rows and dataset × fraction as columns, with a preformatted string in each cell
  ("75.4 ± 1.3 (77.8)") and, optionally, the verdict of the claim behind the cell as its background colour.
- :func:`interval_figure` draws means with 95 % t intervals over seeds per group (seaborn), one panel per
  facet, the paper's value marked beside each mean.
- :func:`folded` puts a long frame (every run) inside a ``<details>`` block that the reader opens on demand;
  :func:`plain` shows a small frame without pandas' index column.

:data:`VERDICT_COLOURS` is the one verdict palette of the book; ``synthmed.claims`` imports it.

The book's stylesheet (``book/_static/synthmed.css``) styles the classes these helpers emit
(``synthmed-grid``, ``synthmed-legend``, ``synthmed-folded``) so that result tables fit the content column.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from synthmed.stats import t_interval as t_interval_of

# Paul Tol's "light" scheme (https://personal.sron.nl/~pault/): distinguishable under the common colour-vision
# deficiencies and light enough for black text on top. Blue/orange carry the two decisive verdicts.
VERDICT_COLOURS: dict[str, str] = {
    "supported": "#77AADD",  # light blue
    "contradicted": "#EE8866",  # orange
    "inconclusive": "#EEDD88",  # light yellow
    "not testable": "#DDDDDD",  # pale grey
}
# A mark beside the number, so that the verdict does not rest on colour alone (print, screen readers).
VERDICT_MARKS: dict[str, str] = {"supported": "✓", "contradicted": "✗", "inconclusive": "?", "not testable": "–"}

Key = str | Sequence[str]


def verdict_key(verdict: object) -> str | None:
    """The :data:`VERDICT_COLOURS` key of a verdict label, or None for an empty / missing one.

    Accepts the labels as written ("supported"), any case, with underscores ("not_testable") or with a
    trailing "here" ("not testable here"). Raises ValueError for any other label.
    """
    if verdict is None or (isinstance(verdict, float) and np.isnan(verdict)) or str(verdict).strip() == "":
        return None
    key = " ".join(str(verdict).lower().replace("_", " ").split())
    key = key.removesuffix(" here")
    if key not in VERDICT_COLOURS:
        raise ValueError(f"unknown verdict {verdict!r}; expected one of {', '.join(VERDICT_COLOURS)}")
    return key


def significant_decimals(largest: float, minimum: int, maximum: int = 8) -> int:
    """Decimals that print ``largest`` (in absolute value) with two significant digits: never fewer than
    ``minimum`` nor more than ``maximum``; ``minimum`` for 0 or NaN. E.g. (4.2e-4, 3) -> 5 ("0.00042"),
    (12.3, 3) -> 3."""
    largest = abs(float(largest))
    if not largest > 0:
        return minimum
    return min(maximum, max(minimum, 1 - math.floor(math.log10(largest))))


def format_cell(value: object, precision: int = 1, na: str = "—") -> str:
    """A cell's text: strings as they are, numbers to ``precision`` decimals, missing values as ``na``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return na
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return f"{float(value):.{precision}f}"
    return str(value)


def legend_html(verdicts: Sequence[str] | None = None) -> str:
    """One line naming what each cell colour means, as an HTML ``<p class="synthmed-legend">``."""
    items = []
    for name in verdicts or VERDICT_COLOURS:
        key = verdict_key(name)
        items.append(f'<span class="synthmed-swatch" style="background:{VERDICT_COLOURS[key]}">'
                     f"{VERDICT_MARKS[key]}</span> {key}")
    return '<p class="synthmed-legend">Cell colour = verdict on the paper\'s claim: ' + " &nbsp; ".join(items) + "</p>"


def caption_html(text: str) -> str:
    """A table's caption as a paragraph above it (an HTML <caption> would be squeezed to the table's width)."""
    return f'<p class="synthmed-caption">{_text(text)}</p>'


def _keys(key: Key) -> list[str]:
    return [key] if isinstance(key, str) else list(key)


def _spans(labels: list[tuple], level: int) -> list[int]:
    """For each position, how many following labels share the same prefix up to ``level`` (0 = covered)."""
    spans = [0] * len(labels)
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i][: level + 1] != labels[start][: level + 1]:
            spans[start] = i - start
            start = i
    return spans


_NBSP = "\u00a0"
_INTERVAL = re.compile(r"\[([^\[\],]*), ([^\[\],]*)\]")


def _text(value: str) -> str:
    """Escaped cell text; a newline in the text becomes a line break. "m ± s" and "[lo, hi]" never break
    inside (non-breaking spaces), so a narrow column wraps between such figures, not within them."""
    text = str(value).replace(" ± ", f"{_NBSP}±{_NBSP}")
    text = _INTERVAL.sub(lambda m: f"[{m.group(1)},{_NBSP}{m.group(2)}]", text)
    return "<br>".join(html.escape(part) for part in text.split("\n"))


@dataclass(frozen=True)
class Grid:
    """A pivoted result table. ``cells``: (rows, columns) frame of strings indexed by the row and column labels;
    ``colours``: same shape, the verdict key per cell or None. Renders as HTML in a notebook."""

    cells: pd.DataFrame
    colours: pd.DataFrame
    caption: str = ""
    legend: bool = True

    def to_html(self) -> str:
        rows = [t if isinstance(t, tuple) else (t,) for t in self.cells.index]
        cols = [t if isinstance(t, tuple) else (t,) for t in self.cells.columns]
        row_names = [str(n) for n in self.cells.index.names]
        col_names = [str(n) for n in self.cells.columns.names]
        n_row, n_col = len(row_names), len(col_names)
        out = [caption_html(self.caption)] if self.caption else []
        out.append('<table class="synthmed-grid">')
        out.append("<thead>")
        for level in range(n_col):
            out.append("<tr>")
            if level == n_col - 1:  # the row keys' names head their columns, on the last header line
                out += [f'<th class="synthmed-rowname">{html.escape(n)}</th>' for n in row_names]
            elif level == 0:
                out.append(f'<th colspan="{n_row}" rowspan="{n_col - 1}"></th>')
            for j, span in enumerate(_spans(cols, level)):
                if span:
                    label = html.escape(str(cols[j][level]))
                    title = f' title="{html.escape(col_names[level])}"'
                    out.append(f'<th colspan="{span}"{title}>{label}</th>' if span > 1 else f"<th{title}>{label}</th>")
            out.append("</tr>")
        out.append("</thead><tbody>")
        spans = [_spans(rows, level) for level in range(n_row)]
        for i, row in enumerate(rows):
            out.append("<tr>")
            for level in range(n_row):
                if spans[level][i]:
                    rs = f' rowspan="{spans[level][i]}"' if spans[level][i] > 1 else ""
                    out.append(f'<th scope="row"{rs}>{html.escape(str(row[level]))}</th>')
            for j in range(len(cols)):
                text, key = self.cells.iat[i, j], self.colours.iat[i, j]
                if key:
                    out.append(f'<td class="synthmed-verdict" style="background:{VERDICT_COLOURS[key]}" '
                               f'title="{key}">{_text(text)} {VERDICT_MARKS[key]}</td>')
                else:
                    out.append(f"<td>{_text(text)}</td>")
            out.append("</tr>")
        out.append("</tbody></table>")
        present = [k for k in VERDICT_COLOURS if (self.colours == k).to_numpy().any()]
        if self.legend and present:
            out.append(legend_html())
        return "\n".join(out)

    def _repr_html_(self) -> str:
        return self.to_html()


def compact_grid(frame: pd.DataFrame, *, rows: Key, columns: Key, cell: str | Callable[[pd.Series], str],
                 colour: str | None = None, precision: int = 1, caption: str = "", na: str = "—",
                 legend: bool = True) -> Grid:
    """A paper-layout table from a long frame with one row per cell.

    frame: (cells, ...) with the ``rows`` and ``columns`` key columns; each (rows, columns) combination at most
    once. rows / columns: one column name or several (outer to inner; repeated outer labels are merged into one
    spanning header). cell: the column holding each cell's text (numbers are formatted to ``precision``
    decimals; a newline in a string becomes a line break) or a function of the frame's row returning the text.
    colour: optional column holding the verdict behind each cell ("supported", "contradicted",
    "inconclusive", "not testable"; empty = no colour); the cell gets that background and mark, and a legend
    line follows the table. Labels of each key keep their order of first appearance in ``frame`` (sort it
    beforehand to choose), outer keys first, so that equal outer labels are adjacent and merge into one
    header. Missing combinations show ``na``. Raises ValueError on duplicates.
    Returns a :class:`Grid` (renders as HTML; ``.cells`` is the pivoted frame of strings).
    """
    row_keys, col_keys = _keys(rows), _keys(columns)
    keys = row_keys + col_keys
    missing = [k for k in keys + ([colour] if colour else []) + ([cell] if isinstance(cell, str) else [])
               if k not in frame.columns]
    if missing:
        raise ValueError(f"compact_grid: no column {', '.join(map(repr, missing))} in the frame "
                         f"(columns: {', '.join(map(str, frame.columns))})")
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        raise ValueError(f"compact_grid: {int(dup.sum())} rows share their {keys} keys; aggregate first, e.g.\n"
                         f"{frame.loc[dup, keys].head(4).to_string(index=False)}")
    texts = frame.apply(cell, axis=1) if callable(cell) else frame[cell]
    long = frame[keys].copy()
    long["_text"] = [format_cell(v, precision, na) for v in texts]
    long["_colour"] = [verdict_key(v) for v in frame[colour]] if colour else None

    def order(names: list[str]) -> pd.MultiIndex | pd.Index:
        labels = list(dict.fromkeys(map(tuple, frame[names].itertuples(index=False, name=None))))
        rank = [{v: i for i, v in enumerate(dict.fromkeys(t[k] for t in labels))} for k in range(len(names))]
        labels.sort(key=lambda t: [rank[k][v] for k, v in enumerate(t)])  # outer levels stay together
        if len(names) == 1:
            return pd.Index([t[0] for t in labels], name=names[0])
        return pd.MultiIndex.from_tuples(labels, names=names)

    index, cols = order(row_keys), order(col_keys)
    pivot = long.set_index(keys)
    cells = pivot["_text"].unstack(col_keys) if col_keys else pivot["_text"]
    colours = pivot["_colour"].unstack(col_keys)
    cells = cells.reindex(index=index, columns=cols).fillna(na)
    colours = colours.reindex(index=index, columns=cols).astype(object)
    colours = colours.where(colours.notna(), None)
    return Grid(cells=cells, colours=colours, caption=caption, legend=legend)


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """(low, high) two-sided t interval of the mean of ``values`` (n,): :func:`synthmed.stats.t_interval`, the
    book's one implementation (NaN with fewer than two values, so a plot draws no bar it cannot justify)."""
    return t_interval_of(values, level)


def _offsets(n: int, dodge: float) -> np.ndarray:
    """x offsets of the ``n`` hue levels around each category, as seaborn's pointplot places them."""
    return np.zeros(1) if n < 2 else -dodge / 2 + dodge / (n - 1) * np.arange(n)


def interval_figure(frame: pd.DataFrame, *, x: str, y: str, hue: str, col: str | None = None,
                    row: str | None = None, reference: pd.DataFrame | None = None, order=None,
                    hue_order=None, col_order=None, row_order=None, col_wrap: int | None = None,
                    ylabel: str | None = None, height: float = 2.6, aspect: float = 1.1, dodge: float = 0.45,
                    palette: str = "colorblind", level: float = 0.95,
                    ylim: tuple[float, float] | None = None) -> plt.Figure:
    """Means with ``level`` t intervals over runs (seeds) per (x, hue) group, one panel per ``col`` (and ``row``).

    frame: (runs, ...) one row per run with the x, y, hue and facet columns; y numeric. reference: optional
    frame of the paper's values with the same x / hue / facet columns and a y column (missing facet columns =
    the value holds in every panel); each is drawn as a black hollow diamond beside the mean it belongs to.
    An interval needs two runs or more: a group with one run shows its mean alone. Order arguments default
    to the order of first appearance. ylim: the y range of every panel, e.g. (0, 100) for percentages (a t
    interval over 2 or 3 seeds can reach far outside what the metric can take). Returns the Figure (close it with
    ``plt.close`` after display if needed).
    """
    import seaborn as sns

    def levels(column: str | None, given) -> list | None:
        return None if column is None else list(given) if given is not None else list(pd.unique(frame[column]))

    order, hue_order = levels(x, order), levels(hue, hue_order)
    col_order, row_order = levels(col, col_order), levels(row, row_order)
    if col is not None and row is None and col_wrap is None and len(col_order) > 3:
        col_wrap = 3
    grid = sns.catplot(data=frame, kind="point", x=x, y=y, hue=hue, col=col, row=row, order=order,
                       hue_order=hue_order, col_order=col_order, row_order=row_order, col_wrap=col_wrap,
                       errorbar=lambda v: t_interval(v, level), dodge=dodge if len(hue_order) > 1 else False,
                       linestyle="none", capsize=0.08, palette=palette, height=height, aspect=aspect,
                       markersize=5, err_kws={"linewidth": 1.2})
    offsets = dict(zip(hue_order, _offsets(len(hue_order), dodge)))
    marked = False
    for keys, ax in grid.axes_dict.items() if (col or row) else [((), grid.ax)]:
        keys = keys if isinstance(keys, tuple) else (keys,)
        facet = dict(zip([c for c in (row, col) if c is not None], keys))
        ax.set_title(", ".join(f"{v}" for v in facet.values()), fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        if ylim is not None:
            ax.set_ylim(*ylim)
        if reference is None:
            continue
        ref = reference
        for name, value in facet.items():
            if name in ref.columns:
                ref = ref[ref[name] == value]
        ref = ref[ref[x].isin(order) & ref[hue].isin(hue_order) & ref[y].notna()]
        if len(ref):
            xs = [order.index(a) + offsets[h] for a, h in zip(ref[x], ref[hue])]
            ax.scatter(xs, ref[y], marker="D", s=30, facecolors="none", edgecolors="black", linewidths=1.1,
                       zorder=5, label="paper" if not marked else None)
            marked = True
    grid.set_axis_labels("", ylabel or y)
    handles, labels = [], []
    if grid.legend is not None:  # one legend line above the panels, the paper's marker last
        handles, labels = list(grid.legend.legend_handles), [t.get_text() for t in grid.legend.texts]
        grid.legend.remove()
    if marked:
        handles.append(plt.Line2D([], [], marker="D", linestyle="none", markerfacecolor="none",
                                  markeredgecolor="black", label="paper"))
        labels.append("paper")
    grid.figure.tight_layout()
    if handles:
        grid.figure.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(labels),
                           frameon=False, fontsize=9, title=hue, title_fontsize=9)
    return grid.figure


@dataclass(frozen=True)
class Html:
    """A piece of HTML that renders as such in a notebook and in the book."""

    body: str

    def _repr_html_(self) -> str:
        return self.body


def plain(frame: pd.DataFrame, *, precision: int | None = None, caption: str = "") -> Html:
    """A frame as a compact HTML table without pandas' index column (a named index becomes a first column);
    underscores in column names are shown as spaces so that headers wrap.

    precision: decimals for float columns (None: pandas' default). Use it for small descriptive tables (class
    counts, settings); results in a paper's layout go through :func:`compact_grid`.
    """
    frame = frame.reset_index() if _has_named_index(frame) else frame
    frame = frame.rename(columns=_label)  # headers wrap between words
    fmt = None if precision is None else (lambda v: f"{v:.{precision}f}")
    body = frame.to_html(index=False, classes="synthmed-table", border=0, na_rep="—", float_format=fmt)
    return Html(caption_html(caption) + body if caption else body)


@dataclass(frozen=True)
class Folded:
    """HTML ``<details>`` block around a table or any HTML; renders closed in a notebook and in the book."""

    body: str
    summary: str

    def _repr_html_(self) -> str:
        return (f'<details class="synthmed-folded"><summary>{html.escape(self.summary)}</summary>\n'
                f"{self.body}\n</details>")


def folded(content: object, summary: str = "All runs", precision: int = 3, *, max_columns: int = 9,
           keys: Sequence[str] | None = None) -> Folded:
    """Fold ``content`` away under a one-line ``summary`` the reader clicks to open.

    content: an object with ``_repr_html_`` (e.g. a :class:`Grid` or a pandas Styler), an HTML string, or a
    DataFrame (say a runs frame: one row per run). A frame is laid out to fit the book's column: no index
    column; numbers to ``precision`` decimals; underscores in column names shown as spaces so that headers
    wrap; a column with one value in every row is named once in a line above the table instead; and when
    more than ``max_columns`` columns remain, they are split over several tables that each repeat the
    ``keys`` columns (default: the leading columns up to and including ``seed``, else the first column).
    The summary gets the frame's size.
    """
    if not isinstance(content, pd.DataFrame):
        body = content._repr_html_() if hasattr(content, "_repr_html_") else str(content)
        return Folded(body=body, summary=summary)
    frame = content.reset_index() if _has_named_index(content) else content
    size = f"{summary} ({len(frame)} rows × {frame.shape[1]} columns)"
    shared = [c for c in frame.columns if len(frame) > 1 and frame[c].astype(str).nunique() == 1]
    parts = []
    if shared:
        values = ", ".join(f"{_label(c)} = {_value(frame[c].iloc[0], precision)}" for c in shared)
        parts.append(f'<p class="synthmed-shared">In every row: {html.escape(values)}.</p>')
    frame = frame.drop(columns=shared)
    columns = list(frame.columns)
    if keys is None:
        keys = columns[: columns.index("seed") + 1] if "seed" in columns else columns[:1]
    keys = [k for k in keys if k in columns]
    rest = [c for c in columns if c not in keys]
    width = max(1, max_columns - len(keys))
    for i in range(0, max(len(rest), 1), width):
        part = frame[keys + rest[i: i + width]].rename(columns=_label)
        parts.append(part.to_html(index=False, classes="synthmed-runs", border=0, na_rep="—",
                                  float_format=lambda v: f"{v:.{precision}f}"))
    return Folded(body="\n".join(parts), summary=size)


def _label(column: object) -> str:
    return str(column).replace("_", " ")


def _value(value: object, precision: int) -> str:
    return f"{value:.{precision}f}" if isinstance(value, (float, np.floating)) else str(value)


def _has_named_index(frame: pd.DataFrame) -> bool:
    return any(n is not None for n in frame.index.names)
