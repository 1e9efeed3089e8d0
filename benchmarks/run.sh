#!/usr/bin/env bash
# The benchmark (issues 8, 23, 26). A small runner JVM runs each workload in a fresh
# load-generator JVM of its own, pinned with taskset to CPU 1, which starts its own etcd (data on
# disk under benchmarks/target/etcd) and facade replicas pinned to CPU 0; each workload is stopped
# once its own budget is spent. Prints one "name value unit" line per figure, the pinning, each
# process's CPU per operation and per workload, the facade/baseline ratios, and writes
# benchmarks/target/report.md. The runner prints the run's budget first (--plan prints only
# that): the sum of the selected workloads' caps, 2,252 s (37.5 min) for a full run and 1,631 s
# (27 min) for --quick, sized for a busy two-core machine; the run's wall time is the report's
# rig.run.wall_s, each workload's rig.NAME.wall_s. Without taskset or with one CPU it runs
# unpinned and says so.
# Options: --quick, --profile (JFR of each replica into benchmarks/target/profiles; see
#          profile.sh), --only raw,watch (workload subset), --capacity-steps 5000,10000,...,
#          --storm-nodes 100000,10000 (registration storm, fleet storms), --no-pin
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/ensure-etcd.sh
echo "building (mvn -q -pl benchmarks -am package -Dmaven.test.skip=true)..." >&2
mvn -B -q -pl benchmarks -am package -Dmaven.test.skip=true
# Private copies: a rebuild in the tree during the run must not pull the jars from under it.
mkdir -p benchmarks/target/run
cp facade/target/coordinator-facade.jar benchmarks/target/run/facade.jar
cp benchmarks/target/coordinator-benchmarks.jar benchmarks/target/run/benchmarks.jar
# The replicas start with a class-data sharing archive of this copy (FacadeProcess passes it when
# present), dumped from the class list the facade build trained; without one they start slower.
deploy/cds-archive.sh --classes facade/target/coordinator-facade.classlist \
  benchmarks/target/run/facade.jar
# The runner only starts workload JVMs and merges their figures: a small heap, no pinning.
exec java -Xmx256m -cp benchmarks/target/run/benchmarks.jar \
  io.gitstratum.coordinator.bench.BenchmarkMain \
  --facade-jar benchmarks/target/run/facade.jar --out benchmarks/target "$@"
