# Records every outermost claims.judge call (claim, runs frame, profile, verdict) of a warm re-execution, so that
# the engine before issue 31 can be run on the same inputs (scripts/engine_before_after.py; put this folder first
# on PYTHONPATH).
import os

if os.environ.get("SYNTHMED_JUDGE_DUMP"):
    import itertools
    import pathlib
    import pickle
    import sys

    import synthmed.claims  # noqa: F401  (binds the submodules)

    _mod = sys.modules["synthmed.claims.judge"]
    _orig = _mod.judge
    _count = itertools.count()
    _depth = [0]
    _dir = pathlib.Path(os.environ["SYNTHMED_JUDGE_DUMP"]) / os.environ.get("SYNTHMED_NOTEBOOK", "unknown")

    def judge(claim, runs, *, profile=""):
        _depth[0] += 1
        try:
            verdict = _orig(claim, runs, profile=profile)
        finally:
            _depth[0] -= 1
        if _depth[0] == 0:
            _dir.mkdir(parents=True, exist_ok=True)
            with open(_dir / f"{os.getpid()}-{next(_count):05d}.pkl", "wb") as f:
                pickle.dump({"claim": claim, "runs": runs, "profile": profile, "verdict": verdict}, f)
        return verdict

    _mod.judge = judge
    sys.modules["synthmed.claims"].judge = judge
    sys.modules["synthmed.claims.select"].judge = judge
