#!/bin/bash
# Installs Debian's Ceph RGW packages when they are missing (the integration tests need a real
# S3 server). Needs root and apt, as on this project's machines and in CI.
set -euo pipefail
command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "Ceph RGW is not installed and cannot be installed here: run as root on Debian, or install radosgw ceph-mon ceph-osd" >&2
  exit 1
fi
echo "installing radosgw ceph-mon ceph-osd (once, ~20 s)…" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd >/dev/null
