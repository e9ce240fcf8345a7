# shellcheck shell=bash
# The app's test stack, shared by the end-to-end runners: the data stores of
# docker-compose.datastores.yml (offline stand-in images built when missing), an app env file for the
# prod profile, the app image and images derived from it. Sourced after scripts/lib/common.sh; the
# runner sets ROOT (repository), TMP (its temp dir) and RUN_ID (unique prefix of its compose projects).
#
#   stack_start_datastores          MySQL, Redis, MongoDB up and healthy (project ${RUN_ID}-data)
#   stack_write_app_env <file> ...  the app's env file for those stores
#   stack_base_image                the app image to derive from (SWITCHYARD_E2E_IMAGE, else built)
#   stack_derive <tag> <line...>    an image FROM the base image (Dockerfile lines, no context)
#   stack_down                      removes the stores' containers, volumes and network, and the derived images

STACK_DERIVED_IMAGES=()
STACK_BASE_IMAGE=""
COMPOSE=()

stack_compose_cmd() {
  if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  else
    COMPOSE=(docker-compose)
  fi
}

# stack_datastores <compose args...>: docker compose on the data-store project.
stack_datastores() {
  ((${#COMPOSE[@]} > 0)) || stack_compose_cmd
  COMPOSE_PROJECT_NAME="${RUN_ID}-data" "${COMPOSE[@]}" -p "${RUN_ID}-data" -f "${ROOT}/docker-compose.datastores.yml" "$@"
}

stack_container_healthy() {
  [[ "$(docker inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null)" == healthy ]]
}

stack_random_hex() {
  od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# stack_start_datastores: exports MYSQL_PASSWORD and the stores' loopback ports (MYSQL_HOST_PORT,
# REDIS_HOST_PORT, MONGO_HOST_PORT); SWITCHYARD_DATA_NETWORK names their network.
stack_start_datastores() {
  export MYSQL_ROOT_PASSWORD MYSQL_PASSWORD MYSQL_HOST_PORT REDIS_HOST_PORT MONGO_HOST_PORT JWT_SECRET_FOR_TESTS
  MYSQL_ROOT_PASSWORD="root-$(stack_random_hex 8)"
  MYSQL_PASSWORD="app-$(stack_random_hex 8)"
  JWT_SECRET_FOR_TESTS="$(stack_random_hex 32)"
  MYSQL_HOST_PORT="$(free_port)"
  REDIS_HOST_PORT="$(free_port)"
  MONGO_HOST_PORT="$(free_port)"
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
  stack_datastores up -d >&2
  local svc cid
  for svc in mysql redis mongo; do
    cid="$(stack_datastores ps -q "${svc}")"
    retry_until 180 1 stack_container_healthy "${cid}" || die "data store ${svc} not healthy"
  done
}

# stack_write_app_env <file> <mysql-host:port> <redis-host> <redis-port> <mongo-host:port> [extra line...]:
# the app's prod-profile settings for the stores started above (one JWT secret for every host).
stack_write_app_env() {
  local file="$1"
  local mysql="$2"
  local redis_host="$3"
  local redis_port="$4"
  local mongo="$5"
  shift 5
  {
    cat <<ENV
SPRING_PROFILES_ACTIVE=prod
MYSQL_URL=jdbc:mysql://${mysql}/switchyard
MYSQL_USERNAME=switchyard
MYSQL_PASSWORD=${MYSQL_PASSWORD}
REDIS_HOST=${redis_host}
REDIS_PORT=${redis_port}
MONGODB_URI=mongodb://${mongo}/switchyard
JWT_SECRET=${JWT_SECRET_FOR_TESTS}
LOG_FORMAT=json
SHUTDOWN_TIMEOUT=15s
KAKAO_CLIENT_ID=switchyard-e2e
KAKAO_REDIRECT_URIS=http://127.0.0.1/login/kakao/callback
ENV
    if (($# > 0)); then
      printf '%s\n' "$@"
    fi
  } >"${file}"
  chmod 600 "${file}"
}

# stack_base_image: SWITCHYARD_E2E_IMAGE, else the app image built by scripts/build-image.sh (cached
# by content hash; SWITCHYARD_E2E_JAR picks the jar). Sets STACK_BASE_IMAGE (call it in this shell,
# not in a $(...) subshell).
stack_base_image() {
  if [[ -n "${SWITCHYARD_E2E_IMAGE:-}" ]]; then
    STACK_BASE_IMAGE="${SWITCHYARD_E2E_IMAGE}"
  else
    local jar_args=()
    if [[ -n "${SWITCHYARD_E2E_JAR:-}" ]]; then
      jar_args=(--jar "${SWITCHYARD_E2E_JAR}")
    fi
    STACK_BASE_IMAGE="$("${ROOT}/scripts/build-image.sh" "${jar_args[@]}" --app-version 1.0.0-e2e switchyard:1.0.0-e2e | tail -n 1)"
  fi
  [[ -n "${STACK_BASE_IMAGE}" ]] || die "no app image to test"
}

# stack_derive <tag> <dockerfile-line...>: an image built FROM the base image (no build context).
stack_derive() {
  local tag="$1"
  shift
  [[ -n "${STACK_BASE_IMAGE}" ]] || die "stack_derive: call stack_base_image first"
  printf '%s\n' "FROM ${STACK_BASE_IMAGE}" "$@" | DOCKER_BUILDKIT=0 docker build -q -t "${tag}" - >/dev/null 2>"${TMP}/derive.err" ||
    die "docker build ${tag} failed: $(cat "${TMP}/derive.err")"
  STACK_DERIVED_IMAGES+=("${tag}")
}

stack_down() {
  if ((${#COMPOSE[@]} > 0)); then
    stack_datastores down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  docker network rm "${SWITCHYARD_DATA_NETWORK:-none}" >/dev/null 2>&1 || true
  if ((${#STACK_DERIVED_IMAGES[@]} > 0)); then
    docker rmi "${STACK_DERIVED_IMAGES[@]}" >/dev/null 2>&1 || true
  fi
}
