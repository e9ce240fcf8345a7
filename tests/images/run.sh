#!/usr/bin/env bash
# Tests the images and compose files of the deploy kit against a real dockerd:
#   1. scripts/offline-images.sh builds (or finds cached) the JRE, MySQL, Redis and MongoDB images;
#   2. scripts/build-image.sh builds the app image from a jar (switchyard:1.0.0-e2e, which the later
#      suites reuse: it is rebuilt only when its content changes);
#   3. docker-compose.datastores.yml starts the data stores on a private project, network and
#      free loopback ports; each answers its own protocol (mariadb client, redis-cli PING,
#      a MongoDB driver handshake) and binds 127.0.0.1 only;
#   4. docker-compose.blue.yml runs the app against them: readiness UP, X-App-Color: blue,
#      /actuator/info reports the image's version and color, non-root, 127.0.0.1 only,
#      Docker HEALTHCHECK healthy, graceful stop on SIGTERM; the entrypoint switches the APM
#      agent on only when ELASTIC_APM_SERVER_URL is set.
# Everything it starts (containers, networks, volumes, temp files) is removed on exit; images
# stay cached.
#
# Usage: tests/images/run.sh [--jar PATH]   (default: target/switchyard.jar, built if missing)
set -euo pipefail

SCRIPT_NAME="tests/images"
TEST_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${TEST_DIR}/../.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${ROOT}/scripts/lib/common.sh"
# shellcheck source=scripts/lib/images.sh
source "${ROOT}/scripts/lib/images.sh"
# shellcheck source=scripts/lib/compose.sh
source "${ROOT}/scripts/lib/compose.sh"

PREFIX="syimgt$$"
DATA_PROJECT="${PREFIX}-data"
APP_PROJECT="${PREFIX}-blue"
WORK_DIR=""
PASSED=0
FAILED=0

cleanup() {
  local rc=$?
  log "cleaning up ${PREFIX}*"
  if [[ -n "${WORK_DIR}" ]]; then
    compose -p "${APP_PROJECT}" -f "${ROOT}/docker-compose.blue.yml" down -v --remove-orphans >/dev/null 2>&1 || true
    compose -p "${DATA_PROJECT}" -f "${ROOT}/docker-compose.datastores.yml" down -v --remove-orphans >/dev/null 2>&1 || true
    docker rm -f "${PREFIX}-aot-served" >/dev/null 2>&1 || true
    rm -rf "${WORK_DIR}"
  fi
  exit "${rc}"
}

pass() {
  PASSED=$((PASSED + 1))
  printf 'ok   - %s\n' "$1"
}

fail() {
  FAILED=$((FAILED + 1))
  printf 'FAIL - %s\n' "$1"
  if [[ -n "${2:-}" ]]; then
    printf '       %s\n' "$2"
  fi
}

# check <name> <command...>: one assertion; the command's output is shown only on failure.
check() {
  local name="$1"
  shift
  local out
  if out="$("$@" 2>&1)"; then
    pass "${name}"
  else
    fail "${name}" "$(printf '%s' "${out}" | tail -n 5 | tr '\n' ' ')"
  fi
}

# expect_eq <name> <expected> <actual>
expect_eq() {
  if [[ "$2" == "$3" ]]; then
    pass "$1"
  else
    fail "$1" "expected '$2', got '$3'"
  fi
}

container_of() {
  compose_container_id "$1" "$2" "$3"
}

health_of() {
  docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$1" 2>/dev/null
}

is_healthy() {
  [[ "$(health_of "$1")" == healthy ]]
}

# published_host_ips <container>: every host IP the container's ports are published on.
published_host_ips() {
  docker inspect -f '{{range $p, $b := .NetworkSettings.Ports}}{{range $b}}{{.HostIp}}{{"\n"}}{{end}}{{end}}' "$1" \
    | sed '/^$/d' | sort -u
}

