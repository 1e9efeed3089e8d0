#!/usr/bin/env bash
# Creates the etcd role and user a coordinator facade runs as: read and write on the facade's key
# prefix only, nothing else (see README.md next to this script). Safe to run again: what exists is
# kept, the permission is (re)granted.
#
# etcdctl reaches etcd through its own environment variables, for example:
#   ETCDCTL_API=3 ETCDCTL_ENDPOINTS=https://etcd-0:2379 ETCDCTL_CACERT=ca.pem \
#   ETCDCTL_CERT=root.pem ETCDCTL_KEY=root.key            # or ETCDCTL_USER=root + ETCDCTL_PASSWORD
#
# Usage: create-role.sh [--prefix /gitstratum/default/] [--role gitstratum-coordinator]
#                       [--user gitstratum-coordinator] (--password-file FILE | --no-password)
#                       [--enable-auth --root-password-file FILE]
#   --prefix         the facade's prefix: <--etcd-root>/<--cluster>/ (must end with /)
#   --password-file  the user's password (first line); for --etcd-user/--etcd-password-file
#   --no-password    a user for client-certificate auth only (the certificate's CN is the user)
#   --enable-auth    also create the root user (if missing) and turn etcd auth on
set -euo pipefail

prefix=/gitstratum/default/
role=gitstratum-coordinator
user=gitstratum-coordinator
password_file=
no_password=false
enable_auth=false
root_password_file=

die() { echo "create-role.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=${2:?}; shift 2 ;;
    --role) role=${2:?}; shift 2 ;;
    --user) user=${2:?}; shift 2 ;;
    --password-file) password_file=${2:?}; shift 2 ;;
    --no-password) no_password=true; shift ;;
    --enable-auth) enable_auth=true; shift ;;
    --root-password-file) root_password_file=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

# A prefix without its trailing slash would also grant /gitstratum/default-2/ and the like.
case "$prefix" in
  /*/) ;;
  *) die "--prefix must start and end with / (got '$prefix')" ;;
esac
if [ "$no_password" = true ] && [ -n "$password_file" ]; then
  die "--password-file and --no-password exclude each other"
fi
if [ "$no_password" = false ] && [ -z "$password_file" ]; then
  die "give --password-file FILE (password auth) or --no-password (client-certificate auth)"
fi
if [ -n "$password_file" ] && [ ! -r "$password_file" ]; then
  die "cannot read $password_file"
fi
# etcdctl reads a password from stdin up to the first blank; refuse one it would cut short.
for f in $password_file $root_password_file; do
  if head -n 1 "$f" | grep -q '[[:space:]]'; then
    die "the password in $f contains blanks; etcdctl cannot read such a password from stdin"
  fi
done
if [ "$enable_auth" = true ] && [ -z "$root_password_file" ]; then
  die "--enable-auth needs --root-password-file (the root user's password, if it must be created)"
fi
command -v etcdctl >/dev/null || die "etcdctl not found (Debian: apt-get install etcd-client)"
export ETCDCTL_API=3

if etcdctl role get "$role" >/dev/null 2>&1; then
  echo "role $role exists"
else
  etcdctl role add "$role" >/dev/null
  echo "role $role created"
fi
# readwrite on [prefix, prefix-end): the facade's keys and nothing else. Leases need no
# permission; revoking one needs write access to its keys, which are under the prefix.
etcdctl role grant-permission --prefix=true "$role" readwrite "$prefix" >/dev/null
echo "role $role may read and write $prefix*"

if etcdctl user get "$user" >/dev/null 2>&1; then
  echo "user $user exists (password unchanged)"
elif [ "$no_password" = true ]; then
  etcdctl user add "$user" --no-password >/dev/null
  echo "user $user created (client-certificate auth: a certificate with CN=$user)"
else
  # From stdin, so the password never appears in a process listing.
  head -n 1 "$password_file" | etcdctl user add "$user" --interactive=false >/dev/null
  echo "user $user created (password from $password_file)"
fi
etcdctl user grant-role "$user" "$role" >/dev/null
echo "user $user has role $role"

if [ "$enable_auth" = true ]; then
  if ! etcdctl user get root >/dev/null 2>&1; then
    head -n 1 "$root_password_file" | etcdctl user add root --interactive=false >/dev/null
    echo "user root created"
  fi
  etcdctl user grant-role root root >/dev/null
  etcdctl auth enable >/dev/null
  echo "etcd auth enabled"
fi
