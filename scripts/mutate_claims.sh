#!/usr/bin/env bash
# Mutation testing of the claims engine (issue 31), run by hand; not part of `make test`.
#
# mutmut (3.x, the `dev` extra; configured in pyproject.toml [tool.mutmut]) copies the project to ./mutants,
# mutates only src/synthmed/claims/judge.py there, and runs only the claims engine's tests (tests/test_claims.py,
# test_claims_engine.py, test_claims_mutants.py, test_claims_select.py) against each mutant. A mutant the tests do not kill
# is a change to the engine that no test notices: the script ends by printing each survivor, one line each
# (scripts/mutmut_survivors.py: file:line, function, what the mutation changed).
#
#   bash scripts/mutate_claims.sh            a fresh run (./mutants removed first), niced, on 2 workers
#   JOBS=4 NICE=0 bash scripts/mutate_claims.sh
#   KEEP=1 bash scripts/mutate_claims.sh     re-use ./mutants (mutmut re-tests what changed since)
#
# Afterwards: `.venv/bin/mutmut browse` to walk through the results, `.venv/bin/mutmut show <name>` for one
# mutant, `.venv/bin/mutmut apply <name>` to write one onto the source (revert it with git afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."

MUTMUT=${MUTMUT:-.venv/bin/mutmut}
if [ ! -x "$MUTMUT" ]; then
    echo "mutmut not found at $MUTMUT: install the dev extra (.venv/bin/pip install -c constraints.txt -e '.[dev]')" >&2
    exit 2
fi
[ "${KEEP:-0}" = 1 ] || rm -rf mutants
mkdir -p mutants

start=$(date +%s)
# one thread per test process: the workers run side by side
OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 nice -n "${NICE:-19}" "$MUTMUT" run --max-children "${JOBS:-2}" \
    > mutants/run.log 2>&1 || { tail -40 mutants/run.log >&2; echo "mutmut run failed (mutants/run.log)" >&2; exit 1; }
wall=$(( $(date +%s) - start ))

# every mutant not killed, one line each: file:line function #n: original -> mutant (and mutants/survivors.txt)
"$(dirname "$MUTMUT")/python" scripts/mutmut_survivors.py > mutants/survivors.txt 2> mutants/counts.txt
echo "mutants of src/synthmed/claims/judge.py: $(cat mutants/counts.txt); wall time ${wall} s"
cat mutants/survivors.txt
