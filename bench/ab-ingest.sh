#!/bin/bash
# Ingestion time of this tree against another commit, same input, data folder on tmpfs, rounds
# alternating so drift hits both sides alike. Prints each run and the medians.
#   bench/ab-ingest.sh <git-ref> [input.csv] [rounds]
# Input default: bench/data/detail-sparse-1000000.csv (written by `npm run bench`).
set -euo pipefail
ref=$1; input=${2:-bench/data/detail-sparse-1000000.csv}; rounds=${3:-5}
here=$(pwd); other=$(mktemp -d /tmp/mailflow-ab-XXXX)
git worktree add -q "$other" "$ref"; ln -s "$here/node_modules" "$other/node_modules"
# Both sides bundled, as the installed CLI runs (a side without a fresh bundle would run through tsx).
(cd "$other" && node scripts/build-cli.mjs > /dev/null) && node scripts/build-cli.mjs > /dev/null
trap 'git worktree remove --force "$other"; rm -rf /dev/shm/mailflow-ab-*' EXIT
declare -A times
for round in $(seq "$rounds"); do
  for side in base this; do
    dir=/dev/shm/mailflow-ab-$side; rm -rf "$dir"
    src=$([ $side = base ] && echo "$other" || echo "$here")
    read -r s kib < <( { /usr/bin/time -f '%e %M' node "$src/bin/mailflow.js" ingest --json --data-dir "$dir" "$here/$input" > /dev/null; } 2>&1 | tail -1)
    echo "round $round $side: ${s} s, peak RSS $((kib / 1024)) MiB, $(find "$dir" -type f | wc -l) objects"
    times[$side]+="$s "
    sync; sleep 1.5
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median base ($ref): $(echo "${times[base]}" | median) s; median this tree: $(echo "${times[this]}" | median) s"
