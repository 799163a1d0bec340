#!/bin/bash
# Starts a throwaway single-node Ceph cluster (mon, memstore OSD, RGW) on loopback: a real S3
# server with conditional writes and bucket notifications, for the integration tests.
# Usage: scripts/ceph-up.sh DIR [PORT]   (stop with scripts/ceph-down.sh DIR)
# PORT is RGW's (default: a free one); the monitor always takes a free port, so two clusters (two
# checkouts' tests, a benchmark next to the tests) run side by side. The RGW port is also written
# to DIR/rgw.port.
# Needs Debian's radosgw, ceph-mon and ceph-osd; .ci/run installs them. All data is in memory.
# Timings tuned for a single-node test cluster (about 1.3 s to healthy instead of 12.5 s).
set -euo pipefail
D=$(realpath -m "${1:-./cephrun}"); PORT=${2:-0}
# A port nobody listens on now (the kernel picks it; the small window until the daemon binds it is
# covered by the checks below, which fail loudly).
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
[ "$PORT" = 0 ] && PORT=$(free_port)
MON_PORT=$(free_port)
rm -rf "$D"; mkdir -p "$D"/{mon,osd,rgw,run,log}
echo "$PORT" > "$D/rgw.port"
FSID=$(cat /proc/sys/kernel/random/uuid)
cat > "$D/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
run dir = $D/run
log file = $D/log/\$name.log
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
osd pool default size = 1
osd pool default min size = 1
osd pool default pg autoscale mode = off
osd pool default pg num = 1
osd pool default pgp num = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
paxos propose interval = 0.05
paxos min wait = 0.01
mon data avail warn = 1
mon data avail crit = 1
osd crush chooseleaf type = 0
ms bind ipv6 = false
ms mon client mode = crc
ms client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
ms cluster mode = crc
ms service mode = crc
public addr = 127.0.0.1
[mon.a]
mon data = $D/mon
[osd.0]
osd data = $D/osd
osd objectstore = memstore
memstore device bytes = 1073741824
osd memory target = 536870912
[client.rgw]
# tcp_nodelay: without it a GET waits ~40 ms for a delayed ACK (Nagle) — 45 ms a GET, 2 ms with it.
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw data = $D/rgw
rgw dns name = localhost
rgw enable usage log = false
# STS and IAM roles: the tests run each function's S3 calls under its synthesized role policy.
rgw s3 auth use sts = true
rgw sts key = mailflowstskey16
pid file = $D/run/rgw.pid
CONF
export CEPH_CONF="$D/ceph.conf"
ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$D/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$D/monmap" --keyring "$D/keyring"
ceph-mon -i a
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
ceph --connect-timeout 20 osd new "$OSD_UUID" >/dev/null
ceph-osd -i 0 --mkfs --osd-uuid "$OSD_UUID" 2>>"$D/log/mkfs.log"
ceph-osd -i 0
up=0; for i in $(seq 1 120); do ceph osd stat 2>/dev/null | grep -q "1 up" && { up=1; break; }; sleep 0.25; done
[ $up = 1 ] || { echo "osd did not come up; see $D/log" >&2; exit 1; }
radosgw -n client.rgw
up=0; for i in $(seq 1 240); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && { up=1; break; }; sleep 0.25; done
[ $up = 1 ] || { echo "radosgw did not listen on $PORT; see $D/log" >&2; exit 1; }
# "test" owns the buckets and manages roles; "lambda" owns nothing and only assumes the roles
# (a bucket owner's role session keeps owner rights, so it would not show a missing grant).
radosgw-admin user create --uid=test --display-name=test --access-key=test --secret-key=testsecret >/dev/null
radosgw-admin caps add --uid=test --caps="roles=*" >/dev/null
radosgw-admin user create --uid=lambda --display-name=lambda --access-key=lambda --secret-key=lambdasecret >/dev/null
echo "rgw http://127.0.0.1:$PORT (access key test / secret testsecret; roles assumed by lambda / lambdasecret)"
