#!/usr/bin/env bash
# Rolls an environment back to the previous color.
#   - previous color's container still running and ready (within the rollback window): instant -
#     switch nginx back, verify through nginx, drain and stop the color we leave;
#   - otherwise: redeploy the previous image from the history with scripts/deploy.sh.
#
# Usage: scripts/rollback.sh [--wait] <env>
# Exit codes: as scripts/deploy.sh (0 rolled back; 2 usage/nothing to roll back to; 3 lock held;
#             4 failed, live color untouched; 5 failed after the switch).
set -euo pipefail

SCRIPT_NAME="rollback"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"
# shellcheck source=scripts/lib/color.sh
source "${SCRIPT_DIR}/lib/color.sh"
# shellcheck source=scripts/lib/lock.sh
source "${SCRIPT_DIR}/lib/lock.sh"
# shellcheck source=scripts/lib/history.sh
source "${SCRIPT_DIR}/lib/history.sh"
# shellcheck source=scripts/lib/nginx.sh
source "${SCRIPT_DIR}/lib/nginx.sh"
# shellcheck source=scripts/lib/health.sh
source "${SCRIPT_DIR}/lib/health.sh"
# shellcheck source=scripts/lib/app.sh
source "${SCRIPT_DIR}/lib/app.sh"
# shellcheck source=scripts/lib/drain.sh
source "${SCRIPT_DIR}/lib/drain.sh"
if [[ -r "${SCRIPT_DIR}/lib/events.sh" ]]; then
  # shellcheck source=scripts/lib/events.sh
  source "${SCRIPT_DIR}/lib/events.sh"
fi

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

event() {
  if declare -F emit_deploy_event >/dev/null 2>&1; then
    emit_deploy_event "$@" || true
  fi
}

record() {
  local result="$1"
  local code="$2"
  local message="$3"
  local entry
  if ! entry="$(history_entry id="${DEPLOY_ID}" env="${ENV_NAME}" action=rollback user="${DEPLOY_USER}" \
    image="${PREV_IMAGE}" from_image="${LIVE_IMAGE}" from_color="${LIVE}" to_color="${PREV}" \
    result="${result}" exit_code="${code}" message="${message}" switch_ms="${SWITCH_MS:-}" \
    duration_ms="$(($(date +%s%3N) - START_MS))")" || ! history_append "${HISTORY_FILE}" "${entry}"; then
    err "could not write ${HISTORY_FILE}"
  fi
}

main() {
  local wait_s=0
  if [[ "${1:-}" == --wait ]]; then
    wait_s=-1
    shift
  fi
  if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
    usage
    exit 0
  fi
  if (($# != 1)); then
    usage >&2
    exit 2
  fi
  ENV_NAME="$1"
  config_load "${ENV_NAME}" || exit 2
  require_cmd docker curl jq flock ss "${NGINX_BIN}"
  if ((wait_s < 0)); then
    wait_s="${LOCK_WAIT_S}"
  fi
  START_MS="$(date +%s%3N)"
  DEPLOY_USER="${SWITCHYARD_USER:-${BUILD_USER_ID:-${USER:-$(id -un)}}}"
  DEPLOY_ID="${ENV_NAME}-$(date -u +%Y%m%d%H%M%S)-$$"
  DEPLOY_ENV="${ENV_NAME}"
  DEPLOY_EVENTS_FILE="${DEPLOY_EVENTS_FILE:-${STATE_DIR}/events.jsonl}"
  export DEPLOY_ID DEPLOY_USER DEPLOY_ENV DEPLOY_EVENTS_FILE

  lock_acquire "${LOCK_FILE}" "${wait_s}" "rollback ${DEPLOY_ID}" || exit 3
  LIVE="$(live_color "${UPSTREAM_FILE}")" || die "cannot read the live color from ${UPSTREAM_FILE}"
  if [[ "${LIVE}" == none ]]; then
    DIE_EXIT_CODE=2 die "nothing is deployed in ${ENV_NAME}: no rollback possible"
  fi
  PREV="$(color_other "${LIVE}")"
  LIVE_IMAGE="$(app_image "${LIVE}")"
  PREV_IMAGE="$(app_image "${PREV}")"
  DEPLOY_FROM_COLOR="${LIVE}"
  DEPLOY_TO_COLOR="${PREV}"
  DEPLOY_IMAGE="${PREV_IMAGE}"
  export DEPLOY_FROM_COLOR DEPLOY_TO_COLOR DEPLOY_IMAGE

  if app_running "${PREV}" && probe_up "$(app_url "${PREV}")/actuator/health/readiness"; then
    log "instant rollback: ${PREV} (${PREV_IMAGE}) is running and ready"
    retire_cancel "${PREV}"
    local t0
    t0="$(date +%s%3N)"
    if ! SWITCHYARD_LOCK_HELD="${DEPLOY_ID}" "${SCRIPT_DIR}/switch.sh" "${ENV_NAME}" "${PREV}"; then
      record failed 4 "switch back to ${PREV} failed; ${LIVE} still live"
      event failed result=failed message="switch back to ${PREV} failed"
      exit 4
    fi
    if ! nginx_verify_color "${PREV}" "${VERIFY_REQUESTS}" "${VERIFY_DEADLINE_S}"; then
      record failed 5 "switched to ${PREV} but nginx does not route to it"
      event failed result=failed message="verify after rollback failed"
      exit 5
    fi
    SWITCH_MS=$(($(date +%s%3N) - t0))
    log "rolled back ${ENV_NAME}: ${LIVE} -> ${PREV} in ${SWITCH_MS} ms"
    event rolled_back result=ok duration_ms="${SWITCH_MS}"
    drain_wait "$(port_for_color "${LIVE}")" "${DRAIN_TIMEOUT_S}" "$(app_url "${LIVE}")" || true
    log "stopping ${LIVE} (the release we rolled back from)"
    app_stop "${LIVE}" "${STOP_GRACE_S}" || log "WARNING: could not stop ${LIVE}"
    record ok 0 "instant rollback"
    return 0
  fi

  # The previous color is gone: redeploy the image that was live before the current one.
  PREV_IMAGE="$(history_previous_image "${HISTORY_FILE}")"
  if [[ -z "${PREV_IMAGE}" ]]; then
    DIE_EXIT_CODE=2 die "${PREV} is not running and the history names no previous image"
  fi
  if [[ "${PREV_IMAGE}" == "${LIVE_IMAGE}" ]]; then
    DIE_EXIT_CODE=2 die "the previous image ${PREV_IMAGE} is the live one: nothing to roll back to"
  fi
  log "${PREV} is not running: redeploying the previous image ${PREV_IMAGE}"
  lock_release "${LOCK_FILE}"
  exec "${SCRIPT_DIR}/deploy.sh" --wait "${ENV_NAME}" "${PREV_IMAGE}"
}

main "$@"
