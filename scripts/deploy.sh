#!/usr/bin/env bash
# Blue/green deploy of one image to one environment behind nginx (SPEC §2).
#
# Usage: scripts/deploy.sh [--wait] [--dry-run] <env> <image>
#   --wait     wait (up to LOCK_WAIT_S) for another deploy of the same env instead of failing
#   --dry-run  print the plan and the nginx diff; change nothing
#   --allow-breaking-api  deploy even if the API compatibility gate finds a breaking change (ALLOW_BREAKING_API=1)
#
# Steps: 1 lock, 2 read_live, 3 start_idle, 4 health_check, 5 smoke_test, 6 schema_gate, 7 switch,
#        8 verify, 9 bake, 10 drain, 11 record. Each prints its duration; hooks run around each
#        (deploy.d/README.md).
#
# Exit codes:
#   0  deployed (new color live, verified and baked)
#   2  usage or configuration error, a host too old, or EXPECTED_IMAGE_ID set and not the image's ID
#      (nothing touched)
#   3  another deploy holds the lock (its holder is named)
#   4  failed before the switch - or the switch was reverted - live color untouched, idle removed
#   5  failed after the switch and could not be reverted: run scripts/rollback.sh <env>
#   6  rolled back by the bake: the new color misbehaved under real traffic (5xx or latency against the
#      old color's baseline); the old color is live again and the new one removed
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
# shellcheck source=scripts/lib/hooks.sh
source "${SCRIPT_DIR}/lib/hooks.sh"
# shellcheck source=scripts/lib/plan.sh
source "${SCRIPT_DIR}/lib/plan.sh"
# shellcheck source=scripts/lib/drain.sh
source "${SCRIPT_DIR}/lib/drain.sh"
# shellcheck source=scripts/lib/bake.sh
source "${SCRIPT_DIR}/lib/bake.sh"
# shellcheck source=scripts/lib/disk.sh
source "${SCRIPT_DIR}/lib/disk.sh"
# shellcheck source=scripts/lib/notify.sh
source "${SCRIPT_DIR}/lib/notify.sh"
# shellcheck source=scripts/lib/events.sh
source "${SCRIPT_DIR}/lib/events.sh"
# shellcheck source=scripts/lib/api-compat.sh
source "${SCRIPT_DIR}/lib/api-compat.sh"
# shellcheck source=scripts/lib/digest.sh
source "${SCRIPT_DIR}/lib/digest.sh"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# --- state of this run (read by the EXIT trap) ---------------------------------------------
# PHASE: init -> locked -> idle -> switching -> switched (new color live, not yet baked: a failure
# switches back) -> committed (baked: a failure keeps it) -> finished; or rolled_back (by the bake).
PHASE=init
FAIL_CODE=0
FAIL_STEP=""
FAIL_MESSAGE=""
STEP_TIMES="{}"
CURRENT_STEP=""
DEPLOY_START_MS=0
SWITCH_START_MS=0
SWITCH_MS=""
SWITCH_LOG_OFFSET=0
OLD_IMAGE=""
BAKE_FIGURES=""
LIVE_COLOR=""
IDLE_COLOR=""

now_ms() {
  date +%s%3N
}

# event <action> [key=value ...]: a deploy event (file now, Logstash from a detached process).
event() {
  emit_deploy_event_async "$@" || true
}

# announce <started|succeeded|failed|rolled_back> [detail]: the chat notification of a result.
announce() {
  local kind="$1"
  local detail="${2:-}"
  local head="[switchyard ${ENV_NAME}] deploy ${DEPLOY_ID} by ${DEPLOY_USER}"
  local text
  case "${kind}" in
    started) text="${head} started: ${IMAGE} to ${IDLE_COLOR:-the idle color}" ;;
    succeeded) text="${head} succeeded: ${IMAGE} live on ${IDLE_COLOR} in $(fmt_ms "$(($(now_ms) - DEPLOY_START_MS))") ($(steps_text))" ;;
    failed) text="${head} FAILED at ${FAIL_STEP:-startup} (exit ${detail}): ${FAIL_MESSAGE}. $(failed_outcome "${detail}")" ;;
    rolled_back) text="${head} ROLLED BACK by the bake: ${IMAGE} on ${IDLE_COLOR}: ${FAIL_MESSAGE}. ${LIVE_COLOR} (${OLD_IMAGE}) is live again." ;;
  esac
  notify "${text}"
}

