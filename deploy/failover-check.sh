#!/usr/bin/env bash
# deploy/README.md's failover walk-through, scripted (issue 16): deploy/local-cluster's 3 etcd
# members and 2 facade replicas, then steps 1-7 of "Walk-through: kill a replica and an etcd
# member, watch nothing break" and the short-timeouts paragraph after them, with the project's
# own tools (deploy/local-cluster, coordctl/coordctl, etcdctl, curl). Checks what the text
# promises: both replicas register and one runs the detector; a node kept alive by coordctl
# heartbeat is ACTIVE; killing the detector's replica moves the detector to the other one within
# the session TTL, and the node stays ACTIVE (no SUSPECT in coordctl watch); killing etcd's leader
# stops neither heartbeats, writes nor linearizable reads; restarted, both replicas register again;
# two members down turn /readyz 503 and calls UNAVAILABLE, and the replicas are ready again by
# themselves once the members are back; a node without heartbeats turns SUSPECT, then DOWN.
#
# The cluster's ports are fixed (deploy/local-cluster): the check refuses to run while anything
# listens on them, e.g. your own deploy/local-cluster. It keeps its state in a temporary directory
# (LOCAL_CLUSTER_STATE), never in .local/cluster, and removes it on exit (KEEP_WORK=1 keeps it).
# Run by deploy/test.sh after the test suite; builds what is missing, as the tools do. About 1 min.
set -euo pipefail
cd "$(dirname "$0")/.."

