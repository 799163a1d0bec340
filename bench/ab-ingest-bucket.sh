#!/bin/bash
# `mailflow ingest --bucket` of this tree against another commit, as the ingest function writes S3:
# a throwaway Ceph RGW on loopback behind a proxy that adds LAG ms (default 30) to every request,
# a fresh tenant each run, rounds alternating. Prints each run and the medians.
#   bench/ab-ingest-bucket.sh <git-ref> [input.csv] [rounds]
# Needs Ceph RGW (scripts/ensure-test-packages.sh installs it, as .ci/run does).
set -euo pipefail
ref=$1; input=${2:-bench/data/detail-dense-1000000.csv}; rounds=${3:-3}; lag=${LAG:-30}
source bench/ab-bucket-setup.sh
node --input-type=module -e "
  import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
  await new S3Client({ endpoint: '$endpoint', forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: 'ab-ingest' }));"
sleep 0.5
declare -A times
for round in $(seq "$rounds"); do
  for side in base this; do
    src=$([ $side = base ] && echo "$other" || echo "$here")
    read -r s kib < <( { /usr/bin/time -f '%e %M' node "$src/bin/mailflow.js" ingest --json --tenant "ab-$side-$round" \
      --bucket ab-ingest --endpoint "http://127.0.0.1:$port" --path-style "$here/$input" > /dev/null; } 2>&1 | tail -1)
    echo "round $round $side: ${s} s, peak RSS $((kib / 1024)) MiB"
    times[$side]+="$s "
    sleep 1
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median base ($ref): $(echo "${times[base]}" | median) s; median this tree: $(echo "${times[this]}" | median) s (S3 + ${lag} ms a request)"
