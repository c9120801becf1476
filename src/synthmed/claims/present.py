"""How verdicts look: the claims table a chapter ends with, the generated text under it, and the Scorecard's
summaries (primary claims adjusted over each paper's family, the forest plot, counts)."""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from synthmed.claims.judge import adjust, bh_family, expected_false
from synthmed.claims.model import ALPHA, VERDICTS, Verdict, verdict_label
from synthmed.claims.select import paired_differences
from synthmed.claims.store import family_rows, verdict_frame, write_verdicts
from synthmed.display import VERDICT_COLOURS, VERDICT_MARKS, legend_html, plain

NO_CLAIM = "No claim of the paper concerns these runs."
ROLE_TEXT = {"primary": "primary", "per cell": "per cell, exploratory", "ours": "ours"}


def _ours_cell(r) -> str:
    if r["verdict"] == "not testable" and r.get("reason"):
        text = f"<small>{html.escape(str(r['reason']))}</small>"
        if r.get("ours"):
            text = html.escape(str(r["ours"])) + "<br>" + text
        return text
    ours = html.escape(str(r["ours"]))
    n = r.get("n")
    if n:
        ours += f" (n={int(n)}" + (f", {int(r['n_dropped'])} dropped" if r.get("n_dropped") else "") + ")"
    if r.get("role") == "primary" and r.get("p_adj") is not None and not _nan(r.get("p_adj")):
        ours += f"<br><small>p {_fmt_p(r['p'])}, BH-adjusted {_fmt_p(r['p_adj'])}</small>"
    if r.get("size"):
        ours += f"<br><small>paper {float(r['paper_diff']):+.{int(r.get('decimals', 1) or 1)}f}: " \
                f"{html.escape(str(r['size']))}</small>"
    if r.get("constant"):
        ours += f'<br><small>constant: {html.escape(str(r["constant"]))}</small>'
    return ours


def _nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _fmt_p(p) -> str:
    return "—" if _nan(p) else f"{float(p):.2g}" if float(p) >= 0.001 else "< 0.001"


class ClaimsTable:
    """An HTML table: claim (with its role: primary / per cell, exploratory / ours), source, the paper's figure,
    ours (paired difference and 95 % interval, n, dropped pairs, adjusted p, the paper's size), verdict colour."""

    def __init__(self, frame: pd.DataFrame, caption: str = "", link: bool = False, unit: str = ""):
        self.frame, self.caption, self.link, self.unit = frame, caption, link, unit

    def _repr_html_(self) -> str:
        if self.frame.empty:
            return f'<p class="synthmed-note">{NO_CLAIM}</p>'
        head = ("<tr><th>claim</th><th>source</th><th>paper</th><th>ours: A's advantage over B [95 % CI] (n)</th>"
                "<th>verdict</th></tr>")
        body = []
        for _, r in self.frame.iterrows():
            key = r["verdict"]
            claim = html.escape(str(r["claim"]))
            if self.link and r.get("section"):
                claim = f'<a href="{html.escape(str(r["section"]))}">{claim}</a>'
            role = str(r.get("role") or "")
            badge = ROLE_TEXT.get(role, role)
            why = str(r.get("why") or "").strip()
            if role == "ours" and why:
                badge = why if why.lower().startswith("ours") else f"{badge}: {why}"
            claim += f"<br><small>{html.escape(badge)}</small>" if badge else ""
            shown = str(r.get("label") or key)
            body.append(
                f'<tr id="claim-{html.escape(str(r["id"]))}"><td>{claim}</td><td>{html.escape(str(r["source"]))}'
                f'</td><td>{html.escape(str(r["paper_figure"] or "—"))}</td><td>{_ours_cell(r)}</td>'
                f'<td class="synthmed-verdict" style="background:{VERDICT_COLOURS[key]}">'
                f"{VERDICT_MARKS[key]} {html.escape(shown)}</td></tr>")
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        unit = f" One pair: {html.escape(self.unit)}." if self.unit else self._unit()
        return (f'<table class="synthmed-grid synthmed-claims">{caption}<thead>{head}</thead>'
                f'<tbody>{"".join(body)}</tbody></table>'
                '<p class="synthmed-note">Advantage: A − B, or B − A for a metric where lower is better '
                f"(FID); positive means A is ahead.{unit} Primary claims are decided by their p after the "
                f"Benjamini–Hochberg adjustment over the paper's primary claims (false discovery rate {ALPHA:g}); "
                "per-cell claims and ours by their unadjusted 95 % interval (exploratory).</p>"
                f"{legend_html(sorted(set(self.frame['verdict']), key=VERDICTS.index))}")

    def _unit(self) -> str:
        """What one replication is, from the claims' pairing columns (when the chapter did not say it)."""
        keys = sorted({k for k in self.frame.get("pair_on", pd.Series(dtype=str)).dropna() if k})
        if not keys:
            return ""
        return (" One pair, one replication: runs sharing the same " + " / ".join(html.escape(k) for k in keys)
                + " (repeats within it, such as backbones, averaged first; a pooled claim averages its cells).")

    def __repr__(self) -> str:
        return NO_CLAIM if self.frame.empty else self.frame[["id", "verdict", "ours"]].to_string(index=False)


