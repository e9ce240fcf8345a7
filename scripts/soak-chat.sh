#!/usr/bin/env bash
# Chat soak (a measurement with a verdict): ChatClusterIT's two instances on real MariaDB and Redis, with N STOMP
# clients in R rooms sending for S seconds while Redis stops taking publishes (3 s) and is restarted, plus
# same-instant bursts through both instances. Every client must end with every message of its rooms, in order,
# once. Prints sent, delivered, lost, duplicated, out of order, max send-to-delivery time; then the cluster IT's
# other figures (200 clients resuming after a drain, heart-beats).
#
# Usage: scripts/soak-chat.sh [-c clients] [-r rooms] [-s seconds] [-m messages-per-second-per-client]
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "${SCRIPT_DIR}/.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/test-stores.sh
source "${SCRIPT_DIR}/lib/test-stores.sh"

usage() {
  cat >&2 <<USAGE
Usage: ${0##*/} [-c clients] [-r rooms] [-s seconds] [-m rate]
  -c  STOMP clients, alternating between the two instances, each in two rooms (default 40)
  -r  rooms (default 6)
  -s  seconds of sending (default 60); the Redis faults come at one and two thirds
  -m  messages per second each client sends (default 4)
Uses MariaDB on 127.0.0.1 like the integration tests (SWITCHYARD_TEST_* overrides apply).
USAGE
}

positive_int() {
  [[ "$1" =~ ^[1-9][0-9]*$ ]]
}

main() {
  local clients=40
  local rooms=6
  local seconds=60
  local rate=4
  local opt
  while getopts ':c:r:s:m:h' opt; do
    case "${opt}" in
      c) clients="${OPTARG}" ;;
      r) rooms="${OPTARG}" ;;
      s) seconds="${OPTARG}" ;;
      m) rate="${OPTARG}" ;;
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
  local value
  for value in "${clients}" "${rooms}" "${seconds}" "${rate}"; do
    positive_int "${value}" || die "options take positive numbers, got '${value}'"
  done
  ((clients >= 2)) || die "-c needs at least 2 clients (one per instance)"

  ensure_packages mariadb-server redis-server
  start_test_stores
  log "soak: ${clients} clients in ${rooms} rooms over two instances, ${seconds} s at ${rate}/s each"
  cd "${REPO_DIR}"
  local output
  output="$(mktemp)"
  # shellcheck disable=SC2064 # expand now: the local is gone when the trap runs
  trap "rm -f '${output}'" EXIT
  if ! SOAK_CLIENTS="${clients}" SOAK_ROOMS="${rooms}" SOAK_SECONDS="${seconds}" SOAK_RATE="${rate}" \
    ./mvnw -B -ntp verify -Dit.test=ChatClusterIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
    -Dfailsafe.failIfNoSpecifiedTests=false >"${output}" 2>&1; then
    grep -E '^(SOAK|RESUME|HEARTBEAT)' "${output}" >&2 || true
    tail -n 80 "${output}" >&2
    die "soak failed (a message lost, duplicated or out of order, or the build broke)"
  fi
  grep -E '^(SOAK|RESUME|HEARTBEAT)' "${output}"
}

main "$@"
