#!/usr/bin/env bash
# Blue/green deploy of one image to one environment behind nginx (SPEC §2).
#
# Usage: scripts/deploy.sh [--wait] [--dry-run] <env> <image>
#   --wait     wait (up to LOCK_WAIT_S) for another deploy of the same env instead of failing
#   --dry-run  print the plan and the nginx diff; change nothing
#
# Steps: 1 lock, 2 read_live, 3 start_idle, 4 health_check, 5 smoke_test, 6 switch, 7 verify,
#        8 drain, 9 record. Each prints its duration.
#
# Exit codes:
#   0  deployed (new color live and verified)
#   2  usage or configuration error (nothing touched)
#   3  another deploy holds the lock (its holder is named)
#   4  failed before the switch - or the switch was reverted - live color untouched, idle removed
#   5  failed after the switch and could not be reverted: run scripts/rollback.sh <env>
#
# Settings: scripts/env/<env>.env + scripts/env/common.env, each overridable by environment variable.
# Test hook: SWITCHYARD_TEST_STOP_AT=<step> makes the deploy SIGSTOP itself before that step (the
# e2e suite then SIGKILLs it there).
set -euo pipefail

SCRIPT_NAME="deploy"
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
# shellcheck source=scripts/lib/plan.sh
source "${SCRIPT_DIR}/lib/plan.sh"
# shellcheck source=scripts/lib/drain.sh
source "${SCRIPT_DIR}/lib/drain.sh"
if [[ -r "${SCRIPT_DIR}/lib/events.sh" ]]; then
  # shellcheck source=scripts/lib/events.sh
  source "${SCRIPT_DIR}/lib/events.sh"
fi

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# --- state of this run (read by the EXIT trap) ---------------------------------------------
PHASE=init          # init -> locked -> idle -> switching -> switched -> verified -> finished
FAIL_CODE=0
FAIL_STEP=""
FAIL_MESSAGE=""
STEP_TIMES="{}"
CURRENT_STEP=""
DEPLOY_START_MS=0
SWITCH_START_MS=0
SWITCH_MS=""
OLD_IMAGE=""

now_ms() {
  date +%s%3N
}

event() {
  if declare -F emit_deploy_event >/dev/null 2>&1; then
    emit_deploy_event "$@" || true
  fi
}

# fail <exit-code> <message>: ends the deploy; the EXIT trap cleans up according to PHASE.
fail() {
  FAIL_CODE="$1"
  FAIL_MESSAGE="$2"
  FAIL_STEP="${CURRENT_STEP}"
  err "${FAIL_MESSAGE}"
  exit "${FAIL_CODE}"
}

# run_step <n> <name>: runs step_<name>, printing its number, name and duration.
run_step() {
  local n="$1"
  local name="$2"
  local t0 ms
  if [[ "${SWITCHYARD_TEST_STOP_AT:-}" == "${name}" ]]; then
    log "test hook: stopping before step ${name}"
    kill -STOP "$$"
  fi
  CURRENT_STEP="${name}"
  log "==> [${n}/9] ${name}"
  t0="$(now_ms)"
  "step_${name}"
  ms=$(($(now_ms) - t0))
  STEP_TIMES="$(jq -c --arg k "${name}" --argjson v "${ms}" '. + {($k): $v}' <<<"${STEP_TIMES}")"
  log "<== [${n}/9] ${name} ok ($(fmt_ms "${ms}"))"
  event step step="${name}" duration_ms="${ms}" result=ok
}

fmt_ms() {
  printf '%d.%03ds' "$(($1 / 1000))" "$(($1 % 1000))"
}

# --- the nine steps ------------------------------------------------------------------------
step_lock() {
  local wait_s=0
  if ((OPT_WAIT)); then
    wait_s="${LOCK_WAIT_S}"
  fi
  if ! lock_acquire "${LOCK_FILE}" "${wait_s}" "deploy ${DEPLOY_ID} image=${IMAGE}"; then
    FAIL_CODE=3
    FAIL_MESSAGE="lock held by another deploy"
    exit 3
  fi
  PHASE=locked
  export SWITCHYARD_LOCK_HELD="${DEPLOY_ID}"
}

