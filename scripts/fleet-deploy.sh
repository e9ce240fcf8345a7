#!/usr/bin/env bash
# Deploys one release to every host of an environment, one host at a time (SPEC §4).
#
# Usage: scripts/fleet-deploy.sh [--digest <image-id>] [--report <file>] [--wait] <env> <image>
#   --digest ID    the release's image ID (sha256:...) as recorded where it was built and tested;
#                  default: the ID of <image> on this machine
#   --report FILE  also write what happened on each host as JSON (the pipeline archives it)
#   --wait         wait up to FLEET_LOCK_WAIT_S for another fleet deploy of <env> instead of failing
#
# Hosts: <ENV>_HOSTS (PROD_HOSTS, DEV_HOSTS; scripts/env/common.env), in order; the first is the canary.
# None listed: this host only (scripts/deploy.sh here, nothing shipped).
#
#   lock     the fleet lock of <env> on this machine (FLEET_LOCK_FILE)
#   prepare  on every host before anything switches: the kit of this checkout (FLEET_REMOTE_ROOT/current),
#            the image (pulled from IMAGE_REGISTRY, else docker save | ssh docker load) with its ID
#            checked against the release, and the host's live release noted
#   roll     host by host, canary first: drain hook; EXPECTED_IMAGE_ID=<id> scripts/deploy.sh <env> <image>
#            (verify, and bake when the engine has it: its exit code tells); the host's status checked
#            (live on <image>, that ID, healthy); undrain hook. After the canary: FLEET_CANARY_WAIT_S of
#            watching, then its status again.
#   on a failure: every host that runs the new release is rolled back (scripts/rollback.sh), the last
#            switched first, drained around it; each must be back on the release it ran before.
#
# Exit codes:
#   0  every host runs the release
#   2  usage or configuration error (nothing touched)
#   3  another fleet deploy holds the lock (its holder is named)
#   4  failed before any host switched: every host kept its release
#   5  failed, and a host could not be put back on its previous release (named): act on it
#   6  failed after hosts switched; they were rolled back: every host is on its previous release
set -euo pipefail

SCRIPT_NAME="fleet-deploy"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"
# shellcheck source=scripts/lib/lock.sh
source "${SCRIPT_DIR}/lib/lock.sh"
# shellcheck source=scripts/lib/digest.sh
source "${SCRIPT_DIR}/lib/digest.sh"
# shellcheck source=scripts/lib/fleet.sh
source "${SCRIPT_DIR}/lib/fleet.sh"
# shellcheck source=scripts/lib/fleet-ship.sh
source "${SCRIPT_DIR}/lib/fleet-ship.sh"
# shellcheck source=scripts/lib/fleet-hooks.sh
source "${SCRIPT_DIR}/lib/fleet-hooks.sh"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# --- state of this run (read by the EXIT trap) ---------------------------------------------
HOSTS=()
SWITCHED=()              # hosts on the new release, in the order they switched
declare -A BEFORE=()     # host -> image its live color ran before ("" = nothing live)
declare -A OUTCOME=()    # host -> untouched | deployed | failed | rolled_back | rollback_failed
declare -A EXIT_CODE=()  # host -> deploy.sh's exit code
declare -A DURATION_MS=()
declare -A SWITCH_MS=()
declare -A NOTE=()
REVERTED_BY_ENGINE=0
LOCKED=0
FINISHED=0
FINAL_CODE=0
RUN_TMP=""
REPORT_FILE=""
START_MS=0

now_ms() {
  date +%s%3N
}

secs() {
  printf '%d.%01ds' "$(($1 / 1000))" "$((($1 % 1000) / 100))"
}

# prefix <host>: tags each line of a host's output with its name.
prefix() {
  sed -u "s/^/[$1] /"
}

