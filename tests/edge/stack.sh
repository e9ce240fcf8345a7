# shellcheck shell=bash
# The app stack for the edge suite: the data stores of docker-compose.datastores.yml (offline stand-in
# images when the real ones are missing), the app image (scripts/build-image.sh, cached by content hash)
# and a second release derived from it, and the app's env file. Sourced by tests/edge/run.sh after
# scripts/lib/common.sh; uses TMP, ROOT and RUN_ID; stack_down removes everything it made.

STACK_IMAGES=()
STACK_UP=0

stack_compose() {
  local compose
  read -r -a compose <<<"$(if docker compose version >/dev/null 2>&1; then echo docker compose; else echo docker-compose; fi)"
  COMPOSE_PROJECT_NAME="${RUN_ID}-data" "${compose[@]}" -p "${RUN_ID}-data" -f "${ROOT}/docker-compose.datastores.yml" "$@"
}

stack_container_healthy() {
  [[ "$(docker inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null)" == healthy ]]
}

# stack_up <app-env-file>: data stores healthy, the app's env file written.
stack_up() {
  local env_file="$1"
  export MYSQL_ROOT_PASSWORD MYSQL_PASSWORD MYSQL_HOST_PORT REDIS_HOST_PORT MONGO_HOST_PORT SWITCHYARD_DATA_NETWORK
  MYSQL_ROOT_PASSWORD="root-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  MYSQL_PASSWORD="app-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  MYSQL_HOST_PORT="$(free_port)"
  REDIS_HOST_PORT="$(free_port)"
  MONGO_HOST_PORT="$(free_port)"
  SWITCHYARD_DATA_NETWORK="${RUN_ID}-data"
  # shellcheck source=scripts/lib/images.sh
  source "${ROOT}/scripts/lib/images.sh"
  local img
  for img in "${SWITCHYARD_MYSQL_IMAGE}" "${SWITCHYARD_REDIS_IMAGE}" "${SWITCHYARD_MONGO_IMAGE}" "${SWITCHYARD_JRE_IMAGE}"; do
    if ! docker image inspect "${img}" >/dev/null 2>&1; then
      log "image ${img} missing: building the offline images"
      "${ROOT}/scripts/offline-images.sh" >&2
      break
    fi
  done
  log "starting data stores (project ${RUN_ID}-data)"
  STACK_UP=1
  stack_compose up -d >&2
  local svc cid
  for svc in mysql redis mongo; do
    cid="$(stack_compose ps -q "${svc}")"
    retry_until 180 1 stack_container_healthy "${cid}" || die "data store ${svc} not healthy"
  done
  mkdir -p "$(dirname "${env_file}")"
  (
    umask 077
    cat >"${env_file}" <<ENV
SPRING_PROFILES_ACTIVE=prod
MYSQL_URL=jdbc:mysql://mysql:3306/switchyard
MYSQL_USERNAME=switchyard
MYSQL_PASSWORD=${MYSQL_PASSWORD}
REDIS_HOST=redis
REDIS_PORT=6379
MONGODB_URI=mongodb://mongo:27017/switchyard
JWT_SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
LOG_FORMAT=json
SHUTDOWN_TIMEOUT=15s
KAKAO_CLIENT_ID=switchyard-edge
KAKAO_REDIRECT_URIS=https://switchyard.test/login/kakao/callback
ENV
  )
}

# stack_images: sets IMG_V1 and IMG_V2 (two releases of the app).
stack_images() {
  local base="${SWITCHYARD_EDGE_IMAGE:-}"
  if [[ -z "${base}" ]]; then
    base="$("${ROOT}/scripts/build-image.sh" --app-version 1.0.0-e2e switchyard:1.0.0-e2e | tail -n 1)"
  fi
  local v1
  v1="$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "${base}")"
  IMG_V1="switchyard-edge:${RUN_ID}-v1"
  IMG_V2="switchyard-edge:${RUN_ID}-v2"
  stack_derive "${base}" "${IMG_V1}" "LABEL edge.role=v1"
  stack_derive "${base}" "${IMG_V2}" "LABEL org.opencontainers.image.version=${v1}-v2" "ENV APP_VERSION=${v1}-v2"
}

stack_derive() {
  local base="$1"
  local tag="$2"
  shift 2
  printf '%s\n' "FROM ${base}" "$@" | DOCKER_BUILDKIT=0 docker build -q -t "${tag}" - >/dev/null ||
    die "docker build ${tag} failed"
  STACK_IMAGES+=("${tag}")
}

# stack_users <n>: n chat users straight into MySQL (logins need Kakao); prints their ids.
stack_users() {
  local n="$1"
  local values=()
  local i
  for ((i = 1; i <= n; i++)); do
    values+=("($(($$ * 1000 + i)), 'edge-chat-${i}', NOW(6), NOW(6))")
  done
  MYSQL_PWD="${MYSQL_PASSWORD}" mariadb -h 127.0.0.1 -P "${MYSQL_HOST_PORT}" -u switchyard -N -B switchyard -e \
    "INSERT INTO users (kakao_id, nickname, created_at, updated_at) VALUES $(IFS=,; echo "${values[*]}");
     SELECT id FROM users WHERE kakao_id > $(($$ * 1000)) AND kakao_id <= $(($$ * 1000 + n)) ORDER BY id;"
}

# stack_down: every container, network and image the stack made.
stack_down() {
  local id
  for id in $(docker ps -aq --filter "label=com.docker.compose.project=${RUN_ID}-blue") \
    $(docker ps -aq --filter "label=com.docker.compose.project=${RUN_ID}-green"); do
    docker rm -f -v "${id}" >/dev/null 2>&1 || true
  done
  if ((STACK_UP)); then
    stack_compose down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  docker network rm "${RUN_ID}-blue_default" "${RUN_ID}-green_default" "${RUN_ID}-data" >/dev/null 2>&1 || true
  if ((${#STACK_IMAGES[@]} > 0)); then
    docker rmi "${STACK_IMAGES[@]}" >/dev/null 2>&1 || true
  fi
}
