# shellcheck shell=bash
# App containers, one compose project per color (docker-compose.<color>.yml). Containers are found
# by their compose project label, so this works with compose v1 and v2 and with any container name.
# Needs: config.sh settings, color.sh.

# shellcheck source=scripts/lib/compose.sh
source "$(dirname "${BASH_SOURCE[0]}")/compose.sh"

app_project() {
  case "$1" in
    blue) echo "${COMPOSE_PROJECT_BLUE}" ;;
    green) echo "${COMPOSE_PROJECT_GREEN}" ;;
    *) return 1 ;;
  esac
}

app_compose_file() {
  case "$1" in
    blue) echo "${COMPOSE_FILE_BLUE}" ;;
    green) echo "${COMPOSE_FILE_GREEN}" ;;
    *) return 1 ;;
  esac
}

# app_container <color>: id of the color's container (running or not), empty when none.
app_container() {
  local project
  project="$(app_project "$1")" || return 1
  docker ps -aq --filter "label=com.docker.compose.project=${project}" | head -n 1
}

app_running() {
  local cid
  cid="$(app_container "$1")"
  [[ -n "${cid}" && "$(docker inspect -f '{{.State.Running}}' "${cid}" 2>/dev/null)" == true ]]
}

app_url() {
  local port
  port="$(port_for_color "$1")" || return 1
  echo "http://${APP_HOST}:${port}"
}

# app_remove <color>: removes every container of the color's project (a stale idle left by a
# killed deploy, or the previous color kept for the rollback window). Quiet when there is none.
app_remove() {
  local project ids
  project="$(app_project "$1")" || return 1
  ids="$(docker ps -aq --filter "label=com.docker.compose.project=${project}")"
  if [[ -n "${ids}" ]]; then
    # shellcheck disable=SC2086 # one id per word
    docker rm -f -v ${ids} >/dev/null
  fi
}

# app_stop <color> <grace-s>: SIGTERM, then SIGKILL after the grace period (the app drains itself).
app_stop() {
  local cid
  cid="$(app_container "$1")"
  [[ -n "${cid}" ]] || return 0
  docker stop -t "$2" "${cid}" >/dev/null
}

# app_start <color> <image>: starts the color's container from its compose file, which reads
# APP_IMAGE, APP_PORT (host port on 127.0.0.1), APP_ENV, APP_ENV_FILE (the app's settings and
# secrets), APP_STOP_GRACE and SWITCHYARD_DATA_NETWORK (see docker-compose.app.yml).
# Runs without the deploy lock's descriptor so compose can never hold the lock after we die.
app_start() {
  local color="$1"
  local image="$2"
  local project file port
  project="$(app_project "${color}")"
  file="$(app_compose_file "${color}")"
  port="$(port_for_color "${color}")"
  if [[ ! -r "${file}" ]]; then
    err "compose file not found: ${file}"
    return 1
  fi
  if [[ ! -r "${APP_ENV_FILE}" ]]; then
    err "app env file not found: ${APP_ENV_FILE} (APP_ENV_FILE)"
    return 1
  fi
  APP_IMAGE="${image}" APP_PORT="${port}" APP_ENV="${SWITCHYARD_ENV}" APP_ENV_FILE="${APP_ENV_FILE}" \
    APP_STOP_GRACE="${STOP_GRACE_S}s" SWITCHYARD_DATA_NETWORK="${SWITCHYARD_DATA_NETWORK}" \
    compose -p "${project}" -f "${file}" up -d --no-build --no-deps --force-recreate 9>&-
}

# app_image <color>: the image reference the color's container runs (empty when none).
app_image() {
  local cid
  cid="$(app_container "$1")"
  [[ -n "${cid}" ]] || return 0
  docker inspect -f '{{.Config.Image}}' "${cid}" 2>/dev/null
}

# image_expected_version <image>: the version the app must report: the image's
# org.opencontainers.image.version label when set, else the tag (plan_image_tag).
image_expected_version() {
  local image="$1"
  local label
  label="$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "${image}" 2>/dev/null || true)"
  if [[ -n "${label}" && "${label}" != "<no value>" ]]; then
    echo "${label}"
  else
    plan_image_tag "${image}"
  fi
}

# app_warm_up <base-url> <n> <concurrency> <max-s>: up to n GETs (for at most max-s seconds) straight to a
# color that is not live yet, spread over the paths live traffic takes first (health probes, an API call
# answered 401), <concurrency> at a time on keep-alive connections. A fresh JVM serves its first thousands of requests slowly (interpreted and
# C1 code until the JIT has profiled the hot paths); these requests pay for that instead of the clients
# right after the switch. The bound in seconds keeps a saturated host from stretching the deploy.
# Prints "<requests sent> <ms>"; never fails the deploy (answers are not checked: the smoke test did).
app_warm_up() {
  local url="$1"
  local n="$2"
  local concurrency="$3"
  local max_s="$4"
  local paths=(/actuator/health/readiness /actuator/health/liveness /api/users/me /actuator/health)
  local config i t0 sent
  config="$(mktemp)"
  for ((i = 0; i < n; i++)); do
    printf 'url = "%s%s"\noutput = "/dev/null"\n' "${url}" "${paths[i % ${#paths[@]}]}"
  done >"${config}"
  t0="$(date +%s%3N)"
  # One dot per finished request: the count survives the timeout cutting curl short.
  sent="$(timeout "${max_s}" curl -s --parallel --parallel-max "${concurrency}" --max-time 10 -K "${config}" \
    -w '.' 2>/dev/null | wc -c || true)"
  rm -f "${config}"
  echo "${sent} $(($(date +%s%3N) - t0))"
}
