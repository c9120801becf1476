"""The claims engine before issue 31 (commit 6593d5f) against today's, on the same runs (issue 31's closing note).

A warm re-execution of the book (the runner) with scripts/judge_dump first on PYTHONPATH and
SYNTHMED_JUDGE_DUMP=<dir> records every claim judged (claim, runs frame, profile). Then:

    PYTHONPATH=<checkout of 6593d5f>/src python scripts/engine_before_after.py old <dump dir> <old.csv>
    PYTHONPATH=src python scripts/engine_before_after.py compare <old.csv> <profile> <verdicts dir> <out.md>

``old`` judges every recorded claim with the old engine and applies its Benjamini-Hochberg over each paper's primary
claims (as the old Scorecard did); ``compare`` sets those verdicts beside the ones today's build stored (what its
Scorecard reads) and prints the counts per paper and role, and every verdict that changed.
"""

import pickle
import sys
from pathlib import Path

import pandas as pd


def old(dump: str, out: str) -> None:
    import importlib

    J = importlib.import_module("synthmed.claims.judge")

    verdicts, where = [], []
    for path in sorted(Path(dump).rglob("*.pkl")):
        rec = pickle.loads(path.read_bytes())
        verdicts.append(J.judge(rec["claim"], rec["runs"], profile=rec["profile"]))
        where.append(path.parent.name)
    adjusted = J.adjust(verdicts)
    rows = []
    for nb, v in zip(where, adjusted):
        c = v.claim
        role = "primary" if c.primary else ("ours" if c.origin == "ours" else "per cell")
        rows.append({"notebook": nb, "id": c.id, "paper": c.paper, "role": role, "verdict": v.verdict,
                     "diff": v.diff, "low": v.low, "high": v.high, "p": v.p, "p_adj": v.p_adj,
                     "reason": getattr(v, "reason", "")})
    pd.DataFrame(rows).drop_duplicates(["paper", "id"], keep="last").to_csv(out, index=False)


def compare(old_csv: str, profile: str, directory: str, out: str) -> None:
    from synthmed import claims

    before = pd.read_csv(old_csv)
    after = claims.read_verdicts(profile, directory)
    both = after.merge(before, on=["paper", "id"], how="outer", suffixes=("", "_old"), indicator=True)
    lines = ["## Counts before (engine at 6593d5f) → after (today), same runs", "",
             "supported / contradicted / inconclusive / not testable; after: decided robust + fragile", ""]
    tables = {}
    for name, frame in (("before", before.assign(fragile=False)), ("after", after)):
        tables[name] = claims.scorecard_counts(frame).set_index(["paper", "claims"])
    b, a = tables["before"], tables["after"]
    cols = ["supported", "contradicted", "inconclusive", "not testable"]
    rows = []
    for key in a.index.union(b.index):
        old_ = "/".join(str(int(b.loc[key, c])) if key in b.index else "0" for c in cols)
        new_ = "/".join(str(int(a.loc[key, c])) if key in a.index else "0" for c in cols)
        robust = f"{int(a.loc[key, 'decided: robust'])} + {int(a.loc[key, 'decided: fragile'])}" if key in a.index \
            else ""
        rows.append({"paper": key[0], "claims": key[1], "before": old_, "after": new_,
                     "after: robust + fragile": robust})
    lines += [pd.DataFrame(rows).to_markdown(index=False), ""]
    changed = both[(both["verdict"] != both["verdict_old"]) | (both["_merge"] != "both")]
    lines += [f"## The {len(changed)} verdicts that changed", ""]
    changed = changed.assign(verdict_old=changed["verdict_old"].fillna("(absent)"),
                             verdict=changed["verdict"].fillna("(absent)"),
                             why=changed["reason"].fillna("").str.slice(0, 150))
    cols = ["paper", "role", "id", "verdict_old", "verdict", "fragile", "diff_old", "diff", "why"]
    lines += [changed[cols].to_markdown(index=False, floatfmt=".1f")]
    Path(out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    {"old": old, "compare": compare}[sys.argv[1]](*sys.argv[2:])
