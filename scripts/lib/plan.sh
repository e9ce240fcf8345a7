# shellcheck shell=bash
# The deploy plan: which color goes live, on which port, with which image - computed from the
# inputs only (no docker, no nginx), so it can be unit-tested and printed by --dry-run.
# Needs: color.sh, hooks.sh, retire.sh (and BLUE_PORT, GREEN_PORT, COMPOSE_PROJECT_*, UPSTREAM_FILE, the
# step settings from config).

# The steps of a deploy, in order (SPEC §2, plus the schema gate before the switch and the bake after it).
# shellcheck disable=SC2034 # read by deploy.sh
PLAN_STEPS=(lock read_live start_idle health_check smoke_test schema_gate switch verify bake drain record)

# plan_image_tag <image-ref>: the tag of repo[:tag][@digest] (empty when there is none).
plan_image_tag() {
  local ref="${1%%@*}"
  local last="${ref##*/}"
  if [[ "${last}" == *:* ]]; then
    echo "${last##*:}"
  fi
}

# plan_validate_image <image-ref>: a pinned reference - a tag other than "latest" is required.
plan_validate_image() {
  local ref="$1"
  local tag
  if [[ ! "${ref}" =~ ^[a-z0-9][a-z0-9._/:@-]*$ ]]; then
    err "not an image reference: '${ref}'"
    return 1
  fi
  tag="$(plan_image_tag "${ref}")"
  if [[ -z "${tag}" || "${tag}" == latest ]]; then
    err "image '${ref}' must carry a pinned tag (not latest)"
    return 1
  fi
}

# plan_build <env> <image> <live-color|none> <expected-version>: sets the PLAN_* variables.
plan_build() {
  PLAN_ENV="$1"
  PLAN_IMAGE="$2"
  PLAN_LIVE_COLOR="$3"
  PLAN_EXPECTED_VERSION="$4"
  case "${PLAN_LIVE_COLOR}" in
    none)
      PLAN_LIVE_PORT=""
      PLAN_IDLE_COLOR=blue
      ;;
    blue | green)
      PLAN_LIVE_PORT="$(port_for_color "${PLAN_LIVE_COLOR}")"
      PLAN_IDLE_COLOR="$(color_other "${PLAN_LIVE_COLOR}")"
      ;;
    *)
      err "unknown live color '${PLAN_LIVE_COLOR}'"
      return 1
      ;;
  esac
  PLAN_IDLE_PORT="$(port_for_color "${PLAN_IDLE_COLOR}")"
  PLAN_IDLE_PROJECT="$(app_project "${PLAN_IDLE_COLOR}")"
  PLAN_UPSTREAM_LINE="$(upstream_line "${PLAN_IDLE_PORT}")"
}

# plan_print: the plan, human-readable, one step per line.
plan_print() {
  local from="${PLAN_LIVE_COLOR}"
  if [[ "${from}" == none ]]; then
    from="none (first deploy)"
  else
    from="${from} (:${PLAN_LIVE_PORT})"
  fi
  cat <<PLAN
deploy plan for env '${PLAN_ENV}'
  image            ${PLAN_IMAGE} (expects version ${PLAN_EXPECTED_VERSION})
  live color       ${from}
  new color        ${PLAN_IDLE_COLOR} (:${PLAN_IDLE_PORT}, compose project ${PLAN_IDLE_PROJECT})
  steps
    1 lock          take ${LOCK_FILE}
    2 read_live     read the live color from ${UPSTREAM_FILE}
    3 start_idle    ${DISK_MIN_FREE_MB} MB free for Docker; remove any stale ${PLAN_IDLE_COLOR} container, start ${PLAN_IDLE_COLOR} with the image
    4 health_check  readiness UP at http://127.0.0.1:${PLAN_IDLE_PORT} within ${READY_DEADLINE_S}s (fail fast on exit/restart)
    5 smoke_test    /actuator/info version == ${PLAN_EXPECTED_VERSION}, color ${PLAN_IDLE_COLOR}; hooks$(plan_hooks_text smoke_test); ${WARMUP_REQUESTS} warm-up requests (${WARMUP_CONCURRENCY} at a time, ≤ ${WARMUP_MAX_S}s)
    6 schema_gate   $(plan_gate_text)
    7 switch        upstream include -> '${PLAN_UPSTREAM_LINE}', nginx -t, reload (restore on failure)
    8 verify        ${VERIFY_REQUESTS} consecutive responses through nginx with X-App-Color: ${PLAN_IDLE_COLOR} (else switch back)
    9 bake          $(plan_bake_text)
   10 drain         $(plan_drain_text)
   11 record        append to ${HISTORY_FILE}$(plan_prune_text)
PLAN
}

plan_drain_text() {
  if [[ "${PLAN_LIVE_COLOR}" == none ]]; then
    echo "nothing to drain"
  elif ((ROLLBACK_WINDOW_S == 0)); then
    echo "wait for nginx's connections to ${PLAN_LIVE_COLOR} (${DRAIN_TIMEOUT_S}s), hand WebSockets over, stop ${PLAN_LIVE_COLOR} (grace ${STOP_GRACE_S}s)"
  else
    echo "wait for nginx's connections to ${PLAN_LIVE_COLOR} (${DRAIN_TIMEOUT_S}s), hand WebSockets over, keep ${PLAN_LIVE_COLOR} ${ROLLBACK_WINDOW_S}s for rollback, then stop it ($(retire_mechanism) timer)"
  fi
}

plan_gate_text() {
  if [[ "${PLAN_LIVE_COLOR}" == none ]]; then
    echo "nothing live to check"
  else
    echo "after the migrations: ${PLAN_LIVE_COLOR} still ready and passing the smoke hooks$(plan_hooks_text schema_gate)"
  fi
}

plan_bake_text() {
  if ((BAKE_S == 0)) || [[ "${PLAN_LIVE_COLOR}" == none ]]; then
    echo "none (BAKE_S=${BAKE_S})"
  else
    echo "${BAKE_S}s: ${PLAN_IDLE_COLOR}'s 5xx ratio and p99 vs ${PLAN_LIVE_COLOR}'s, from the access log; switch back on a breach"
  fi
}

plan_prune_text() {
  if ((IMAGES_PRUNE)); then
    echo "; remove old images (keep live, previous, last ${IMAGES_KEEP})"
  fi
}

# plan_hooks_text <step>: " (<hooks>)" naming the step's hooks, or " none".
plan_hooks_text() {
  local hooks
  hooks="$(for when in pre post; do hooks_list "$1" "${when}"; done | sed "s|^${DEPLOY_HOOKS_DIR}/||" | paste -sd ' ' -)"
  echo " ${hooks:-none}"
}
