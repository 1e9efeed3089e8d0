# Shared by deploy/walkthrough-check.sh and deploy/failover-check.sh; sourced, not run. Gives a
# work directory ($work, removed on exit; KEEP_WORK=1 keeps it), background processes killed on
# exit (append their pids to $pids), fail (one line after $fail_prefix, then the tails of the logs
# $fail_logs matches) and await (a bounded poll). The sourcing script sets fail_prefix first, may
# widen fail_logs, and may define on_exit for cleanup of its own (run after the background
# processes are killed).
work="$(mktemp -d)"
pids=()
fail_logs="$work/*.log"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if declare -F on_exit >/dev/null; then on_exit; fi
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"; [ -z "${KEEP_WORK:-}" ] || echo "kept $work" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "$fail_prefix $*" >&2
  local f
  for f in $fail_logs; do # unquoted: the globs expand here
    [ -f "$f" ] || continue
    echo "--- $f" >&2; tail -20 "$f" >&2
  done
  exit 1
}

# $1 what, $2 seconds at most (wall clock), rest: a command polled until it succeeds; a command
# that exits 75 means what it waits for has gone, and the wait fails at once.
await() {
  local what="$1" limit="$2" deadline=$((SECONDS + $2)); shift 2
  until "$@" >/dev/null 2>&1; do
    [ $? != 75 ] || fail "no $what: the process it waits for has exited"
    [ "$SECONDS" -lt "$deadline" ] || fail "no $what within ${limit}s"
    sleep 0.2
  done
}
