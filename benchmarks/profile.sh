#!/usr/bin/env bash
# Profiles of the replica's hot paths (issue 26): runs the heartbeat, register and watch
# workloads (and the raw watch baseline, whose name contains "watch") on the fair rig with a JFR
# recording of each replica (run.sh --profile: Java samples every 2 ms), then writes
# benchmarks/PROFILE.md with, per measured window (heartbeat c1/c32, register c1/c32, watch
# w1000/w10000), the replica's CPU per operation and its top frames over that window only: CPU
# samples by thread pool, by top frame and by project method on the stack.
# Extra options go to run.sh (e.g. --quick). Takes the sum of the workloads' budgets at most
# (printed first: 437 s, 344 s with --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/target
rm -rf "$out/profiles"
status=0
benchmarks/run.sh --profile --only heartbeat,register,watch "$@" || status=$?
jar=benchmarks/target/run/benchmarks.jar
md=benchmarks/PROFILE.md
summary() { # FILE [JfrSummary options]: the summary, or why there is none
  if [ -s "$1" ]; then
    java -cp "$jar" io.gitstratum.coordinator.bench.report.JfrSummary "$@" --top 12 2>&1 \
      | sed "s|^$out/profiles/||" || echo "(JfrSummary could not read $1)"
  else
    echo "(empty recording: the replica was killed before it could write it)"
  fi
}
{
  echo "# Replica hot-path profiles"
  echo
  echo "Written by \`benchmarks/profile.sh $*\` on $(date -u +%Y-%m-%dT%H:%MZ) (run exit status $status)."
  echo "$(grep -m1 '^| pinning' "$out/report.md" | sed 's/^| pinning | \(.*\) |$/Pinning: \1./')"
  echo "Each replica ran with JFR (\`jdk.ExecutionSample\` every 2 ms); each summary covers one"
  echo "measured window only (\`JfrSummary FILE --between START END\`, the window's times from the"
  echo "workload's results file), next to the CPU per operation measured over the same window."
  for jfr in "$out"/profiles/*-facade-*.jfr; do
    [ -e "$jfr" ] || continue
    name=$(basename "$jfr" .jfr)
    workload=${name%%-facade-*}
    results="$out/results/$workload.tsv"
    echo
    echo "## ${workload} (replica profile ${name#*-facade-})"
    windows=$(awk -F'\t' '$1 == "window" && $2 ~ /^facade\./ {print $2 " " $3 " " $4}' \
      "$results" 2>/dev/null || true)
    if [ -z "$windows" ]; then
      echo
      echo "No measured window recorded; the whole recording:"
      echo
      echo '```'
      summary "$jfr"
      echo '```'
      continue
    fi
    while read -r prefix start end; do
      echo
      echo "### \`$prefix\` ($(( (end - start) / 1000 )) s window)"
      echo
      awk -F'\t' -v p="$prefix.cpu_" '$1 == "figure" && index($3, p) == 1 && $3 ~ /_us_per_/ {
        printf "- `%s` %.1f µs\n", $3, $4 }' "$results"
      echo
      echo '```'
      summary "$jfr" --between "$start" "$end"
      echo '```'
    done <<< "$windows"
  done
} > "$md"
echo "# profiles: $md" >&2
exit "$status"
