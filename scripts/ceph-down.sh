#!/bin/bash
# Stops what scripts/ceph-up.sh started in DIR and removes DIR (the data lived in memory).
D=${1:?usage: ceph-down.sh DIR}
for p in rgw osd.0 mon.a; do
  [ -f "$D/run/$p.pid" ] && kill -9 "$(cat "$D/run/$p.pid")" 2>/dev/null
done
rm -rf "$D"
exit 0
