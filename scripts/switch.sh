#!/usr/bin/env bash
# Points nginx at one color: rewrites the port in the one-line upstream include (sed on a copy),
# runs `nginx -t`, reloads, and waits for the new workers. Restores the previous file on any failure,
# so a bad config never reaches the running nginx. Installs the site config first when it is missing.
#
# Usage: scripts/switch.sh [--install] <env> <blue|green>
#   --install  (re)render and install the site config and shared nginx files too
#
# Exit codes: 0 switched; 1 failed (files restored, nginx untouched); 2 usage/config; 3 lock held.
# Takes the env's deploy lock unless called by a deploy that holds it (SWITCHYARD_LOCK_HELD).
set -euo pipefail

SCRIPT_NAME="switch"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"
# shellcheck source=scripts/lib/color.sh
source "${SCRIPT_DIR}/lib/color.sh"
# shellcheck source=scripts/lib/lock.sh
source "${SCRIPT_DIR}/lib/lock.sh"
# shellcheck source=scripts/lib/nginx.sh
source "${SCRIPT_DIR}/lib/nginx.sh"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

main() {
  local install=""
  if [[ "${1:-}" == --install ]]; then
    install=install
    shift
  fi
  if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
    usage
    exit 0
  fi
  if (($# != 2)) || ! color_valid "$2"; then
    usage >&2
    exit 2
  fi
  local env="$1"
  local color="$2"
  config_load "${env}" || exit 2
  require_cmd "${NGINX_BIN}" envsubst flock
  if [[ -z "${SWITCHYARD_LOCK_HELD:-}" ]]; then
    lock_acquire "${LOCK_FILE}" 0 "switch ${env} to ${color}" || exit 3
    trap 'lock_release "${LOCK_FILE}"' EXIT
  fi
  local before
  before="$(live_color "${UPSTREAM_FILE}" 2>/dev/null || echo unknown)"
  local t0
  t0="$(date +%s%3N)"
  if ! nginx_apply_color "${color}" "${install}"; then
    err "switch ${env} to ${color} failed; live color stays ${before}"
    exit 1
  fi
  log "switched ${env}: ${before} -> ${color} (:$(port_for_color "${color}")), nginx reloaded in $(($(date +%s%3N) - t0)) ms"
}

main "$@"
