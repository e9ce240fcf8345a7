# shellcheck shell=bash
# Check counting shared by the host test runners (tests/<suite>/run.sh): each PASS/FAIL is logged and
# counted, and checks_summary ends the run with the totals. Sourced after scripts/lib/common.sh.

CHECKS=0
FAILURES=0

pass() {
  CHECKS=$((CHECKS + 1))
  log "PASS: $*"
}

fail() {
  CHECKS=$((CHECKS + 1))
  FAILURES=$((FAILURES + 1))
  err "FAIL: $*"
}

# checks_summary <what> <start-SECONDS>: dies when any check failed, else logs the total.
checks_summary() {
  local what="$1"
  local started="$2"
  if ((FAILURES > 0)); then
    die "${FAILURES} of ${CHECKS} check(s) failed"
  fi
  log "all ${CHECKS} ${what} checks passed in $((SECONDS - started))s"
}

# expect_eq <got> <want> <what>: passes when got equals want (the value is logged either way).
expect_eq() {
  if [[ "$1" == "$2" ]]; then
    pass "$3 (${1})"
  else
    fail "$3: got '${1}', want '${2}'"
  fi
}

# check_true <what> <command...>: passes when the command succeeds.
check_true() {
  local what="$1"
  shift
  if "$@"; then
    pass "${what}"
  else
    fail "${what}"
  fi
}
