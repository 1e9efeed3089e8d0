#!/usr/bin/env bash
# Makes sure `etcd` and `etcdctl` are on the PATH, installing Debian's packages when they are not.
set -euo pipefail
if command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1; then
  exit 0
fi
echo "etcd not found: installing Debian's etcd-server and etcd-client" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to install etcd" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq etcd-server etcd-client >/dev/null
# The package may start a system etcd on 2379; the project starts its own, so stop that one.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
  $SUDO systemctl stop etcd || true
fi
etcd --version | head -1 >&2
