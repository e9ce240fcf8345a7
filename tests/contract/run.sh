#!/usr/bin/env bash
# contract suite: the client contract outside the app's own tests (src/test has the rest).
#   1. the API compatibility gate's decisions on its fixtures (tools/api-compat, JUnit)
#   2. docs/api/asyncapi.yaml parsed by the AsyncAPI parser (npm, lockfile) against the app's STOMP destinations
#   3. CORS through a real nginx (the deploy kit's site template) in front of the real app jar
#   4. a deploy refused by the gate before any container of the new image starts: the live release's image
#      returns a field the new one's document lacks (images built FROM scratch, holding only the document)
# Installs what it needs, cleans up what it made. Needs root for docker and nginx.
set -euo pipefail

SCRIPT_NAME="tests/contract"
SUITE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SUITE_DIR}/../../scripts/lib/common.sh"
# shellcheck source=tests/lib/checks.sh
source "${SUITE_DIR}/../lib/checks.sh"
# shellcheck source=scripts/lib/edge.sh
source "${SUITE_DIR}/../../scripts/lib/edge.sh"

ROOT="$(repo_root)"
TMP=""
APP_PID=""
PREFIX=""
RUN_ID="contract-$$"
LIVE_NGINX_URL=""
ALLOWED_ORIGIN="https://app.example.test"

cleanup() {
  local rc=$?
  set +e
  if [[ -n "${PREFIX}" && -f "${PREFIX}/logs/nginx.pid" ]]; then
    nginx -p "${PREFIX}" -c "${PREFIX}/nginx.conf" -s stop 2>/dev/null
  fi
  if [[ -n "${APP_PID}" ]]; then
    kill "${APP_PID}" 2>/dev/null
    wait "${APP_PID}" 2>/dev/null
  fi
  if command -v docker >/dev/null 2>&1; then
    docker ps -aq --filter "label=${RUN_ID}" | xargs -r docker rm -f >/dev/null 2>&1
    docker images -q --filter "label=${RUN_ID}" | xargs -r docker rmi -f >/dev/null 2>&1
  fi
  [[ -z "${TMP}" ]] || rm -rf "${TMP}"
  exit "${rc}"
}

gate_fixtures() {
  log "1. the compatibility gate's fixtures"
  (cd "${ROOT}" && ./mvnw -B -ntp -q -f tools/api-compat/pom.xml verify) | tee "${TMP}/gate.log"
  check_true "gate: the additive fixture passes" grep -q '^GATE additive.json -> exit 0' "${TMP}/gate.log"
  expect_eq "$(grep -c -- '-> exit 1 (refused)' "${TMP}/gate.log")" 8 "gate: breaking fixtures refused"
}

asyncapi_document() {
  log "2. the AsyncAPI document"
  (cd "${ROOT}" && ./mvnw -B -ntp -q test -Dtest=AsyncApiDocumentTest -Dsurefire.failIfNoSpecifiedTests=false)
  (cd "${SUITE_DIR}/asyncapi" && npm ci --no-audit --no-fund --loglevel=error &&
    STOMP_DESTINATIONS="${ROOT}/target/stomp-destinations.json" node --test) | tee "${TMP}/asyncapi.log"
  check_true "asyncapi: parsed, channels = the app's destinations" grep -q '^# fail 0' "${TMP}/asyncapi.log"
  rm -rf "${SUITE_DIR}/asyncapi/node_modules"
}

start_app() {
  local port="$1"
  local jar="${ROOT}/target/switchyard.jar"
  if [[ ! -f "${jar}" ]]; then
    (cd "${ROOT}" && ./mvnw -B -ntp -q -DskipTests package)
  fi
  CORS_ALLOWED_ORIGINS="${ALLOWED_ORIGIN}" SERVER_PORT="${port}" APP_COLOR=blue \
    java -jar "${jar}" >"${TMP}/app.log" 2>&1 &
  APP_PID=$!
  retry_until 120 0.5 curl -fs -o /dev/null "http://127.0.0.1:${port}/actuator/health/readiness" ||
    die "the app did not become ready: $(tail -5 "${TMP}/app.log")"
}

