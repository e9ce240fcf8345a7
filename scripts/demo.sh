#!/usr/bin/env bash
# Switchyard in one command: on a Debian/Ubuntu host, as root, installs what is missing (docker.io,
# docker-compose, nginx, a JDK, ...), builds the app jar and the images, starts MySQL (MariaDB),
# Redis and MongoDB containers and a private nginx on 127.0.0.1, deploys the app (blue), then deploys
# the next release to the other color while a load generator runs through nginx, and prints what
# happened: each step with its duration, requests sent and failed, the color before and after.
#
# Usage: scripts/demo.sh            set up (or reuse) the stack and flip colors once more
#        scripts/demo.sh --down     stop the demo stack (data-store volumes and history kept)
#        scripts/demo.sh --purge    stop it and delete its data-store volumes and its state
#
# Everything it starts uses env "demo" (scripts/env/demo.env): nginx on 127.0.0.1:18000, blue 18081,
# green 18082, state and the nginx prefix under /var/lib/switchyard/demo. Override those with the
# variables of scripts/env/demo.env. Running it again reuses what exists (images are cached by
# content hash) and deploys the other release to the other color.
# Images: no registry is needed - scripts/offline-images.sh builds the JRE and data-store images
# from Debian packages (the mirror is read from this host's apt sources; on Ubuntu set
# SWITCHYARD_DEBIAN_MIRROR to a Debian mirror). DEMO_LOAD_SECONDS (default 5) keeps the load
# running that long after the deploy, so the report shows the new color serving it.
set -euo pipefail

SCRIPT_NAME="demo"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"
# shellcheck source=scripts/lib/color.sh
source "${SCRIPT_DIR}/lib/color.sh"
# shellcheck source=scripts/lib/images.sh
source "${SCRIPT_DIR}/lib/images.sh"
# shellcheck source=scripts/lib/compose.sh
source "${SCRIPT_DIR}/lib/compose.sh"

readonly DEMO_ENV=demo
readonly V1=1.0.0-demo.1
readonly V2=1.0.0-demo.2
ROOT=""
LOAD_PIDS=()

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# --- prerequisites ---------------------------------------------------------------------------
install_prerequisites() {
  is_root || die "run as root: it installs packages, starts dockerd and builds images (sudo scripts/demo.sh)"
  command -v apt-get >/dev/null 2>&1 || die "needs a Debian or Ubuntu host (apt-get)"
  # Debian 12 / Ubuntu 22.04+ package names. docker-compose is v1; `docker compose` v2 is used
  # instead when present (scripts/lib/compose.sh).
  ensure_packages docker.io docker-compose nginx openjdk-17-jdk-headless curl jq python3 \
    gettext-base iproute2 procps util-linux debootstrap debian-archive-keyring ca-certificates git
  ensure_dockerd
}

# --- build -----------------------------------------------------------------------------------
# The jar is rebuilt only when a source file is newer than it.
build_jar() {
  local jar="${ROOT}/target/switchyard.jar"
  if [[ -f "${jar}" && -f "${ROOT}/target/agents/elastic-apm-agent.jar" ]] &&
    [[ -z "$(find "${ROOT}/src/main" "${ROOT}/pom.xml" -newer "${jar}" -print -quit)" ]]; then
    log "jar up to date: ${jar}"
    return 0
  fi
  log "building the jar (./mvnw -B -ntp -q -DskipTests package)"
  (cd "${ROOT}" && ./mvnw -B -ntp -q -DskipTests package >&2)
}

# v1 is the real image build (cached by content hash); v2 is the next "release": the same build
# with another version (label + APP_VERSION), so the demo needs one image build, not two.
build_images() {
  "${ROOT}/scripts/offline-images.sh" >&2
  IMAGE_V1="$("${ROOT}/scripts/build-image.sh" --app-version "${V1}" "${SWITCHYARD_APP_IMAGE_REPO}:${V1}" | tail -n 1)"
  IMAGE_V2="${SWITCHYARD_APP_IMAGE_REPO}:${V2}"
  local hash
  hash="$(content_hash "$(docker image inspect -f '{{.Id}}' "${IMAGE_V1}")" "${V2}" --)"
  if image_has_hash "${IMAGE_V2}" "${hash}"; then
    log "up to date: ${IMAGE_V2}"
    return 0
  fi
  printf '%s\n' "FROM ${IMAGE_V1}" "LABEL org.opencontainers.image.version=${V2} ${SWITCHYARD_HASH_LABEL}=${hash}" \
    "ENV APP_VERSION=${V2}" | DOCKER_BUILDKIT=0 docker build -q -t "${IMAGE_V2}" - >/dev/null 2>&1 ||
    die "could not build ${IMAGE_V2}"
  log "built ${IMAGE_V2} (${IMAGE_V1} with version ${V2})"
}