step_read_live() {
  local observed
  LIVE_COLOR="$(live_color "${UPSTREAM_FILE}")" ||
    fail 4 "cannot read the live color from ${UPSTREAM_FILE} (expected one line 'server 127.0.0.1:<${BLUE_PORT}|${GREEN_PORT}>;')"
  plan_build "${ENV_NAME}" "${IMAGE}" "${LIVE_COLOR}" "${EXPECTED_VERSION}"
  IDLE_COLOR="${PLAN_IDLE_COLOR}"
  DEPLOY_FROM_COLOR="${LIVE_COLOR}"
  DEPLOY_TO_COLOR="${IDLE_COLOR}"
  log "live color: ${LIVE_COLOR}; deploying ${IMAGE} to ${IDLE_COLOR} (:${PLAN_IDLE_PORT})"
  if [[ "${LIVE_COLOR}" == none ]]; then
    return 0
  fi
  OLD_IMAGE="$(app_image "${LIVE_COLOR}")"
  if ! app_running "${LIVE_COLOR}"; then
    log "WARNING: the live color ${LIVE_COLOR} has no running container: this deploy will restore service"
  fi
  # What nginx really routes must match the file (a deploy killed between moving the file and the
  # reload leaves them apart): converge by reloading the validated file.
  observed="$(nginx_observed_color)"
  if [[ -n "${observed}" && "${observed}" != "${LIVE_COLOR}" ]]; then
    log "nginx routes to ${observed} but ${UPSTREAM_FILE} says ${LIVE_COLOR}: reloading nginx to match the file"
    probe_up "$(app_url "${LIVE_COLOR}")/actuator/health/readiness" ||
      fail 4 "nginx routes ${observed}, the upstream file says ${LIVE_COLOR} which is not ready; fix with scripts/switch.sh ${ENV_NAME} ${observed}"
    if ! nginx_test || ! nginx_reload_or_start; then
      fail 4 "could not reload nginx to match ${UPSTREAM_FILE}"
    fi
  fi
}

step_start_idle() {
  PHASE=idle
  if [[ -n "$(app_container "${IDLE_COLOR}")" ]]; then
    log "removing the existing ${IDLE_COLOR} container (stale from an earlier deploy, or kept for rollback)"
    # A deploy killed right after its switch leaves old nginx workers finishing requests on it.
    drain_wait "${PLAN_IDLE_PORT}" "${DRAIN_TIMEOUT_S}" || true
  fi
  retire_cancel "${IDLE_COLOR}"
  app_remove "${IDLE_COLOR}" || fail 4 "could not remove the old ${IDLE_COLOR} container"
  app_start "${IDLE_COLOR}" "${IMAGE}" >&2 || fail 4 "could not start ${IDLE_COLOR} with ${IMAGE}"
  IDLE_CID="$(app_container "${IDLE_COLOR}")"
  [[ -n "${IDLE_CID}" ]] || fail 4 "compose reported success but no ${IDLE_COLOR} container exists"
  log "started ${IDLE_COLOR} container ${IDLE_CID:0:12}"
}

step_health_check() {
  local rc=0
  wait_ready "$(app_url "${IDLE_COLOR}")/actuator/health/readiness" "${IDLE_CID}" "${READY_DEADLINE_S}" "${READY_INTERVAL_S}" || rc=$?
  if ((rc != 0)); then
    log "last log lines of ${IDLE_COLOR}:"
    docker logs --tail 20 "${IDLE_CID}" 2>&1 | sed 's/^/    /' >&2 || true
    if ((rc == 2)); then
      fail 4 "${IDLE_COLOR} exited or restarted before becoming ready"
    fi
    fail 4 "${IDLE_COLOR} not ready within ${READY_DEADLINE_S}s"
  fi
}