only_loopback() {
  local ips
  ips="$(published_host_ips "$1")"
  [[ -n "${ips}" && "${ips}" == 127.0.0.1 ]] || {
    echo "published on: ${ips:-nothing}"
    return 1
  }
}

readiness_up() {
  curl -fs --max-time 3 "http://127.0.0.1:$1/actuator/health/readiness" 2>/dev/null | grep -q '"status":"UP"'
}

json_field() {
  python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d.get(k, {}) if isinstance(d, dict) else {}
print(d if d != {} else "")' "$1"
}

# build_app_image <jar>: the image the deploy, compose-v2, fleet and elk suites run (switchyard:1.0.0-e2e),
# built here once: build-image.sh skips a build whose content hash the image already carries, so they reuse it.
build_app_image() {
  local jar="$1"
  APP_IMAGE_VERSION=1.0.0-e2e
  APP_IMAGE_REF="switchyard:${APP_IMAGE_VERSION}"
  local ref
  ref="$("${ROOT}/scripts/build-image.sh" --jar "${jar}" --app-version "${APP_IMAGE_VERSION}" "${APP_IMAGE_REF}" | tail -n 1)"
  [[ "${ref}" == "${APP_IMAGE_REF}" ]] || die "build-image.sh printed '${ref}', expected ${APP_IMAGE_REF}"
}

test_offline_images() {
  local started="${SECONDS}"
  check "offline-images.sh builds or finds the stand-in images" "${ROOT}/scripts/offline-images.sh"
  local image
  for image in "${SWITCHYARD_JRE_IMAGE}" "${SWITCHYARD_MYSQL_IMAGE}" "${SWITCHYARD_REDIS_IMAGE}" "${SWITCHYARD_MONGO_IMAGE}"; do
    check "image present: ${image}" image_present "${image}"
  done
  local second
  second="$("${ROOT}/scripts/offline-images.sh" 2>&1)"
  if [[ "${second}" == *"nothing to do"* ]]; then
    pass "offline-images.sh second run does nothing and says so"
  else
    fail "offline-images.sh second run does nothing and says so" "${second}"
  fi
  check "JRE image runs java 25" bash -c "docker run --rm '${SWITCHYARD_JRE_IMAGE}' java -version 2>&1 | grep -q '\"25[\".]'"
  check "JRE image has curl" docker run --rm "${SWITCHYARD_JRE_IMAGE}" curl --version
  log "offline images: $((SECONDS - started))s"
}

start_datastores() {
  export COMPOSE_PROJECT_NAME="${DATA_PROJECT}"
  export SWITCHYARD_DATA_NETWORK="${PREFIX}-data"
  export MYSQL_ROOT_PASSWORD="root-${PREFIX}"
  export MYSQL_DATABASE="switchyard"
  export MYSQL_USER="switchyard"
  export MYSQL_PASSWORD="pw'${PREFIX}\"x"
  export REDIS_PASSWORD=""
  MYSQL_HOST_PORT="$(free_port)"
  REDIS_HOST_PORT="$(free_port)"
  MONGO_HOST_PORT="$(free_port)"
  export MYSQL_HOST_PORT REDIS_HOST_PORT MONGO_HOST_PORT
  log "data stores: project ${DATA_PROJECT}, ports mysql ${MYSQL_HOST_PORT} redis ${REDIS_HOST_PORT} mongo ${MONGO_HOST_PORT}"
  compose -f "${ROOT}/docker-compose.datastores.yml" up -d >&2
  unset COMPOSE_PROJECT_NAME
}

