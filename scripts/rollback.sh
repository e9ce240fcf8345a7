#!/usr/bin/env bash
# Rolls an environment back to the release that was live before the current one (from the history:
# scripts/lib/history.sh history_previous_image).
#   - the other color runs that release and is ready (within the rollback window): instant - switch
#     nginx back, verify through nginx, drain and stop the color we leave;
#   - otherwise: redeploy that release with scripts/deploy.sh.
# Without a history that names it, the other color's running release is taken (instant only).
#
# Usage: scripts/rollback.sh [--wait] <env>
# Exit codes: as scripts/deploy.sh (0 rolled back; 2 usage/nothing to roll back to; 3 lock held;
#             4 failed, live color untouched; 5 failed after the switch; 6 the redeploy was rolled back
#             by its bake).
set -euo pipefail

SCRIPT_NAME="rollback"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"
# shellcheck source=scripts/lib/preflight.sh
source "${SCRIPT_DIR}/lib/preflight.sh"
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
# shellcheck source=scripts/lib/detach.sh
source "${SCRIPT_DIR}/lib/detach.sh"
# shellcheck source=scripts/lib/retire.sh
source "${SCRIPT_DIR}/lib/retire.sh"
# shellcheck source=scripts/lib/drain.sh
source "${SCRIPT_DIR}/lib/drain.sh"
# shellcheck source=scripts/lib/notify.sh
source "${SCRIPT_DIR}/lib/notify.sh"
# shellcheck source=scripts/lib/events.sh
source "${SCRIPT_DIR}/lib/events.sh"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

event() {
  emit_deploy_event_async "$@" || true
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
  notify "[switchyard ${ENV_NAME}] rollback ${DEPLOY_ID} by ${DEPLOY_USER}: ${LIVE} (${LIVE_IMAGE}) -> ${PREV} (${PREV_IMAGE}) ${result}: ${message}"
}

# instant_rollback: PREV runs the previous release and is ready: switch back to it under our lock.
instant_rollback() {
  log "instant rollback: ${PREV} (${PREV_IMAGE}) is running and ready"
  retire_cancel "${PREV}"
  local t0
  t0="$(date +%s%3N)"
  if ! nginx_apply_color "${PREV}"; then
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
  apm_annotate "${ENV_NAME}" "$(apm_image_version "${PREV_IMAGE}")" "rolled back ${LIVE} -> ${PREV}: ${PREV_IMAGE}"
  drain_wait "$(port_for_color "${LIVE}")" "${DRAIN_TIMEOUT_S}" "$(app_url "${LIVE}")" || true
  log "stopping ${LIVE} (the release we rolled back from)"
  app_stop "${LIVE}" "${STOP_GRACE_S}" || log "WARNING: could not stop ${LIVE}"
  record ok 0 "instant rollback"
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
  require_cmd docker curl jq flock ss setsid "${NGINX_BIN}"
  preflight_versions || exit 2
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
  local other_image
  other_image="$(app_image "${PREV}")"
  # The release live before the current one; the history knows it even when a deploy failed after
  # its switch (exit 5) and left the color of two releases ago running.
  PREV_IMAGE="$(history_previous_image "${HISTORY_FILE}" "${LIVE_IMAGE}")"
  if [[ -z "${PREV_IMAGE}" ]]; then
    PREV_IMAGE="${other_image}"
    [[ -z "${PREV_IMAGE}" ]] || log "the history does not name the release before ${LIVE_IMAGE}: taking ${PREV}'s (${PREV_IMAGE})"
  fi
  DEPLOY_FROM_COLOR="${LIVE}"
  DEPLOY_TO_COLOR="${PREV}"
  DEPLOY_IMAGE="${PREV_IMAGE}"
  export DEPLOY_FROM_COLOR DEPLOY_TO_COLOR DEPLOY_IMAGE

  if [[ -n "${PREV_IMAGE}" && "${other_image}" == "${PREV_IMAGE}" ]] && app_running "${PREV}" &&
    probe_up "$(app_url "${PREV}")/actuator/health/readiness"; then
    instant_rollback
    return 0
  fi

  if [[ -z "${PREV_IMAGE}" ]]; then
    DIE_EXIT_CODE=2 die "${PREV} is not running and the history names no previous image"
  fi
  if [[ "${PREV_IMAGE}" == "${LIVE_IMAGE}" ]]; then
    DIE_EXIT_CODE=2 die "the previous image ${PREV_IMAGE} is the live one: nothing to roll back to"
  fi
  if [[ -n "${other_image}" && "${other_image}" != "${PREV_IMAGE}" ]]; then
    log "${PREV} runs ${other_image}, not the previous release: redeploying ${PREV_IMAGE}"
  else
    log "${PREV} is not running: redeploying the previous image ${PREV_IMAGE}"
  fi
  lock_release "${LOCK_FILE}"
  exec "${SCRIPT_DIR}/deploy.sh" --wait "${ENV_NAME}" "${PREV_IMAGE}"
}

main "$@"