step_smoke_test() {
  local url info version color headers code ctype
  url="$(app_url "${IDLE_COLOR}")"
  info="$(curl -s --max-time "${SMOKE_TIMEOUT_S}" "${url}/actuator/info")" || fail 4 "smoke: ${url}/actuator/info did not answer"
  version="$(jq -r '.app.version // empty' <<<"${info}" 2>/dev/null || true)"
  color="$(jq -r '.app.color // empty' <<<"${info}" 2>/dev/null || true)"
  if [[ "${version}" != "${EXPECTED_VERSION}" ]]; then
    fail 4 "smoke: ${IDLE_COLOR} reports version '${version}', expected '${EXPECTED_VERSION}'"
  fi
  if [[ "${color}" != "${IDLE_COLOR}" ]]; then
    fail 4 "smoke: ${IDLE_COLOR} reports color '${color}'"
  fi
  headers="$(curl -s -o /dev/null -D - --max-time "${SMOKE_TIMEOUT_S}" "${url}/api/users/me" | tr -d '\r')" ||
    fail 4 "smoke: ${url}/api/users/me did not answer"
  code="$(sed -n -E '1s/^HTTP\/[0-9.]+ ([0-9]{3}).*/\1/p' <<<"${headers}")"
  ctype="$(sed -n -E 's/^[Cc]ontent-[Tt]ype:[[:space:]]*([^;]*).*/\1/p' <<<"${headers}")"
  if [[ "${code}" != 401 || "${ctype}" != application/problem+json ]]; then
    fail 4 "smoke: GET /api/users/me answered ${code:-nothing} ${ctype}, expected 401 application/problem+json"
  fi
  log "smoke: version ${version}, color ${color}, /api/users/me 401 problem+json"
  # Warm-up: see app_warm_up. Before the switch, so that the first clients of the new color meet a JVM
  # that has compiled its hot paths.
  if ((WARMUP_REQUESTS > 0)); then
    local warm
    read -r -a warm <<<"$(app_warm_up "${url}" "${WARMUP_REQUESTS}" "${WARMUP_CONCURRENCY}" "${WARMUP_MAX_S}")"
    log "warm-up: ${warm[0]} requests to ${IDLE_COLOR} in $(fmt_ms "${warm[1]}")"
  fi
}

step_switch() {
  PHASE=switching
  SWITCH_START_MS="$(now_ms)"
  if ! "${SCRIPT_DIR}/switch.sh" "${ENV_NAME}" "${IDLE_COLOR}"; then
    PHASE=idle
    fail 4 "switch to ${IDLE_COLOR} failed; nginx config restored, live color ${LIVE_COLOR} untouched"
  fi
  PHASE=switched
  event switched step=switch result=ok
}

step_verify() {
  if ! nginx_verify_color "${IDLE_COLOR}" "${VERIFY_REQUESTS}" "${VERIFY_DEADLINE_S}"; then
    fail 4 "requests through nginx do not reach ${IDLE_COLOR}"
  fi
  PHASE=verified
  SWITCH_MS=$(($(now_ms) - SWITCH_START_MS))
  log "switched: ${VERIFY_REQUESTS} consecutive responses from ${IDLE_COLOR} through nginx, $(fmt_ms "${SWITCH_MS}") after the switch began"
}

step_drain() {
  local old_cid
  if [[ "${LIVE_COLOR}" == none ]]; then
    log "first deploy: nothing to drain"
    return 0
  fi
  old_cid="$(app_container "${LIVE_COLOR}")"
  if [[ -z "${old_cid}" ]]; then
    log "no ${LIVE_COLOR} container: nothing to drain"
    return 0
  fi
  if drain_wait "$(port_for_color "${LIVE_COLOR}")" "${DRAIN_TIMEOUT_S}" "$(app_url "${LIVE_COLOR}")"; then
    log "drained ${LIVE_COLOR}"
  fi
  if ((ROLLBACK_WINDOW_S == 0)); then
    log "stopping ${LIVE_COLOR} (SIGTERM, grace ${STOP_GRACE_S}s)"
    app_stop "${LIVE_COLOR}" "${STOP_GRACE_S}" || log "WARNING: could not stop ${LIVE_COLOR}"
  else
    log "keeping ${LIVE_COLOR} running ${ROLLBACK_WINDOW_S}s for an instant rollback (scripts/rollback.sh ${ENV_NAME})"
    retire_later "${SCRIPT_DIR}/deploy.sh" "${ENV_NAME}" "${LIVE_COLOR}" "${old_cid}" "${ROLLBACK_WINDOW_S}"
  fi
}

step_record() {
  record_history ok 0
  PHASE=finished
}

