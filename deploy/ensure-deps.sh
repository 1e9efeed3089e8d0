#!/usr/bin/env bash
# What the test suite needs beyond Java and Maven: etcd (deploy/ensure-etcd.sh) and Debian's
# Chromium for the status page's browser test. Installs what is missing (as root, or via sudo).
set -euo pipefail
cd "$(dirname "$0")"
./ensure-etcd.sh
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
echo "chromium not found: installing Debian's chromium (headless browser test)" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to install chromium" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