start_nginx() {
  local app_port="$1"
  local nginx_port="$2"
  PREFIX="${TMP}/nginx"
  mkdir -p "${PREFIX}/logs" "${PREFIX}/tmp" "${PREFIX}/sites-enabled" "${PREFIX}/switchyard"
  cp -r "${ROOT}/nginx/conf.d" "${ROOT}/nginx/includes" "${ROOT}/nginx/snippets" "${PREFIX}/"
  cp "${ROOT}/nginx/nginx.conf" "${PREFIX}/nginx.conf"
  printf 'server 127.0.0.1:%s;\n' "${app_port}" >"${PREFIX}/switchyard/contract-upstream.conf"
  # shellcheck disable=SC2016  # envsubst takes the literal variable names
  SWITCHYARD_ENV=contract UPSTREAM_FILE="${PREFIX}/switchyard/contract-upstream.conf" \
    NGINX_LISTEN="127.0.0.1:${nginx_port}" NGINX_SERVER_NAME=_ NGINX_LOG_DIR="${PREFIX}/logs" \
    NGINX_CONF_DIR="${PREFIX}" BLUE_PORT="${app_port}" GREEN_PORT=1 \
    envsubst '${SWITCHYARD_ENV} ${UPSTREAM_FILE} ${NGINX_LISTEN} ${NGINX_SERVER_NAME} ${NGINX_LOG_DIR} ${NGINX_CONF_DIR} ${BLUE_PORT} ${GREEN_PORT}' \
    <"${ROOT}/nginx/templates/switchyard-site.conf.template" >"${PREFIX}/sites-enabled/switchyard-contract.conf"
  # the site's edge as the deploy kit renders it for plain HTTP with no balancer
  SWITCHYARD_ENV=contract NGINX_CONF_DIR="${PREFIX}" NGINX_LISTEN="127.0.0.1:${nginx_port}" TLS_ENABLED=0 \
    TLS_LISTEN=443 TRUSTED_PROXIES="" PROXY_PROTOCOL=0 ACME_WEBROOT="${PREFIX}/acme" \
    edge_render >"${PREFIX}/switchyard/contract-edge.conf"
  nginx -p "${PREFIX}" -c "${PREFIX}/nginx.conf" -t -q
  nginx -p "${PREFIX}" -c "${PREFIX}/nginx.conf"
}

# headers <curl args...>: status line and headers of one request through nginx, lower-cased names.
headers() {
  curl -s -o "${TMP}/body" -D - "$@" | tr -d '\r' | sed -E 's/^([A-Za-z0-9-]+):/\L\1:/'
}

header_of() {
  sed -n -E "s/^$1: (.*)$/\1/p" | head -n 1
}

lacks_cors_headers() {
  ! grep -q '^access-control-' <<<"$1"
}

cors_through_nginx() {
  log "3. CORS through nginx"
  local app_port nginx_port base answer
  app_port="$(free_port)"
  nginx_port="$(free_port)"
  start_app "${app_port}"
  start_nginx "${app_port}" "${nginx_port}"
  base="http://127.0.0.1:${nginx_port}"
  LIVE_NGINX_URL="${base}"

  answer="$(headers -X OPTIONS "${base}/api/rooms" -H "Origin: ${ALLOWED_ORIGIN}" \
    -H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: authorization,content-type')"
  expect_eq "$(head -n 1 <<<"${answer}" | cut -d' ' -f2)" 200 "cors: allowed preflight answered"
  expect_eq "$(header_of access-control-allow-origin <<<"${answer}")" "${ALLOWED_ORIGIN}" "cors: preflight allows exactly the origin"
  check_true "cors: preflight allows POST" grep -q '^access-control-allow-methods: .*POST' <<<"${answer}"
  check_true "cors: preflight allows the Authorization header" grep -qi '^access-control-allow-headers: .*authorization' <<<"${answer}"
  expect_eq "$(header_of access-control-max-age <<<"${answer}")" 3600 "cors: preflight max-age"
  expect_eq "$(header_of access-control-allow-credentials <<<"${answer}")" "" "cors: no credentials by default"

  answer="$(headers "${base}/api/rooms" -H "Origin: ${ALLOWED_ORIGIN}")"
  expect_eq "$(head -n 1 <<<"${answer}" | cut -d' ' -f2)" 401 "cors: actual request reaches the app (no token: 401)"
  expect_eq "$(header_of access-control-allow-origin <<<"${answer}")" "${ALLOWED_ORIGIN}" "cors: actual response readable by the origin"
  check_true "cors: the paging cursor header is exposed" grep -qi '^access-control-expose-headers: .*X-Next-Cursor' <<<"${answer}"

  local origin
  for origin in "https://evil.example.test" "${ALLOWED_ORIGIN}.evil.test" "http://app.example.test"; do
    answer="$(headers -X OPTIONS "${base}/api/rooms" -H "Origin: ${origin}" -H 'Access-Control-Request-Method: POST')"
    expect_eq "$(head -n 1 <<<"${answer}" | cut -d' ' -f2) $(jq -r .code "${TMP}/body" 2>/dev/null)" \
      "403 cors-origin-not-allowed" "cors: preflight from ${origin} refused"
    check_true "cors: no CORS headers for ${origin} (preflight)" lacks_cors_headers "${answer}"
    answer="$(headers "${base}/api/rooms" -H "Origin: ${origin}")"
    check_true "cors: no CORS headers for ${origin} (request)" lacks_cors_headers "${answer}"
  done
}