failed_outcome() {
  if [[ "$1" == 5 ]]; then
    echo "Traffic is on ${IDLE_COLOR} and could not be switched back: run scripts/rollback.sh ${ENV_NAME}."
  else
    echo "${LIVE_COLOR:-The live color} keeps serving${OLD_IMAGE:+ ${OLD_IMAGE}}."
  fi
}

steps_text() {
  jq -r 'to_entries | map("\(.key) \(.value / 1000 * 10 | round / 10)s") | join(", ")' <<<"${STEP_TIMES}"
}

# fail <exit-code> <message>: ends the deploy; the EXIT trap cleans up according to PHASE.
fail() {
  FAIL_CODE="$1"
  FAIL_MESSAGE="$2"
  FAIL_STEP="${CURRENT_STEP}"
  err "${FAIL_MESSAGE}"
  exit "${FAIL_CODE}"
}

# run_step <n> <name>: runs the step's pre hooks, step_<name>, its post hooks, printing the number,
# name and duration.
run_step() {
  local n="$1"
  local name="$2"
  local total="${#PLAN_STEPS[@]}"
  local t0 ms
  if [[ "${SWITCHYARD_TEST_STOP_AT:-}" == "${name}" ]]; then
    log "test hook: stopping before step ${name}"
    kill -STOP "$$"
  fi
  CURRENT_STEP="${name}"
  log "==> [${n}/${total}] ${name}"
  t0="$(now_ms)"
  step_hooks "${name}" pre
  "step_${name}"
  step_hooks "${name}" post
  # Baked (and its hooks passed): from here on a failure keeps the new color.
  if [[ "${name}" == bake ]]; then
    PHASE=committed
  fi
  ms=$(($(now_ms) - t0))
  STEP_TIMES="$(jq -c --arg k "${name}" --argjson v "${ms}" '. + {($k): $v}' <<<"${STEP_TIMES}")"
  log "<== [${n}/${total}] ${name} ok ($(fmt_ms "${ms}"))"
  event step step="${name}" duration_ms="${ms}" result=ok
}

# step_hooks <step> <pre|post>: a failing hook fails its step - except once the new color is committed
# (drain, record), where it is only reported. The lock step has none (nothing is known before it).
step_hooks() {
  local step="$1"
  local when="$2"
  local target
  [[ "${step}" != lock ]] || return 0
  if [[ "${step}" == schema_gate ]]; then
    [[ "${LIVE_COLOR}" != none ]] || return 0
    target="$(app_url "${LIVE_COLOR}")"
  else
    target="$(app_url "${IDLE_COLOR}" 2>/dev/null || true)"
  fi
  HOOK_FAILED=""
  if hooks_run "${step}" "${when}" "${target}"; then
    return 0
  fi
  if [[ "${PHASE}" == committed ]]; then
    log "WARNING: hook ${HOOK_FAILED} failed after ${IDLE_COLOR} was committed: the deploy stands"
    return 0
  fi
  if [[ "${step}" == schema_gate ]]; then
    fail 4 "schema gate: the live color ${LIVE_COLOR} fails hook ${HOOK_FAILED} after ${IDLE_COLOR} migrated the database: the new release's migrations break the live one (restore the database from the snapshot taken before, e.g. by a start_idle.pre hook)"
  fi
  fail 4 "hook ${HOOK_FAILED} failed"
}

fmt_ms() {
  printf '%d.%03ds' "$(($1 / 1000))" "$(($1 % 1000))"
}

# --- the steps -------------------------------------------------------------------------------
step_lock() {
  local wait_s=0
  if ((OPT_WAIT)); then
    wait_s="${LOCK_WAIT_S}"
  fi
  local patient_s
  # A retirement or a restore holding the lock is worth waiting for, also without --wait.
  patient_s="$(lock_wait_for_holder "${LOCK_FILE}" "${wait_s}")"
  if ((patient_s > wait_s)); then
    log "the lock is held by: $(lock_holder "${LOCK_FILE}"): waiting up to ${patient_s}s for it"
    wait_s="${patient_s}"
  fi
  if ! lock_acquire "${LOCK_FILE}" "${wait_s}" "deploy ${DEPLOY_ID} image=${IMAGE}"; then
    FAIL_CODE=3
    FAIL_MESSAGE="lock held by another deploy"
    exit 3
  fi
  PHASE=locked
}