test_datastores() {
  local df="${ROOT}/docker-compose.datastores.yml"
  local service
  local id
  for service in mysql redis mongo; do
    id="$(container_of "${DATA_PROJECT}" "${df}" "${service}")"
    if [[ -z "${id}" ]]; then
      fail "${service}: container started"
      continue
    fi
    if retry_until 180 2 is_healthy "${id}"; then
      pass "${service}: compose healthcheck healthy"
    else
      fail "${service}: compose healthcheck healthy" "health=$(health_of "${id}"); $(docker logs --tail 5 "${id}" 2>&1 | tr '\n' ' ')"
    fi
    check "${service}: ports published on 127.0.0.1 only" only_loopback "${id}"
  done

  local out
  out="$(mariadb --protocol=tcp -h 127.0.0.1 -P "${MYSQL_HOST_PORT}" -u "${MYSQL_USER}" "--password=${MYSQL_PASSWORD}" \
    "${MYSQL_DATABASE}" -N -B -e 'SELECT DATABASE(), CURRENT_USER()' 2>&1 || true)"
  expect_eq "mysql: MYSQL_USER/MYSQL_PASSWORD/MYSQL_DATABASE honoured (mariadb client over TCP)" \
    "switchyard	switchyard@%" "${out}"
  out="$(mariadb --protocol=tcp -h 127.0.0.1 -P "${MYSQL_HOST_PORT}" -u root "--password=${MYSQL_ROOT_PASSWORD}" \
    -N -B -e 'SELECT 1' 2>&1 || true)"
  expect_eq "mysql: MYSQL_ROOT_PASSWORD honoured for remote root" "1" "${out}"
  out="$(mariadb --protocol=tcp -h 127.0.0.1 -P "${MYSQL_HOST_PORT}" -u root --password=wrong -N -B -e 'SELECT 1' 2>&1 || true)"
  if [[ "${out}" == *"Access denied"* ]]; then
    pass "mysql: a wrong password is refused"
  else
    fail "mysql: a wrong password is refused" "${out}"
  fi
  out="$(redis-cli -h 127.0.0.1 -p "${REDIS_HOST_PORT}" PING 2>&1 || true)"
  expect_eq "redis: redis-cli PING" "PONG" "${out}"
  out="$(redis-cli -h 127.0.0.1 -p "${REDIS_HOST_PORT}" SET switchyard:test "${PREFIX}" 2>&1 || true)"
  expect_eq "redis: SET over the loopback port" "OK" "${out}"
  check "mongo: driver handshake (isMaster/hello) over OP_MSG answers ok" \
    python3 "${TEST_DIR}/mongo_hello.py" 127.0.0.1 "${MONGO_HOST_PORT}"
  check "mongo: a non-Mongo port fails the handshake check (the check can fail)" \
    bash -c "! python3 '${TEST_DIR}/mongo_hello.py' 127.0.0.1 '${REDIS_HOST_PORT}'"
}

start_app() {
  APP_ENV_FILE="${WORK_DIR}/app.env"
  cat >"${APP_ENV_FILE}" <<EOF
SPRING_PROFILES_ACTIVE=prod
MYSQL_URL=jdbc:mysql://mysql:3306/${MYSQL_DATABASE}
MYSQL_USERNAME=${MYSQL_USER}
MYSQL_PASSWORD=${MYSQL_PASSWORD}
REDIS_HOST=redis
REDIS_PORT=6379
MONGODB_URI=mongodb://mongo:27017/switchyard
JWT_SECRET=images-test-secret-${PREFIX}-0123456789abcdef
SHUTDOWN_TIMEOUT=10s
KAKAO_CLIENT_ID=switchyard-imagestest
KAKAO_REDIRECT_URIS=http://127.0.0.1/login/kakao/callback
EOF
  APP_PORT="$(free_port)"
  export APP_IMAGE="${APP_IMAGE_REF}" APP_ENV_FILE APP_PORT APP_ENV=dev
  log "app: project ${APP_PROJECT}, image ${APP_IMAGE}, port ${APP_PORT}"
  APP_STARTED_AT="$(date +%s%N)"
  compose -p "${APP_PROJECT}" -f "${ROOT}/docker-compose.blue.yml" up -d >&2
}

