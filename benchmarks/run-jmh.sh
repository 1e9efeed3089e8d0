#!/usr/bin/env bash
# JMH micro-benchmarks: ring lookup (100 nodes x 16 and x 256 points), ring rebuild for 1,000
# nodes, and the facade's transition functions on 1,000- and 30,000-node topologies. Prints one
# "name value unit" line per result and writes benchmarks/target/jmh-report.md (about 3 minutes;
# --quick: under a minute, for checking only).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "building (mvn -q -pl benchmarks -am package -Dmaven.test.skip=true)..." >&2
mvn -B -q -pl benchmarks -am package -Dmaven.test.skip=true
exec java -cp benchmarks/target/coordinator-benchmarks.jar \
  io.gitstratum.coordinator.bench.jmh.JmhMain --out benchmarks/target "$@"
