"""Claims of the papers and the verdicts this book reaches on them.

A :class:`Claim` is one statement of a paper, in our words, made testable: a metric, the rows of a runs frame that
stand for A (and B), and a comparison. :func:`judge` decides it from runs that are *paired*: two methods run with the
same seed share the labelled subset and the initialisation, so their difference is measured per seed and the
verdict rests on the mean paired difference and its 95 % confidence interval.

The interval is Student's t over the paired differences (``scipy.stats.t``). With the 3-10 seeds a CPU profile
affords, a bootstrap over seeds has only a handful of distinct resamples and its percentile interval is too narrow
(it under-covers); the t interval is exact for normal differences and conservative enough for small n. One pair
gives no interval, so one seed is always ``inconclusive``.

Verdicts: ``supported`` (the interval lies on the claim's side), ``contradicted`` (it lies on the other side),
``inconclusive`` (it straddles the boundary; we say roughly how many seeds the observed spread would need) and
``not testable`` (with the reason: data not here, metric not computable, no runs). A side that holds constant
predictors is reported with the verdict.

Kinds: ``better`` (A > B), ``not_worse`` (A >= B - margin), ``close`` (A within ``margin`` of ``value``) and
``ranking`` (``order`` lists selectors from best to worst; every adjacent pair must be ``better``).

Claims are registered as data: a YAML file beside each paper's package (:func:`load_claims`). Each chapter writes its
verdicts with :func:`write_verdicts`; the Scorecard page reads them all back with :func:`read_verdicts`.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from synthmed.display import VERDICT_COLOURS, VERDICT_MARKS, legend_html

KINDS = ("better", "not_worse", "close", "ranking")
VERDICTS = ("supported", "contradicted", "inconclusive", "not testable")
LEVEL = 0.95
# "paper": a statement the paper makes (its place in `source`); "ours": an extension, control or check of ours
# (`why` says which); "": not yet classified (the Scorecard lists it apart).
ORIGINS = ("paper", "ours", "")


@dataclass(frozen=True)
class Claim:
    """One claim of a paper, made testable.

    id: unique, stable (used in links); paper: "TSynD" | "GAN ensembles" | "Class imbalance"; source: where the paper
    makes it ("Table 1", "Sec. 4.2"); text: a one-line paraphrase in our words; metric: the runs frame's column;
    kind: one of :data:`KINDS`; a, b: selectors {column: value} of A's and B's rows; order: for ``ranking``, the
    selectors from best to worst; value: for ``close``, the target; margin: ``not_worse``'s tolerated loss or
    ``close``'s tolerance; higher_is_better: the metric's direction; scale: multiply the metric by this for the
    book (100 shows fractions as percent; margin and value are in scaled units); paper_figure: the paper's own
    numbers as text; section: the chapter page (and anchor) that shows it; pair_on: columns that pair runs;
    untestable: a non-empty reason makes the claim ``not testable`` here; chapter: the notebook that judges it;
    decimals: of the numbers the book prints (3 for a 0-1 metric such as density shown unscaled).
    """

    id: str
    paper: str
    source: str
    text: str
    metric: str
    kind: str
    a: Mapping[str, Any] = field(default_factory=dict)
    b: Mapping[str, Any] | None = None
    order: tuple[Mapping[str, Any], ...] = ()
    value: float | None = None
    margin: float = 0.0
    higher_is_better: bool = True
    scale: float = 1.0
    paper_figure: str = ""
    section: str = ""
    pair_on: tuple[str, ...] = ("seed",)
    untestable: str = ""
    chapter: str = ""
    decimals: int = 1
    origin: str = ""
    why: str = ""
    primary: bool = False
    pool: tuple[str, ...] = ()
    paper_diff: float | None = None
    threshold: bool | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id!r}: unknown kind {self.kind!r}; valid: {', '.join(KINDS)}")
        if self.kind in ("better", "not_worse") and self.b is None and not self.untestable:
            raise ValueError(f"claim {self.id!r}: kind {self.kind!r} needs a selector b")
        if self.kind == "close" and self.value is None and not self.untestable:
            raise ValueError(f"claim {self.id!r}: kind 'close' needs a value")
        if self.kind == "ranking" and len(self.order) < 2 and not self.untestable:
            raise ValueError(f"claim {self.id!r}: kind 'ranking' needs an order of at least two selectors")
        if self.margin < 0:
            raise ValueError(f"claim {self.id!r}: margin must be >= 0, got {self.margin}")
        if self.origin not in ORIGINS:
            raise ValueError(f"claim {self.id!r}: origin must be one of {', '.join(map(repr, ORIGINS))}, "
                             f"got {self.origin!r}")


@dataclass(frozen=True)
class Verdict:
    """The verdict on one claim. diff, low, high: mean paired difference (A - B, or A - value; sign flipped for a
    lower-is-better metric so that positive always favours A) and its 95 % interval, in scaled units; n: pairs."""

    claim: Claim
    verdict: str
    n: int = 0
    mean_a: float = math.nan
    mean_b: float = math.nan
    diff: float = math.nan
    low: float = math.nan
    high: float = math.nan
    seeds_needed: int | None = None
    constant: str = ""
    reason: str = ""
    profile: str = ""

    def interval(self) -> str:
        """"+3.2 [-1.0, +7.4]" (or "+3.2, one pair" when there is no interval)."""
        d = self.claim.decimals
        if math.isnan(self.diff):
            return ""
        if self.n < 2:
            return f"{self.diff:+.{d}f} (one pair)"
        return f"{self.diff:+.{d}f} [{self.low:+.{d}f}, {self.high:+.{d}f}]"

    def sentence(self) -> str:
        """The text the book prints for this verdict: generated from the numbers, never fixed."""
        c = self.claim
        d = c.decimals
        what = f"{c.text} ({c.paper}, {c.source})"
        if self.verdict == "not testable":
            return f"{what}: not testable here, because {self.reason}."
        a, b = _contrast(c.a, c.b)
        unit = f"{c.metric.replace('_', ' ')}"
        span = (f"{self.n} paired seeds, 95 % interval {self.low:+.{d}f} to {self.high:+.{d}f}" if self.n >= 2
                else "a single seed, so no interval")
        if c.kind == "close":
            body = (f"{a} scores {self.mean_a:.{d}f} {unit} against the target {c.value:g} (difference "
                    f"{self.diff:+.{d}f}, {span}; tolerance ±{c.margin:g})")
        elif c.kind == "ranking":
            body = (f"the weakest step of the expected order ({self.reason}) differs by {self.diff:+.{d}f} {unit} "
                    f"({span})")
        else:
            direction = "ahead of" if self.diff > 0 else "behind" if self.diff < 0 else "level with"
            body = (f"{a} is {abs(self.diff):.{d}f} {unit} {direction} {b} on average ({span}"
                    + (f"; margin {c.margin:g}" if c.kind == "not_worse" else "") + ")")
        text = f"{what}: **{self.verdict}** here: {body}."  # a run label keeps its case (`nih_patient`)
        if self.verdict == "inconclusive":
            if self.n < 2:
                text += " One seed cannot decide a paired comparison."
            elif self.seeds_needed is not None:
                text += f" With the spread observed, about {self.seeds_needed} seeds would be needed to decide."
            else:
                text += " The observed mean difference is too small for more seeds to decide it."
            if self.profile and self.profile != "paper":
                text += (f" These runs use the `{self.profile}` profile (smaller models, fewer steps than the "
                         f"paper), so the effect may differ at the paper's scale.")
        if self.constant:
            text += f" Constant predictors: {self.constant}."
        return text

    def row(self) -> dict[str, Any]:
        """A flat record (for tables, the Scorecard and JSON)."""
        c = self.claim
        return {"id": c.id, "paper": c.paper, "source": c.source, "claim": c.text, "metric": c.metric,
                "kind": c.kind, "chapter": c.chapter, "section": c.section, "paper_figure": c.paper_figure,
                "verdict": self.verdict, "n": self.n, "mean_a": self.mean_a, "mean_b": self.mean_b,
                "diff": self.diff, "low": self.low, "high": self.high, "ours": self.interval(),
                "seeds_needed": self.seeds_needed, "constant": self.constant, "reason": self.reason,
                "profile": self.profile, "sentence": self.sentence()}


def _contrast(a: Mapping[str, Any], b: Mapping[str, Any] | None) -> tuple[str, str]:
    """Labels of two selectors by the values in which they differ ({dataset: x, strategy: ours} vs {dataset: x,
    strategy: naive_all} -> "ours", "naive_all"); the claim's text already names what they share."""
    if not b:
        return _label(a), ""
    keys = [k for k in a if a.get(k) != b.get(k)] + [k for k in b if k not in a]
    if not keys:
        return _label(a), _label(b)
    return _label({k: a[k] for k in keys if k in a}), _label({k: b[k] for k in keys if k in b})


