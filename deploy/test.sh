#!/usr/bin/env bash
# Runs the whole test suite: installs etcd and Chromium if missing, then builds and tests every module.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/ensure-deps.sh
exec mvn -B verify "$@"