step_read_live() {
  local observed
  LIVE_COLOR="$(live_color "${UPSTREAM_FILE}")" ||
    fail 4 "cannot read the live color from ${UPSTREAM_FILE} (expected one line 'server 127.0.0.1:<${BLUE_PORT}|${GREEN_PORT}>;')"
  plan_build "${ENV_NAME}" "${IMAGE}" "${LIVE_COLOR}" "${EXPECTED_VERSION}"
  IDLE_COLOR="${PLAN_IDLE_COLOR}"
  DEPLOY_FROM_COLOR="${LIVE_COLOR}"
  DEPLOY_TO_COLOR="${IDLE_COLOR}"
  export DEPLOY_FROM_COLOR DEPLOY_TO_COLOR
  log "live color: ${LIVE_COLOR}; deploying ${IMAGE} to ${IDLE_COLOR} (:${PLAN_IDLE_PORT})"
  announce started
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
  if [[ -z "${observed}" ]]; then
    log "WARNING: no answer through nginx at ${NGINX_URL}: a stopped nginx is started by the switch (a wrong NGINX_URL fails the verify)"
  fi
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
  disk_check || fail 4 "not enough free disk space for Docker to start ${IDLE_COLOR}"
  # API compatibility gate (scripts/lib/api-compat.sh): before any container of the new image exists.
  api_compat_gate "${OLD_IMAGE}" "${IMAGE}" ||
    fail 4 "API compatibility gate: ${IMAGE} not deployed, ${LIVE_COLOR} keeps serving (report above; override: --allow-breaking-api)"
  PHASE=idle
  if [[ -n "$(app_container "${IDLE_COLOR}")" ]]; then
    log "removing the existing ${IDLE_COLOR} container (stale from an earlier deploy, or kept for rollback)"
    # A deploy killed right after its switch leaves old nginx workers finishing requests on it; kept for
    # the rollback window it may still hold chat sockets: hint them over, never cut them.
    drain_wait "${PLAN_IDLE_PORT}" "${DRAIN_TIMEOUT_S}" "$(app_url "${IDLE_COLOR}")" || true
    drain_handover "$(app_url "${IDLE_COLOR}")"
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

# info_check <color> <expected-version>: the color's /actuator/info names that version and color.
info_check() {
  local color="$1"
  local expected="$2"
  local url info version reported
  url="$(app_url "${color}")"
  info="$(curl -s --max-time "${SMOKE_TIMEOUT_S}" "${url}/actuator/info")" || fail 4 "smoke: ${url}/actuator/info did not answer"
  version="$(jq -r '.app.version // empty' <<<"${info}" 2>/dev/null || true)"
  reported="$(jq -r '.app.color // empty' <<<"${info}" 2>/dev/null || true)"
  if [[ "${version}" != "${expected}" ]]; then
    fail 4 "smoke: ${color} reports version '${version}', expected '${expected}'"
  fi
  if [[ "${reported}" != "${color}" ]]; then
    fail 4 "smoke: ${color} reports color '${reported}'"
  fi
}

# The engine's part of the smoke test is generic (the version and color the image promises); the app's
# own checks are the smoke_test hooks (deploy.d/smoke_test.post).
step_smoke_test() {
  info_check "${IDLE_COLOR}" "${EXPECTED_VERSION}"
  log "smoke: ${IDLE_COLOR} reports version ${EXPECTED_VERSION} and its color"
  # Warm-up: see app_warm_up. Before the switch, so that the first clients of the new color meet a JVM
  # that has compiled its hot paths.
  if ((WARMUP_REQUESTS > 0)); then
    local warm
    read -r -a warm <<<"$(app_warm_up "$(app_url "${IDLE_COLOR}")" "${WARMUP_REQUESTS}" "${WARMUP_CONCURRENCY}" "${WARMUP_MAX_S}")"
    log "warm-up: ${warm[0]} requests to ${IDLE_COLOR} in $(fmt_ms "${warm[1]}")"
  fi
}

# Schema gate: the new color has run its migrations (it is ready); the live color, still serving every
# client, must still work on the new schema. Its smoke hooks (schema_gate.post, target: the live color)
# run after this; any failure aborts before a single client reaches the new color.
step_schema_gate() {
  if [[ "${LIVE_COLOR}" == none ]]; then
    log "schema gate: nothing live to check"
    return 0
  fi
  probe_up "$(app_url "${LIVE_COLOR}")/actuator/health/readiness" ||
    fail 4 "schema gate: the live color ${LIVE_COLOR} is not ready after ${IDLE_COLOR} migrated the database"
  local version
  version="$(curl -s --max-time "${SMOKE_TIMEOUT_S}" "$(app_url "${LIVE_COLOR}")/actuator/info" | jq -r '.app.version // empty' 2>/dev/null || true)"
  [[ -n "${version}" ]] || fail 4 "schema gate: the live color ${LIVE_COLOR} does not answer /actuator/info"
  log "schema gate: ${LIVE_COLOR} (${version}) still ready on the migrated schema"
}

step_switch() {
  local rc=0
  SWITCH_LOG_OFFSET="$(bake_log_size "${BAKE_ACCESS_LOG}")"
  PHASE=switching
  SWITCH_START_MS="$(now_ms)"
  nginx_apply_color "${IDLE_COLOR}" || rc=$?
  case "${rc}" in
    0) ;;
    1)
      PHASE=idle
      fail 4 "switch to ${IDLE_COLOR} failed; nginx config restored, live color ${LIVE_COLOR} untouched"
      ;;
    *)
      # nginx may route to the new color: treat it as switched, so the cleanup switches back for sure.
      PHASE=switched
      fail 4 "switch to ${IDLE_COLOR} failed and nginx's routing is unknown"
      ;;
  esac
  PHASE=switched
  log "switched ${ENV_NAME}: ${LIVE_COLOR} -> ${IDLE_COLOR} (:${PLAN_IDLE_PORT}), nginx reloaded in $(($(now_ms) - SWITCH_START_MS)) ms"
  event switched step=switch result=ok
  apm_annotate "${ENV_NAME}" "${EXPECTED_VERSION}" "switched ${LIVE_COLOR} -> ${IDLE_COLOR}: ${IMAGE}"
}

