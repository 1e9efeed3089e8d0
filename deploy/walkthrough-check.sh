#!/usr/bin/env bash
# The README's first-hour walk-through, scripted (issue 16): deploy/run-local.sh on spare ports
# with its own embedded etcd, then the coordctl steps of "The two commands", then a stop and a
# second start. Checks what a new user would see: the replica serves, a node registered by hand
# and kept ACTIVE with coordctl heartbeat shows in coordctl topology, GetLeader names a port that
# listens, a stopped replica resigns before its etcd goes (so the next start runs the detector at
# once instead of after --session-ttl), and a second run-local.sh on the same ports says why in
# one line. Run by deploy/test.sh after the test suite; needs the facade and coordctl built.
set -euo pipefail
cd "$(dirname "$0")/.."
fail_prefix="walkthrough-check:"
source deploy/check-lib.sh # $work, $pids, fail, await

# Ports below the kernel's ephemeral range: a port in it may be the local end of some outgoing
# connection at any moment, and then nothing can listen on it (a CI run lost its etcd that way).
ephemeral_from=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
picked=" "
pick_port() { # $1: how many consecutive ports (etcd takes its port and the next); sets $port
  local n="${1:-1}" i ok
  while :; do
    port=$((20000 + RANDOM % (ephemeral_from - 20000 - n)))
    ok=1
    for i in $(seq 0 $((n - 1))); do
      # not picked already, and nothing listens there (bash's /dev/tcp: no other tool needed)
      if [[ $picked == *" $((port + i)) "* ]] \
          || (exec 3<>"/dev/tcp/127.0.0.1/$((port + i))") 2>/dev/null; then
        ok=0
      fi
    done
    if [ "$ok" = 1 ]; then
      for i in $(seq 0 $((n - 1))); do picked+="$((port + i)) "; done
      return
    fi
  done
}
ready() { coordctl/coordctl health >/dev/null 2>&1 || [ $? = 1 ]; } # answers, healthy or not
# ready, or 75 (await gives up at once) when the replica it waits for has exited
started_ready() { kill -0 "$started_pid" 2>/dev/null || return 75; ready; }
pick_port; grpc=$port; pick_port; http=$port; pick_port 2; etcd=$port
started_pid=
start() { # runs deploy/run-local.sh in the background, its pid in started_pid
  GS_EMBEDDED_ETCD_DIR="$work/etcd" deploy/run-local.sh --listen "127.0.0.1:$grpc" \
    --http-listen "127.0.0.1:$http" --embedded-etcd-port "$etcd" --session-ttl 10s >"$1" 2>&1 &
  started_pid=$!
  pids+=("$started_pid")
}
export COORDCTL_ENDPOINTS="127.0.0.1:$grpc"
ctl() { coordctl/coordctl "$@"; }

start "$work/first.log"
first=$started_pid
await "readiness" 120 started_ready
ctl register --id obj-1 --address 127.0.0.1 --port 7000 --type object --generation g1 >/dev/null
ctl heartbeat obj-1 --generation g1 --every 1s --count 2 >/dev/null
ctl topology | grep -Eq '^obj-1 +OBJECT +ACTIVE' || fail "obj-1 is not ACTIVE in coordctl topology"
await "detector leader" 30 sh -c "coordctl/coordctl leader | grep -q :$grpc"

# A second run-local.sh on the same ports: one line saying why, exit code 2.
set +e
pick_port; grpc2=$port; pick_port; http2=$port
GS_EMBEDDED_ETCD_DIR="$work/etcd2" timeout 60 deploy/run-local.sh --listen "127.0.0.1:$grpc2" \
  --http-listen "127.0.0.1:$http2" --embedded-etcd-port "$etcd" >"$work/second.log" 2>&1
code=$?
set -e
[ "$code" = 2 ] || fail "a second run-local.sh on taken ports exited $code, not 2"
[ "$(grep -c ERROR "$work/second.log")" = 1 ] || fail "a second run-local.sh: not one error line"
grep -q "Is another facade with --embedded-etcd" "$work/second.log" || fail "no hint on taken ports"
# Following that advice with other ports but the same data dir: refused at once in one line
# (etcd's own file lock would keep a second etcd waiting until its health check gives up).
set +e
pick_port; grpc3=$port; pick_port; http3=$port; pick_port 2; etcd3=$port
GS_EMBEDDED_ETCD_DIR="$work/etcd" timeout 20 deploy/run-local.sh --listen "127.0.0.1:$grpc3" \
  --http-listen "127.0.0.1:$http3" --embedded-etcd-port "$etcd3" >"$work/third.log" 2>&1
code=$?
set -e
[ "$code" = 2 ] || fail "a second run-local.sh on a used data dir exited $code, not 2"
[ "$(grep -c ERROR "$work/third.log")" = 1 ] || fail "a used data dir: not one error line"
grep -q "is in use by another facade" "$work/third.log" || fail "no hint on a used data dir"

# Stop (SIGTERM, as Ctrl-C does for a foreground run): the replica resigns, then its etcd stops.
kill -TERM "$first"
wait "$first" || true
grep -q "Stopped etcd member" "$work/first.log" || fail "the embedded etcd was not stopped"
# The next start runs the detector at once: its predecessor resigned (no --session-ttl wait).
start "$work/restart.log"
second=$started_pid
await "readiness after a restart" 120 started_ready
ready_at=$(date +%s%N)
await "detector leader after a restart" 8 sh -c "coordctl/coordctl leader | grep -q :$grpc"
leader_ms=$(( ($(date +%s%N) - ready_at) / 1000000 ))
ctl topology | grep -Eq '^obj-1 ' || fail "obj-1 is gone after a restart (data not kept)"
kill -TERM "$second"
wait "$second" || true
echo "walkthrough-check: ok (after a restart the replica ran the detector ${leader_ms} ms after it answered)"