def claims_table(verdicts: Sequence[Verdict] | pd.DataFrame, caption: str = "", link: bool = False,
                 unit: str = "") -> ClaimsTable:
    """The table a chapter ends with (or, with ``link=True``, the Scorecard's rows linking to their sections);
    ``unit``: one line saying what one pair (one replication) is."""
    frame = verdicts if isinstance(verdicts, pd.DataFrame) else verdict_frame(verdicts)
    return ClaimsTable(frame, caption, link, unit)


def summary(verdicts: Sequence[Verdict]) -> str:
    """Markdown: one generated paragraph per verdict (for display(Markdown(...)) under the claims table)."""
    return "\n\n".join(f"- {v.sentence()}" for v in verdicts) or NO_CLAIM


def run_identity(run: Any) -> tuple[str, dict[str, Any]]:
    """(profile, the parameters the run set itself) of ``run``: a profile name, or a notebook's resolved
    :class:`~synthmed.profiles.Settings` (its ``explicit`` values; none when the runner ran it)."""
    if isinstance(run, str):
        return run, {}
    return run.profile, {k: run[k] for k in sorted(run.explicit)}


def custom_note(notebook: str, custom: Mapping[str, Any]) -> str:
    """Markdown under the claims of a run with parameters of its own: why the Scorecard does not count them."""
    given = ", ".join(f"`{k}={v!r}`" for k, v in custom.items())
    return (f"*This run set {given} itself, so its verdicts are stored apart (`verdicts/<profile>/custom/`): the "
            f"Scorecard counts only runs of the profile's own settings, which this one would otherwise overwrite. "
            f"`python -m synthmed.runner --only {notebook}` re-runs the page as the book shows it.*")


def in_family(notebook: str, run: Any, verdicts: Sequence[Verdict]) -> list[Verdict]:
    """``verdicts`` with the paper's primary claims adjusted over the paper's whole family: this notebook's and the
    primary claims its sibling notebooks stored under the same profile (:func:`synthmed.claims.store.family_rows`),
    so a page shows the adjusted p the Scorecard shows. The runner re-executes a page whose siblings ran after it
    (:func:`synthmed.claims.store.stale_families`)."""
    profile, _ = run_identity(run)
    return adjust(verdicts, family_rows(profile, exclude=notebook))


def publish(notebook: str, run: Any, verdicts: Sequence[Verdict], text=None, unit: str = "",
            extra: Sequence[Verdict] = ()) -> tuple:
    """How a chapter ends: its verdicts stored for the Scorecard (:func:`write_verdicts`), and what it displays:
    (claims table, generated Markdown text; ``text`` or :func:`summary` of the verdicts). An empty list of
    verdicts is stored too (the chapter ran) and shows :data:`NO_CLAIM`. ``run``: the notebook's resolved settings
    (or a profile name); a run that set parameters of its own is stored apart (:func:`run_identity`,
    :mod:`synthmed.claims.store`) and says so. The one presenter of every chapter: the primary claims are adjusted
    over the paper's family across its notebooks first (:func:`in_family`); ``text`` may be a function of the
    adjusted verdicts returning the Markdown. ``extra``: verdicts the page shows elsewhere and stores with these (a
    committed bundle's, judged in their own family, so adjusting them with the page's changes nothing); they are
    neither in the table nor in the text.
    Use as ``display(*claims.publish("tsynd", settings, verdicts))``."""
    from IPython.display import Markdown

    profile, custom = run_identity(run)
    stored = in_family(notebook, run, [*verdicts, *extra])
    write_verdicts(notebook, profile, stored, custom=custom)
    verdicts = stored[:len(verdicts)]
    body = summary(verdicts) if text is None else text(verdicts) if callable(text) else text
    if custom:
        body = f"{body}\n\n{custom_note(notebook, custom)}"
    return claims_table(verdicts, unit=unit), Markdown(body)


