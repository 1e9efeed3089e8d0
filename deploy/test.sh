#!/usr/bin/env bash
# Runs the whole test suite: installs etcd if missing, then builds and tests every module.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/ensure-etcd.sh
exec mvn -B verify "$@"
