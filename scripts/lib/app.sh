# shellcheck shell=bash
# App containers, one compose project per color (docker-compose.<color>.yml). Containers are found
# by their compose project label, so this works with compose v1 and v2 and with any container name.
# Needs: config.sh settings, color.sh.

# shellcheck source=scripts/lib/compose.sh
source "$(dirname "${BASH_SOURCE[0]}")/compose.sh"
# shellcheck source=scripts/lib/elk.sh
source "$(dirname "${BASH_SOURCE[0]}")/elk.sh"

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
  local elk_args=()
  mapfile -t elk_args < <(elk_compose_args) # ELK wiring: nothing without ELK_HOST (scripts/lib/elk.sh)
  APP_IMAGE="${image}" APP_PORT="${port}" APP_ENV="${SWITCHYARD_ENV}" APP_ENV_FILE="${APP_ENV_FILE}" \
    APP_STOP_GRACE="${STOP_GRACE_S}s" SWITCHYARD_DATA_NETWORK="${SWITCHYARD_DATA_NETWORK}" \
    compose -p "${project}" -f "${file}" "${elk_args[@]}" up -d --no-build --no-deps --force-recreate 9>&-
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

# app_warm_up <base-url> <max-requests> <concurrency> <max-s> [batch] [settle-pct]: GETs straight to a
# color that is not live yet, over the paths live traffic takes first (health probes, an API call answered
# 401), <concurrency> at a time on keep-alive connections, in batches of <batch> (default 100). A fresh JVM
# serves its first requests slowly (interpreted and C1 code until the JIT has profiled the hot paths);
# these requests pay for that instead of the clients right after the switch. It stops as soon as the
# latency has settled: the median of a batch within <settle-pct> % (default 20) of the batch before, or
# below 2 ms - or at <max-requests>, or after <max-s> seconds (a saturated host must not stretch the
# deploy). Prints "<requests sent> <ms> <batches> <median ms of the last batch>"; never fails the deploy
# (answers are not checked: the smoke test did).
app_warm_up() {
  local url="$1"
  local max_requests="$2"
  local concurrency="$3"
  local max_s="$4"
  local batch="${5:-${WARMUP_BATCH:-100}}"
  local settle_pct="${6:-${WARMUP_SETTLE_PCT:-20}}"
  local paths=(/actuator/health/readiness /actuator/health/liveness /api/users/me /actuator/health)
  local config i t0 now left sent=0 batches=0 median prev="" n
  config="$(mktemp)"
  for ((i = 0; i < batch; i++)); do
    printf 'url = "%s%s"\noutput = "/dev/null"\n' "${url}" "${paths[i % ${#paths[@]}]}"
  done >"${config}"
  t0="$(date +%s%3N)"
  while ((sent < max_requests)); do
    now="$(date +%s%3N)"
    left=$((max_s * 1000 - (now - t0)))
    ((left > 0)) || break
    # One line per finished request (its time in s): the figures survive the timeout cutting curl short.
    read -r n median < <(timeout "$(printf '%d.%03d' "$((left / 1000))" "$((left % 1000))")" \
      curl -s --parallel --parallel-max "${concurrency}" --max-time 10 -K "${config}" -w '%{time_total}\n' 2>/dev/null |
      sort -n | awk '{ v[NR] = $1 } END { printf "%d %.3f\n", NR, NR ? v[int((NR + 1) / 2)] * 1000 : 0 }' || true)
    sent=$((sent + ${n:-0}))
    batches=$((batches + 1))
    ((${n:-0} > 0)) || break
    if warm_up_settled "${prev}" "${median}" "${settle_pct}"; then
      break
    fi
    prev="${median}"
  done
  rm -f "${config}"
  echo "${sent} $(($(date +%s%3N) - t0)) ${batches} ${median:-0}"
}

# warm_up_settled <previous-median-ms> <median-ms> <pct>: true when the latency no longer moves (within
# pct % of the previous batch, either way) or is already below 2 ms. Never after the first batch alone.
warm_up_settled() {
  [[ -n "$1" ]] || return 1
  awk -v prev="$1" -v cur="$2" -v pct="$3" \
    'BEGIN { exit !(cur < 2 || (cur >= prev * (1 - pct / 100) && cur <= prev * (1 + pct / 100))) }'
}