def counts(frame: pd.DataFrame, column: str = "verdict") -> pd.DataFrame:
    """Verdict counts per paper: rows = papers, columns = the verdicts (+ total)."""
    table = pd.crosstab(frame["paper"], frame[column]).reindex(columns=list(VERDICTS), fill_value=0)
    table["total"] = table.sum(axis=1)
    return table.rename_axis(index=None, columns=None)


def with_links(frame: pd.DataFrame) -> pd.DataFrame:
    """The verdict rows with ``section`` filled in where a chapter left it empty: the chapter page's anchor of the
    claim (its claims table gives each row the id ``claim-<id>``), relative to a page in the same folder."""
    frame = frame.copy()
    empty = frame["section"].fillna("") == ""
    frame.loc[empty, "section"] = frame.loc[empty, "chapter"] + ".html#claim-" + frame.loc[empty, "id"]
    return frame


def adjust_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Verdict rows (as read back by the Scorecard) with each paper's primary claims re-adjusted together, across
    every chapter notebook of that paper: p_adj, family and verdict recomputed from p and the unadjusted
    verdict (``raw``) exactly as :func:`synthmed.claims.judge.adjust` does within one chapter."""
    frame = frame.copy()
    primary = (frame["role"] == "primary") & frame["p"].notna()
    families = frame.loc[primary].groupby(
        [frame.loc[primary, "paper"], frame.loc[primary, "profile"].fillna("")], sort=False).groups
    for idx in families.values():
        q, q_loo = bh_family(frame.loc[idx, "p"].to_numpy(dtype=float),
                             frame.loc[idx, "p_loo"].to_numpy(dtype=float))
        frame.loc[idx, "p_adj"] = q
        frame.loc[idx, "family"] = len(idx)
        decided = frame.loc[idx, "raw"].isin(["supported", "contradicted"]).to_numpy() & (q < ALPHA)
        frame.loc[idx, "verdict"] = np.where(decided, frame.loc[idx, "raw"], "inconclusive")
        frame.loc[idx, "fragile"] = decided & (frame.loc[idx, "loo_flip"].fillna(False).astype(bool).to_numpy()
                                               | (q_loo >= ALPHA))
    frame["label"] = [verdict_label(v, s if isinstance(s, str) else "", bool(f))
                      for v, s, f in zip(frame["verdict"], frame["size"], frame["fragile"])]
    return frame


def primary_text(frame: pd.DataFrame, profile: str) -> str:
    """Markdown: per paper, its primary claims counted by verdict, and the false discoveries to expect."""
    rows = frame[frame["role"] == "primary"]
    if rows.empty:
        return "No primary claim has a verdict yet under this profile."
    lines = []
    for paper, g in rows.groupby("paper", sort=False):
        c = g["verdict"].value_counts()
        parts = ", ".join(f"{int(c[v])} {v}" for v in VERDICTS if c.get(v, 0))
        line = f"- **{paper}**: {len(g)} primary claim{'s' if len(g) != 1 else ''}: {parts}."
        # Benjamini-Hochberg bounds the false discoveries among every decision, supported and contradicted alike
        decided = {v: int(c.get(v, 0)) for v in ("supported", "contradicted")}
        raw = {v: int((g["raw"] == v).sum()) for v in decided}
        n = sum(decided.values())
        if n:
            which = ", ".join(f"{k} {v}" for v, k in decided.items() if k)
            line += (f" Of {n} decided claim{'s' if n != 1 else ''} ({which}), at most about "
                     f"{expected_false(n):.2g} would be expected to be false discoveries.")
            fragile = int((g["verdict"].isin(list(decided)) & g.get("fragile", False)).sum())
            line += (f" {n - fragile} of the decisions are robust, {fragile} fragile (leaving out one replicate "
                     f"changes them).")
        if int(g["p"].notna().sum()) == 1:
            line += " Only one of them has a test here, so the Benjamini–Hochberg adjustment changes nothing."
        if raw != decided:
            n_raw = sum(raw.values())
            line += (f" Without the adjustment, {n_raw} would be decided ("
                     + ", ".join(f"{k} {v}" for v, k in raw.items() if k) + ")." if n_raw
                     else " Without the adjustment, none would be decided.")
        lines.append(line)
    return (f"Runs of the `{profile}` profile. Each paper's primary claims are tested together: a claim counts as "
            f"supported or contradicted only when its p-value, adjusted by Benjamini–Hochberg over that paper's "
            f"primary claims, is below {ALPHA:g}, which keeps the expected share of false discoveries among the "
            f"decided claims at {ALPHA:.0%} or less.\n\n" + "\n".join(lines))


def _estimate(ax, y: float, diff: float, low: float, high: float, verdict: str, fragile, fragile_y: float) -> None:
    """Draw one verdict's estimate at height ``y``: its 95 % interval, its mean as a dot coloured by ``verdict``, and
    "fragile" at ``fragile_y`` when a decided verdict is fragile (``fragile`` True; a missing value is not)."""
    if not _nan(low):
        ax.plot([low, high], [y, y], color="#555555", lw=1.4, zorder=2)
    if not _nan(diff):
        ax.scatter([diff], [y], s=70, color=VERDICT_COLOURS[verdict], edgecolor="black", zorder=3, gid="ours")
    if isinstance(fragile, (bool, np.bool_)) and fragile and verdict in ("supported", "contradicted"):
        ax.text(0.99, fragile_y, "fragile", transform=ax.get_yaxis_transform(), ha="right", va="center",
                fontsize=7.5, color="#AA3377")


def _paper_mark(ax, y: float, paper_diff) -> None:
    """Draw the paper's own difference at height ``y`` as a diamond (nothing when the paper gives none)."""
    if not _nan(paper_diff):
        ax.scatter([paper_diff], [y], marker="D", s=34, color="white", edgecolor="#AA3377", lw=1.5, zorder=4,
                   gid="paper")


