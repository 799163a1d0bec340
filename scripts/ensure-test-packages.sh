#!/bin/bash
# Installs the Debian packages the tests need when they are missing: Ceph RGW (a real S3 server
# for the integration tests) and Chromium (the dashboard tests drive it). One apt run for both.
# Needs root and apt, as on this project's machines and in CI.
set -euo pipefail
ceph=() browser=()
command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null || ceph=(radosgw ceph-mon ceph-osd)
[ -x /usr/bin/chromium ] || browser=(chromium)
missing=("${ceph[@]}" "${browser[@]}")
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing ${missing[*]}, which cannot be installed here: run as root on Debian, or install them" >&2
  exit 1
fi
echo "installing ${missing[*]} (once, ~20 s for Ceph, ~40 s for Chromium)…" >&2
apt-get update -qq
export DEBIAN_FRONTEND=noninteractive
[ ${#ceph[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${ceph[@]}" >/dev/null
# Chromium with its recommended fonts, so pages render as people see them.
[ ${#browser[@]} -eq 0 ] || apt-get install -y -qq "${browser[@]}" >/dev/null
