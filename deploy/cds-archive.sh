#!/usr/bin/env bash
# Class-data sharing for the facade (the JDK's own AppCDS): writes JAR's archive, by default the
# same path with .jsa instead of .jar, so that a start maps the classes it needs (parsed, verified,
# laid out) instead of loading them one by one from the jar; it roughly halves the CPU of a start.
#   deploy/cds-archive.sh JAR [ARCHIVE]                  train, then dump (the facade build does this)
#   deploy/cds-archive.sh --classes LIST JAR [ARCHIVE]   dump from a class list trained before
# Training starts the facade once (-XX:DumpLoadedClassList) with an embedded etcd in a temp dir on
# free ports, waits until it is ready and stops it; the list goes next to the archive (.classlist).
# Dumping (-Xshare:dump) needs no etcd. The JVM checks the archive against the jar it was dumped
# for, by path as given on the command line and by size and time: run the jar by that same path
# (this script uses the absolute path), and a rebuilt jar needs a new archive. A stale or missing
# archive costs only the time: the JVM starts without it. So this script never fails a build: it
# warns and leaves no archive.
set -uo pipefail

classes=""
if [ "${1:-}" = "--classes" ]; then
  classes="${2:?--classes needs a class list}"
  shift 2
fi
jar="$(realpath "${1:?usage: cds-archive.sh [--classes LIST] JAR [ARCHIVE]}")"
archive="$(realpath -m "${2:-${jar%.jar}.jsa}")"
java="${JAVA:-java}"

warn() {
  echo "cds-archive: $* (no archive: the facade starts without it, only slower)" >&2
  rm -f "$archive"
  exit 0
}

# A client port whose peer port (+1) is free too; the facade's embedded etcd binds both.
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null \
        && ! (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# One start of the facade until it logs "ready:", recording the classes it loads into $1.
train() {
  local list="$1" dir port pid
  command -v etcd > /dev/null || return 1
  dir="$(mktemp -d)"
  port="$(free_port)" || return 1
  "$java" -XX:DumpLoadedClassList="$list" -jar "$jar" --embedded-etcd \
    --embedded-etcd-dir "$dir/etcd" --embedded-etcd-port "$port" --listen 127.0.0.1:0 \
    --http-listen 127.0.0.1:0 --replica-id cds-training > "$dir/facade.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do # 60 s
    if grep -q "ready:" "$dir/facade.log"; then
      break
    fi
    if ! kill -0 "$pid" 2> /dev/null; then
      break
    fi
    sleep 0.1
  done
  local ready=1
  grep -q "ready:" "$dir/facade.log" && ready=0
  kill -TERM "$pid" 2> /dev/null
  wait "$pid" 2> /dev/null
  if [ "$ready" -ne 0 ]; then
    tail -40 "$dir/facade.log" >&2
  fi
  rm -rf "$dir"
  return "$ready"
}

[ -f "$jar" ] || warn "no jar at $jar"
if [ -z "$classes" ]; then
  classes="${archive%.jsa}.classlist"
  # A second try on other ports: a free port may be taken between the check and etcd's bind.
  train "$classes" || train "$classes" \
    || warn "the training start of the facade did not get ready (is etcd on the PATH?)"
fi
[ -s "$classes" ] || warn "no class list at $classes"
rm -f "$archive"
if ! "$java" -Xshare:dump -XX:SharedClassListFile="$classes" -XX:SharedArchiveFile="$archive" \
    -cp "$jar" > "${archive%.jsa}.dump.log" 2>&1; then
  tail -5 "${archive%.jsa}.dump.log" >&2
  warn "dumping the archive failed (log: ${archive%.jsa}.dump.log)"
fi
echo "cds-archive: $archive for $jar" >&2