def forest_figure(frame: pd.DataFrame):
    """One row per primary claim: our mean paired advantage and its 95 % interval, the paper's own difference as a
    mark, coloured by verdict, a fragile decision (leaving out one replicate changes it) marked so; one panel per
    paper (their units differ). A not-testable claim is a grey hatched row
    saying so, without a dot or an interval: whatever difference was computed decides nothing. Claim labels are
    wrapped over three lines (more for a very long one), never cut (:func:`_wrap`). Returns the matplotlib figure."""
    import matplotlib.pyplot as plt

    rows = frame[frame["role"] == "primary"].copy()
    papers = list(dict.fromkeys(rows["paper"]))
    labels = {p: [_wrap(t) for t in rows.loc[rows["paper"] == p, "claim"]] for p in papers}
    # each row as tall as its label's lines need (about 0.15 in. a line at 8 pt), plus the title and axis
    heights = [max(1.2, sum(0.22 + 0.15 * (t.count("\n") + 1) for t in labels[p]) + 0.7) for p in papers] or [1.0]
    fig, axes = plt.subplots(len(papers) or 1, 1, figsize=(8.0, sum(heights) + 0.5),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    untestable = VERDICT_COLOURS["not testable"]
    for ax, paper in zip(axes[:, 0], papers):
        g = rows[rows["paper"] == paper].reset_index(drop=True)
        y = np.arange(len(g))[::-1]
        for yi, (_, r) in zip(y, g.iterrows()):
            if r["verdict"] == "not testable":
                ax.axhspan(yi - 0.35, yi + 0.35, facecolor=untestable, edgecolor="#999999", hatch="///", lw=0,
                           zorder=0)
                ax.text(0.01, yi, f"{VERDICT_MARKS['not testable']} not testable", transform=ax.get_yaxis_transform(),
                        ha="left", va="center", fontsize=7.5, color="#333333", zorder=4,
                        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5})
            else:
                _estimate(ax, yi, r["diff"], r["low"], r["high"], r["verdict"], r.get("fragile"), yi + 0.3)
            _paper_mark(ax, yi, r.get("paper_diff"))
        ax.axvline(0, color="black", lw=0.8, ls=":")
        ax.set_yticks(y, labels[paper], fontsize=8)
        ax.set_ylim(-0.6, len(g) - 0.4)
        ax.set_title(paper, fontsize=10, loc="left")
        ax.tick_params(axis="x", labelsize=8)
    axes[-1, 0].set_xlabel("our mean paired advantage of A over B, 95 % interval\n(◇ the paper's own difference; "
                           "a hatched row: not testable)", fontsize=8)
    fig.tight_layout()
    return fig


