"""Claims of the papers and the verdicts this book reaches on them.

- :mod:`~synthmed.claims.model`: :class:`Claim` (one statement made testable: metric, the rows that stand for A and
  B, the comparison, its origin and role) and :class:`Verdict` (with the sentence the book prints);
- :mod:`~synthmed.claims.judge`: :func:`judge` from paired runs (pooled claims, degenerate comparisons, missing
  values, the paper's size) and :func:`adjust` (Benjamini-Hochberg over each paper's primary claims); the rules
  are in that module's docstring; the statistics themselves are :mod:`synthmed.stats`;
- :mod:`~synthmed.claims.load`: claims as YAML beside each paper's package;
- :mod:`~synthmed.claims.select`: the one rule for which runs frame and rows a claim reads, and whether its sides
  were run under a profile;
- :mod:`~synthmed.claims.store`: the verdicts each chapter writes and the Scorecard reads back;
- :mod:`~synthmed.claims.present`: the one presenter (:func:`publish`: the paper's family adjusted across its
  notebooks, stored, shown), the claims table, the generated text and the Scorecard's summaries;
- :mod:`~synthmed.claims.reference`: the book's published verdicts and a rebuild's comparison with them.
"""

from synthmed.claims.judge import (adjust, above_chance, bh_family, chance_column, contrast, differences,
                                   expected_false, fragility, judge, judge_all, label, size_against_paper, test_p)
from synthmed.claims.load import as_dict, claim_from_mapping, load_claims, with_paper_figures
from synthmed.claims.model import ALPHA, KINDS, ORIGINS, SIZES, THRESHOLD_FREE, VERDICTS, Claim, Verdict, verdict_label
from synthmed.claims.present import (FOREST_CAPTION, NO_CLAIM, PAIRS_CAPTION, ClaimsTable, adjust_frame,
                                     bundle_tables, claims_table, counts, custom_note, forest_figure, in_family,
                                     missing_text, no_verdicts_text, pairs_figure, pairs_section, paper_tables,
                                     primary_text, publish, run_identity, scorecard_counts, summary, with_links)
from synthmed.claims.reference import (compare, comparison_text, read_reference, reference_path, reference_section,
                                       write_reference)
from synthmed.claims.select import (NOT_RUN, columns, frame_for, judge_frames, not_run_reason, paired_differences,
                                    routed, runnable, selectors, unmatched)
from synthmed.claims.store import (family_rows, read_verdicts, stale_families, verdict_frame, verdicts_dir,
                                   verdicts_path, write_verdicts)
from synthmed.stats import LEVEL, seeds_needed, t_interval

# importing the submodule synthmed.claims.select above rebinds the package's name `select` to that module: the
# package exports the selection function under that name, as judge does
from synthmed.claims.judge import select  # noqa: E402  (after the submodule imports, on purpose)

__all__ = ["FOREST_CAPTION", "PAIRS_CAPTION", "bundle_tables", "no_verdicts_text", "paper_tables",
           "reference_section", "judge_frames", "pairs_figure", "pairs_section", "paired_differences", "routed",
           "above_chance", "bh_family", "chance_column", "compare", "comparison_text", "family_rows",
           "fragility", "in_family", "read_reference", "reference_path", "stale_families", "verdict_label",
           "write_reference", "ALPHA", "KINDS", "LEVEL", "NOT_RUN", "NO_CLAIM", "ORIGINS", "SIZES",
           "THRESHOLD_FREE", "VERDICTS", "Claim", "ClaimsTable", "Verdict", "adjust", "adjust_frame",
           "as_dict", "claim_from_mapping", "claims_table", "columns", "contrast", "counts", "differences",
           "custom_note", "expected_false", "forest_figure", "frame_for", "judge", "judge_all", "label",
           "load_claims", "missing_text", "not_run_reason", "primary_text", "publish", "read_verdicts",
           "run_identity", "runnable", "scorecard_counts", "seeds_needed", "select", "selectors",
           "size_against_paper", "summary", "t_interval", "test_p", "unmatched", "verdict_frame",
           "verdicts_dir", "verdicts_path", "with_links", "with_paper_figures", "write_verdicts"]
