#!/usr/bin/env bash
# Makes sure `etcd` and `etcdctl` are on the PATH, installing Debian's packages when they are not.
set -euo pipefail
if command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1; then
  exit 0
fi
echo "etcd not found: installing Debian's etcd-server and etcd-client" >&2
"$(dirname "$0")/apt-install.sh" etcd-server etcd-client
# The package may start a system etcd on 2379; the project starts its own, so stop that one.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
  [ "$(id -u)" -eq 0 ] && systemctl stop etcd || sudo systemctl stop etcd || true
fi
etcd --version | head -1 >&2