# scratch_image <tag> <openapi.json>: an image that holds only a release's API document, where the app image
# keeps it. It cannot run: the gate must judge it without starting it.
scratch_image() {
  local tag="$1"
  local doc="$2"
  local ctx="${TMP}/ctx-${tag##*:}"
  mkdir -p "${ctx}"
  cp "${doc}" "${ctx}/openapi.json"
  printf '%s\n' 'FROM scratch' 'COPY openapi.json /app/api/openapi.json' \
    "LABEL ${RUN_ID}=1 org.opencontainers.image.version=${tag##*:}" >"${ctx}/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "${tag}" "${ctx}" >/dev/null
}

deploy_refused_by_the_gate() {
  log "4. a deploy the gate refuses before any container of the new image starts"
  require_cmd docker jq
  ensure_dockerd
  local live="${RUN_ID}:1.0.0" next="${RUN_ID}:1.1.0"
  jq 'del(.components.schemas.UserResponse.properties.nickname)
      | .components.schemas.UserResponse.required -= ["nickname"]' "${ROOT}/docs/api/openapi.json" >"${TMP}/next.json"
  scratch_image "${live}" "${ROOT}/docs/api/openapi.json"
  scratch_image "${next}" "${TMP}/next.json"

  export SWITCHYARD_STATE_DIR="${TMP}/state" NGINX_PREFIX="${TMP}/nginx-deploy" NGINX_CONF_DIR="${TMP}/nginx-deploy"
  export NGINX_CONF="${NGINX_PREFIX}/nginx.conf" BLUE_PORT GREEN_PORT NGINX_LISTEN NGINX_URL APP_ENV_FILE="${TMP}/app.env"
  export COMPOSE_PROJECT_BLUE="${RUN_ID}-blue" COMPOSE_PROJECT_GREEN="${RUN_ID}-green"
  BLUE_PORT="$(free_port)"
  GREEN_PORT="$(free_port)"
  # nginx of the live release: the one of case 3, in front of an app answering X-App-Color: blue, as the
  # upstream file below says (the deploy reads what nginx routes; with no nginx answering it stops there)
  NGINX_URL="${LIVE_NGINX_URL:?case 3 starts the live nginx}"
  NGINX_LISTEN="${NGINX_URL#http://}"
  mkdir -p "${NGINX_PREFIX}/switchyard"
  printf 'server 127.0.0.1:%s;\n' "${BLUE_PORT}" >"${NGINX_PREFIX}/switchyard/dev-upstream.conf"
  : >"${APP_ENV_FILE}"
  # the live color: a container of the live release (created, labelled as compose does; it need not run here)
  docker create --label "${RUN_ID}=1" --label "com.docker.compose.project=${COMPOSE_PROJECT_BLUE}" \
    "${live}" /app >/dev/null

  local since rc=0
  since="$(date +%s)"
  "${ROOT}/scripts/deploy.sh" dev "${next}" >"${TMP}/deploy.log" 2>&1 || rc=$?
  sed 's/^/    /' "${TMP}/deploy.log" | grep -E 'api-compat|Breaking|FAILED|gate' >&2 || true
  expect_eq "${rc}" 4 "gate: deploy refused (exit 4: failed before the switch, live untouched)"
  check_true "gate: the reason names the removed field" \
    grep -q 'GET /api/users/me 200: response field removed: nickname' "${TMP}/deploy.log"
  check_true "gate: refused at the gate, not later" grep -q 'API compatibility gate: .* not deployed' "${TMP}/deploy.log"
  expect_eq "$(docker ps -aq --filter "label=com.docker.compose.project=${COMPOSE_PROJECT_GREEN}" | wc -l)" 0 \
    "gate: no container of the idle color exists"
  expect_eq "$(docker ps -aq --filter "ancestor=${next}" | wc -l)" 0 "gate: no container of the new image is left"
  expect_eq "$(docker events --since "${since}" --until "$(date +%s)" --filter "image=${next}" --filter event=start \
    --format '{{.Action}}' | wc -l)" 0 "gate: no container of the new image ever started"
  expect_eq "$(cat "${NGINX_PREFIX}/switchyard/dev-upstream.conf")" "server 127.0.0.1:${BLUE_PORT};" \
    "gate: nginx still routes to the live color"
}

main() {
  local started="${SECONDS}"
  TMP="$(mktemp -d)"
  trap cleanup EXIT
  ensure_packages nginx curl jq
  command -v npm >/dev/null 2>&1 || ensure_packages npm
  gate_fixtures
  asyncapi_document
  cors_through_nginx
  deploy_refused_by_the_gate
  checks_summary contract "${started}"
}

main "$@"
