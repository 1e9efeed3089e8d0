#!/usr/bin/env bash
# Runs the whole test suite: installs etcd and Chromium if missing, builds and tests every module,
# then runs the README's walk-through and deploy/README.md's failover walk-through as scripts
# (deploy/walkthrough-check.sh, deploy/failover-check.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/ensure-deps.sh
mvn -B verify "$@"
# The README's first-hour walk-through, scripted, on the jars just built (about 20 s).
deploy/walkthrough-check.sh
# deploy/README.md's failover walk-through (local-cluster: 3 etcd members, 2 replicas), about 1.5 min.
deploy/failover-check.sh
