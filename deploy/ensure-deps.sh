#!/usr/bin/env bash
# What the test suite needs beyond Java and Maven: etcd (deploy/ensure-etcd.sh), Debian's
# Chromium for the status page's browser test, and Debian's prometheus package for promtool and
# Prometheus (the alert rules' unit tests and the end-to-end monitoring test). Installs what is
# missing (as root, or via sudo).
set -euo pipefail
cd "$(dirname "$0")"
./ensure-etcd.sh
if [ ! -x /usr/bin/chromium ]; then
  echo "chromium not found: installing Debian's chromium (headless browser test)" >&2
  ./apt-install.sh chromium
fi
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
  echo "promtool/prometheus not found: installing Debian's prometheus (alert rule tests)" >&2
  ./apt-install.sh --no-install-recommends prometheus
  # The package starts a Prometheus service on :9090 where systemd runs; that is the facade's
  # operations port in run-local.sh and the walk-through, and the tests start their own.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
    echo "stopping and disabling the prometheus service the package started (it takes :9090)" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO systemctl disable --now prometheus
  fi
fi
