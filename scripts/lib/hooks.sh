# shellcheck shell=bash
# Deploy hooks (after Kamal's .kamal/hooks): optional executables the engine runs around each step, for
# what is specific to the app (its smoke test, a backup before migrations, a chat announcement...).
#
#   ${DEPLOY_HOOKS_DIR}/<step>.pre|post          every environment
#   ${DEPLOY_HOOKS_DIR}/<env>/<step>.pre|post    one environment (runs after the shared one)
#
# The contract (deploy.d/README.md) is the environment below and the exit code: 0 goes on; anything else
# fails the step, with the step's own consequences. Each hook is bounded by HOOK_TIMEOUT_S.
# Needs: common.sh.

# hooks_env: the contract's variables, as NAME=value words for env(1).
hooks_env() {
  printf '%s\n' \
    "SWITCHYARD_ENV=${SWITCHYARD_ENV}" \
    "SWITCHYARD_DEPLOY_ID=${DEPLOY_ID:-}" \
    "SWITCHYARD_DEPLOY_USER=${DEPLOY_USER:-}" \
    "SWITCHYARD_ACTION=${HOOK_ACTION:-deploy}" \
    "SWITCHYARD_STEP=${HOOK_STEP}" \
    "SWITCHYARD_HOOK=${HOOK_STEP}.${HOOK_WHEN}" \
    "SWITCHYARD_IMAGE=${IMAGE:-}" \
    "SWITCHYARD_VERSION=${EXPECTED_VERSION:-}" \
    "SWITCHYARD_PREVIOUS_IMAGE=${OLD_IMAGE:-}" \
    "SWITCHYARD_LIVE_COLOR=${LIVE_COLOR:-}" \
    "SWITCHYARD_LIVE_PORT=$(hooks_port "${LIVE_COLOR:-}")" \
    "SWITCHYARD_LIVE_URL=$(hooks_url "${LIVE_COLOR:-}")" \
    "SWITCHYARD_NEW_COLOR=${IDLE_COLOR:-}" \
    "SWITCHYARD_NEW_PORT=$(hooks_port "${IDLE_COLOR:-}")" \
    "SWITCHYARD_NEW_URL=$(hooks_url "${IDLE_COLOR:-}")" \
    "SWITCHYARD_TARGET_URL=${HOOK_TARGET_URL:-}" \
    "SWITCHYARD_NGINX_URL=${NGINX_URL:-}" \
    "SWITCHYARD_APP_ENV_FILE=${APP_ENV_FILE:-}" \
    "SWITCHYARD_STATE_DIR=${STATE_DIR:-}"
}

hooks_port() {
  if [[ "$1" == blue || "$1" == green ]]; then port_for_color "$1"; fi
}

hooks_url() {
  if [[ "$1" == blue || "$1" == green ]]; then echo "http://${APP_HOST}:$(port_for_color "$1")"; fi
}

# hooks_list <step> <pre|post>: the executables to run, in order.
hooks_list() {
  local dir
  for dir in "${DEPLOY_HOOKS_DIR}" "${DEPLOY_HOOKS_DIR}/${SWITCHYARD_ENV}"; do
    if [[ -f "${dir}/$1.$2" && -x "${dir}/$1.$2" ]]; then
      echo "${dir}/$1.$2"
    fi
  done
}

# hooks_run <step> <pre|post> [target-url]: runs the step's hooks; their output goes to stderr, each
# line prefixed with the hook's name. Returns the first failing hook's status (124 on timeout), else 0.
hooks_run() {
  HOOK_STEP="$1"
  HOOK_WHEN="$2"
  HOOK_TARGET_URL="${3:-}"
  local hook rc vars=()
  [[ -n "${DEPLOY_HOOKS_DIR:-}" ]] || return 0
  mapfile -t vars < <(hooks_env)
  while read -r hook; do
    [[ -n "${hook}" ]] || continue
    log "hook ${hook#"${DEPLOY_HOOKS_DIR}"/}"
    rc=0
    env "${vars[@]}" timeout --kill-after=5 "${HOOK_TIMEOUT_S}" "${hook}" </dev/null 9>&- \
      > >(sed -u "s|^|    [${hook##*/}] |" >&2) 2>&1 || rc=$?
    # Let the prefixing finish before anything else is logged.
    wait "$!" 2>/dev/null || true
    if ((rc != 0)); then
      HOOK_FAILED="${hook#"${DEPLOY_HOOKS_DIR}"/}"
      if ((rc == 124)); then
        err "hook ${HOOK_FAILED} did not finish within ${HOOK_TIMEOUT_S}s"
      else
        err "hook ${HOOK_FAILED} failed (exit ${rc})"
      fi
      return "${rc}"
    fi
  done < <(hooks_list "$1" "$2")
}
