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
  for name in READY_DEADLINE_S READY_INTERVAL_S VERIFY_REQUESTS VERIFY_DEADLINE_S DRAIN_TIMEOUT_S \
    STOP_GRACE_S ROLLBACK_WINDOW_S LOCK_WAIT_S SMOKE_TIMEOUT_S WARMUP_REQUESTS WARMUP_CONCURRENCY WARMUP_MAX_S; do
    if [[ ! "${!name}" =~ ^[0-9]+$ ]]; then
      err "${name} must be a whole number of seconds, got '${!name}'"
      return 2
    fi
  done
  if ((WARMUP_CONCURRENCY < 1 || WARMUP_MAX_S < 1 || VERIFY_REQUESTS < 1)); then
    err "WARMUP_CONCURRENCY, WARMUP_MAX_S and VERIFY_REQUESTS must be at least 1"
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
