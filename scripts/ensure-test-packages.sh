#!/bin/bash
# Installs what the tests need when it is missing: Ceph RGW (a real S3 server for the integration
# tests), Chromium (the dashboard tests drive it), Python 3 (its csv module is the reference
# reader of the quote property test) and openssl (the Graph stand-in's test CA and certificates)
# from Debian, in one apt run; and the Lambda
# runtime the deployed bundles run on in the tests (AWS's runtime interface client on Node 24,
# test/lambda-runtime/, from npm; kept out of the root package so Node 24 never shadows the
# project's Node on the PATH of npm scripts).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x test/lambda-runtime/node_modules/node/bin/node ] || [ ! -f test/lambda-runtime/node_modules/aws-lambda-ric/index.mjs ]; then
  echo "installing the Lambda runtime for the tests (aws-lambda-ric, Node 24; once, ~60 s)…" >&2
  npm ci --prefix test/lambda-runtime --no-audit --no-fund --loglevel=error >&2
fi
ceph=() browser=() python=()
command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null || ceph=(radosgw ceph-mon ceph-osd)
[ -x /usr/bin/chromium ] || browser=(chromium)
python3 -c 'import csv' 2>/dev/null || python=(python3)
command -v openssl >/dev/null || python+=(openssl)
missing=("${ceph[@]}" "${browser[@]}" "${python[@]}")
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing ${missing[*]}, which cannot be installed here: run as root on Debian, or install them" >&2
  exit 1
fi
echo "installing ${missing[*]} (once, ~20 s for Ceph, ~40 s for Chromium)…" >&2
apt-get update -qq
export DEBIAN_FRONTEND=noninteractive
[ ${#ceph[@]} -eq 0 ] && [ ${#python[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${ceph[@]}" "${python[@]}" >/dev/null
# Chromium with its recommended fonts, so pages render as people see them.
[ ${#browser[@]} -eq 0 ] || apt-get install -y -qq "${browser[@]}" >/dev/null
