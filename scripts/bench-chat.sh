#!/usr/bin/env bash
# Chat benchmark (a measurement, not a timed test): N STOMP clients spread over two application instances
# that share MariaDB, Redis and MongoDB, all in one room, each sending M messages. Prints messages/s
# delivered, p50/p99 end-to-end latency and the lost/duplicated counts, which must be 0.
#
# Usage: scripts/bench-chat.sh [-c clients] [-m messages-per-client]
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "${SCRIPT_DIR}/.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/test-stores.sh
source "${SCRIPT_DIR}/lib/test-stores.sh"

usage() {
  cat >&2 <<USAGE
Usage: ${0##*/} [-c clients] [-m messages-per-client]
  -c  STOMP clients, alternating between the two instances (default 20)
  -m  messages each client sends (default 50)
Uses MariaDB and Redis on 127.0.0.1 like the integration tests (SWITCHYARD_TEST_* overrides apply).
USAGE
}

BENCH_OUTPUT=""

positive_int() {
  [[ "$1" =~ ^[1-9][0-9]*$ ]]
}

main() {
  local clients=20
  local messages=50
  local opt
  while getopts ':c:m:h' opt; do
    case "${opt}" in
      c) clients="${OPTARG}" ;;
      m) messages="${OPTARG}" ;;
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
  positive_int "${clients}" || die "-c needs a positive number, got '${clients}'"
  positive_int "${messages}" || die "-m needs a positive number, got '${messages}'"

  ensure_packages mariadb-server redis-server
  start_test_stores
  log "benchmark: ${clients} clients x ${messages} messages over two instances"
  cd "${REPO_DIR}"
  BENCH_OUTPUT="$(mktemp)"
  trap 'rm -f "${BENCH_OUTPUT}"' EXIT
  if ! BENCH_CLIENTS="${clients}" BENCH_MESSAGES="${messages}" ./mvnw -B -ntp verify \
    -Dit.test=ChatBenchmark -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
    -Dfailsafe.failIfNoSpecifiedTests=false >"${BENCH_OUTPUT}" 2>&1; then
    tail -n 60 "${BENCH_OUTPUT}" >&2
    die "benchmark failed (messages lost or duplicated, or the build broke)"
  fi
  grep '^BENCH' "${BENCH_OUTPUT}"
}

main "$@"