test_app() {
  local af="${ROOT}/docker-compose.blue.yml"
  local id
  id="$(container_of "${APP_PROJECT}" "${af}" app)"
  if [[ -z "${id}" ]]; then
    fail "app: container started"
    return 0
  fi
  if retry_until 300 0.5 readiness_up "${APP_PORT}"; then
    local ms=$((($(date +%s%N) - APP_STARTED_AT) / 1000000))
    pass "app: readiness UP through 127.0.0.1:${APP_PORT} (${ms} ms after compose up)"
  else
    fail "app: readiness UP" "$(docker logs --tail 20 "${id}" 2>&1 | grep -v '^\s*at ' | tail -n 5 | tr '\n' ' ')"
    return 0
  fi

  local headers
  headers="$(curl -sS -D - -o /dev/null "http://127.0.0.1:${APP_PORT}/actuator/health/readiness")"
  if grep -qi '^X-App-Color: blue' <<<"${headers}"; then
    pass "app: X-App-Color: blue"
  else
    fail "app: X-App-Color: blue" "$(tr '\r\n' '  ' <<<"${headers}")"
  fi
  local info
  info="$(curl -fsS "http://127.0.0.1:${APP_PORT}/actuator/info" || true)"
  expect_eq "app: info version is the image's build version" "${APP_IMAGE_VERSION}" "$(json_field app.version <<<"${info}")"
  expect_eq "app: info color" "blue" "$(json_field app.color <<<"${info}")"
  local status
  status="$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:${APP_PORT}/api/users/me")"
  expect_eq "app: /api/users/me without a token is 401 (MVC + security alive)" "401" "${status}"

  expect_eq "app: image user is non-root" "10001:10001" "$(docker inspect -f '{{.Config.User}}' "${id}")"
  local uid
  uid="$(docker exec "${id}" id -u)"
  if [[ "${uid}" =~ ^[0-9]+$ && "${uid}" != 0 ]]; then
    pass "app: process runs as uid ${uid}"
  else
    fail "app: process runs as non-root" "uid=${uid}"
  fi
  check "app: port published on 127.0.0.1 only" only_loopback "${id}"
  local cmdline
  cmdline="$(docker exec "${id}" cat /proc/1/cmdline | tr '\0' ' ')"
  if [[ "${cmdline}" == java* && "${cmdline}" == *"-XX:MaxRAMPercentage="* && "${cmdline}" == *"-XX:+ExitOnOutOfMemoryError"* ]]; then
    pass "app: java is PID 1 with the container JVM flags"
  else
    fail "app: java is PID 1 with the container JVM flags" "${cmdline}"
  fi
  if [[ "${cmdline}" != *"-javaagent"* ]]; then
    pass "app: no APM agent without ELASTIC_APM_SERVER_URL"
  else
    fail "app: no APM agent without ELASTIC_APM_SERVER_URL" "${cmdline}"
  fi
  if retry_until 60 1 is_healthy "${id}"; then
    pass "app: Docker HEALTHCHECK healthy"
  else
    fail "app: Docker HEALTHCHECK healthy" "health=$(health_of "${id}")"
  fi

  local started="${SECONDS}"
  docker stop "${id}" >/dev/null
  local took=$((SECONDS - started))
  local code
  code="$(docker inspect -f '{{.State.ExitCode}}' "${id}")"
  if [[ "${code}" != 137 ]] && ((took < 40)); then
    pass "app: SIGTERM stops it gracefully (exit ${code} in ${took}s, no SIGKILL)"
  else
    fail "app: SIGTERM stops it gracefully" "exit ${code} after ${took}s"
  fi
}