# record_history <result> <exit-code>
record_history() {
  local entry
  if ! entry="$(history_entry id="${DEPLOY_ID}" env="${ENV_NAME}" action=deploy user="${DEPLOY_USER}" \
    image="${IMAGE}" from_image="${OLD_IMAGE}" from_color="${LIVE_COLOR:-}" to_color="${IDLE_COLOR:-}" \
    result="$1" exit_code="$2" failed_step="${FAIL_STEP}" message="${FAIL_MESSAGE}" \
    switch_ms="${SWITCH_MS}" steps="${STEP_TIMES}" duration_ms="$(($(now_ms) - DEPLOY_START_MS))")" ||
    ! history_append "${HISTORY_FILE}" "${entry}"; then
    err "could not write ${HISTORY_FILE}"
  fi
}

# --- cleanup -------------------------------------------------------------------------------
on_signal() {
  FAIL_MESSAGE="interrupted by $1 during ${CURRENT_STEP:-startup}"
  FAIL_STEP="${CURRENT_STEP}"
  exit 130
}

on_exit() {
  local rc=$?
  trap - EXIT INT TERM HUP
  set +e
  if [[ "${PHASE}" == finished || "${PHASE}" == init ]]; then
    exit "${rc}"
  fi
  [[ -n "${FAIL_STEP}" ]] || FAIL_STEP="${CURRENT_STEP}"
  [[ -n "${FAIL_MESSAGE}" ]] || FAIL_MESSAGE="step ${CURRENT_STEP} failed (status ${rc})"
  # An interrupted switch may or may not have gone through: the upstream file tells.
  if [[ "${PHASE}" == switching && "$(live_color "${UPSTREAM_FILE}")" == "${IDLE_COLOR:-}" ]]; then
    PHASE=switched
  fi
  case "${PHASE}" in
    locked)
      rc=4
      ;;
    idle | switching)
      log "cleanup: removing ${IDLE_COLOR:-the idle color}; live color ${LIVE_COLOR:-?} untouched"
      [[ -n "${IDLE_COLOR:-}" ]] && app_remove "${IDLE_COLOR}"
      rc=4
      ;;
    switched)
      if [[ "${LIVE_COLOR}" == none ]]; then
        log "cleanup: first deploy, nothing to switch back to; ${IDLE_COLOR} stays live"
        rc=5
      elif app_running "${LIVE_COLOR}" && "${SCRIPT_DIR}/switch.sh" "${ENV_NAME}" "${LIVE_COLOR}"; then
        log "cleanup: switched back to ${LIVE_COLOR}; removing ${IDLE_COLOR}"
        app_remove "${IDLE_COLOR}"
        rc=4
      else
        err "cleanup: could not switch back to ${LIVE_COLOR}: run scripts/rollback.sh ${ENV_NAME}"
        rc=5
      fi
      ;;
    verified)
      log "interrupted after ${IDLE_COLOR} went live and was verified; ${LIVE_COLOR} may still run (the next deploy removes it)"
      FAIL_MESSAGE="${FAIL_MESSAGE} (after the verified switch)"
      record_history ok 0
      event succeeded result=ok message="${FAIL_MESSAGE}"
      lock_release "${LOCK_FILE}"
      exit 0
      ;;
  esac
  record_history failed "${rc}"
  event failed step="${FAIL_STEP}" result=failed message="${FAIL_MESSAGE}"
  log "deploy ${DEPLOY_ID} FAILED (exit ${rc}) at ${FAIL_STEP}: ${FAIL_MESSAGE}"
  lock_release "${LOCK_FILE}"
  exit "${rc}"
}

# --- retire timer (rollback window) ----------------------------------------------------------
# deploy.sh --retire <env> <color> <container-id> <after-s>: after the window, stop the color's
# container unless it is live again or was replaced (another deploy, a rollback).
retire_main() {
  local env="$1"
  local color="$2"
  local cid="$3"
  local after_s="$4"
  config_load "${env}" || exit 2
  sleep "${after_s}"
  # The environment may be gone by now (a test's private prefix): nothing to do then.
  [[ -d "${STATE_DIR}" ]] || exit 0
  lock_acquire "${LOCK_FILE}" "${LOCK_WAIT_S}" "retire ${color} after the rollback window" || exit 3
  if [[ "$(live_color "${UPSTREAM_FILE}")" != "${color}" && "$(app_container "${color}")" == "${cid}" ]]; then
    log "rollback window over: stopping ${color} (${cid:0:12})"
    docker stop -t "${STOP_GRACE_S}" "${cid}" >/dev/null || true
  fi
  rm -f "${STATE_DIR}/retire-${color}.pid"
  lock_release "${LOCK_FILE}"
}

