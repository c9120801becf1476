"""The records: a :class:`Claim` (one statement made testable) and the :class:`Verdict` on it, with the sentence the
book prints (generated from the numbers, never fixed)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from synthmed.display import significant_decimals

KINDS = ("better", "not_worse", "close", "above", "ranking")  # above: A exceeds a stated value
VERDICTS = ("supported", "contradicted", "inconclusive", "not testable")
# "paper": a statement the paper makes (its place in `source`, its numbers in `paper_figure`); "ours": an
# extension (another dataset or metric), a control, a margin of ours or a check of our own (`why` says which).
ORIGINS = ("paper", "ours")
SIZES = ("the paper's size fits", "smaller than the paper reports", "larger than the paper reports")
ALPHA = 0.05  # false discovery rate of each paper's primary claims (Benjamini-Hochberg)
# Metrics that do not depend on a decision threshold: a constant predictor does not make them degenerate.
THRESHOLD_FREE = frozenset({"roc_auc", "auc", "fid", "density", "coverage", "precision_prdc", "recall_prdc",
                            "intra_d", "inter_d", "mi", "mi_gain", "displacement", "n_gans", "size",
                            "distance", "pixel_distance", "latent_distance", "val_auc", "test_auc", "loss"})


def verdict_label(verdict: str, size: str = "", fragile: bool = False) -> str:
    """The verdict as tables show it: "inconclusive: smaller than the paper reports" where an inconclusive
    interval excludes the paper's own difference, "supported (fragile)" for a fragile decision."""
    if verdict == "inconclusive" and size and size != SIZES[0]:
        return f"inconclusive: {size}"
    if fragile and verdict in ("supported", "contradicted"):
        return f"{verdict} (fragile)"
    return verdict


def contrast(a: Mapping[str, Any], b: Mapping[str, Any] | None) -> tuple[str, str]:
    """Labels of two selectors by the values in which they differ ({dataset: x, strategy: ours} vs {dataset: x,
    strategy: naive_all} -> "ours", "naive_all"); the claim's text already names what they share."""
    if not b:
        return label(a), ""
    keys = [k for k in a if a.get(k) != b.get(k)] + [k for k in b if k not in a]
    if not keys:
        return label(a), label(b)
    return label({k: a[k] for k in keys if k in a}), label({k: b[k] for k in keys if k in b})


def label(selector: Mapping[str, Any] | None) -> str:
    """"TSynD, fgsm" for {method: TSynD, test_condition: fgsm}; "all runs" for an empty selector."""
    if not selector:
        return "all runs"
    return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in selector.values())