step_verify() {
  if ! nginx_verify_color "${IDLE_COLOR}" "${VERIFY_REQUESTS}" "${VERIFY_DEADLINE_S}"; then
    fail 4 "requests through nginx do not reach ${IDLE_COLOR}"
  fi
  SWITCH_MS=$(($(now_ms) - SWITCH_START_MS))
  log "switched: ${VERIFY_REQUESTS} consecutive responses from ${IDLE_COLOR} through nginx, $(fmt_ms "${SWITCH_MS}") after the switch began"
}

step_bake() {
  if ((BAKE_S == 0)); then
    log "bake: none (BAKE_S=0)"
    return 0
  fi
  if [[ "${LIVE_COLOR}" == none ]]; then
    log "bake: none (first deploy: nothing to switch back to)"
    return 0
  fi
  if [[ ! -r "${BAKE_ACCESS_LOG}" ]]; then
    log "WARNING: bake: cannot read ${BAKE_ACCESS_LOG} (BAKE_ACCESS_LOG): not baked"
    return 0
  fi
  log "bake: watching ${IDLE_COLOR} for ${BAKE_S}s against ${LIVE_COLOR}'s baseline (${BAKE_ACCESS_LOG})"
  if bake_watch "${IDLE_COLOR}" "${LIVE_COLOR}" "${BAKE_ACCESS_LOG}" "${SWITCH_LOG_OFFSET}" "${BAKE_S}"; then
    log "bake: ${BAKE_VERDICT}: ${BAKE_REASON}"
    return 0
  fi
  bake_roll_back
}