# test_apm_switch: runs the entrypoint with `java` replaced by a stub that prints its arguments
# and the APM environment, with and without ELASTIC_APM_SERVER_URL.
test_apm_switch() {
  local stub
  stub="$(
    cat <<'EOF'
mkdir -p /tmp/stub
printf '#!/bin/sh\necho "ARGS: $*"\nenv | grep ^ELASTIC_APM_ | sort\n' >/tmp/stub/java
chmod +x /tmp/stub/java
PATH="/tmp/stub:${PATH}" exec switchyard-entrypoint
EOF
  )"
  local off
  local on
  off="$(docker run --rm --entrypoint bash "${APP_IMAGE_REF}" -c "${stub}")"
  on="$(docker run --rm -e ELASTIC_APM_SERVER_URL=http://127.0.0.1:8200 -e APP_ENV=prod -e APP_COLOR=green \
    --entrypoint bash "${APP_IMAGE_REF}" -c "${stub}")"
  if [[ "${off}" != *"-javaagent"* && "${off}" == *"-XX:AOTCache=/app/app.aot"* ]]; then
    pass "entrypoint: no agent without ELASTIC_APM_SERVER_URL; AOT cache mapped"
  else
    fail "entrypoint: no agent without ELASTIC_APM_SERVER_URL; AOT cache mapped" "${off}"
  fi
  local want
  local absent=""
  for want in "-javaagent:/opt/elastic-apm/elastic-apm-agent.jar" "ELASTIC_APM_SERVICE_NAME=switchyard" \
    "ELASTIC_APM_ENVIRONMENT=prod" "ELASTIC_APM_SERVICE_VERSION=${APP_IMAGE_VERSION}" \
    "ELASTIC_APM_GLOBAL_LABELS=color=green" "ELASTIC_APM_ENABLE_LOG_CORRELATION=true"; do
    [[ "${on}" == *"${want}"* ]] || absent+=" ${want}"
  done
  if [[ -z "${absent}" ]]; then
    pass "entrypoint: ELASTIC_APM_SERVER_URL switches the agent on with service, env, version, color"
  else
    fail "entrypoint: ELASTIC_APM_SERVER_URL switches the agent on" "missing:${absent}"
  fi
  docker run --rm --entrypoint cat "${APP_IMAGE_REF}" /opt/elastic-apm/elastic-apm-agent.jar >"${WORK_DIR}/agent.jar"
  check "image: /opt/elastic-apm/elastic-apm-agent.jar is a Java agent (Premain-Class)" python3 -c '
import sys, zipfile
manifest = zipfile.ZipFile(sys.argv[1]).read("META-INF/MANIFEST.MF").decode()
sys.exit(0 if "Premain-Class:" in manifest else 1)' "${WORK_DIR}/agent.jar"
}

# aot_refresh <docker run args...>: the image's entrypoint with its embedded default, as production runs
# it (non-root, read-only root, tmpfs /tmp), until the context is refreshed.
aot_refresh() {
  docker run --rm --read-only --tmpfs /tmp:size=64m,exec -e SPRING_PROFILES_ACTIVE= "$@" 2>&1
}