def pairs_figure(verdicts: Sequence[Verdict], diffs: pd.DataFrame, unit: str = "replicate"):
    """One row per testable comparison verdict: each ``unit``'s paired difference as a dot (what the verdict's
    interval is computed from), under them the mean and 95 % interval coloured by verdict and the paper's own
    difference as a mark; a fragile decision (leaving out one unit changes it) is marked so. A not-testable verdict
    is left out: whatever difference was computed decides nothing. diffs:
    :func:`synthmed.claims.select.paired_differences` (claim, key, difference). Returns the matplotlib figure, or
    None when no verdict is left to draw."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    have = set(diffs["claim"])
    shown = [v for v in verdicts if v.verdict != "not testable" and v.claim.id in have]
    if not shown:
        return None
    labels = [_wrap(f"{v.claim.text} [{v.claim.origin}]") for v in shown]
    order = [v.claim.id for v in shown]
    height = sum(0.3 + 0.15 * (t.count("\n") + 1) for t in labels) + 1.1
    fig, ax = plt.subplots(figsize=(8.0, height))
    rows = diffs[diffs["claim"].isin(order)].assign(row=lambda f: f["claim"].map({c: i for i, c in enumerate(order)}))
    sns.stripplot(data=rows, x="difference", y="row", orient="h", order=range(len(order)), color="#777777", size=4,
                  alpha=0.8, jitter=0.18, ax=ax, zorder=1)
    for i, v in enumerate(shown):  # the estimate under its row of dots (the y axis runs downwards)
        _estimate(ax, i + 0.3, v.diff, v.low, v.high, v.verdict, v.fragile, i - 0.3)
        _paper_mark(ax, i + 0.3, v.claim.paper_diff)
    ax.axvline(0, color="black", lw=0.8, ls=":")
    ax.set_yticks(range(len(order)), labels, fontsize=8)
    ax.set_ylim(len(order) - 0.5, -0.55)
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelsize=8)
    ax.set_xlabel(f"paired difference A − B, one dot per {unit}\nunder the dots: their mean and its 95 % interval "
                  f"(◇ the paper's own difference)", fontsize=8)
    fig.tight_layout()
    return fig


def _wrap(text: str, width: int = 46, lines: int = 3, widest: int = 58) -> str:
    """``text`` over at most ``lines`` lines of about ``width`` characters, widened up to ``widest``; a label that
    still needs more takes more lines of ``widest`` characters (a wider label would squeeze the plot to a sliver:
    the imbalance bundle's primary claim is 330 characters long). A label is read whole, never cut."""
    while True:
        wrapped = textwrap.wrap(str(text), width) or [""]
        if len(wrapped) <= lines or width >= widest:
            return "\n".join(wrapped)
        width = min(width + 6, widest)


def scorecard_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts per paper and role (primary / per cell / ours) by verdict, and the decided ones (supported or
    contradicted) split into robust and fragile (a decision that one left-out replicate changes)."""
    table = pd.crosstab([frame["paper"], frame["role"]], frame["verdict"]).reindex(columns=list(VERDICTS),
                                                                                 fill_value=0)
    table["total"] = table.sum(axis=1)
    decided = frame["verdict"].isin(["supported", "contradicted"])
    fragile = decided & frame.get("fragile", pd.Series(False, index=frame.index)).fillna(False).astype(bool)
    keys = [frame["paper"], frame["role"]]
    table["decided: robust"] = (decided & ~fragile).groupby(keys).sum().reindex(table.index, fill_value=0)
    table["decided: fragile"] = fragile.groupby(keys).sum().reindex(table.index, fill_value=0)
    return table.rename_axis(index=["paper", "claims"], columns=None).reset_index()


def missing_text(missing: Sequence[str]) -> str:
    """A sentence naming the chapters that wrote no verdicts under this profile, or ""."""
    if not missing:
        return ""
    return (f"No verdicts yet from {', '.join(f'`{m}`' for m in missing)} under this profile (not run, or "
            f"failed): their claims are missing from this page.")


FOREST_CAPTION = ("Each dot is our mean paired advantage of the claim's method over its comparison, with its 95 % "
                  "interval; the colour is the verdict, the diamond the paper's own difference where its tables give "
                  "both sides; \"fragile\" marks a decision that leaving out one replicate would change. A grey "
                  "hatched row is a claim that is not testable here (its reason is in the table "
                  "below).")

PAIRS_CAPTION = ("Each grey dot is one {unit}'s paired difference between the claim's two sides (averaged over the "
                 "cells a pooled claim covers): the values the verdict is computed from. Under them, the coloured dot "
                 "is their mean and the bar its 95 % interval; the colour is the verdict (for a primary claim, after "
                 "the Benjamini–Hochberg adjustment, so an interval clear of zero can still be inconclusive), the "
                 "diamond the paper's own difference where its tables give both sides. \"fragile\" marks a decision "
                 "that leaving out one {unit} would change. Claims that are not testable here are left out; the "
                 "table above gives their reasons.")


def pairs_section(verdicts: Sequence[Verdict], frames: Mapping[str, pd.DataFrame], keep=None,
                  unit: str = "replicate") -> list:
    """A bundle page's look at its verdicts' spread: [the :func:`pairs_figure` of ``verdicts`` on the runs they
    were judged on (``frames`` and ``keep`` as given to :func:`synthmed.claims.judge_frames`), closed so that
    displaying it shows it once, its caption], or [] when no verdict has two paired differences (one has no
    spread to show)."""
    import matplotlib.pyplot as plt
    from IPython.display import Markdown

    diffs = paired_differences([v.claim for v in verdicts], frames, keep)
    fig = pairs_figure(verdicts, diffs, unit) if len(diffs) and diffs["claim"].value_counts().max() >= 2 else None
    if fig is None:
        return []
    plt.close(fig)
    return [fig, Markdown(PAIRS_CAPTION.format(unit=unit))]


def no_verdicts_text(profile: str) -> str:
    """What the Scorecard says when no chapter has written verdicts under ``profile``."""
    return (f"No chapter has written verdicts under the `{profile}` profile yet: build the book "
            f"(`python -m synthmed.runner --profile {profile}`) first.")


def paper_tables(rows: pd.DataFrame, what: str) -> list:
    """One linked claims table per paper of ``rows`` (in their order), captioned "<paper>: ``what``"."""
    return [claims_table(r, caption=f"{paper}: {what}", link=True) for paper, r in rows.groupby("paper", sort=False)]


def bundle_tables(rows: pd.DataFrame) -> list:
    """The Scorecard's section on the committed bundles' verdicts ``rows``: the forest plot of their primary claims
    (:func:`forest_figure`, closed, so that displaying it shows it once) and its caption, their counts and one table
    per paper; or a sentence saying there are none."""
    import matplotlib.pyplot as plt
    from IPython.display import Markdown

    if rows.empty:
        return [Markdown("No committed bundle has verdicts under this profile yet.")]
    shown = [plain(scorecard_counts(rows)), *paper_tables(rows, "verdicts")]
    if (rows["role"] == "primary").any():
        fig = forest_figure(rows)
        plt.close(fig)
        shown = [fig, Markdown(FOREST_CAPTION), *shown]
    return shown