# bake_roll_back: the bake found a breach; the old color still runs: back to it at once, then remove the
# new one. Exits 6 (5 when the switch back fails).
bake_roll_back() {
  local t0 restored_ms
  err "bake: BREACH: ${BAKE_REASON}; switching back to ${LIVE_COLOR}"
  t0="$(now_ms)"
  if ! app_running "${LIVE_COLOR}" || ! nginx_apply_color "${LIVE_COLOR}"; then
    PHASE=stuck
    fail 5 "bake breach (${BAKE_REASON}) and the switch back to ${LIVE_COLOR} failed"
  fi
  PHASE=rolled_back
  nginx_verify_color "${LIVE_COLOR}" "${VERIFY_REQUESTS}" "${VERIFY_DEADLINE_S}" ||
    log "WARNING: nginx was switched back to ${LIVE_COLOR} but does not answer from it yet"
  restored_ms=$(($(now_ms) - t0))
  BAKE_FIGURES="$(jq -c --argjson ms "${restored_ms}" '. + {restored_ms: $ms}' <<<"${BAKE_FIGURES}")"
  log "bake: ${LIVE_COLOR} live again ${restored_ms} ms after the breach was found ($(jq -r '.after_ms' <<<"${BAKE_FIGURES}") ms into the bake)"
  FAIL_STEP=bake
  FAIL_MESSAGE="${BAKE_REASON}"
  drain_wait "${PLAN_IDLE_PORT}" "${DRAIN_TIMEOUT_S}" "$(app_url "${IDLE_COLOR}")" || true
  log "stopping and removing ${IDLE_COLOR} (${IMAGE})"
  app_stop "${IDLE_COLOR}" "${STOP_GRACE_S}" || true
  app_remove "${IDLE_COLOR}" || log "WARNING: could not remove ${IDLE_COLOR}"
  exit 6
}

step_drain() {
  local old_cid old_url
  if [[ "${LIVE_COLOR}" == none ]]; then
    log "first deploy: nothing to drain"
    return 0
  fi
  old_cid="$(app_container "${LIVE_COLOR}")"
  if [[ -z "${old_cid}" ]]; then
    log "no ${LIVE_COLOR} container: nothing to drain"
    return 0
  fi
  old_url="$(app_url "${LIVE_COLOR}")"
  if drain_wait "$(port_for_color "${LIVE_COLOR}")" "${DRAIN_TIMEOUT_S}" "${old_url}"; then
    log "drained ${LIVE_COLOR}"
  fi
  if ((ROLLBACK_WINDOW_S == 0)); then
    log "stopping ${LIVE_COLOR} (SIGTERM: its WebSocket clients get the reconnect hint; grace ${STOP_GRACE_S}s)"
    app_stop "${LIVE_COLOR}" "${STOP_GRACE_S}" || log "WARNING: could not stop ${LIVE_COLOR}"
  else
    # Whatever the window, its chat clients move now: they must not stay on the old release.
    drain_handover "${old_url}"
    log "keeping ${LIVE_COLOR} running ${ROLLBACK_WINDOW_S}s for an instant rollback (scripts/rollback.sh ${ENV_NAME})"
    retire_schedule "${LIVE_COLOR}" "${old_cid}" "${ROLLBACK_WINDOW_S}" ||
      log "WARNING: could not schedule the retirement of ${LIVE_COLOR}: the next deploy removes it"
  fi
}

step_record() {
  record_history ok 0
  images_prune "${IMAGE}" "${OLD_IMAGE}" || true
  PHASE=finished
}

