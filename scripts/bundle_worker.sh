#!/usr/bin/env bash
# The paper-scale TSynD bundle v2 worker (issue 32): computes the pending runs of
# `python -m synthmed.tsynd.paper_scale` in its plan's order, one run per fresh Python process (so the code that
# computes a run is the code its run key names), on one core at the lowest priority, and commits each finished
# run's JSON file alone. Extra arguments go to paper_scale (e.g. --fractions 0.1 --seeds 0 1).
#
#   setsid nohup bash scripts/bundle_worker.sh > /tmp/bundle_worker.log 2>&1 &
set -u
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 TQDM_MININTERVAL=60
export SYNTHMED_DATA_ROOT="${SYNTHMED_DATA_ROOT:-/work/shared/data}"
PY=.venv/bin/python
FOLDER=results/paper/tsynd-v2

commit() {  # commit one file alone, waiting while another git command holds the index
  local file=$1 name=$2
  for _ in $(seq 1 60); do
    if [ ! -e .git/index.lock ] && git add -- "$file" \
        && git commit -q -m "Paper-scale TSynD bundle v2: $name" -- "$file"; then
      echo "committed $file"
      return 0
    fi
    sleep 10
  done
  echo "could not commit $file"
}

echo "== $(date -u +%FT%TZ) worker $$ on $(hostname), OMP_NUM_THREADS=$OMP_NUM_THREADS"
names=$(nice -n 19 "$PY" -m synthmed.tsynd.paper_scale --dry-run "$@" | tee /dev/stderr | sed -n 's/^   //p')
for name in $names; do
  echo "== $(date -u +%FT%TZ) start $name"
  start=$(date +%s)
  if ! nice -n 19 "$PY" -m synthmed.tsynd.paper_scale --only "$name" --progress "$@"; then
    echo "== $(date -u +%FT%TZ) FAILED $name"
    continue
  fi
  echo "== $(date -u +%FT%TZ) end $name ($(( $(date +%s) - start )) s)"
  file="$FOLDER/$name.json"
  if [ -f "$file" ] && [ -n "$(git status --porcelain -- "$file")" ]; then
    commit "$file" "$name"
  fi
done
echo "== $(date -u +%FT%TZ) done"
