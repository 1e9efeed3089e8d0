#!/usr/bin/env bash
# What the test suite needs beyond Java and Maven: etcd (deploy/ensure-etcd.sh) and Debian's
# Chromium for the status page's browser test. Installs what is missing (as root, or via sudo).
set -euo pipefail
cd "$(dirname "$0")"
./ensure-etcd.sh
if [ ! -x /usr/bin/chromium ]; then
  echo "chromium not found: installing Debian's chromium (headless browser test)" >&2
  ./apt-install.sh chromium
fi