def _label(selector: Mapping[str, Any] | None) -> str:
    if not selector:
        return "all runs"
    return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in selector.values())


def _select(runs: pd.DataFrame, selector: Mapping[str, Any]) -> pd.DataFrame:
    mask = np.ones(len(runs), dtype=bool)
    for col, value in selector.items():
        column = runs[col]
        if isinstance(value, float) and pd.api.types.is_numeric_dtype(column):
            mask &= np.isclose(column.to_numpy(dtype=float), value)
        else:
            mask &= (column == value).to_numpy()
    return runs[mask]


def _missing_columns(claim: Claim, runs: pd.DataFrame) -> list[str]:
    needed = {claim.metric, *claim.pair_on, *claim.a}
    for sel in (claim.b or {}), *claim.order:
        needed |= set(sel)
    return sorted(needed - set(runs.columns))


def _per_pair(rows: pd.DataFrame, claim: Claim) -> pd.Series:
    """Mean metric per pairing key (repeats within a seed are averaged), scaled."""
    values = rows.groupby(list(claim.pair_on))[claim.metric].mean() * claim.scale
    return values.dropna()


def _constant_note(claim: Claim, sides: Sequence[tuple[str, pd.DataFrame]]) -> str:
    notes = []
    for name, rows in sides:
        if "constant" in rows.columns and len(rows):
            k = int(rows["constant"].fillna(False).astype(bool).sum())
            if k:
                notes.append(f"{name} {k}/{len(rows)} runs")
    return "; ".join(notes)