@dataclass(frozen=True)
class Claim:
    """One claim, made testable.

    id: unique, stable (used in links); paper: "TSynD" | "GAN ensembles" | "Class imbalance"; source: where the paper
    makes it ("Table 1", "Sec. 4.2"); text: a one-line paraphrase in our words; metric: the runs frame's column;
    kind: one of :data:`KINDS`; a, b: selectors {column: value} of A's and B's rows; order: for ``ranking``, the
    selectors from best to worst; value: for ``close``, the target; margin: ``not_worse``'s tolerated loss or
    ``close``'s tolerance; higher_is_better: the metric's direction; scale: multiply the metric by this for the
    book (100 shows fractions as percent; margin and value are in scaled units); paper_figure: the paper's own
    numbers as text; section: the chapter page (and anchor) that shows it; pair_on: columns that pair runs;
    untestable: a non-empty reason makes the claim ``not testable`` here; chapter: the notebook that judges it;
    decimals: of the numbers the book prints.

    origin: "paper" or "ours" (:data:`ORIGINS`); why: for "ours", what kind of addition it is and why;
    primary: one of the paper's headline claims (origin paper), judged once over every cell it covers, in the
    paper's Benjamini-Hochberg family; pool: columns whose cells a pooled claim averages per pairing key (the
    selectors leave them out); paper_diff: the paper's own difference A - B in scaled units (sign flipped where
    lower is better), computed from the reference tables; threshold: whether the metric depends on a decision
    threshold (None: inferred from the metric's name, :data:`THRESHOLD_FREE`); chance_on: the column that says
    whether a side's models are above chance ("" inferred by :func:`synthmed.claims.judge.chance_column`, "none"
    for no such rule); paper_cells: for a pooled claim with ``paper_diff``, the cells the paper itself ran
    (selectors of pool values): the size comparison uses only those.
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
    origin: str = "paper"
    why: str = ""
    primary: bool = False
    pool: tuple[str, ...] = ()
    paper_diff: float | None = None
    threshold: bool | None = None
    chance_on: str = ""
    paper_cells: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id!r}: unknown kind {self.kind!r}; valid: {', '.join(KINDS)}")
        if self.kind in ("better", "not_worse") and self.b is None and not self.untestable:
            raise ValueError(f"claim {self.id!r}: kind {self.kind!r} needs a selector b")
        if self.kind in ("close", "above") and self.value is None and not self.untestable:
            raise ValueError(f"claim {self.id!r}: kind {self.kind!r} needs a value")
        if self.kind == "ranking" and len(self.order) < 2 and not self.untestable:
            raise ValueError(f"claim {self.id!r}: kind 'ranking' needs an order of at least two selectors")
        if self.margin < 0:
            raise ValueError(f"claim {self.id!r}: margin must be >= 0, got {self.margin}")
        if self.origin not in ORIGINS:
            raise ValueError(f"claim {self.id!r}: origin must be one of {', '.join(ORIGINS)}, got {self.origin!r}")
        if self.origin == "ours" and not self.why:
            raise ValueError(f"claim {self.id!r}: a claim of ours needs `why` (an extension, a control or a check)")
        if self.primary and self.origin != "paper":
            raise ValueError(f"claim {self.id!r}: only the paper's own claims can be primary")
        bad = [c for c in self.paper_cells if not set(c) <= set(self.pool)]
        if bad:
            raise ValueError(f"claim {self.id!r}: paper_cells must name pool columns only ({', '.join(self.pool)})")
        overlap = set(self.pool) & (set(self.a) | set(self.b or {}))
        if overlap:
            raise ValueError(f"claim {self.id!r}: pooled columns {sorted(overlap)} must not be in the selectors")

    @property
    def on_threshold(self) -> bool:
        """Whether the metric depends on a decision threshold (a constant predictor makes it degenerate)."""
        return self.threshold if self.threshold is not None else self.metric not in THRESHOLD_FREE

    def ours_note(self) -> str:
        """"ours: <why>" (without repeating "ours" when ``why`` already starts with it)."""
        why = self.why.strip()
        return why if why.lower().startswith("ours") else f"ours: {why}"

    @property
    def role(self) -> str:
        """"primary" (a paper's headline claim), "per cell" (a paper's claim on one cell: exploratory) or "ours"."""
        return "ours" if self.origin == "ours" else "primary" if self.primary else "per cell"


@dataclass(frozen=True)
class Verdict:
    """The verdict on one claim. diff, low, high: mean paired difference (A - B, or A - value; sign flipped for a
    lower-is-better metric so that positive always favours A) and its 95 % interval, in scaled units; n: pairs
    used; n_dropped: pairs left out because a value was missing; p: the claim's test (twice the smaller one-sided
    p, so that p < 0.05 agrees with the 95 % interval); p_adj: p after Benjamini-Hochberg over the paper's primary
    claims (primary claims only); size: where the paper's own difference lies against our interval
    (:data:`SIZES`); family: how many primary claims the adjustment covered; raw: the verdict before that adjustment
    (primary claims; the interval's own decision); cells: cells a pooled claim averages per pair; fragile: a
    decided verdict that changes when any one replicate is left out (for a primary claim also when its
    leave-one-out p, ``p_loo``, would lift p_adj to ALPHA); loo_flip: the interval's own leave-one-out flip;
    dropped_cells: the degenerate cells a pooled claim left out, with why; nonconstant: the effect with the
    constant members of averaged arms left out; paper_cells: the interval on the paper's own cells (the size
    comparison's); family_key: digest of the Benjamini-Hochberg family's members it was adjusted over."""

    claim: Claim
    verdict: str
    n: int = 0
    n_dropped: int = 0
    mean_a: float = math.nan
    mean_b: float = math.nan
    diff: float = math.nan
    low: float = math.nan
    high: float = math.nan
    seeds_needed: int | None = None
    constant: str = ""
    reason: str = ""
    profile: str = ""
    p: float = math.nan
    p_adj: float = math.nan
    family: int = 0
    size: str = ""
    cells: int = 0
    raw: str = ""
    fragile: bool = False
    loo_flip: bool = False
    p_loo: float = math.nan
    dropped_cells: str = ""
    nonconstant: str = ""
    paper_cells: str = ""
    family_key: str = ""

    def decimals(self) -> int:
        """The claim's decimals, or, when the largest of the difference and its interval bounds would print as
        zero with them, as many as show it with two significant digits (at most 8): a Fréchet distance in a small
        network's features is below 0.001, and "-0.000 [-0.000, -0.000]" hides the numbers a verdict rests on."""
        d = self.claim.decimals
        largest = max((abs(v) for v in (self.diff, self.low, self.high) if not math.isnan(v)), default=0.0)
        return d if largest >= 10 ** -d else significant_decimals(largest, d)

    def interval(self) -> str:
        """"+3.2 [-1.0, +7.4]" (or "+3.2, one pair" when there is no interval)."""
        d = self.decimals()
        if math.isnan(self.diff):
            return ""
        if self.n < 2:
            return f"{self.diff:+.{d}f} (one pair)"
        if math.isnan(self.low) or math.isnan(self.high):
            return f"{self.diff:+.{d}f} (no interval)"
        return f"{self.diff:+.{d}f} [{self.low:+.{d}f}, {self.high:+.{d}f}]"

    def label(self) -> str:
        """The verdict as the table shows it: an inconclusive claim whose interval excludes the paper's own
        difference says so ("inconclusive: smaller than the paper reports"); a fragile decision says so too."""
        return verdict_label(self.verdict, self.size, self.fragile)

    def sentence(self) -> str:
        """The text the book prints for this verdict: generated from the numbers, never fixed."""
        c = self.claim
        d = self.decimals()
        what = f"{c.text} ({c.paper}, {c.source}{'; ' + c.ours_note() if c.origin == 'ours' else ''})"
        if self.verdict == "not testable":
            return f"{what}: not testable here, because {self.reason}."
        a, b = contrast(c.a, c.b)
        unit = f"{c.metric.replace('_', ' ')}"
        pairs = (f"{self.n} paired seeds" if not c.pool
                 else f"{self.n} paired seeds, each the mean of {self.cells} cells")
        span = (f"{pairs}, 95 % interval {self.low:+.{d}f} to {self.high:+.{d}f}" if self.n >= 2
                else "a single seed, so no interval")
        if self.n_dropped:
            span += f"; {self.n_dropped} pair{'s' if self.n_dropped != 1 else ''} dropped for a missing value"
        if c.kind == "close":
            body = (f"{a} scores {self.mean_a:.{d}f} {unit} against the target {c.value:g} (difference "
                    f"{self.diff:+.{d}f}, {span}; tolerance ±{c.margin:g})")
        elif c.kind == "above":
            body = (f"{a} scores {self.mean_a:.{d}f} {unit} against the bar {c.value:g} (difference "
                    f"{self.diff:+.{d}f}, {span})")
        elif c.kind == "ranking":
            body = (f"the weakest step of the expected order ({self.reason}) differs by {self.diff:+.{d}f} {unit} "
                    f"({span})")
        else:
            direction = "ahead of" if self.diff > 0 else "behind" if self.diff < 0 else "level with"
            body = (f"{a} is {abs(self.diff):.{d}f} {unit} {direction} {b} on average ({span}"
                    + (f"; margin {c.margin:g}, ours" if c.kind == "not_worse" else "") + ")")
        text = f"{what}: **{self.verdict}** here: {body}."
        if c.primary and not math.isnan(self.p_adj):
            if self.family == 1:
                text += (f" A primary claim: p = {self.p:.3g}; it is the only primary claim of its paper with a test "
                         f"here, so the Benjamini-Hochberg adjustment changes nothing.")
            else:
                text += (f" A primary claim: p = {self.p:.3g}, {self.p_adj:.3g} after the Benjamini-Hochberg "
                         f"adjustment over {self.family} primary claims of the paper.")
        if self.dropped_cells:
            text += f" Degenerate cells left out of the pool: {self.dropped_cells}."
        if self.size:
            where = f", compared {self.paper_cells}" if self.paper_cells else ""
            text += f" The paper's own difference ({c.paper_diff:+.{d}f}{where}): {self.size}."
        if self.fragile:
            text += (" The decision is **fragile**: leaving out one replicate changes it (or, for a primary claim, "
                     "lifts its adjusted p to 0.05 or above).")
        if self.nonconstant:
            text += f" With constant members left out: {self.nonconstant}."
        if self.verdict == "inconclusive":
            if self.n < 2:
                text += " One seed cannot decide a paired comparison."
            elif c.primary and not math.isnan(self.p_adj) and self.low > 0:
                text += " The interval alone would decide it, the adjustment for the paper's other claims does not."
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
                "origin": c.origin, "why": c.why, "primary": c.primary, "role": c.role,
                "pool": ", ".join(c.pool), "pair_on": ", ".join(c.pair_on), "paper_diff": c.paper_diff,
                "verdict": self.verdict, "raw": self.raw or self.verdict, "label": self.label(), "n": self.n,
                "n_dropped": self.n_dropped,
                "mean_a": self.mean_a, "mean_b": self.mean_b, "diff": self.diff, "low": self.low,
                "high": self.high, "ours": self.interval(), "p": self.p, "p_adj": self.p_adj,
                "family": self.family, "size": self.size, "cells": self.cells,
                "seeds_needed": self.seeds_needed, "constant": self.constant, "reason": self.reason,
                "profile": self.profile, "fragile": self.fragile, "loo_flip": self.loo_flip, "p_loo": self.p_loo,
                "dropped_cells": self.dropped_cells, "nonconstant": self.nonconstant,
                "paper_cells": self.paper_cells, "family_key": self.family_key, "sentence": self.sentence()}
