#!/usr/bin/env bash
# The benchmark of issue 8: starts its own etcd (data on disk under benchmarks/target/etcd) and
# facade replicas on loopback, runs every raw-etcd baseline and facade workload, prints one
# "name value unit" line per figure plus the facade/baseline ratios, and writes
# benchmarks/target/report.md. A full run takes about 12 minutes on 2 cores; --quick about 5.5
# (the storms of issue 23, `--only storm`, about 4 and 1.5 of them).
# Options: --quick, --profile (JFR of each replica into benchmarks/target/profiles),
#          --only raw,watch (workload subset), --capacity-steps 5000,10000,...,
#          --storm-nodes 100000,10000 (registration storm, fleet storms)
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/ensure-etcd.sh
echo "building (mvn -q -pl benchmarks -am package -Dmaven.test.skip=true)..." >&2
mvn -B -q -pl benchmarks -am package -Dmaven.test.skip=true
# Private copies: a rebuild in the tree during the run must not pull the jars from under it.
mkdir -p benchmarks/target/run
cp facade/target/coordinator-facade.jar benchmarks/target/run/facade.jar
cp benchmarks/target/coordinator-benchmarks.jar benchmarks/target/run/benchmarks.jar
exec java -Xms1g -Xmx4g -cp benchmarks/target/run/benchmarks.jar \
  io.gitstratum.coordinator.bench.BenchmarkMain \
  --facade-jar benchmarks/target/run/facade.jar --out benchmarks/target "$@"
