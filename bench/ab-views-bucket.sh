#!/bin/bash
# What reading all tenants from a bucket costs, this tree against another commit: the 50 tenants ×
# 90 days of `npm run bench:query` copied into a throwaway Ceph RGW on loopback, behind a proxy that
# adds LAG ms (default 30) to every request, as a real region's round trip. Times one live dashboard
# view per range, the query function's /v1/summary of a week (bench/peers/bucket-views.mjs) and the
# whole `mailflow report --html --bucket` page, rounds alternating; prints each run and the medians.
#   bench/ab-views-bucket.sh <git-ref> [rounds]
# Needs Ceph RGW (scripts/ensure-test-packages.sh installs it, as .ci/run does) and the data of
# `npm run bench:query` (bench/data/query-50x90d-400-s2).
set -euo pipefail
ref=$1; rounds=${2:-3}; lag=${LAG:-30}; data=bench/data/query-50x90d-400-s2
[ -d "$data/results" ] || { echo "no $data: run npm run bench:query first (it generates the 50 tenants)" >&2; exit 2; }
source bench/ab-bucket-setup.sh
# The same peer on both sides: it runs the sources of the tree it is in.
cp bench/peers/bucket-views.mjs "$other/bench/peers/"
node bench/peers/upload-folder.mjs "$endpoint" ab-views "$data"
# The months' copies of the day lines name the ETags of the objects they were copied from: made
# again for the bucket's (a side that predates months ignores them).
node bin/mailflow.js months --bucket ab-views --endpoint "$endpoint" --path-style > /dev/null
# Inside the worktree: removed with it on exit, also when a run fails.
out="$other/.ab-views"; mkdir -p "$out"
for round in $(seq "$rounds"); do
  for side in base this; do
    src=$([ $side = base ] && echo "$other" || echo "$here")
    views=$(node "$src/bench/peers/bucket-views.mjs" "$via" ab-views "$via/__requests")
    curl -s "$via/__requests" > /dev/null
    /usr/bin/time -f '%e %M' -o "$out/time" node "$src/bin/mailflow.js" report --html --bucket ab-views --endpoint "$via" \
      --path-style --out "$out/$side.html" > /dev/null 2>&1
    read -r s kib < "$out/time"
    page=$(curl -s "$via/__requests")
    echo "round $round $side: $views, report --html: ${s} s, $(node -p "JSON.parse('$page').n") requests, peak RSS $((kib / 1024)) MiB"
    echo "$views" | node -e "const v=JSON.parse(require('fs').readFileSync(0,'utf8'));v['report --html (whole process)']={ms:Math.round($s*1000),requests:JSON.parse('$page').n};console.log(JSON.stringify(v))" >> "$out/$side.jsonl"
  done
done
node -e "
const fs = require('fs');
const read = (side) => fs.readFileSync('$out/' + side + '.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const [base, mine] = [read('base'), read('this')];
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[(s.length - 1) >> 1]; };
console.log('| all 50 tenants, S3 + $lag ms a request | $ref | this tree | requests ($ref → this) |');
console.log('| --- | --- | --- | --- |');
for (const k of Object.keys(mine[0]).filter((k) => k !== 'tenants')) {
  const b = median(base.map((r) => r[k].ms)), m = median(mine.map((r) => r[k].ms));
  console.log('| ' + k + ' | ' + (b / 1000).toFixed(2) + ' s | ' + (m / 1000).toFixed(2) + ' s | ' + base[0][k].requests + ' → ' + mine[0][k].requests + ' |');
}"