# test_aot_cache: the image's AOT cache is valid for its own JRE (AOTMode=on refuses to start
# otherwise), and the APM agent attaches with the cache mapped.
test_aot_cache() {
  local out rc
  out="$(docker run --rm --entrypoint bash "${APP_IMAGE_REF}" -c 'ls -l /app/app.aot' 2>&1 || true)"
  check "image: the training run wrote the AOT cache /app/app.aot" grep -q 'app.aot' <<<"${out}"
  out="$(aot_refresh -e JAVA_OPTS="-XX:AOTMode=on -Dspring.context.exit=onRefresh" "${APP_IMAGE_REF}")" && rc=0 || rc=$?
  if ((rc == 0)); then
    pass "AOT cache valid for the image's JRE: AOTMode=on starts (read-only root, non-root)"
  else
    fail "AOT cache valid for the image's JRE: AOTMode=on starts" "exit ${rc}: $(grep -v '^\s*at ' <<<"${out}" | tail -n 5 | tr '\n' ' ')"
  fi
  # Without compressed oops the cache (dumped with them) cannot be mapped: AOTMode=on must refuse.
  out="$(aot_refresh -e JAVA_OPTS="-XX:AOTMode=on -XX:-UseCompressedOops -Dspring.context.exit=onRefresh" \
    "${APP_IMAGE_REF}")" && rc=0 || rc=$?
  if ((rc != 0)); then
    pass "AOTMode=on refuses a cache the JVM cannot use (the check above can fail)"
  else
    fail "AOTMode=on refuses a cache the JVM cannot use" "exit 0: $(tail -n 3 <<<"${out}" | tr '\n' ' ')"
  fi
  out="$(aot_refresh -e ELASTIC_APM_SERVER_URL=http://127.0.0.1:9 -e JAVA_OPTS="-Dspring.context.exit=onRefresh" "${APP_IMAGE_REF}")" && rc=0 || rc=$?
  if ((rc == 0)) && [[ "${out}" == *"co.elastic.apm"* || "${out}" == *"Starting Elastic APM"* ]]; then
    pass "APM agent attaches with the AOT cache mapped (context refresh, exit 0)"
  else
    fail "APM agent attaches with the AOT cache mapped" "exit ${rc}: $(tail -n 5 <<<"${out}" | tr '\n' ' ')"
  fi
}

# test_aot_training_served: the training run served requests, so what serving one loads (Tomcat's HTTP/1.1
# processor: not loaded by a context refresh) comes from the AOT cache. Without the cache this check fails.
test_aot_training_served() {
  local name="${PREFIX}-aot-served"
  local cls=org.apache.coyote.http11.Http11Processor
  local source
  docker run -d --name "${name}" --read-only --tmpfs /tmp:size=64m,exec -e SPRING_PROFILES_ACTIVE= \
    -e JAVA_OPTS="-Xlog:class+load=info:file=/tmp/class-load.log" "${APP_IMAGE_REF}" >/dev/null
  if retry_until 120 0.5 docker exec "${name}" curl -fs -o /dev/null http://127.0.0.1:8080/actuator/health/readiness; then
    source="$(docker exec "${name}" grep -m 1 " ${cls} source:" /tmp/class-load.log 2>/dev/null | sed 's/.* source: //' || true)"
    expect_eq "AOT cache: the training run served requests (${cls} from the cache)" "shared objects file" "${source}"
  else
    fail "AOT cache: the training run served requests" "the container did not become ready: $(docker logs --tail 5 "${name}" 2>&1 | tr '\n' ' ')"
  fi
  docker rm -f "${name}" >/dev/null 2>&1 || true
}

main() {
  local jar=""
  while (($# > 0)); do
    case "$1" in
      --jar)
        jar="${2:?--jar needs a path}"
        shift
        ;;
      *) DIE_EXIT_CODE=2 die "usage: tests/images/run.sh [--jar PATH]" ;;
    esac
    shift
  done
  if [[ -z "${jar}" ]]; then
    jar="${ROOT}/target/switchyard.jar"
  fi
  local started="${SECONDS}"
  ensure_packages debootstrap debian-archive-keyring docker-compose mariadb-client redis-tools curl python3
  ensure_dockerd
  WORK_DIR="$(mktemp -d)"
  trap cleanup EXIT

  test_offline_images
  if [[ ! -f "${jar}" ]]; then
    log "no jar at ${jar}: build-image.sh builds it"
    "${ROOT}/scripts/build-image.sh" --no-cds "imagestest-jar-probe" >/dev/null
    docker image rm "${SWITCHYARD_APP_IMAGE_REPO}:imagestest-jar-probe" >/dev/null 2>&1 || true
  fi
  build_app_image "${jar}"
  test_apm_switch
  test_aot_cache
  test_aot_training_served
  start_datastores
  test_datastores
  start_app
  test_app

  log "wall time $((SECONDS - started))s"
  printf '%d passed, %d failed\n' "${PASSED}" "${FAILED}"
  ((FAILED == 0))
}

main "$@"