# --- phases --------------------------------------------------------------------------------
prepare_hosts() {
  local archive kit_id host status
  archive="${RUN_TMP}/kit.tar"
  kit_id="$(fleet_kit_archive "${archive}")" || return 1
  for host in "${HOSTS[@]}"; do
    OUTCOME["${host}"]=untouched
    fleet_ship_kit "${host}" "${archive}" "${kit_id}" || return 1
    fleet_ship_image "${host}" "${IMAGE}" "${IMAGE_ID}" || return 1
    status="$(fleet_host_status "${host}")"
    if [[ "$(jq -r .reachable <<<"${status}")" != true ]]; then
      err "${host}: $(jq -r .error <<<"${status}")"
      return 1
    fi
    BEFORE["${host}"]="$(fleet_live_image "${status}")"
    log "${host}: live now: ${BEFORE[${host}]:-nothing}"
  done
}

# host_runs_release <host>: the host's live color runs the release (tag and image ID) and is healthy.
host_runs_release() {
  local host="$1"
  local status
  status="$(fleet_host_status "${host}")"
  jq -e --arg image "${IMAGE}" --arg id "${IMAGE_ID}" \
    '.reachable and (.status.colors[.status.live_color].image == $image) and .live_image_id == $id
     and (.status.colors[.status.live_color].health == "up")' <<<"${status}" >/dev/null
}

# host_runs <host> <image>: the host's live color runs <image> ("" = nothing live).
host_runs() {
  local status
  status="$(fleet_host_status "$1")"
  [[ "$(jq -r .reachable <<<"${status}")" == true && "$(fleet_live_image "${status}")" == "$2" ]]
}

# host_serves <host>: the host has a live color that is healthy (worth putting back in the balancer).
host_serves() {
  local status
  status="$(fleet_host_status "$1")"
  jq -e '.reachable and .status.live_color != "none" and (.status.colors[.status.live_color].health == "up")' \
    <<<"${status}" >/dev/null
}

# last_switch_ms <host>: switch_ms of the host's last deploy of the release, from its history.
last_switch_ms() {
  fleet_host_status "$1" | jq -r --arg image "${IMAGE}" \
    '[.status.last_deploys[]? | select(.action == "deploy" and .image == $image)] | last | .switch_ms // empty' \
    2>/dev/null || true
}

# classify_failed_host <host> <deploy-exit>: after a failed deploy, is the host on the new release?
# deploy.sh's 2, 3 and 4 leave the live color untouched. Anything else (5: failed after the switch and
# could not revert; 6: the engine rolled back by itself after its bake window) is judged by what the
# host runs now, not by the code alone: the new release -> it joins SWITCHED (to be rolled back); its old one ->
# the engine already rolled it back.
classify_failed_host() {
  local host="$1"
  local rc="$2"
  if [[ "${rc}" =~ ^[234]$ ]] || [[ "${BEFORE[${host}]}" == "${IMAGE}" ]]; then
    return 0
  fi
  if host_runs "${host}" "${IMAGE}"; then
    SWITCHED+=("${host}")
  elif host_runs "${host}" "${BEFORE[${host}]}"; then
    OUTCOME["${host}"]=rolled_back
    REVERTED_BY_ENGINE=1
    log "${host}: the deploy switched back by itself: ${BEFORE[${host}]} is live again"
  else
    OUTCOME["${host}"]=rollback_failed
    NOTE["${host}"]="${NOTE[${host}]}; runs neither ${IMAGE} nor ${BEFORE[${host}]:-anything}"
  fi
}