def t_interval(d: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """Two-sided Student-t interval of the mean of (n,) differences; (mean, mean) with no spread; NaN for n < 2."""
    n, m = len(d), float(np.mean(d))
    if n < 2:
        return math.nan, math.nan
    sem = float(np.std(d, ddof=1)) / math.sqrt(n)
    if sem == 0:
        return m, m
    half = float(stats.t.ppf(0.5 + level / 2, df=n - 1)) * sem
    return m - half, m + half


def seeds_needed(d: np.ndarray, boundary: float = 0.0, level: float = LEVEL, cap: int = 10_000) -> int | None:
    """The smallest n whose t interval, with the observed mean and spread of (n,) differences, would exclude
    ``boundary``; None when the mean sits on the boundary or more than ``cap`` would be needed."""
    if len(d) < 2:
        return None
    gap, sd = abs(float(np.mean(d)) - boundary), float(np.std(d, ddof=1))
    if gap == 0:
        return None
    if sd == 0:
        return len(d)
    for n in itertools.chain(range(2, 200), range(200, cap + 1, 10)):
        if float(stats.t.ppf(0.5 + level / 2, df=n - 1)) * sd / math.sqrt(n) < gap:
            return max(n, len(d) + 1)
    return None


def _decide(d: np.ndarray, low: float, high: float, lower: float, upper: float | None = None) -> str:
    """supported if [low, high] lies above ``lower`` (and below ``upper`` when given), contradicted if it lies
    entirely on the wrong side, inconclusive otherwise (always for one pair)."""
    if len(d) < 2:
        return "inconclusive"
    if upper is None:
        if low > lower:
            return "supported"
        if high < lower:
            return "contradicted"
        return "inconclusive"
    if lower <= low and high <= upper:
        return "supported"
    if low > upper or high < lower:
        return "contradicted"
    return "inconclusive"


def _pair(claim: Claim, a_sel: Mapping, b_sel: Mapping, runs: pd.DataFrame):
    a_rows, b_rows = _select(runs, a_sel), _select(runs, b_sel)
    a, b = _per_pair(a_rows, claim), _per_pair(b_rows, claim)
    joined = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner").dropna()
    sign = 1.0 if claim.higher_is_better else -1.0
    d = sign * (joined["a"] - joined["b"]).to_numpy(dtype=float)
    return d, joined, a_rows, b_rows


def judge(claim: Claim, runs: pd.DataFrame, *, profile: str = "") -> Verdict:
    """Decide ``claim`` from ``runs`` (one row per run: the pair_on columns, the selector columns, the metric and
    optionally a boolean ``constant`` column). See the module docstring for the rules."""
    base = dict(claim=claim, profile=profile)
    if claim.untestable:
        return Verdict(verdict="not testable", reason=claim.untestable, **base)
    missing = _missing_columns(claim, runs)
    if missing:
        return Verdict(verdict="not testable", reason=f"the runs have no column {', '.join(missing)}", **base)
    if claim.kind == "close":
        rows = _select(runs, claim.a)
        a = _per_pair(rows, claim)
        if a.empty:
            return Verdict(verdict="not testable", reason=f"no runs of {_label(claim.a)} were made", **base)
        d = a.to_numpy(dtype=float) - claim.value
        low, high = t_interval(d)
        verdict = _decide(d, low, high, -claim.margin, claim.margin)
        return Verdict(verdict=verdict, n=len(d), mean_a=float(a.mean()), diff=float(d.mean()), low=low, high=high,
                       seeds_needed=None, constant=_constant_note(claim, [(_label(claim.a), rows)]), **base)
    if claim.kind == "ranking":
        steps = []
        for upper, lower in itertools.pairwise(claim.order):
            d, joined, a_rows, b_rows = _pair(claim, upper, lower, runs)
            if len(d) == 0:
                return Verdict(verdict="not testable", reason=f"no paired runs of {_label(upper)} and "
                               f"{_label(lower)}", **base)
            low, high = t_interval(d)
            steps.append((_decide(d, low, high, 0.0), d, low, high, upper, lower, a_rows, b_rows))
        verdicts = [s[0] for s in steps]
        verdict = ("contradicted" if "contradicted" in verdicts else
                   "supported" if all(v == "supported" for v in verdicts) else "inconclusive")
        weakest = min(steps, key=lambda s: (s[2] if not math.isnan(s[2]) else -math.inf))
        _, d, low, high, upper, lower, a_rows, b_rows = weakest
        sides = [(_label(s[4]), s[6]) for s in steps] + [(_label(steps[-1][5]), steps[-1][7])]
        return Verdict(verdict=verdict, n=len(d), diff=float(d.mean()), low=low, high=high,
                       seeds_needed=seeds_needed(d) if verdict == "inconclusive" else None,
                       constant=_constant_note(claim, sides), reason=f"{_label(upper)} over {_label(lower)}",
                       **base)
    d, joined, a_rows, b_rows = _pair(claim, claim.a, claim.b, runs)
    if len(d) == 0:
        have = "no runs" if a_rows.empty or b_rows.empty else "no runs sharing a seed"
        return Verdict(verdict="not testable", reason=f"{have} of {_label(claim.a)} and {_label(claim.b)} were "
                       f"made", **base)
    boundary = 0.0 if claim.kind == "better" else -claim.margin
    low, high = t_interval(d)
    verdict = _decide(d, low, high, boundary)
    return Verdict(verdict=verdict, n=len(d), mean_a=float(joined["a"].mean()), mean_b=float(joined["b"].mean()),
                   diff=float(d.mean()), low=low, high=high,
                   seeds_needed=seeds_needed(d, boundary) if verdict == "inconclusive" else None,
                   constant=_constant_note(claim, [(_label(claim.a), a_rows), (_label(claim.b), b_rows)]), **base)


def judge_all(claims: Iterable[Claim], runs: pd.DataFrame, profile: str = "") -> list[Verdict]:
    """:func:`judge` for every claim, in order."""
    return [judge(c, runs, profile=profile) for c in claims]


# ---- claims as data ---------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(\w+)(:[^}]*)?\}")


def _substitute(value: Any, env: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole and whole.group(2) is None:
            return env[whole.group(1)]  # keep the type (a fraction stays a float for selectors)
        return value.format_map(env) if _PLACEHOLDER.search(value) else value
    if isinstance(value, Mapping):
        return {_substitute(k, env): _substitute(v, env) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_substitute(v, env) for v in value]
    return value


def claim_from_mapping(spec: Mapping[str, Any], **defaults: Any) -> Claim:
    """A :class:`Claim` from a plain mapping (YAML), with ``defaults`` for keys it leaves out."""
    spec = {**defaults, **spec}
    unknown = sorted(set(spec) - {f for f in Claim.__dataclass_fields__})
    if unknown:
        raise ValueError(f"claim {spec.get('id')!r}: unknown field(s) {', '.join(unknown)}; valid: "
                         f"{', '.join(Claim.__dataclass_fields__)}")
    spec["order"] = tuple(dict(s) for s in spec.get("order", ()))
    spec["pair_on"] = tuple(spec.get("pair_on", ("seed",)))
    spec["pool"] = tuple(spec.get("pool", ()))
    return Claim(**spec)


def load_claims(path: str | Path, **defaults: Any) -> list[Claim]:
    """The claims of a YAML file: a list of mappings with :class:`Claim`'s fields. An entry with
    ``expand: {name: [values...], ...}`` stands for one claim per combination of the values, each string of the
    entry formatted with them (``{dataset}``, ``{fraction:.0%}``; a string that is only ``{name}`` takes the value
    itself, keeping its type). ``defaults`` fill fields the entries leave out (e.g. paper=..., chapter=...)."""
    import yaml

    entries = yaml.safe_load(Path(path).read_text()) or []
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of claims, got {type(entries).__name__}")
    claims = []
    for entry in entries:
        entry = dict(entry)
        expand = entry.pop("expand", None) or {}
        names = list(expand)
        for combo in itertools.product(*(expand[n] for n in names)) if names else [()]:
            env = dict(zip(names, combo))
            claims.append(claim_from_mapping(_substitute(entry, env) if env else entry, **defaults))
    ids = [c.id for c in claims]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"{path}: duplicate claim ids {', '.join(dupes)}")
    return claims


def with_paper_figures(claims: Iterable[Claim], figures: Mapping[str, str]) -> list[Claim]:
    """The claims with ``paper_figure`` set from {claim id: text} where given."""
    return [replace(c, paper_figure=figures[c.id]) if c.id in figures else c for c in claims]


# ---- verdicts on disk (the Scorecard reads them) --------------------------------------------------------------------

def verdicts_dir(directory: str | Path | None = None) -> Path:
    """Where chapters write verdicts: ``directory``, else ``<cache dir>/verdicts``."""
    if directory is not None:
        return Path(directory)
    from synthmed.cache import cache_dir

    return cache_dir() / "verdicts"


def write_verdicts(notebook: str, profile: str, verdicts: Sequence[Verdict],
                   directory: str | Path | None = None) -> Path:
    """Store a chapter's verdicts (atomically) as ``<dir>/<profile>/<notebook>.json``; returns the path."""
    out = verdicts_dir(directory) / profile / f"{notebook}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = [_jsonable(v.row()) for v in verdicts]
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(rows, f, indent=1)
    os.replace(tmp, out)
    return out


def _jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in row.items():
        if isinstance(v, float) and math.isnan(v):
            v = None
        elif isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out


def read_verdicts(profile: str, directory: str | Path | None = None) -> pd.DataFrame:
    """Every chapter's verdicts under ``profile`` as one frame (empty, with the columns, when there are none)."""
    folder = verdicts_dir(directory) / profile
    rows = []
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        rows.extend(json.loads(path.read_text()))
    columns = list(Verdict(claim=Claim("x", "p", "s", "t", "m", "close", value=0.0), verdict="inconclusive").row())
    return pd.DataFrame(rows, columns=columns)


def verdict_frame(verdicts: Sequence[Verdict]) -> pd.DataFrame:
    """One row per verdict (see :meth:`Verdict.row`)."""
    return pd.DataFrame([v.row() for v in verdicts])


def counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Verdict counts per paper: rows = papers, columns = :data:`VERDICTS` (+ total)."""
    table = pd.crosstab(frame["paper"], frame["verdict"]).reindex(columns=list(VERDICTS), fill_value=0)
    table["total"] = table.sum(axis=1)
    return table.rename_axis(index=None, columns=None)


# ---- the claims table a chapter ends with --------------------------------------------------------------------------

class ClaimsTable:
    """An HTML table: claim, the paper's figure, ours (paired difference and 95 % interval, n), verdict colour."""

    def __init__(self, frame: pd.DataFrame, caption: str = "", link: bool = False):
        self.frame, self.caption, self.link = frame, caption, link

    def _repr_html_(self) -> str:
        head = ("<tr><th>claim</th><th>source</th><th>paper</th><th>ours: A's advantage over B [95 % CI] (n)</th>"
                "<th>verdict</th></tr>")
        body = []
        for _, r in self.frame.iterrows():
            key = r["verdict"]
            claim = html.escape(str(r["claim"]))
            if self.link and r.get("section"):
                claim = f'<a href="{html.escape(str(r["section"]))}">{claim}</a>'
            ours = html.escape(str(r["ours"])) + (f" (n={int(r['n'])})" if r.get("n") else "")
            if r.get("constant"):
                ours += f'<br><small>constant: {html.escape(str(r["constant"]))}</small>'
            if key == "not testable" and r.get("reason"):
                ours = f"<small>{html.escape(str(r['reason']))}</small>"
            body.append(
                f'<tr id="claim-{html.escape(str(r["id"]))}"><td>{claim}</td><td>{html.escape(str(r["source"]))}'
                f'</td><td>{html.escape(str(r["paper_figure"] or "—"))}</td><td>{ours}</td>'
                f'<td class="synthmed-verdict" style="background:{VERDICT_COLOURS[key]}">'
                f"{VERDICT_MARKS[key]} {key}</td></tr>")
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        return (f'<table class="synthmed-grid synthmed-claims">{caption}<thead>{head}</thead>'
                f'<tbody>{"".join(body)}</tbody></table>'
                '<p class="synthmed-note">Advantage: A − B, or B − A for a metric where lower is better '
                "(FID); positive means A is ahead, paired by seed.</p>"
                f"{legend_html(sorted(set(self.frame['verdict']), key=VERDICTS.index))}")

    def __repr__(self) -> str:
        return self.frame[["id", "verdict", "ours"]].to_string(index=False)


def claims_table(verdicts: Sequence[Verdict] | pd.DataFrame, caption: str = "", link: bool = False) -> ClaimsTable:
    """The table a chapter ends with (or, with ``link=True``, the Scorecard's rows linking to their sections)."""
    frame = verdicts if isinstance(verdicts, pd.DataFrame) else verdict_frame(verdicts)
    return ClaimsTable(frame, caption, link)


def with_links(frame: pd.DataFrame) -> pd.DataFrame:
    """The verdict rows with ``section`` filled in where a chapter left it empty: the chapter page's anchor of the
    claim (its claims table gives each row the id ``claim-<id>``), relative to a page in the same folder."""
    frame = frame.copy()
    empty = frame["section"].fillna("") == ""
    frame.loc[empty, "section"] = frame.loc[empty, "chapter"] + ".html#claim-" + frame.loc[empty, "id"]
    return frame


def scorecard_text(frame: pd.DataFrame, profile: str, missing: Sequence[str] = ()) -> str:
    """Markdown summarising the verdicts per paper, generated from the counts (for the Scorecard page)."""
    table = counts(frame)
    lines = []
    for paper, row in table.iterrows():
        decided = int(row["supported"] + row["contradicted"])
        parts = [f"{int(row[v])} {v}" for v in VERDICTS if row[v]]
        total = int(row["total"])
        lines.append(f"- **{paper}**: {total} claim{'s' if total != 1 else ''} — {', '.join(parts)}; "
                     f"{decided} of them decided by the runs of the `{profile}` profile.")
    text = "\n".join(lines)
    if missing:
        text += (f"\n\nNo verdicts yet from {', '.join(f'`{m}`' for m in missing)} under this profile "
                 f"(not run, or failed): their claims are missing from this page.")
    return text


def summary(verdicts: Sequence[Verdict]) -> str:
    """Markdown: one generated paragraph per verdict (for display(Markdown(...)) under the claims table)."""
    return "\n\n".join(f"- {v.sentence()}" for v in verdicts) or "No claim was registered for these runs."


def publish(notebook: str, profile: str, verdicts: Sequence[Verdict], text: str | None = None) -> tuple:
    """How a chapter ends: its verdicts stored for the Scorecard (:func:`write_verdicts`), and what it displays:
    (claims table, generated Markdown text; ``text`` or :func:`summary` of the verdicts).
    Use as ``display(*claims.publish("tsynd", settings.profile, verdicts))``."""
    from IPython.display import Markdown

    write_verdicts(notebook, profile, verdicts)
    return claims_table(verdicts), Markdown(summary(verdicts) if text is None else text)


def as_dict(claim: Claim) -> dict[str, Any]:
    """A claim as plain data (e.g. to show or store)."""
    return asdict(claim)
