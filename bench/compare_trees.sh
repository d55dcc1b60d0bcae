#!/usr/bin/env bash
# Run bench/exchange.py in two checkouts in turn (each with its own .venv), so a change
# is measured against the code before it on the same machine in one sitting.
#   bench/compare_trees.sh BEFORE_DIR AFTER_DIR [runs] [-- bench/exchange.py options]
# e.g. git worktree add /tmp/before <commit> && (cd /tmp/before && python3 -m venv .venv &&
#      .venv/bin/pip install -q -e .) && bench/compare_trees.sh /tmp/before . 2 -- --rounds 3 --seconds 6
# BENCH=/abs/path/to/exchange.py runs that one script in both trees (each tree's own code and
# venv), so both are measured the same way even if the older tree's benchmark printed less.
set -euo pipefail
before=$1 after=$2 runs=${3:-2}
shift $(( $# < 3 ? $# : 3 ))
[ "${1:-}" = "--" ] && shift
for i in $(seq "$runs"); do
  for tree in "$before" "$after"; do
    echo "== run $i tree $tree load: $(cut -d' ' -f1-3 /proc/loadavg)"
    (cd "$tree" && .venv/bin/python "${BENCH:-bench/exchange.py}" "$@" 2>&1 | grep -v '^  round')
  done
done
