#!/usr/bin/env bash
# Points nginx at one color: rewrites the port in the one-line upstream include (sed on a copy),
# runs `nginx -t`, reloads, and waits for the new workers. Restores the previous file on any failure,
# so a bad config never reaches the running nginx. Installs the site config first when it is missing.
# Refuses a color whose container is not running and ready (waiting up to SWITCH_READY_WAIT_S for it):
# pointing nginx at it would take the site down.
#
# Usage: scripts/switch.sh [--install] [--force] <env> <blue|green>
#   --install  (re)render and install the site config and shared nginx files too
#   --force    skip the running-and-ready check (installing nginx before any color runs, or an upstream
#              that is not one of this kit's containers); warns
#
# Exit codes: 0 switched; 1 failed (files restored; nginx runs what it ran, unless the message says its
# routing is unknown); 2 usage/config; 3 lock held; 4 the color is not running and ready (nothing changed).
# Always takes the env's deploy lock (deploy.sh and rollback.sh switch in-process, under theirs).
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
# shellcheck source=scripts/lib/health.sh
source "${SCRIPT_DIR}/lib/health.sh"
# shellcheck source=scripts/lib/app.sh
source "${SCRIPT_DIR}/lib/app.sh"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

main() {
  local install=""
  local force=0
  while [[ "${1:-}" == --install || "${1:-}" == --force ]]; do
    if [[ "$1" == --install ]]; then
      install=install
    else
      force=1
    fi
    shift
  done
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
  require_cmd "${NGINX_BIN}" envsubst flock docker curl jq
  lock_acquire "${LOCK_FILE}" 0 "switch ${env} to ${color}" || exit 3
  trap 'lock_release "${LOCK_FILE}"' EXIT
  if ((force)); then
    log "WARNING: --force: switching ${env} to ${color} without checking that it runs and is ready"
  elif ! target_ready "${color}"; then
    err "${env} ${color} is not running and ready (${APP_HOST}:$(port_for_color "${color}")/actuator/health/readiness): not switching to it"
    exit 4
  fi
  local before
  before="$(live_color "${UPSTREAM_FILE}" 2>/dev/null || echo unknown)"
  local t0 rc=0
  t0="$(date +%s%3N)"
  nginx_apply_color "${color}" "${install}" || rc=$?
  if ((rc != 0)); then
    if ((rc == 2)); then
      err "switch ${env} to ${color} failed and nginx's routing is unknown: check it (scripts/status.sh ${env}) and switch again"
    else
      err "switch ${env} to ${color} failed; live color stays ${before}"
    fi
    exit 1
  fi
  log "switched ${env}: ${before} -> ${color} (:$(port_for_color "${color}")), nginx reloaded in $(($(date +%s%3N) - t0)) ms"
}

# target_ready <color>: its container runs and its readiness is UP, within SWITCH_READY_WAIT_S.
target_ready() {
  local color="$1"
  retry_until "${SWITCH_READY_WAIT_S:-30}" 1 target_ready_now "${color}"
}

target_ready_now() {
  app_running "$1" && probe_up "$(app_url "$1")/actuator/health/readiness"
}

main "$@"
