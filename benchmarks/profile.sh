#!/usr/bin/env bash
# Profiles of the replica's hot paths (issue 26): runs the heartbeat, register and watch
# workloads (and the raw watch baseline, whose name contains "watch") on the fair rig with a JFR
# recording of each replica (run.sh --profile: Java samples every 2 ms), then writes
# benchmarks/PROFILE.md with the top frames of each: CPU samples by thread pool, by top frame and
# by project method on the stack, next to the workload's CPU per operation from the same run.
# Extra options go to run.sh (e.g. --quick). Takes the sum of the workloads' budgets at most
# (printed first; about 7 minutes, 5.5 with --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/target
rm -rf "$out/profiles"
status=0
benchmarks/run.sh --profile --only heartbeat,register,watch "$@" || status=$?
jar=benchmarks/target/run/benchmarks.jar
md=benchmarks/PROFILE.md
{
  echo "# Replica hot-path profiles"
  echo
  echo "Written by \`benchmarks/profile.sh $*\` on $(date -u +%Y-%m-%dT%H:%MZ) (run exit status $status)."
  echo "$(grep -m1 '^| pinning' "$out/report.md" | sed 's/^| pinning | \(.*\) |$/Pinning: \1./')"
  echo "Each replica ran with JFR (\`jdk.ExecutionSample\` every 2 ms) for the whole workload, set-up"
  echo "included; shares are of its CPU samples. Summaries by \`JfrSummary FILE --top 15\`."
  for jfr in "$out"/profiles/*-facade-*.jfr; do
    [ -e "$jfr" ] || continue
    name=$(basename "$jfr" .jfr)
    workload=${name%%-facade-*}
    echo
    echo "## ${workload} (replica profile ${name#*-facade-})"
    echo
    echo "CPU per operation in the same run (µs; \`cpu_<process>_us_per_<op>\` in the report):"
    echo
    grep -E "^\| \`facade\.${workload}\.[^\`]*_us_per_" "$out/report.md" \
      | awk -F'|' '{gsub(/ /, "", $2); gsub(/ /, "", $3); gsub(/ /, "", $4); print "- " $2 " " $3 " " $4}' \
      || true
    echo
    echo '```'
    if [ -s "$jfr" ]; then
      java -cp "$jar" io.gitstratum.coordinator.bench.report.JfrSummary "$jfr" --top 15 2>&1 \
        | sed "s|^$out/profiles/||" || echo "(JfrSummary could not read $jfr)"
    else
      echo "(empty recording: the replica was killed before it could write it)"
    fi
    echo '```'
  done
} > "$md"
echo "# profiles: $md" >&2
exit "$status"
