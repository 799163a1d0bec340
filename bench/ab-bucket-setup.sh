# Sourced by bench/ab-*-bucket.sh, with $ref and $lag set: a worktree of $ref beside this tree (both
# CLIs built), a throwaway Ceph RGW on loopback behind bench/peers/lag-proxy.mjs ($lag ms a request),
# all of it removed on exit. Sets here, other (the worktree), endpoint (RGW itself), port and via (the
# proxy), and the S3 environment both sides run with.
here=$(pwd); other=$(mktemp -d /tmp/mailflow-ab-XXXX); ceph=$(mktemp -d /tmp/mailflow-ab-ceph-XXXX)
git worktree add -q "$other" "$ref"; ln -s "$here/node_modules" "$other/node_modules"
(cd "$other" && node scripts/build-cli.mjs > /dev/null 2>&1) && node scripts/build-cli.mjs > /dev/null 2>&1
bash scripts/ceph-up.sh "$ceph" > /dev/null 2>&1
port=$(node -e "const s=require('net').createServer().listen(0,()=>{console.log(s.address().port);s.close()})")
node bench/peers/lag-proxy.mjs "$port" "http://127.0.0.1:$(cat "$ceph/rgw.port")" "$lag" > /dev/null & proxy=$!
trap 'kill $proxy; bash scripts/ceph-down.sh "$ceph" > /dev/null 2>&1; git worktree remove --force "$other"' EXIT
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=testsecret AWS_REGION=us-east-1 MAILFLOW_S3_UNQUOTED_IF_MATCH=true
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
endpoint="http://127.0.0.1:$(cat "$ceph/rgw.port")"
via="http://127.0.0.1:$port"