# record_history <result> <exit-code>
record_history() {
  local entry
  if ! entry="$(history_entry id="${DEPLOY_ID}" env="${ENV_NAME}" action=deploy user="${DEPLOY_USER}" \
    image="${IMAGE}" from_image="${OLD_IMAGE}" from_color="${LIVE_COLOR:-}" to_color="${IDLE_COLOR:-}" \
    result="$1" exit_code="$2" failed_step="${FAIL_STEP}" message="${FAIL_MESSAGE}" \
    switch_ms="${SWITCH_MS}" steps="${STEP_TIMES}" bake="${BAKE_FIGURES:-{\}}" \
    duration_ms="$(($(now_ms) - DEPLOY_START_MS))")" ||
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

# revert_switch: back to the live color after a failure past the switch. 0 = switched back.
revert_switch() {
  [[ "${LIVE_COLOR}" != none ]] && app_running "${LIVE_COLOR}" && nginx_apply_color "${LIVE_COLOR}"
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
  # A reload that timed out may have reached nginx after all: what nginx answers tells.
  if [[ "${PHASE}" == idle || "${PHASE}" == switching ]] && [[ -n "${IDLE_COLOR}" && "$(nginx_observed_color)" == "${IDLE_COLOR}" ]]; then
    log "cleanup: nginx answers from ${IDLE_COLOR}: switching back before removing it"
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
      elif revert_switch; then
        log "cleanup: switched back to ${LIVE_COLOR}; removing ${IDLE_COLOR}"
        app_stop "${IDLE_COLOR}" "${STOP_GRACE_S}"
        app_remove "${IDLE_COLOR}"
        rc=4
      else
        err "cleanup: could not switch back to ${LIVE_COLOR}: run scripts/rollback.sh ${ENV_NAME}"
        rc=5
      fi
      ;;
    stuck)
      rc=5
      ;;
    rolled_back)
      record_history rolled_back 6
      event rolled_back step=bake result=rolled_back message="${FAIL_MESSAGE}"
      announce rolled_back
      log "deploy ${DEPLOY_ID} ROLLED BACK by the bake (exit 6): ${FAIL_MESSAGE}; ${LIVE_COLOR} is live"
      lock_release "${LOCK_FILE}"
      exit 6
      ;;
    committed)
      log "interrupted after ${IDLE_COLOR} went live and was baked; ${LIVE_COLOR} may still run (the next deploy removes it)"
      FAIL_MESSAGE="${FAIL_MESSAGE} (after the switch was committed)"
      record_history ok 0
      event succeeded result=ok message="${FAIL_MESSAGE}"
      announce succeeded
      lock_release "${LOCK_FILE}"
      exit 0
      ;;
  esac
  record_history failed "${rc}"
  event failed step="${FAIL_STEP}" result=failed message="${FAIL_MESSAGE}"
  announce failed "${rc}"
  log "deploy ${DEPLOY_ID} FAILED (exit ${rc}) at ${FAIL_STEP}: ${FAIL_MESSAGE}"
  lock_release "${LOCK_FILE}"
  exit "${rc}"
}

dry_run() {
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
}

main() {
  OPT_WAIT=0
  OPT_DRY_RUN=0
  while (($# > 0)); do
    case "$1" in
      --wait) OPT_WAIT=1 ;;
      --dry-run) OPT_DRY_RUN=1 ;;
      --allow-breaking-api) export ALLOW_BREAKING_API=1 ;;
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
  require_cmd docker curl jq flock ss envsubst setsid "${NGINX_BIN}"
  preflight_versions || exit 2
  if ! docker image inspect "${IMAGE}" >/dev/null 2>&1; then
    err "image ${IMAGE} not found on this host (build or pull it first)"
    exit 2
  fi
  # EXPECTED_IMAGE_ID (set by scripts/fleet-deploy.sh): only the tested bytes may go live.
  digest_require_match "${IMAGE}" "${EXPECTED_IMAGE_ID:-}" || exit 2
  EXPECTED_VERSION="${EXPECTED_VERSION:-$(image_expected_version "${IMAGE}")}"
  DEPLOY_USER="${SWITCHYARD_USER:-${BUILD_USER_ID:-${USER:-$(id -un)}}}"
  DEPLOY_ID="${ENV_NAME}-$(date -u +%Y%m%d%H%M%S)-$$"
  export DEPLOY_ID DEPLOY_USER
  DEPLOY_ENV="${ENV_NAME}"
  DEPLOY_IMAGE="${IMAGE}"
  DEPLOY_EVENTS_FILE="${DEPLOY_EVENTS_FILE:-${STATE_DIR}/events.jsonl}"
  export DEPLOY_ENV DEPLOY_IMAGE DEPLOY_EVENTS_FILE DEPLOY_EVENTS_LOG NOTIFY_LOG

  if ((OPT_DRY_RUN)); then
    dry_run
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
  announce succeeded
  log "deploy ${DEPLOY_ID} done: ${IDLE_COLOR} live with ${IMAGE} (switch $(fmt_ms "${SWITCH_MS:-0}"), total $(fmt_ms $(($(now_ms) - DEPLOY_START_MS))))"
  lock_release "${LOCK_FILE}"
}

main "$@"
