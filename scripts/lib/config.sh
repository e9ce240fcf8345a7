# shellcheck shell=bash
# Loads the settings of one environment: scripts/env/<env>.env, then scripts/env/common.env.
# Every value is a default; whatever the caller exported wins (tests use private prefixes and ports).

# config_load <env>: returns 2 on an unknown or malformed env name.
config_load() {
  local env="$1"
  local env_dir
  if [[ ! "${env}" =~ ^[a-z][a-z0-9_-]{0,31}$ ]]; then
    err "invalid env name: '${env}'"
    return 2
  fi
  SWITCHYARD_ROOT="${SWITCHYARD_ROOT:-$(repo_root)}"
  env_dir="${SWITCHYARD_ENV_DIR:-${SWITCHYARD_ROOT}/scripts/env}"
  if [[ ! -f "${env_dir}/${env}.env" ]]; then
    err "unknown env '${env}' (no ${env_dir}/${env}.env)"
    return 2
  fi
  SWITCHYARD_ENV="${env}"
  # shellcheck source=scripts/env/prod.env
  source "${env_dir}/${env}.env"
  # shellcheck source=scripts/env/common.env
  source "${env_dir}/common.env"
  config_check
}

config_check() {
  local name
  for name in BLUE_PORT GREEN_PORT; do
    if [[ ! "${!name}" =~ ^[0-9]{1,5}$ ]]; then
      err "${name} must be a port number, got '${!name}'"
      return 2
    fi
  done
  if [[ "${BLUE_PORT}" == "${GREEN_PORT}" ]]; then
    err "BLUE_PORT and GREEN_PORT must differ"
    return 2
  fi
  if [[ ! "${READY_INTERVAL_S}" =~ ^[0-9]+(\.[0-9]{1,3})?$ ]]; then
    err "READY_INTERVAL_S must be seconds (up to 3 decimals), got '${READY_INTERVAL_S}'"
    return 2
  fi
  for name in READY_DEADLINE_S VERIFY_REQUESTS VERIFY_DEADLINE_S DRAIN_TIMEOUT_S \
    STOP_GRACE_S ROLLBACK_WINDOW_S LOCK_WAIT_S SMOKE_TIMEOUT_S WARMUP_REQUESTS WARMUP_CONCURRENCY WARMUP_MAX_S \
    WARMUP_BATCH WARMUP_SETTLE_PCT \
    RETIRE_LOCK_WAIT_S NGINX_RELOAD_TIMEOUT_S SWITCH_READY_WAIT_S HANDOVER_TIMEOUT_S BAKE_S BAKE_INTERVAL_S BAKE_MIN_REQUESTS \
    BAKE_MAX_5XX_PCT BAKE_5XX_FACTOR BAKE_P99_FACTOR BAKE_P99_MIN_MS BAKE_P99_CHECKS BAKE_INTERVAL_MIN_REQUESTS \
    BAKE_BASELINE_LINES HOOK_TIMEOUT_S NGINX_WORKER_SHUTDOWN_TIMEOUT_S \
    NOTIFY_TIMEOUT_S NOTIFY_ATTEMPTS DISK_MIN_FREE_MB IMAGES_PRUNE IMAGES_KEEP; do
    if [[ ! "${!name}" =~ ^[0-9]+$ ]]; then
      err "${name} must be a whole number, got '${!name}'"
      return 2
    fi
  done
  if ((BAKE_S > 0 && (BAKE_INTERVAL_S < 1 || BAKE_MIN_REQUESTS < 1))); then
    err "with BAKE_S > 0, BAKE_INTERVAL_S and BAKE_MIN_REQUESTS must be at least 1"
    return 2
  fi
  # After the switch the old color's WebSocket clients wait for the handover (a reconnect hint) at the end of
  # the bake and the drain; nginx's old workers end their tunnels without one once worker_shutdown_timeout is up.
  if ((BAKE_S + DRAIN_TIMEOUT_S + HANDOVER_TIMEOUT_S >= NGINX_WORKER_SHUTDOWN_TIMEOUT_S)); then
    err "BAKE_S + DRAIN_TIMEOUT_S + HANDOVER_TIMEOUT_S ($((BAKE_S + DRAIN_TIMEOUT_S + HANDOVER_TIMEOUT_S))s) must stay below nginx's worker_shutdown_timeout (NGINX_WORKER_SHUTDOWN_TIMEOUT_S=${NGINX_WORKER_SHUTDOWN_TIMEOUT_S}): old workers would cut the WebSocket clients before their handover; raise both together"
    return 2
  fi
  case "${RETIRE_SCHEDULER}" in
    auto | systemd | process) ;;
    *)
      err "RETIRE_SCHEDULER must be auto, systemd or process, got '${RETIRE_SCHEDULER}'"
      return 2
      ;;
  esac
  if ((WARMUP_CONCURRENCY < 1 || WARMUP_MAX_S < 1 || VERIFY_REQUESTS < 1)); then
    err "WARMUP_CONCURRENCY, WARMUP_MAX_S and VERIFY_REQUESTS must be at least 1"
    return 2
  fi
  if ((WARMUP_BATCH < 1)); then
    err "WARMUP_BATCH must be at least 1"
    return 2
  fi
}

# The nginx command line for this env: binary plus -p/-c when a private prefix is configured.
nginx_cmd() {
  local cmd=("${NGINX_BIN}")
  if [[ -n "${NGINX_PREFIX}" ]]; then
    cmd+=(-p "${NGINX_PREFIX}")
  fi
  if [[ -n "${NGINX_CONF}" ]]; then
    cmd+=(-c "${NGINX_CONF}")
  fi
  "${cmd[@]}" "$@"
}