# roll_host <n> <host>: deploys the release on one host; 0 when it runs it, else 1 (OUTCOME says how).
roll_host() {
  local n="$1"
  local host="$2"
  local role="" t0 rc=0
  if ((n == 1)) && ((${#HOSTS[@]} > 1)); then
    role=" (canary)"
  fi
  log "==> [${n}/${#HOSTS[@]}] ${host}${role}: ${IMAGE}"
  t0="$(now_ms)"
  if ! fleet_hook drain "${host}"; then
    NOTE["${host}"]="drain hook failed"
    fleet_hook undrain "${host}" || true
    OUTCOME["${host}"]=failed
    return 1
  fi
  # stdin from /dev/null: a remote command must never eat this script's input.
  if fleet_run "${host}" env "EXPECTED_IMAGE_ID=${IMAGE_ID}" scripts/deploy.sh "${ENV_NAME}" "${IMAGE}" </dev/null 2>&1 |
    prefix "${host}" >&2; then
    rc=0
  else
    rc="${PIPESTATUS[0]}"
  fi
  EXIT_CODE["${host}"]="${rc}"
  DURATION_MS["${host}"]=$(($(now_ms) - t0))
  if ((rc == 0)) && host_runs_release "${host}"; then
    SWITCHED+=("${host}")
    OUTCOME["${host}"]=deployed
    SWITCH_MS["${host}"]="$(last_switch_ms "${host}")"
  else
    OUTCOME["${host}"]=failed
    if ((rc == 0)); then
      NOTE["${host}"]="deploy.sh exited 0 but the host does not run ${IMAGE} (${IMAGE_ID}) healthy"
    else
      NOTE["${host}"]="deploy.sh exited ${rc}"
    fi
    classify_failed_host "${host}" "${rc}"
  fi
  if [[ "${OUTCOME[${host}]}" == deployed ]] || host_serves "${host}"; then
    if ! fleet_hook undrain "${host}"; then
      NOTE["${host}"]="${NOTE[${host}]:+${NOTE[${host}]}; }undrain hook failed: the host is out of the balancer"
      if [[ "${OUTCOME[${host}]}" == deployed ]]; then
        OUTCOME["${host}"]=failed
      fi
      return 1
    fi
  else
    log "${host}: serves nothing healthy: left out of the balancer"
  fi
  if [[ "${OUTCOME[${host}]}" != deployed ]]; then
    err "${host}: ${NOTE[${host}]}"
    return 1
  fi
  log "<== [${n}/${#HOSTS[@]}] ${host} runs ${IMAGE} ($(secs "${DURATION_MS[${host}]}")${SWITCH_MS[${host}]:+, switch ${SWITCH_MS[${host}]} ms})"
}

watch_canary() {
  local host="$1"
  if ((FLEET_CANARY_WAIT_S == 0)) || ((${#HOSTS[@]} == 1)); then
    return 0
  fi
  log "${host}: watching the canary for ${FLEET_CANARY_WAIT_S}s before the other hosts"
  sleep "${FLEET_CANARY_WAIT_S}"
  if ! host_runs_release "${host}"; then
    NOTE["${host}"]="canary no longer runs ${IMAGE} healthy after ${FLEET_CANARY_WAIT_S}s"
    err "${host}: ${NOTE[${host}]}"
    return 1
  fi
}

# roll_back_switched: every host on the new release back to its previous one, last switched first.
# Returns 1 when any could not be put back.
roll_back_switched() {
  local i host rc failed=0
  for ((i = ${#SWITCHED[@]} - 1; i >= 0; i--)); do
    host="${SWITCHED[i]}"
    if [[ -z "${BEFORE[${host}]}" ]]; then
      err "${host}: ran nothing before this deploy: no release to go back to; it keeps ${IMAGE}"
      OUTCOME["${host}"]=rollback_failed
      failed=1
      continue
    fi
    log "==> rolling back ${host} to ${BEFORE[${host}]}"
    fleet_hook drain "${host}" || log "${host}: drain hook failed: rolling back anyway (the switch itself drops nothing)"
    if fleet_run "${host}" scripts/rollback.sh --wait "${ENV_NAME}" </dev/null 2>&1 | prefix "${host}" >&2; then
      rc=0
    else
      rc="${PIPESTATUS[0]}"
    fi
    if ((rc == 0)) && host_runs "${host}" "${BEFORE[${host}]}"; then
      OUTCOME["${host}"]=rolled_back
      log "<== ${host} is back on ${BEFORE[${host}]}"
    else
      OUTCOME["${host}"]=rollback_failed
      NOTE["${host}"]="${NOTE[${host}]:+${NOTE[${host}]}; }rollback.sh exited ${rc}"
      err "${host}: could not go back to ${BEFORE[${host}]} (rollback.sh exited ${rc}): run scripts/rollback.sh ${ENV_NAME} on it"
      failed=1
    fi
    if ! fleet_hook undrain "${host}"; then
      NOTE["${host}"]="${NOTE[${host}]:+${NOTE[${host}]}; }undrain hook failed: the host is out of the balancer"
      failed=1
    fi
  done
  return "${failed}"
}

# --- report and exit -----------------------------------------------------------------------
write_report() {
  local result="$1"
  local code="$2"
  local host lines=()
  [[ -n "${REPORT_FILE}" ]] || return 0
  for host in "${HOSTS[@]}"; do
    lines+=("$(jq -n -c --arg host "${host}" --arg before "${BEFORE[${host}]:-}" --arg outcome "${OUTCOME[${host}]:-untouched}" \
      --arg exit "${EXIT_CODE[${host}]:-}" --arg duration "${DURATION_MS[${host}]:-}" --arg switch "${SWITCH_MS[${host}]:-}" \
      --arg note "${NOTE[${host}]:-}" \
      '{host: $host, before_image: $before, outcome: $outcome, deploy_exit: ($exit | tonumber? // null),
        duration_ms: ($duration | tonumber? // null), switch_ms: ($switch | tonumber? // null), note: $note}')")
  done
  mkdir -p "$(dirname "${REPORT_FILE}")"
  printf '%s\n' "${lines[@]}" | jq -s --arg env "${ENV_NAME}" --arg image "${IMAGE}" --arg id "${IMAGE_ID}" \
    --arg result "${result}" --argjson code "${code}" --argjson ms "$(($(now_ms) - START_MS))" \
    '{env: $env, image: $image, image_id: $id, result: $result, exit_code: $code, duration_ms: $ms, hosts: .}' \
    >"${REPORT_FILE}" || err "could not write ${REPORT_FILE}"
}

summary() {
  local host
  for host in "${HOSTS[@]}"; do
    log "  ${host}: ${OUTCOME[${host}]:-untouched}${DURATION_MS[${host}]:+ in $(secs "${DURATION_MS[${host}]}")}${SWITCH_MS[${host}]:+ (switch ${SWITCH_MS[${host}]} ms)}${NOTE[${host}]:+ - ${NOTE[${host}]}}"
  done
}

# finish_failed: rolls back what switched, reports, and sets FINAL_CODE to 4, 5 or 6.
finish_failed() {
  local code=4
  local host
  if ((${#SWITCHED[@]} > 0 || REVERTED_BY_ENGINE)); then
    code=6
  fi
  roll_back_switched || code=5
  for host in "${HOSTS[@]}"; do
    if [[ "${OUTCOME[${host}]:-}" == rollback_failed ]]; then
      code=5
    fi
  done
  write_report failed "${code}"
  summary
  case "${code}" in
    4) err "fleet deploy of ${IMAGE} to ${ENV_NAME} FAILED before any host switched: every host kept its release" ;;
    5) err "fleet deploy of ${IMAGE} to ${ENV_NAME} FAILED and a host is not back on its release: see above" ;;
    6) err "fleet deploy of ${IMAGE} to ${ENV_NAME} FAILED after hosts switched; they were rolled back: every host is on its previous release" ;;
  esac
  FINISHED=1
  FINAL_CODE="${code}"
}

fail_fleet() {
  finish_failed
  exit "${FINAL_CODE}"
}

on_signal() {
  err "interrupted by $1: rolling back what switched"
  fail_fleet
}

on_exit() {
  local rc=$?
  trap - EXIT INT TERM HUP
  set +e
  if ((!FINISHED && LOCKED)); then
    err "fleet deploy stopped unexpectedly (status ${rc})"
    finish_failed
    rc="${FINAL_CODE}"
  fi
  if [[ -n "${RUN_TMP}" ]]; then
    rm -rf "${RUN_TMP}"
  fi
  if ((LOCKED)); then
    lock_release "${FLEET_LOCK_FILE}"
  fi
  exit "${rc}"
}

main() {
  local wait=0 digest=""
  while (($# > 0)); do
    case "$1" in
      --digest)
        [[ $# -ge 2 ]] || { usage >&2; exit 2; }
        digest="$2"
        shift
        ;;
      --report)
        [[ $# -ge 2 ]] || { usage >&2; exit 2; }
        REPORT_FILE="$2"
        shift
        ;;
      --wait) wait=1 ;;
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
  export DIE_EXIT_CODE=2
  require_cmd docker jq tar sha256sum flock timeout
  if [[ ! "${IMAGE}" =~ ^[a-z0-9][a-z0-9._/-]*(:[0-9]+/[a-z0-9._/-]+)?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ || "${IMAGE}" == *:latest ]]; then
    die "'${IMAGE}' is not a pinned image reference (<name>:<tag>, no 'latest')"
  fi
  local hosts_out
  hosts_out="$(fleet_hosts)" || exit 2
  mapfile -t HOSTS <<<"${hosts_out}"
  if ! fleet_is_local "${HOSTS[0]}"; then
    require_cmd ssh
  fi
  if [[ -z "${digest}" ]]; then
    digest="$(image_id "${IMAGE}")" || die "${IMAGE} is not on this machine: give its image ID with --digest"
    log "no --digest: the release is this machine's ${IMAGE} (${digest})"
  fi
  digest_valid "${digest}" || die "--digest '${digest}' is not an image ID (sha256:<64 hex digits>)"
  IMAGE_ID="${digest}"
  if [[ ! "${FLEET_CANARY_WAIT_S}" =~ ^[0-9]+$ || ! "${FLEET_HOOK_TIMEOUT_S}" =~ ^[1-9][0-9]*$ || ! "${FLEET_KEEP_KITS}" =~ ^[1-9][0-9]*$ ]]; then
    die "FLEET_CANARY_WAIT_S, FLEET_HOOK_TIMEOUT_S and FLEET_KEEP_KITS must be whole numbers (the last two at least 1)"
  fi
  unset DIE_EXIT_CODE

  START_MS="$(now_ms)"
  local wait_s=0
  if ((wait)); then
    wait_s="${FLEET_LOCK_WAIT_S}"
  fi
  lock_acquire "${FLEET_LOCK_FILE}" "${wait_s}" "fleet deploy ${IMAGE} to ${ENV_NAME} (${HOSTS[*]})" || exit 3
  LOCKED=1
  RUN_TMP="$(mktemp -d)"
  trap on_exit EXIT
  trap 'on_signal INT' INT
  trap 'on_signal TERM' TERM
  trap 'on_signal HUP' HUP
  log "fleet deploy of ${IMAGE} (${IMAGE_ID}) to ${ENV_NAME}: ${HOSTS[*]}"

  log "==> prepare: kit and image on every host, nothing switches"
  if ! prepare_hosts; then
    err "prepare failed: nothing switched"
    fail_fleet
  fi
  local i
  for i in "${!HOSTS[@]}"; do
    if ! roll_host "$((i + 1))" "${HOSTS[i]}"; then
      fail_fleet
    fi
    if ((i == 0)) && ! watch_canary "${HOSTS[0]}"; then
      fail_fleet
    fi
  done
  write_report ok 0
  summary
  log "fleet deploy done: ${#HOSTS[@]} host(s) run ${IMAGE} in $(secs $(($(now_ms) - START_MS)))"
  FINISHED=1
}

main "$@"