main() {
  OPT_WAIT=0
  OPT_DRY_RUN=0
  if [[ "${1:-}" == --retire ]]; then
    shift
    retire_main "$@"
    return
  fi
  while (($# > 0)); do
    case "$1" in
      --wait) OPT_WAIT=1 ;;
      --dry-run) OPT_DRY_RUN=1 ;;
      -h | --help)
        usage
        exit 0
        ;;
      -*)
        usage >&2
        exit 2
        ;;
      *) break ;;
    esac
    shift
  done
  if (($# != 2)); then
    usage >&2
    exit 2
  fi
  ENV_NAME="$1"
  IMAGE="$2"
  config_load "${ENV_NAME}" || exit 2
  plan_validate_image "${IMAGE}" || exit 2
  require_cmd docker curl jq flock ss envsubst "${NGINX_BIN}"
  if ! docker image inspect "${IMAGE}" >/dev/null 2>&1; then
    err "image ${IMAGE} not found on this host (build or pull it first)"
    exit 2
  fi
  EXPECTED_VERSION="${EXPECTED_VERSION:-$(image_expected_version "${IMAGE}")}"
  DEPLOY_USER="${SWITCHYARD_USER:-${BUILD_USER_ID:-${USER:-$(id -un)}}}"
  DEPLOY_ID="${ENV_NAME}-$(date -u +%Y%m%d%H%M%S)-$$"
  export DEPLOY_ID DEPLOY_USER
  DEPLOY_ENV="${ENV_NAME}"
  DEPLOY_IMAGE="${IMAGE}"
  DEPLOY_EVENTS_FILE="${DEPLOY_EVENTS_FILE:-${STATE_DIR}/events.jsonl}"
  export DEPLOY_ENV DEPLOY_IMAGE DEPLOY_EVENTS_FILE

  if ((OPT_DRY_RUN)); then
    LIVE_COLOR="$(live_color "${UPSTREAM_FILE}")" || die "cannot read the live color from ${UPSTREAM_FILE}"
    plan_build "${ENV_NAME}" "${IMAGE}" "${LIVE_COLOR}" "${EXPECTED_VERSION}"
    plan_print
    if lock_is_held "${LOCK_FILE}"; then
      echo "  note: the lock is held now by: $(lock_holder "${LOCK_FILE}")"
    fi
    echo "nginx change (${UPSTREAM_FILE}):"
    diff -u --label "${UPSTREAM_FILE} (now)" --label "${UPSTREAM_FILE} (after switch)" \
      <(cat "${UPSTREAM_FILE}" 2>/dev/null || true) <(nginx_render_upstream "${PLAN_IDLE_COLOR}" "${UPSTREAM_FILE}") || true
    if [[ ! -e "${NGINX_SITE_FILE}" ]]; then
      echo "nginx site ${NGINX_SITE_FILE} is not installed yet: the switch installs it"
    fi
    return 0
  fi

  mkdir -p "${STATE_DIR}"
  DEPLOY_START_MS="$(now_ms)"
  trap on_exit EXIT
  trap 'on_signal INT' INT
  trap 'on_signal TERM' TERM
  trap 'on_signal HUP' HUP
  log "deploy ${DEPLOY_ID}: ${IMAGE} (version ${EXPECTED_VERSION}) to ${ENV_NAME}"
  event start result=ok

  local i
  for i in "${!PLAN_STEPS[@]}"; do
    run_step "$((i + 1))" "${PLAN_STEPS[i]}"
  done
  event succeeded result=ok duration_ms="$(($(now_ms) - DEPLOY_START_MS))"
  log "deploy ${DEPLOY_ID} done: ${IDLE_COLOR} live with ${IMAGE} (switch $(fmt_ms "${SWITCH_MS:-0}"), total $(fmt_ms $(($(now_ms) - DEPLOY_START_MS))))"
  lock_release "${LOCK_FILE}"
}

main "$@"
