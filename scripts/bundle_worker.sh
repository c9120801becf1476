#!/usr/bin/env bash
# The worker of every chapter's committed result bundle (synthmed.bundle): computes the pending runs of
# `python -m synthmed.bundle CHAPTER` in its plan's order, one run per fresh Python process (so the code that
# computes a run is the code its run key names), on one core at the lowest priority, and commits each finished
# run's JSON file alone (with the committed entries of the steps its runs share, where its bundle keeps any), on
# whatever branch this checkout is on. Extra arguments go to the chapter's command (e.g. `tsynd --fractions 0.1
# --seeds 0 1`, `gan --replicates 0 1 2`). The code is this checkout's (src/ first on PYTHONPATH), the Python is
# $PYTHON, else .venv/bin/python, else the main checkout's.
#
#   setsid nohup bash scripts/bundle_worker.sh gan > /tmp/bundle_worker_gan.log 2>&1 &
#   python -m synthmed.bundle --help            # the chapters with a bundle
#
# Two workers on a 2-core machine go twice as fast as one, given disjoint runs (both would otherwise start the same
# first pending run): e.g. `gan --replicates 0 2 4 6 8` and `gan --replicates 1 3 5 7 9`. Keep SYNTHMED_CACHE_DIR
# the same across sittings: an interrupted run resumes from its cached steps (and a GAN from its checkpoint) where
# the machine keeps its cache. Where a session's machine and its cache end with the session, pass --deadline HH:MM
# (UTC): the worker then starts no run projected to end after it, and stops.
set -u
if [ $# -lt 1 ] || [ "${1#-}" != "$1" ]; then
  echo "usage: scripts/bundle_worker.sh CHAPTER [ARGS...]  (python -m synthmed.bundle --help lists the chapters)" >&2
  exit 2
fi
CHAPTER=$1
shift
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 TQDM_MININTERVAL=60
export SYNTHMED_DATA_ROOT="${SYNTHMED_DATA_ROOT:-/work/shared/data}"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=$(git worktree list --porcelain | sed -n '1s/^worktree //p')/.venv/bin/python
LOCK="$(git rev-parse --git-dir)/index.lock"

where=$(nice -n 19 "$PY" -m synthmed.bundle "$CHAPTER" --where "$@") || exit 1
FOLDER=${where%%$'\t'*}
TITLE=${where#*$'\t'}

commit() {  # commit one run's paths alone, waiting while another git command holds the index
  local name=$1
  shift
  for _ in $(seq 1 60); do
    if [ ! -e "$LOCK" ] && git add -- "$@" && git commit -q -m "$TITLE: $name" -- "$@"; then
      echo "committed $* on $(git rev-parse --abbrev-ref HEAD)"
      return 0
    fi
    sleep 10
  done
  echo "could not commit $*"
}

echo "== $(date -u +%FT%TZ) worker $$ on $(hostname): $TITLE -> $FOLDER, OMP_NUM_THREADS=$OMP_NUM_THREADS"
names=$(nice -n 19 "$PY" -m synthmed.bundle "$CHAPTER" --dry-run "$@" | tee /dev/stderr | sed -n 's/^   //p')
for name in $names; do
  echo "== $(date -u +%FT%TZ) start $name"
  start=$(date +%s)
  nice -n 19 "$PY" -m synthmed.bundle "$CHAPTER" --only "$name" --progress "$@"
  rc=$?
  if [ "$rc" -eq 3 ]; then  # synthmed.bundle.EXIT_DEADLINE: the next run would not end by --deadline
    echo "== $(date -u +%FT%TZ) stopping before $name: past the deadline"
    break
  fi
  if [ "$rc" -ne 0 ]; then
    echo "== $(date -u +%FT%TZ) FAILED $name"
    continue
  fi
  echo "== $(date -u +%FT%TZ) end $name ($(( $(date +%s) - start )) s)"
  # the run's file, in the bundle's folder or a sub-folder of it, and the entries of the steps its runs share
  # (synthmed.bundle.keep_steps, under steps/): whatever the run changed in the bundle's folder
  if [ -n "$(git status --porcelain -- "$FOLDER")" ]; then
    commit "$name" "$FOLDER"
  fi
done
echo "== $(date -u +%FT%TZ) done"
