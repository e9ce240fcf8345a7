#!/usr/bin/env bash
# Main-page benchmark (a measurement, not a timed test): one user in R rooms of M messages each, then C timed
# GET /api/home calls on the embedded default. Prints p50/p99/max latency and MongoDB commands per call.
#
# Usage: scripts/bench-home.sh [-r rooms] [-m messages-per-room] [-c calls]
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "${SCRIPT_DIR}/.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"

usage() {
  cat >&2 <<USAGE
Usage: ${0##*/} [-r rooms] [-m messages-per-room] [-c calls]
  -r  rooms the user is in (default 50)
  -m  messages in each room (default 10000)
  -c  timed calls after three warm-up calls (default 30)
USAGE
}

positive_int() {
  [[ "$1" =~ ^[1-9][0-9]*$ ]]
}

main() {
  local rooms=50
  local messages=10000
  local calls=30
  local opt
  while getopts ':r:m:c:h' opt; do
    case "${opt}" in
      r) rooms="${OPTARG}" ;;
      m) messages="${OPTARG}" ;;
      c) calls="${OPTARG}" ;;
      h)
        usage
        return 0
        ;;
      *)
        usage
        return 2
        ;;
    esac
  done
  positive_int "${rooms}" || die "-r needs a positive number, got '${rooms}'"
  positive_int "${messages}" || die "-m needs a positive number, got '${messages}'"
  positive_int "${calls}" || die "-c needs a positive number, got '${calls}'"

  log "benchmark: GET /api/home for a user in ${rooms} rooms x ${messages} messages, ${calls} calls"
  cd "${REPO_DIR}"
  local output
  output="$(mktemp)"
  # shellcheck disable=SC2064 # expand now: the local is gone when the trap runs
  trap "rm -f '${output}'" EXIT
  if ! BENCH_ROOMS="${rooms}" BENCH_MESSAGES="${messages}" BENCH_CALLS="${calls}" ./mvnw -B -ntp verify \
    -Dit.test=HomeBenchmark -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
    -Dfailsafe.failIfNoSpecifiedTests=false >"${output}" 2>&1; then
    tail -n 60 "${output}" >&2
    die "benchmark failed"
  fi
  grep '^BENCH' "${output}"
}

main "$@"
