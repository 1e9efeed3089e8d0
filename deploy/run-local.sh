#!/usr/bin/env bash
# Try the coordinator on this machine: installs etcd if missing, builds the facade, and runs it on
# localhost:9000 with a local etcd it starts itself (data in .local/etcd, client port 2379).
# Extra arguments go to the facade (see --help); --listen moves the advertised port with it.
# gRPC and the status page (which shows node addresses) listen on 127.0.0.1 unless --listen or
# --http-listen say otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/ensure-etcd.sh
jar="$PWD/facade/target/coordinator-facade.jar"
if [ ! -f "$jar" ] || [ -n "$(find proto etcd-schema etcd-local client facade -name '*.java' -newer "$jar" -o -name '*.proto' -newer "$jar" -o -name pom.xml -newer "$jar" 2>/dev/null | head -1)" ]; then
  echo "building the facade (first time: downloads dependencies, about 2 minutes)..." >&2
  # Debian's Maven 3.8 prints colour resets even in batch mode: keep them off the terminal.
  mvn -B -q -pl facade -am package -DskipTests 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2
fi
listen="${GS_LISTEN:-127.0.0.1:9000}"
http_listen="${GS_HTTP_LISTEN:-127.0.0.1:9090}"
advertise="${GS_ADVERTISE:-}"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --listen) listen="${2:?--listen needs host:port}"; shift 2 ;;
    --listen=*) listen="${1#--listen=}"; shift ;;
    --http-listen) http_listen="${2:?--http-listen needs host:port}"; shift 2 ;;
    --http-listen=*) http_listen="${1#--http-listen=}"; shift ;;
    --advertise) advertise="${2:?--advertise needs host:port}"; shift 2 ;;
    --advertise=*) advertise="${1#--advertise=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
# Clients reach this replica where it listens (GetLeader names it): that port on localhost
# unless told otherwise.
advertise="${advertise:-localhost:${listen##*:}}"
# The build's class-data sharing archive (deploy/cds-archive.sh) halves the CPU of a start; it
# holds for the jar by this absolute path. Without it (or stale) the JVM starts all the same.
# C2 compiles after 3x the usual calls: at start-up it competed for the CPU with the start itself
# (README, "Start-up"; the container image and the benchmark's replicas use the same flags).
jvm=(-XX:Tier4InvocationThreshold=15000 -XX:Tier4MinInvocationThreshold=2000
  -XX:Tier4CompileThreshold=45000 -XX:Tier4BackEdgeThreshold=120000)
if [ -f "${jar%.jar}.jsa" ]; then
  jvm+=(-XX:SharedArchiveFile="${jar%.jar}.jsa")
fi
exec java "${jvm[@]}" -jar "$jar" --embedded-etcd --listen "$listen" --http-listen "$http_listen" \
  --advertise "$advertise" "${args[@]}"