# --- data stores -------------------------------------------------------------------------------
DATA_PROJECT=switchyard-demo-data

datastores() {
  # shellcheck disable=SC1091 # written by write_demo_settings
  (set -a && source "${STATE_DIR}/datastores.env" && set +a &&
    COMPOSE_PROJECT_NAME="${DATA_PROJECT}" compose -p "${DATA_PROJECT}" -f "${ROOT}/docker-compose.datastores.yml" "$@")
}

random_hex() {
  od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# Secrets and loopback ports are generated once and kept (mode 600) in the demo's state dir.
write_demo_settings() {
  mkdir -p "${STATE_DIR}"
  chmod 700 "${STATE_DIR}"
  if [[ ! -s "${STATE_DIR}/datastores.env" ]]; then
    (
      umask 077
      cat >"${STATE_DIR}/datastores.env" <<ENV
SWITCHYARD_DATA_NETWORK=${SWITCHYARD_DATA_NETWORK}
MYSQL_ROOT_PASSWORD=root-$(random_hex 12)
MYSQL_DATABASE=switchyard
MYSQL_USER=switchyard
MYSQL_PASSWORD=app-$(random_hex 12)
MYSQL_HOST_PORT=$(free_port)
REDIS_HOST_PORT=$(free_port)
MONGO_HOST_PORT=$(free_port)
ENV
    )
  fi
  if [[ ! -s "${APP_ENV_FILE}" ]]; then
    local mysql_password
    mysql_password="$(sed -n 's/^MYSQL_PASSWORD=//p' "${STATE_DIR}/datastores.env")"
    (
      umask 077
      cat >"${APP_ENV_FILE}" <<ENV
SPRING_PROFILES_ACTIVE=prod
MYSQL_URL=jdbc:mysql://mysql:3306/switchyard
MYSQL_USERNAME=switchyard
MYSQL_PASSWORD=${mysql_password}
REDIS_HOST=redis
REDIS_PORT=6379
MONGODB_URI=mongodb://mongo:27017/switchyard
JWT_SECRET=$(random_hex 32)
LOG_FORMAT=json
KAKAO_CLIENT_ID=switchyard-demo
KAKAO_REDIRECT_URIS=${NGINX_URL}/login/kakao/callback
ENV
    )
  fi
}

container_healthy() {
  [[ "$(docker inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null)" == healthy ]]
}

start_datastores() {
  log "starting the data stores (compose project ${DATA_PROJECT})"
  datastores up -d >&2
  local svc cid
  for svc in mysql redis mongo; do
    cid="$(datastores ps -q "${svc}" | head -n 1)"
    [[ -n "${cid}" ]] || die "data store ${svc} did not start"
    retry_until 180 1 container_healthy "${cid}" || die "data store ${svc} not healthy (docker logs ${cid})"
  done
  log "data stores healthy"
}

# --- checks ------------------------------------------------------------------------------------
# A demo port must be free or already ours (a second run).
check_ports() {
  local port
  for port in "${NGINX_LISTEN##*:}" "${BLUE_PORT}" "${GREEN_PORT}"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null && ! port_is_ours "${port}"; then
      DIE_EXIT_CODE=2 die "port ${port} is taken by another program: set NGINX_LISTEN, BLUE_PORT, GREEN_PORT (see scripts/env/demo.env)"
    fi
  done
}

port_is_ours() {
  local port="$1"
  if [[ "${port}" == "${NGINX_LISTEN##*:}" ]]; then
    [[ -r "${NGINX_PID_FILE}" ]] && kill -0 "$(cat "${NGINX_PID_FILE}")" 2>/dev/null
  else
    local project
    for project in "${COMPOSE_PROJECT_BLUE}" "${COMPOSE_PROJECT_GREEN}"; do
      docker ps -q --filter "label=com.docker.compose.project=${project}" --filter "publish=${port}" | grep -q . && return 0
    done
    return 1
  fi
}

# --- deploys -----------------------------------------------------------------------------------
deploy() {
  local image="$1"
  local log_file="$2"
  local rc
  set +e
  "${SCRIPT_DIR}/deploy.sh" --wait "${DEMO_ENV}" "${image}" 2>&1 | tee "${log_file}" >&2
  rc="${PIPESTATUS[0]}"
  set -e
  return "${rc}"
}

start_load() {
  local name="$1"
  local url="${NGINX_URL}/actuator/health/liveness"
  rm -f "${STATE_DIR}/load.stop"
  # Keep-alive clients (like browsers and API clients) and connection-per-request clients.
  python3 "${ROOT}/tests/deploy/load.py" --url "${url}" --expect-up --mode keepalive --concurrency 4 \
    --duration 600 --stop-file "${STATE_DIR}/load.stop" --out "${STATE_DIR}/${name}-keepalive.json" >/dev/null 2>&1 &
  LOAD_PIDS+=($!)
  python3 "${ROOT}/tests/deploy/load.py" --url "${url}" --expect-up --mode close --concurrency 2 \
    --duration 600 --stop-file "${STATE_DIR}/load.stop" --out "${STATE_DIR}/${name}-close.json" >/dev/null 2>&1 &
  LOAD_PIDS+=($!)
}

stop_load() {
  touch "${STATE_DIR}/load.stop"
  local pid
  for pid in "${LOAD_PIDS[@]}"; do
    wait "${pid}" 2>/dev/null || true
  done
  LOAD_PIDS=()
  rm -f "${STATE_DIR}/load.stop"
}

on_exit() {
  local pid
  for pid in "${LOAD_PIDS[@]}"; do
    kill "${pid}" 2>/dev/null || true
  done
}

live_image() {
  local color="$1"
  docker ps -q --filter "label=com.docker.compose.project=$(project_of "${color}")" | head -n 1 |
    xargs -r docker inspect -f '{{.Config.Image}}' 2>/dev/null
}

project_of() {
  if [[ "$1" == blue ]]; then echo "${COMPOSE_PROJECT_BLUE}"; else echo "${COMPOSE_PROJECT_GREEN}"; fi
}

# report <deploy-exit> <live-before> <image-before> <image> <log>
report() {
  local rc="$1"
  local before="$2"
  local before_image="$3"
  local image="$4"
  local after entry
  after="$(live_color "${UPSTREAM_FILE}" 2>/dev/null || echo unknown)"
  entry="$(tail -n 1 "${HISTORY_FILE}" 2>/dev/null || echo '{}')"
  echo
  echo "==================== Switchyard demo ===================="
  echo "before   live color ${before} (${before_image:-nothing deployed})"
  echo "deploy   ${image} -> $(jq -r '.to_color // "?"' <<<"${entry}"): exit ${rc} ($(jq -r '.result // "?"' <<<"${entry}"))"
  jq -r '.steps // {} | to_entries | to_entries[] | "           \(.key + 1) \(.value.key | . + "            " | .[0:13]) \(.value.value) ms"' <<<"${entry}"
  echo "         switch (nginx -t + reload -> 10 answers from the new color through nginx): $(jq -r '.switch_ms // "-"' <<<"${entry}") ms; whole deploy $(jq -r '.duration_ms // "-"' <<<"${entry}") ms"
  local mode summary total=0 failed=0
  for mode in keepalive close; do
    summary="$(cat "${STATE_DIR}/flip-${mode}.json" 2>/dev/null || echo '{}')"
    total=$((total + $(jq -r '.requests // 0' <<<"${summary}")))
    failed=$((failed + $(jq -r '.failed // 0' <<<"${summary}")))
    jq -r --arg m "${mode}" '"load     \($m | . + "         " | .[0:9]) \(.requests) requests, \(.failed) failed, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, served by \(.colors | to_entries | map("\(.key) \(.value)") | join(", "))\(if .stale_retries > 0 then ", \(.stale_retries) keep-alive resends" else "" end)"' <<<"${summary}"
  done
  echo "load     total ${total} requests through nginx during the deploy, ${failed} failed"
  echo "after    live color ${after} ($(live_image "${after}"))"
  echo
  "${SCRIPT_DIR}/status.sh" "${DEMO_ENV}" || true
  echo
  echo "try      curl -i ${NGINX_URL}/actuator/health/readiness     (X-App-Color says who answered)"
  echo "again    scripts/demo.sh                 (deploys the other release to the other color)"
  echo "rollback scripts/rollback.sh ${DEMO_ENV}          (instant while the old color runs: ${ROLLBACK_WINDOW_S}s)"
  echo "status   scripts/status.sh ${DEMO_ENV}"
  echo "stop     scripts/demo.sh --down          (--purge also deletes data and state)"
  echo "========================================================="
  ((failed == 0))
}

demo_up() {
  local started="${SECONDS}"
  install_prerequisites
  config_load "${DEMO_ENV}" || exit 2
  check_ports
  build_jar
  build_images
  write_demo_settings
  start_datastores
  log "setup done in $((SECONDS - started))s"

  local live rc=0
  live="$(live_color "${UPSTREAM_FILE}")" || die "cannot read ${UPSTREAM_FILE}"
  if [[ "${live}" != none && -z "$(live_image "${live}")" ]]; then
    log "the ${live} container is gone (stopped demo?): deploying afresh"
  fi
  if [[ "${live}" == none || -z "$(live_image "${live}")" ]]; then
    log "first deploy: ${IMAGE_V1}"
    deploy "${IMAGE_V1}" "${STATE_DIR}/demo-first-deploy.log" || die "first deploy failed (exit $?, log ${STATE_DIR}/demo-first-deploy.log)"
    live="$(live_color "${UPSTREAM_FILE}")"
  fi
  # After a reboot the containers come back (restart policy) but the private nginx does not.
  if [[ ! -r "${NGINX_PID_FILE}" ]] || ! kill -0 "$(cat "${NGINX_PID_FILE}")" 2>/dev/null; then
    log "starting the demo nginx (routes to ${live})"
    "${SCRIPT_DIR}/switch.sh" "${DEMO_ENV}" "${live}" || die "could not start nginx"
  fi
  local before_image next
  before_image="$(live_image "${live}")"
  if [[ "${before_image}" == "${IMAGE_V1}" ]]; then next="${IMAGE_V2}"; else next="${IMAGE_V1}"; fi

  log "deploying ${next} under load through nginx (${NGINX_URL})"
  start_load flip
  sleep 2
  deploy "${next}" "${STATE_DIR}/demo-deploy.log" || rc=$?
  sleep "${DEMO_LOAD_SECONDS:-5}"
  stop_load
  report "${rc}" "${live}" "${before_image}" "${next}" "${STATE_DIR}/demo-deploy.log"
  log "demo done in $((SECONDS - started))s"
  ((rc == 0))
}

demo_down() {
  local purge="$1"
  config_load "${DEMO_ENV}" || exit 2
  local pid_file color
  for pid_file in "${STATE_DIR}"/retire-*.pid; do
    [[ -r "${pid_file}" ]] || continue
    kill -- "-$(tr -dc '0-9' <"${pid_file}")" 2>/dev/null || true
    rm -f "${pid_file}"
  done
  local pid
  pid="$(cat "${NGINX_PID_FILE}" 2>/dev/null || true)"
  if [[ "${pid}" =~ ^[0-9]+$ ]] && kill -0 "${pid}" 2>/dev/null; then
    log "stopping the demo nginx (pid ${pid})"
    kill -QUIT "${pid}"
    retry_until 30 0.2 bash -c "! kill -0 ${pid} 2>/dev/null" || true
  fi
  for color in blue green; do
    compose -p "$(project_of "${color}")" -f "${ROOT}/docker-compose.${color}.yml" down --remove-orphans >/dev/null 2>&1 || true
  done
  if [[ -s "${STATE_DIR}/datastores.env" ]]; then
    if [[ "${purge}" == purge ]]; then
      datastores down -v --remove-orphans >&2 || true
    else
      datastores down --remove-orphans >&2 || true
    fi
  fi
  # The next run starts from "nothing deployed" (the history stays).
  rm -rf "${NGINX_PREFIX}"
  if [[ "${purge}" == purge ]]; then
    rm -rf "${STATE_DIR}"
  fi
  log "demo stopped$([[ "${purge}" == purge ]] && echo ", data and state deleted")"
}

main() {
  ROOT="$(repo_root)"
  case "${1:-}" in
    "") ;;
    --down) ;;
    --purge) ;;
    -h | --help)
      usage
      return 0
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
  if (($# > 1)); then
    usage >&2
    exit 2
  fi
  trap on_exit EXIT
  case "${1:-}" in
    --down) demo_down "" ;;
    --purge) demo_down purge ;;
    *) demo_up ;;
  esac
}

main "$@"
