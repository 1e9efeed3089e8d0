#!/usr/bin/env bash
# Runs the whole test suite: installs etcd and Chromium if missing, builds and tests every module,
# then runs the README's walk-through as a script (deploy/walkthrough-check.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/ensure-deps.sh
mvn -B verify "$@"
# The README's first-hour walk-through, scripted, on the jars just built (about 20 s).
deploy/walkthrough-check.sh