ports=(23791 23792 23793 23801 23802 23803 9101 9102 9191 9192) # deploy/local-cluster's
busy=()
for p in "${ports[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then busy+=("$p"); fi
done
if [ ${#busy[@]} -gt 0 ]; then
  echo "failover-check: not run: deploy/local-cluster's fixed ports are taken (${busy[*]}): is a local cluster running? (deploy/local-cluster stop ends it)" >&2
  exit 2
fi

fail_prefix="failover-check: FAILED:"
source deploy/check-lib.sh # $work, $pids, fail, await
fail_logs="$work/*.log $work/cluster/logs/*.log"
on_exit() { deploy/local-cluster clean >/dev/null 2>&1 || true; } # this run's state dir only

# The facades' settings: only these, whatever GS_* the caller's environment holds. Short timeouts
# so the run takes a minute, not several: a 5 s session TTL (10 s by default) is how long the
# detector takes to move after its replica is killed; a node turns SUSPECT after 6 s without a
# heartbeat and DOWN after 9 s (the short-timeouts paragraph), while obj-1's heartbeat every 1 s
# keeps it ACTIVE through every step (--heartbeat-interval must be shorter than the suspect timeout).
while read -r v; do unset "$v"; done < <(compgen -e | grep '^GS_' || true)
export GS_SESSION_TTL=5s GS_HEARTBEAT_INTERVAL=1s GS_SUSPECT_TIMEOUT=6s GS_DOWN_TIMEOUT=9s
export LOCAL_CLUSTER_STATE="$work/cluster"
# Step 1's export, as the walk-through has it.
export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=127.0.0.1:23791,127.0.0.1:23792,127.0.0.1:23793
unset ETCDCTL_CACERT ETCDCTL_CERT ETCDCTL_KEY ETCDCTL_USER
P=/gitstratum/default

say() { echo "failover-check: $*" >&2; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
since() { local d=$(( $(ms) - $1 )); printf '%d.%d s' $((d / 1000)) $((d % 1000 / 100)); }
ctl() { coordctl/coordctl --endpoints localhost:9101,localhost:9102 "$@"; }
lc() { deploy/local-cluster "$@"; }
background() { # $1 log file, rest: command; its pid is appended to pids
  local log=$1; shift
  "$@" >"$log" 2>"${log%.log}.err.log" &
  pids+=("$!")
}

# deploy/local-cluster status, in parts.
status_registered() { # the replica ids under "replicas registered in etcd", sorted, one line
  lc status 2>/dev/null | sed -n '/^replicas registered/,/^detector/p' \
    | grep -o '"replicaId":"[^"]*"' | cut -d'"' -f4 | sort | paste -sd' ' -
}
status_detector() { # the replica id under "detector"
  lc status 2>/dev/null | sed -n '/^detector/,$p' | grep -o '"replicaId":"[^"]*"' | cut -d'"' -f4
}
status_row() { lc status 2>/dev/null | awk -v n="$1" '$1 == n {print $2, $3}'; } # pid state
registered_is() { [ "$(status_registered)" = "$1" ]; }
detector_is() { [ "$(status_detector)" = "$1" ]; }
node_state_is() { # $1 node, $2 state: the node's record in etcd, as step 3 reads it
  etcdctl get "$P/nodes/$1" --print-value-only | grep -q "\"state\":\"NODE_STATE_$2\""
}
in_topology() { # $1 node, $2 state: coordctl topology's table
  ctl topology "${@:3}" | grep -Eq "^$1 +OBJECT +$2 "
}
readyz_is() { [ "$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$1/readyz")" = "$2" ]; }
heartbeats() { grep -c '^heartbeat obj-1' "$work/heartbeat.log" || true; }
more_heartbeats_than() { [ "$(heartbeats)" -gt "$1" ]; }
no_suspect_obj1() { ! grep -Eq '^v[0-9]+ updated obj-1 .*(SUSPECT|DOWN)' "$work/watch.log"; }
alive() { kill -0 "$1" 2>/dev/null; }

started=$(ms)

# 1. Start the cluster; status shows both replicas registered and one running the detector.
lc start >"$work/start.log" 2>&1 || fail "deploy/local-cluster start failed"
await "two registered replicas in deploy/local-cluster status" 30 registered_is "facade-1 facade-2"
await "detector in deploy/local-cluster status" 30 sh -c "deploy/local-cluster status | grep -A1 '^detector' | grep -q replicaId"
for n in etcd-1 etcd-2 etcd-3; do [ "$(status_row $n | cut -d' ' -f2)" = healthy ] || fail "$n not healthy in status"; done
for n in facade-1 facade-2; do [ "$(status_row $n | cut -d' ' -f2)" = ready ] || fail "$n not ready in status"; done
say "1. cluster started in $(since "$started"): etcd-1..3 healthy, facade-1 and facade-2 ready and registered, detector $(status_detector)"

# 2. Watch every topology change (the coordctl variant), through both replicas.
background "$work/watch.log" coordctl/coordctl --endpoints localhost:9101,localhost:9102 watch
watch_pid=${pids[-1]}
await "full_sync line from coordctl watch" 60 grep -q 'full_sync' "$work/watch.log"
say "2. coordctl watch running"

# 3. Register obj-1 and keep it alive; register obj-idle and let it die (the short-timeouts
# paragraph: "register obj-1 as in step 3 without the heartbeat loop").
# obj-idle first: obj-1's heartbeat loop then starts right after obj-1's registration, not a
# JVM start later (on a busy machine, two coordctl starts have taken longer than its lease).
ctl register --id obj-idle --address 127.0.0.1 --port 7001 --type object --generation g1 >/dev/null \
  || fail "coordctl register obj-idle failed"
idle_at=$(ms)
ctl register --id obj-1 --address 127.0.0.1 --port 7000 --type object --generation g1 >/dev/null \
  || fail "coordctl register obj-1 failed"
registered_at=$(ms)
background "$work/heartbeat.log" coordctl/coordctl --endpoints localhost:9101,localhost:9102 \
  heartbeat obj-1 --generation g1 --every 1s
heartbeat_pid=${pids[-1]}
await "ACTIVE obj-1 in etcd (etcdctl get $P/nodes/obj-1)" 30 node_state_is obj-1 ACTIVE
in_topology obj-1 ACTIVE || fail "obj-1 not ACTIVE in coordctl topology"
no_suspect_obj1 || fail "obj-1 went SUSPECT before it was ACTIVE: its heartbeat loop's first heartbeat came after GS_SUSPECT_TIMEOUT ($GS_SUSPECT_TIMEOUT) from its registration (is the machine busy?)"
say "3. obj-1 registered and ACTIVE ($(since "$registered_at") after its registration)"

# The short-timeouts paragraph: obj-idle, never heartbeated, turns SUSPECT after about the suspect
# timeout (6 s) and DOWN after about the down timeout (9 s).
await "SUSPECT obj-idle" 30 node_state_is obj-idle SUSPECT
suspect_after=$(since "$idle_at")
await "DOWN obj-idle" 30 node_state_is obj-idle DOWN
down_after=$(since "$idle_at")
in_topology obj-idle DOWN || fail "obj-idle not DOWN in coordctl topology"
await "obj-idle's SUSPECT and DOWN in coordctl watch" 15 grep -q 'updated obj-idle .*DOWN' "$work/watch.log"
grep -Eq 'updated obj-idle .*SUSPECT' "$work/watch.log" || fail "no SUSPECT for obj-idle in the watch"
in_topology obj-1 ACTIVE || fail "obj-1 not ACTIVE after ${GS_SUSPECT_TIMEOUT} with a heartbeat every 1 s"
say "   short timeouts: obj-idle SUSPECT after $suspect_after, DOWN after $down_after (GS_SUSPECT_TIMEOUT=$GS_SUSPECT_TIMEOUT, GS_DOWN_TIMEOUT=$GS_DOWN_TIMEOUT); obj-1 still ACTIVE"

# 4. Kill the replica running the detector; the other takes over within the session TTL.
detector=$(status_detector)
case $detector in facade-1) other=facade-2 ;; facade-2) other=facade-1 ;; *) fail "no detector in status: '$detector'" ;; esac
ctl leader | grep -q "^leader $detector " || fail "coordctl leader does not name $detector, the detector in status"
lc kill-facade "${detector#facade-}" >>"$work/steps.log" 2>&1
killed_at=$(ms)
await "$other as the only registered replica (session TTL $GS_SESSION_TTL)" 40 registered_is "$other"
await "$other as the detector" 20 detector_is "$other"
moved_after=$(since "$killed_at")
ctl leader | grep -q "^leader $other " || fail "coordctl leader does not name $other"
beats=$(heartbeats)
await "a heartbeat through $other" 20 more_heartbeats_than "$beats"
node_state_is obj-1 ACTIVE || fail "obj-1 not ACTIVE after $detector was killed"
in_topology obj-1 ACTIVE || fail "obj-1 not ACTIVE in coordctl topology after $detector was killed"
no_suspect_obj1 || fail "coordctl watch shows obj-1 SUSPECT or DOWN after $detector was killed"
[ ! -s "$work/heartbeat.err.log" ] || fail "a heartbeat failed while $detector was down"
alive "$watch_pid" || fail "coordctl watch ended when $detector was killed"
say "4. killed $detector (the detector): $other registered alone and the detector $moved_after later; obj-1 ACTIVE, no SUSPECT in the watch, no heartbeat lost"

# 5. Kill etcd's leader: two of three keep the quorum; heartbeats, reads and writes go on.
leader=$(etcdctl endpoint status -w simple | awk -F', ' '$5 == "true" {print $1}')
member=$(( ${leader##*:} - 23790 ))
[ "$member" -ge 1 ] && [ "$member" -le 3 ] || fail "no etcd leader in etcdctl endpoint status: '$leader'"
lc kill-etcd "$member" >>"$work/steps.log" 2>&1
beats=$(heartbeats)
ctl register --id obj-2 --address 127.0.0.1 --port 7002 --type object --generation g1 >/dev/null \
  || fail "coordctl register obj-2 failed with etcd-$member (the etcd leader) down"
in_topology obj-2 JOINING --linearizable || fail "obj-2 not in a linearizable coordctl topology with etcd-$member down"
await "heartbeats with etcd-$member down" 20 more_heartbeats_than "$beats"
await "obj-2 in coordctl watch" 20 grep -q 'added obj-2 ' "$work/watch.log"
for i in 1 2 3; do
  want=healthy; [ "$i" = "$member" ] && want=stopped
  [ "$(status_row "etcd-$i" | cut -d' ' -f2)" = "$want" ] || fail "etcd-$i not $want in status"
done
await "$other ready with etcd-$member down" 30 sh -c "deploy/local-cluster status | grep -Eq '^$other +[0-9]+ +ready'"
node_state_is obj-1 ACTIVE || fail "obj-1 not ACTIVE with etcd-$member down"
say "5. killed etcd-$member (etcd's leader): obj-2 registered, linearizable topology read, heartbeats go on"
lc restart-etcd "$member" >>"$work/steps.log" 2>&1 || fail "deploy/local-cluster restart-etcd $member failed"
lc restart-facade "${detector#facade-}" >>"$work/steps.log" 2>&1 || fail "deploy/local-cluster restart-facade ${detector#facade-} failed"
await "both replicas registered again" 30 registered_is "facade-1 facade-2"
node_state_is obj-1 ACTIVE || fail "obj-1 not ACTIVE after the restarts"
no_suspect_obj1 || fail "coordctl watch shows obj-1 SUSPECT or DOWN after step 5"
say "   etcd-$member and $detector restarted: both replicas registered again"

# 6. A lost quorum: two members down; /readyz 503 and calls UNAVAILABLE; back by themselves.
pids_before="$(status_row facade-1 | cut -d' ' -f1) $(status_row facade-2 | cut -d' ' -f1)"
# Keep the member that carries the replicas' etcd watches (etcd's watch-stream metric): then a
# replica's watch runs through the survivor, the case that needs a watch requiring a leader.
survivor=$(for i in 1 2 3; do
  echo "$(curl -s --max-time 2 "http://127.0.0.1:2379$i/metrics" \
    | awk '$1 == "etcd_debugging_mvcc_watch_stream_total" {print $2}') $i"
done | sort -rn | head -1 | cut -d' ' -f2)
down1=$(( survivor % 3 + 1 )); down2=$(( down1 % 3 + 1 ))
lc kill-etcd "$down1" >>"$work/steps.log" 2>&1
lc kill-etcd "$down2" >>"$work/steps.log" 2>&1
lost_at=$(ms)
# A linearizable read meanwhile: answered UNAVAILABLE (exit code 3), "cannot reach etcd".
( set +e; ctl topology --linearizable >"$work/lost-read.out" 2>&1; echo $? >"$work/lost-read.rc" ) &
read_pid=$!
pids+=("$read_pid")
await "503 on facade-2's /readyz without quorum" 60 readyz_is 9192 503
await "503 on facade-1's /readyz without quorum" 30 readyz_is 9191 503
unready_after=$(since "$lost_at")
curl -s http://127.0.0.1:9192/readyz | grep -q 'not following etcd' || fail "/readyz does not say 'not following etcd'"
wait "$read_pid" || true
[ "$(cat "$work/lost-read.rc")" = 3 ] || fail "a linearizable read without quorum exited $(cat "$work/lost-read.rc"), not 3: $(cat "$work/lost-read.out")"
grep -q 'cannot reach etcd' "$work/lost-read.out" || fail "a linearizable read without quorum: $(cat "$work/lost-read.out")"
say "6. killed etcd-$down1 and etcd-$down2 (etcd-$survivor carries the replicas' watches): both replicas unready after $unready_after, a linearizable read answered UNAVAILABLE"
lc restart-etcd "$down1" >>"$work/steps.log" 2>&1 || fail "deploy/local-cluster restart-etcd $down1 failed"
lc restart-etcd "$down2" >>"$work/steps.log" 2>&1 || fail "deploy/local-cluster restart-etcd $down2 failed"
back_at=$(ms)
await "200 on facade-2's /readyz after the quorum is back" 60 readyz_is 9192 200
await "200 on facade-1's /readyz after the quorum is back" 30 readyz_is 9191 200
ready_after=$(since "$back_at")
pids_after="$(status_row facade-1 | cut -d' ' -f1) $(status_row facade-2 | cut -d' ' -f1)"
[ "$pids_before" = "$pids_after" ] || fail "the replicas were restarted ($pids_before -> $pids_after)"
ctl topology --linearizable >/dev/null || fail "no linearizable read after the quorum is back"
say "   members back: both replicas ready again $ready_after later, without a restart"

# 7. Stop everything. The heartbeat loop outlasted the outage, as a node's would.
alive "$heartbeat_pid" || fail "coordctl heartbeat --every ended during the walk-through"
beats=$(heartbeats)
await "heartbeats after the quorum is back" 20 more_heartbeats_than "$beats"
await "ACTIVE obj-1 after the quorum is back" 20 node_state_is obj-1 ACTIVE
no_suspect_obj1 || fail "coordctl watch shows obj-1 SUSPECT or DOWN"
kill "$heartbeat_pid" "$watch_pid"
lc stop >>"$work/steps.log" 2>&1 || fail "deploy/local-cluster stop failed"
for n in etcd-1 etcd-2 etcd-3 facade-1 facade-2; do
  [ "$(status_row $n)" = "- stopped" ] || fail "$n still runs after deploy/local-cluster stop"
done
for p in "${ports[@]}"; do
  ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || fail "port $p still listens after deploy/local-cluster stop"
done
lc clean >>"$work/steps.log" 2>&1
[ ! -e "$LOCAL_CLUSTER_STATE" ] || fail "deploy/local-cluster clean left $LOCAL_CLUSTER_STATE"
say "7. stopped and cleaned"
echo "failover-check: ok in $(since "$started")"
