#!/usr/bin/env bash
# End-to-end tests of the blue/green deploy: real dockerd, a private real nginx on loopback ports,
# real app containers started through docker-compose.<color>.yml, one data-store set for all cases.
#
# Usage: tests/deploy/run.sh [case...]
#   cases: good failures nginx kill concurrent rollback chat bake gate disk dryrun
#
#   1 good        blue -> green -> blue under continuous load: 0 failed requests; file == live color;
#                 history records both
#   2 failures    image that exits at start, never-ready image, smoke-test failure (wrong version):
#                 exit 4, live untouched and serving, idle removed, 0 failed requests
#   3 nginx       invalid nginx config at switch time: file restored, no reload, live serving
#   4 kill        deploy SIGKILLed before each step in turn: live serving; the next deploy succeeds
#   5 concurrent  two deploys at once: exactly one proceeds, the other exits 3 naming the holder;
#                 a third with --wait waits for the winner and then succeeds
#   6 rollback    rollback within the window: instant, 0 failed requests; outside it: redeploys the
#                 previous image from the history
#   7 chat        STOMP/WebSocket clients chatting through nginx during a deploy with a rollback window,
#                 run as a Jenkins agent runs it (build cookie; every process carrying it killed when the
#                 step returns): each client gets the old color's reconnect hint (the handover) and resumes
#                 on the new color, no message lost; status shows the pending retirement; the old color
#                 is still stopped when the window closes
#   8 bake        under load on a real API route: a release answering 500 there (and, with
#                 SWITCHYARD_E2E_BAKE_SLOW=1, a slower one without JIT): both pass readiness and the smoke test, the bake finds them and switches back by
#                 itself (exit 6); figures: time from the first bad response to the last, failed requests
#   9 gate        a release whose migration drops a column the live release reads: the schema gate aborts
#                 before the switch (exit 4), no request reached the new color, live serving
#  10 disk        too little disk for Docker: refused before the idle color starts; a dead or hanging
#                 chat webhook costs the deploy under a second
#  11 dryrun      --dry-run prints the plan and the nginx diff and changes nothing
# Every good deploy is baked (BAKE_S=4): none may be rolled back (false positives). Notifications of every
# deploy go to a local webhook receiver; the URL is in no log. Old images are pruned after good deploys.
#
# The app runs in its prod profile against MySQL (MariaDB), Redis and MongoDB containers from
# docker-compose.datastores.yml (offline stand-ins built by scripts/offline-images.sh when the
# images are missing; cached by content hash).
# Environment:
#   SWITCHYARD_E2E_IMAGE=<ref>       use this already-built app image instead of building one
#   SWITCHYARD_E2E_JAR=<path>        jar for scripts/build-image.sh (default target/switchyard.jar)
#   SWITCHYARD_E2E_KEEP=1            keep the temp dir (logs) after the run
#   SWITCHYARD_E2E_BAKE_SLOW=1       also bake a slower (JIT-off) release (not reliably slow enough here)
#   SWITCHYARD_E2E_LOAD_PAUSE_S=0.02 pause of each load client between requests (0 = flat out)
#   SWITCHYARD_E2E_CHAT_CLIENTS=6    chat clients in the chat case, all in one room
#   SWITCHYARD_E2E_CHAT_INTERVAL=0.5 seconds between one client's messages. 6 clients at 0.1 s (60 msg/s into
#                                    one room) outrun the MongoDB stand-in (it scans where mongod uses the
#                                    (room, id) index): about 26 msg/s were stored, receipts fell tens of seconds
#                                    behind and the case failed for the stand-in, not for the switch.
#   SWITCHYARD_E2E_CHAT_WINDOW_S=8   rollback window of the chat case's deploy
# Load: tests/deploy/load.py through nginx, keep-alive and connection-per-request clients at once.
set -euo pipefail

SCRIPT_NAME="deploy-e2e"
TEST_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${TEST_DIR}/../.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${ROOT}/scripts/lib/common.sh"

TMP=""
LOAD_PIDS=()
FAILURES=0
PASSES=0
DERIVED_IMAGES=()
RUN_ID="sye2e$$"
CASE=""
REPORT=()
RECEIVER_PID=""
HANG_PID=""
BAKED_OK=0

# --- small assertion helpers ------------------------------------------------------------
pass() {
  PASSES=$((PASSES + 1))
  log "PASS [${CASE}] $*"
}

fail() {
  FAILURES=$((FAILURES + 1))
  err "FAIL [${CASE}] $*"
}

check() {
  local what="$1"
  shift
  if "$@"; then
    pass "${what}"
  else
    fail "${what}"
  fi
}

# --- environment ---------------------------------------------------------------------------
cleanup() {
  local rc=$?
  set +e
  stop_load_all
  local state_file pid
  # Retirement timers this run scheduled (detached processes, their pids in the state files).
  for state_file in "${SWITCHYARD_STATE_DIR:-/nonexistent}"/*/retire-*.json; do
    [[ -r "${state_file}" ]] || continue
    pid="$(jq -r '.pid // empty' "${state_file}" 2>/dev/null)"
    [[ -z "${pid}" ]] || kill "${pid}" 2>/dev/null
  done
  [[ -z "${RECEIVER_PID}" ]] || kill "${RECEIVER_PID}" 2>/dev/null
  [[ -z "${HANG_PID}" ]] || kill "${HANG_PID}" 2>/dev/null
  if [[ -n "${NGINX_PREFIX:-}" && -r "${NGINX_PREFIX}/logs/nginx.pid" ]]; then
    kill -QUIT "$(cat "${NGINX_PREFIX}/logs/nginx.pid")" 2>/dev/null
  fi
  local id
  for id in $(docker ps -aq --filter "label=com.docker.compose.project=${RUN_ID}-blue") \
    $(docker ps -aq --filter "label=com.docker.compose.project=${RUN_ID}-green"); do
    docker rm -f -v "${id}" >/dev/null 2>&1
  done
  if [[ -n "${TMP}" ]]; then
    datastores down -v --remove-orphans >/dev/null 2>&1
  fi
  docker network rm "${RUN_ID}-blue_default" "${RUN_ID}-green_default" >/dev/null 2>&1
  docker network rm "${SWITCHYARD_DATA_NETWORK:-none}" >/dev/null 2>&1
  if ((${#DERIVED_IMAGES[@]} > 0)); then
    docker rmi "${DERIVED_IMAGES[@]}" >/dev/null 2>&1
  fi
  if [[ -n "${TMP}" && "${SWITCHYARD_E2E_KEEP:-0}" != 1 ]]; then
    rm -rf "${TMP}"
  elif [[ -n "${TMP}" ]]; then
    log "kept ${TMP}"
  fi
  exit "${rc}"
}

datastores() {
  COMPOSE_PROJECT_NAME="${RUN_ID}-data" "${COMPOSE[@]}" -p "${RUN_ID}-data" -f "${ROOT}/docker-compose.datastores.yml" "$@"
}

setup_env() {
  TMP="$(mktemp -d /tmp/switchyard-deploy-e2e.XXXXXX)"
  export SWITCHYARD_ROOT="${ROOT}"
  export NGINX_PREFIX="${TMP}/nginx"
  export NGINX_CONF="${NGINX_PREFIX}/nginx.conf"
  export NGINX_CONF_DIR="${NGINX_PREFIX}"
  export NGINX_INSTALL_MAIN_CONF=1
  NGINX_PORT="$(free_port)"
  export NGINX_LISTEN="127.0.0.1:${NGINX_PORT}"
  export NGINX_URL="http://127.0.0.1:${NGINX_PORT}"
  export BLUE_PORT GREEN_PORT
  BLUE_PORT="$(free_port)"
  GREEN_PORT="$(free_port)"
  while [[ "${GREEN_PORT}" == "${BLUE_PORT}" || "${GREEN_PORT}" == "${NGINX_PORT}" ]]; do
    GREEN_PORT="$(free_port)"
  done
  export SWITCHYARD_STATE_DIR="${TMP}/state"
  export COMPOSE_PROJECT_BLUE="${RUN_ID}-blue"
  export COMPOSE_PROJECT_GREEN="${RUN_ID}-green"
  export SWITCHYARD_DATA_NETWORK="${RUN_ID}-data"
  export APP_ENV_FILE="${TMP}/app.env"
  export STOP_GRACE_S=30
  export DRAIN_TIMEOUT_S=15
  export ROLLBACK_WINDOW_S=0
  export READY_DEADLINE_S=120
  # The warm-up path runs, shorter than in production: this suite checks correctness, not latency
  # (scripts/bench-switch.sh measures that with the defaults).
  export WARMUP_REQUESTS="${WARMUP_REQUESTS:-300}"
  export DEPLOY_EVENTS_FILE="${TMP}/events.jsonl"
  # Every good deploy is baked, briefly (4 s: room for BAKE_P99_CHECKS intervals): a rollback of one is a
  # false positive. The thresholds are the production ones; the minimum request count is lower.
  export BAKE_S="${BAKE_S:-4}" BAKE_MIN_REQUESTS="${BAKE_MIN_REQUESTS:-20}"
  export RETIRE_SCHEDULER=auto
  ENV_NAME=dev
  UPSTREAM_FILE="${NGINX_PREFIX}/switchyard/${ENV_NAME}-upstream.conf"
  ACCESS_LOG="${NGINX_PREFIX}/logs/switchyard-${ENV_NAME}.access.log"
  mkdir -p "${NGINX_PREFIX}/snippets" "${NGINX_PREFIX}/conf.d"
  # The host-hardening snippets the site includes: the repo's when they exist, else empty
  # placeholders (in this temp prefix only).
  local f
  for f in snippets/switchyard-hardening.conf snippets/switchyard-login-limit.conf \
    snippets/switchyard-api-limit.conf conf.d/switchyard-limits.conf; do
    if [[ ! -e "${ROOT}/nginx/${f}" ]]; then
      log "placeholder for missing nginx/${f}"
      : >"${NGINX_PREFIX}/${f}"
    fi
  done
  read -r -a COMPOSE <<<"$(if docker compose version >/dev/null 2>&1; then echo docker compose; else echo docker-compose; fi)"
}

start_datastores() {
  export MYSQL_ROOT_PASSWORD MYSQL_PASSWORD MYSQL_HOST_PORT REDIS_HOST_PORT MONGO_HOST_PORT
  MYSQL_ROOT_PASSWORD="root-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  MYSQL_PASSWORD="app-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
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
  datastores up -d >&2
  local svc cid
  for svc in mysql redis mongo; do
    cid="$(datastores ps -q "${svc}")"
    retry_until 180 1 container_healthy "${cid}" || die "data store ${svc} not healthy"
  done
  cat >"${APP_ENV_FILE}" <<ENV
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
KAKAO_CLIENT_ID=switchyard-e2e
KAKAO_REDIRECT_URIS=http://127.0.0.1/login/kakao/callback
${SWITCHYARD_E2E_APP_ENV_EXTRA:-}
ENV
}

container_healthy() {
  [[ "$(docker inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null)" == healthy ]]
}

# derive <tag> <dockerfile-lines>: an image built FROM the base image (no build context).
derive() {
  local tag="$1"
  shift
  # --network none: no RUN step needs one.
  printf '%s\n' "FROM ${BASE_IMAGE}" "$@" | DOCKER_BUILDKIT=0 docker build --network none -q -t "${tag}" - >/dev/null 2>"${TMP}/derive.err" ||
    die "docker build ${tag} failed: $(cat "${TMP}/derive.err")"
  DERIVED_IMAGES+=("${tag}")
}

prepare_images() {
  if [[ -n "${SWITCHYARD_E2E_IMAGE:-}" ]]; then
    BASE_IMAGE="${SWITCHYARD_E2E_IMAGE}"
  else
    local jar_args=()
    if [[ -n "${SWITCHYARD_E2E_JAR:-}" ]]; then
      jar_args=(--jar "${SWITCHYARD_E2E_JAR}")
    fi
    BASE_IMAGE="$("${ROOT}/scripts/build-image.sh" "${jar_args[@]}" --app-version 1.0.0-e2e switchyard:1.0.0-e2e | tail -n 1)"
  fi
  V1="$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "${BASE_IMAGE}")"
  # v1 under its own tag (so the test never depends on the base tag), v2 = a new release.
  IMG_V1="switchyard-e2e:${RUN_ID}-v1"
  IMG_V2="switchyard-e2e:${RUN_ID}-v2"
  derive "${IMG_V1}" "LABEL e2e.role=v1"
  derive "${IMG_V2}" "LABEL org.opencontainers.image.version=${V1}-v2" "ENV APP_VERSION=${V1}-v2"
  # Smoke-test failure: the label promises a version the app does not report.
  IMG_WRONG="switchyard-e2e:${RUN_ID}-wrong"
  derive "${IMG_WRONG}" "LABEL org.opencontainers.image.version=${V1}-not-this"
  IMG_BROKEN="switchyard-e2e:${RUN_ID}-broken"
  IMG_NEVER="switchyard-e2e:${RUN_ID}-never"
  derive "${IMG_BROKEN}" 'ENTRYPOINT ["/bin/sh", "-c", "echo this release is broken >&2; exit 1"]'
  derive "${IMG_NEVER}" 'ENTRYPOINT ["/bin/sleep", "infinity"]'
  # Bake: a release whose popular-rooms query is broken (page size 0) and that misses the shared cache (its
  # own Redis database): ready, passes the smoke test, answers 500 on GET /api/rooms/popular.
  IMG_500="switchyard-e2e:${RUN_ID}-bake500"
  derive "${IMG_500}" "LABEL org.opencontainers.image.version=${V1}-bake500" "ENV APP_VERSION=${V1}-bake500" \
    "ENV SPRING_APPLICATION_JSON='{\"switchyard.rooms.popular-size\":0,\"spring.data.redis.database\":3}'"
  # Bake: a slower release (the JIT off: every request interpreted); opt-in, see case_bake.
  IMG_SLOW="switchyard-e2e:${RUN_ID}-slow"
  derive "${IMG_SLOW}" "LABEL org.opencontainers.image.version=${V1}-slow" "ENV APP_VERSION=${V1}-slow" \
    'ENV JAVA_TOOL_OPTIONS=-Xint'
  # Schema gate: a release that reads its own copy of the schema (database switchyard_gate) and whose
  # migration drops a column of the live schema the live release reads (switchyard.users.email) - what a
  # release that stopped reading a column and dropped it in the same deploy does.
  IMG_GATE="switchyard-e2e:${RUN_ID}-gate"
  derive "${IMG_GATE}" "LABEL org.opencontainers.image.version=${V1}-gate" "ENV APP_VERSION=${V1}-gate" \
    'USER root' \
    "RUN mkdir -p /opt/gate-migration && echo 'ALTER TABLE switchyard.users DROP COLUMN email;' >/opt/gate-migration/V900__drop_users_email.sql" \
    'USER 10001:10001' \
    "ENV SPRING_APPLICATION_JSON='{\"spring.datasource.url\":\"jdbc:mysql://mysql:3306/switchyard_gate\",\"spring.flyway.locations\":\"classpath:db/migration,filesystem:/opt/gate-migration\"}'"

  log "images: v1=${IMG_V1} (${V1}) v2=${IMG_V2}"
}

# --- load through nginx --------------------------------------------------------------------
# Each client pauses LOAD_PAUSE_S between requests (default 20 ms: ~6 x 40 = 240 requests/s at most):
# steady traffic through every switch without starving the 2-core machine that starts the new color.
LOAD_PAUSE_S="${SWITCHYARD_E2E_LOAD_PAUSE_S:-0.02}"
CHAT_CLIENTS="${SWITCHYARD_E2E_CHAT_CLIENTS:-6}"
CHAT_INTERVAL="${SWITCHYARD_E2E_CHAT_INTERVAL:-0.5}"
CHAT_WINDOW_S="${SWITCHYARD_E2E_CHAT_WINDOW_S:-8}"
# start_load <name> [path token]: liveness through nginx, or an authenticated API route.
start_load() {
  local name="$1"
  local target=(--url "${NGINX_URL}/actuator/health/liveness" --expect-up)
  if (($# == 3)); then
    target=(--url "${NGINX_URL}$2" --header "Authorization: Bearer $3")
  fi
  rm -f "${TMP}/load-${name}.stop"
  python3 "${TEST_DIR}/load.py" "${target[@]}" \
    --mode keepalive --concurrency 4 --pause "${LOAD_PAUSE_S}" --duration 900 --stop-file "${TMP}/load-${name}.stop" \
    --out "${TMP}/load-${name}-keepalive.json" >/dev/null 2>&1 &
  LOAD_PIDS+=($!)
  python3 "${TEST_DIR}/load.py" "${target[@]}" \
    --mode close --concurrency 2 --pause "${LOAD_PAUSE_S}" --duration 900 --stop-file "${TMP}/load-${name}.stop" \
    --out "${TMP}/load-${name}-close.json" >/dev/null 2>&1 &
  LOAD_PIDS+=($!)
}

# stop_load <name> [failures-expected]: stops the clients and checks that not one request failed (unless
# failures are expected: the bake case's bad releases).
stop_load() {
  local name="$1"
  local expected="${2:-}"
  local mode summary
  touch "${TMP}/load-${name}.stop"
  local pid
  for pid in "${LOAD_PIDS[@]}"; do
    wait "${pid}" 2>/dev/null || true
  done
  LOAD_PIDS=()
  for mode in keepalive close; do
    summary="$(cat "${TMP}/load-${name}-${mode}.json" 2>/dev/null || echo '{}')"
    log "load ${name}/${mode}: ${summary}"
    REPORT+=("${name}/${mode}: $(jq -r '"\(.requests) requests, \(.failed) failed, \(.stale_retries) keep-alive retries, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, colors \(.colors | tostring)"' <<<"${summary}" 2>/dev/null)")
    if [[ -n "${expected}" ]]; then
      check "load ${name}/${mode}: requests flowed" jq -e '.requests > 0' <<<"${summary}" >/dev/null
    else
      check "load ${name}/${mode}: requests flowed and none failed" \
        jq -e '.requests > 0 and .failed == 0' <<<"${summary}" >/dev/null
    fi
  done
}

stop_load_all() {
  if [[ -n "${TMP}" ]]; then
    touch "${TMP}"/load-*.stop 2>/dev/null || true
  fi
  local pid
  for pid in "${LOAD_PIDS[@]}"; do
    kill "${pid}" 2>/dev/null || true
  done
  LOAD_PIDS=()
}

# --- probes -----------------------------------------------------------------------------
# run_deploy <log-name> [deploy options] <image>: runs a deploy, keeps its output, returns its code.
run_deploy() {
  local name="$1"
  shift
  local rc=0
  "${ROOT}/scripts/deploy.sh" "${@:1:$#-1}" "${ENV_NAME}" "${@: -1}" >"${TMP}/${name}.log" 2>&1 || rc=$?
  deploy_outcome "${name}" "${rc}"
  return "${rc}"
}

# deploy_outcome <log-name> <exit-code>: logs the result line; counts the bake verdicts of good deploys.
deploy_outcome() {
  log "deploy $1: exit $2 ($(grep -E 'done:|FAILED|ROLLED BACK' "${TMP}/$1.log" | tail -n 1 | sed 's/^.*\] //'))"
  if [[ "$2" == 0 ]] && grep -q 'bake: \(ok\|unjudged\):' "${TMP}/$1.log"; then
    BAKED_OK=$((BAKED_OK + 1))
    BAKE_VERDICTS+=("$(grep -o 'bake: \(ok\|unjudged\): .*' "${TMP}/$1.log" | tail -n 1)")
  fi
}

# jenkins_step <log-name> <command...>: runs the command as a Jenkins agent runs an `sh` step - with a
# build cookie (JENKINS_NODE_COOKIE, BUILD_ID) in its environment - and when it returns, ends every process
# whose environment carries the cookie (SIGTERM, SIGKILL 2 s later), as Jenkins' process-tree killer does.
# Returns the command's status; JENKINS_KILLED counts the processes it had to end.
jenkins_step() {
  local name="$1"
  shift
  local cookie rc=0 pid
  cookie="e2e-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  JENKINS_NODE_COOKIE="${cookie}" BUILD_ID="${cookie}" "$@" >"${TMP}/${name}.log" 2>&1 || rc=$?
  JENKINS_KILLED=0
  for pid in $(cookie_pids "${cookie}"); do
    kill -TERM "${pid}" 2>/dev/null && JENKINS_KILLED=$((JENKINS_KILLED + 1))
  done
  if ((JENKINS_KILLED > 0)); then
    sleep 2
    for pid in $(cookie_pids "${cookie}"); do
      kill -KILL "${pid}" 2>/dev/null || true
    done
  fi
  log "jenkins-style step ${name}: exit ${rc}; ${JENKINS_KILLED} process(es) carrying the build cookie killed after it"
  return "${rc}"
}

# cookie_pids <cookie>: the processes whose environment has JENKINS_NODE_COOKIE=<cookie>.
cookie_pids() {
  grep -l -s -z -x -F "JENKINS_NODE_COOKIE=$1" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 || true
}

file_color() {
  local port
  port="$(sed -n -E 's/^[[:space:]]*server[[:space:]]+127\.0\.0\.1:([0-9]+);.*/\1/p' "${UPSTREAM_FILE}")"
  if [[ "${port}" == "${BLUE_PORT}" ]]; then
    echo blue
  elif [[ "${port}" == "${GREEN_PORT}" ]]; then
    echo green
  else
    echo "unknown:${port}"
  fi
}

# nginx_color: X-App-Color of one 2xx response through nginx.
nginx_color() {
  curl -s -o /dev/null -D - --max-time 5 "${NGINX_URL}/actuator/health/readiness" | tr -d '\r' |
    awk 'NR == 1 && $2 !~ /^2/ { exit } tolower($1) == "x-app-color:" { print $2 }'
}

live_serving() {
  local want="$1"
  for _ in 1 2 3 4 5; do
    [[ "$(nginx_color)" == "${want}" ]] || return 1
  done
}

color_container() {
  docker ps -aq --filter "label=com.docker.compose.project=${RUN_ID}-$1"
}

no_container() {
  [[ -z "$(color_container "$1")" ]]
}

container_running() {
  local cid
  cid="$(color_container "$1")"
  [[ -n "${cid}" && "$(docker inspect -f '{{.State.Running}}' "${cid}")" == true ]]
}

other() {
  if [[ "$1" == blue ]]; then echo green; else echo blue; fi
}

# next_image: v1 or v2, whichever the live color does not run.
next_image() {
  if [[ "$(docker inspect -f '{{.Config.Image}}' "$(color_container "$(file_color)")" 2>/dev/null)" == "${IMG_V2}" ]]; then
    echo "${IMG_V1}"
  else
    echo "${IMG_V2}"
  fi
}

last_history() {
  tail -n "${2:-1}" "${SWITCHYARD_STATE_DIR}/${ENV_NAME}/history.jsonl" | head -n 1 | jq -r "$1"
}

# nginx_worker_pids: the workers that serve (a reload replaces them all); workers of an earlier reload
# that are still "shutting down" leave on their own time (worker_shutdown_timeout), so they are not counted.
nginx_worker_pids() {
  ps -o pid=,args= --ppid "$(cat "${NGINX_PREFIX}/logs/nginx.pid")" | awk '!/shutting down/ {print $1}' | sort | tr '\n' ' '
}

server_errors_in_access_log() {
  jq -r 'select(.status >= 500) | .status' "${ACCESS_LOG}" 2>/dev/null | wc -l
}

# --- cases ------------------------------------------------------------------------------------
case_initial() {
  CASE=initial
  local rc=0
  run_deploy initial "${IMG_V1}" || rc=$?
  check "first deploy (nothing live yet) succeeds" test "${rc}" -eq 0
  check "blue is live and serving" live_serving blue
  [[ "${rc}" -eq 0 ]] || die "cannot continue without a first deploy (see ${TMP}/initial.log)"
}

case_good() {
  CASE=good
  local live next rc img
  live="$(file_color)"
  start_load good
  sleep 2
  for img in "${IMG_V2}" "${IMG_V1}"; do
    next="$(other "${live}")"
    rc=0
    run_deploy "good-${next}" "${img}" || rc=$?
    check "deploy ${img} to ${next} exits 0" test "${rc}" -eq 0
    check "upstream file names ${next}" test "$(file_color)" = "${next}"
    check "nginx answers from ${next}" live_serving "${next}"
    check "history records ${live} -> ${next} ok" test "$(last_history '"\(.from_color)>\(.to_color):\(.result)"')" = "${live}>${next}:ok"
    check "old color ${live} is stopped" bash -c "! docker inspect -f '{{.State.Running}}' '$(color_container "${live}")' 2>/dev/null | grep -q true"
    SWITCH_TIMES+=("$(last_history .switch_ms)")
    live="${next}"
    sleep 2
  done
  stop_load good
  check "history has both deploys" test "$(last_history .image 2)" = "${IMG_V2}"
  local status_json
  "${ROOT}/scripts/status.sh" "${ENV_NAME}" >"${TMP}/status.txt" 2>&1 || true
  check "status (text) names the live color" grep -q "^live color   ${live} " "${TMP}/status.txt"
  status_json="$("${ROOT}/scripts/status.sh" --json "${ENV_NAME}")"
  # shellcheck disable=SC2016 # a jq program
  check "status --json agrees on the live color and its version" \
    jq -e --arg c "${live}" --arg v "${V1}" '.live_color == $c and .nginx.routes_to == $c and .colors[$c].version == $v and .colors[$c].health == "up" and .lock.held == false' <<<"${status_json}" >/dev/null
}

case_failures() {
  CASE=failures
  local live img rc before
  live="$(file_color)"
  start_load failures
  for img in "${IMG_BROKEN}" "${IMG_NEVER}" "${IMG_WRONG}"; do
    before="$(cat "${UPSTREAM_FILE}")"
    rc=0
    if [[ "${img}" == "${IMG_NEVER}" ]]; then
      READY_DEADLINE_S=20 run_deploy "fail-${img##*-}" "${img}" || rc=$?
    else
      run_deploy "fail-${img##*-}" "${img}" || rc=$?
    fi
    check "${img##*-}: deploy exits 4" test "${rc}" -eq 4
    check "${img##*-}: upstream file untouched" test "$(cat "${UPSTREAM_FILE}")" = "${before}"
    check "${img##*-}: live ${live} still serving" live_serving "${live}"
    check "${img##*-}: idle $(other "${live}") removed" no_container "$(other "${live}")"
    check "${img##*-}: history records the failure" test "$(last_history '"\(.result):\(.exit_code)"')" = "failed:4"
  done
  check "broken image failed fast (exit/restart), not at the deadline" grep -q 'exited or restarted' "${TMP}/fail-broken.log"
  check "never-ready image failed at the readiness deadline" grep -q 'not ready within 20s' "${TMP}/fail-never.log"
  check "wrong version failed the smoke test" grep -q "smoke: .* reports version" "${TMP}/fail-wrong.log"
  stop_load failures
}

case_nginx() {
  CASE=nginx
  local live before workers rc=0
  live="$(file_color)"
  before="$(cat "${UPSTREAM_FILE}")"
  workers="$(nginx_worker_pids)"
  start_load nginx
  # Someone left a broken file where nginx reads its config: the switch's nginx -t must catch it.
  echo 'this_is_not_a_directive on;' >"${NGINX_PREFIX}/conf.d/zz-broken.conf"
  run_deploy nginx-invalid "${IMG_V2}" || rc=$?
  check "deploy exits 4" test "${rc}" -eq 4
  check "nginx -t failure reported" grep -q 'nginx config invalid: files restored' "${TMP}/nginx-invalid.log"
  check "upstream file restored" test "$(cat "${UPSTREAM_FILE}")" = "${before}"
  check "no reload happened (same nginx workers)" test "$(nginx_worker_pids)" = "${workers}"
  check "live ${live} still serving" live_serving "${live}"
  check "idle removed" no_container "$(other "${live}")"
  check "no temp files left next to the include" test -z "$(find "$(dirname "${UPSTREAM_FILE}")" -name '.switchyard-tx.*' -o -name '*.switchyard-new')"
  rm -f "${NGINX_PREFIX}/conf.d/zz-broken.conf"
  stop_load nginx
}

# wait_stopped <pid>: until the process is stopped (state T) by the test hook, or gone.
wait_stopped() {
  local pid="$1"
  local state
  for _ in $(seq 1 1800); do
    state="$(awk '{print $3}' "/proc/${pid}/stat" 2>/dev/null || echo gone)"
    [[ "${state}" == T || "${state}" == gone ]] && echo "${state}" && return 0
    sleep 0.1
  done
  echo timeout
}

case_kill() {
  CASE="kill"
  local step pid state live rc img="" steps
  # Every step of the plan, the schema gate and the bake included.
  # shellcheck disable=SC2016 # expanded by the child shell
  mapfile -t steps < <(bash -c 'source "$1"; printf "%s\n" "${PLAN_STEPS[@]}"' _ "${ROOT}/scripts/lib/plan.sh")
  check "the plan has the steps the kill loop covers (${#steps[@]})" test "${#steps[@]}" -ge 11
  start_load kill
  for step in "${steps[@]}"; do
    if [[ "${img}" == "${IMG_V2}" ]]; then img="${IMG_V1}"; else img="${IMG_V2}"; fi
    SWITCHYARD_TEST_STOP_AT="${step}" "${ROOT}/scripts/deploy.sh" "${ENV_NAME}" "${img}" >"${TMP}/kill-${step}.log" 2>&1 &
    pid=$!
    state="$(wait_stopped "${pid}")"
    kill -9 "${pid}" 2>/dev/null || true
    wait "${pid}" 2>/dev/null || true
    check "deploy reached step ${step} (no stale lock from the previous kill)" test "${state}" = T
    live="$(file_color)"
    check "killed before ${step}: live ${live} (per the include) serving" live_serving "${live}"
  done
  rc=0
  run_deploy kill-recover "${img}" || rc=$?
  check "the next deploy succeeds without manual cleanup" test "${rc}" -eq 0
  live="$(file_color)"
  check "after recovery ${live} serving, the other color stopped" bash -c "! docker inspect -f '{{.State.Running}}' '$(color_container "$(other "${live}")")' 2>/dev/null | grep -q true"
  stop_load kill
}

case_concurrent() {
  CASE=concurrent
  local pa pb pc ra=0 rb=0 rc=0 img
  img="$(next_image)"
  start_load concurrent
  # Two deploys at once (same image: whichever wins, the result is the same); then, while the
  # winner runs, a third with --wait queues behind it.
  "${ROOT}/scripts/deploy.sh" "${ENV_NAME}" "${img}" >"${TMP}/conc-a.log" 2>&1 &
  pa=$!
  "${ROOT}/scripts/deploy.sh" "${ENV_NAME}" "${img}" >"${TMP}/conc-b.log" 2>&1 &
  pb=$!
  retry_until 30 0.1 test -s "${SWITCHYARD_STATE_DIR}/${ENV_NAME}/deploy.lock.holder"
  "${ROOT}/scripts/deploy.sh" --wait "${ENV_NAME}" "$(if [[ "${img}" == "${IMG_V2}" ]]; then echo "${IMG_V1}"; else echo "${IMG_V2}"; fi)" \
    >"${TMP}/conc-c.log" 2>&1 &
  pc=$!
  wait "${pa}" || ra=$?
  wait "${pb}" || rb=$?
  wait "${pc}" || rc=$?
  log "concurrent deploys exited ${ra} and ${rb}; the one with --wait ${rc}"
  check "exactly one of two simultaneous deploys proceeds, the other exits 3" \
    test "$(printf '%s\n' "${ra}" "${rb}" | sort | tr '\n' ' ')" = "0 3 "
  check "the refused deploy names the holder" grep -h -q 'another deploy holds the lock .*deploy dev-.* pid=' "${TMP}/conc-a.log" "${TMP}/conc-b.log"
  check "a deploy with --wait waits for the running one, then succeeds" test "${rc}" -eq 0
  check "the waiting deploy said whom it waited for" grep -q 'waiting up to .* for the lock held by: deploy' "${TMP}/conc-c.log"
  stop_load concurrent
}

case_rollback() {
  CASE=rollback
  local live next rc=0 t0 ms img
  live="$(file_color)"
  next="$(other "${live}")"
  start_load rollback
  img="$(next_image)"
  ROLLBACK_WINDOW_S=300 run_deploy rollback-deploy "${img}" || rc=$?
  check "deploy with a rollback window exits 0" test "${rc}" -eq 0
  check "old color ${live} kept running for the window" container_running "${live}"
  rc=0
  t0="$(date +%s%3N)"
  "${ROOT}/scripts/rollback.sh" "${ENV_NAME}" >"${TMP}/rollback.log" 2>&1 || rc=$?
  ms=$(($(date +%s%3N) - t0))
  ROLLBACK_MS="$(last_history .switch_ms)"
  log "rollback exit ${rc}: switch+verify ${ROLLBACK_MS} ms, whole command ${ms} ms"
  check "rollback exits 0" test "${rc}" -eq 0
  check "rollback was instant (switch + verify under 3 s)" test "${ROLLBACK_MS:-99999}" -lt 3000
  check "live is ${live} again, per file and nginx" bash -c "[[ '$(file_color)' == '${live}' ]]"
  check "nginx answers from ${live}" live_serving "${live}"
  check "history records the rollback" test "$(last_history '"\(.action):\(.result):\(.to_color)"')" = "rollback:ok:${live}"
  check "the color rolled back from (${next}) is stopped" bash -c "! docker inspect -f '{{.State.Running}}' '$(color_container "${next}")' 2>/dev/null | grep -q true"
  check "no retirement left for ${live}" test ! -e "${SWITCHYARD_STATE_DIR}/${ENV_NAME}/retire-${live}.json"
  # Outside the window (previous color stopped): rollback redeploys the previous image from history.
  local prev_image
  prev_image="$(last_history .from_image)"
  rc=0
  "${ROOT}/scripts/rollback.sh" "${ENV_NAME}" >"${TMP}/rollback-redeploy.log" 2>&1 || rc=$?
  check "rollback with the previous color gone redeploys ${prev_image}: exit 0" test "${rc}" -eq 0
  check "it said so" grep -q "is not running: redeploying the previous image ${prev_image}" "${TMP}/rollback-redeploy.log"
  check "live is ${next} with ${prev_image}" test "$(file_color):$(last_history .image)" = "${next}:${prev_image}"
  check "nginx answers from ${next}" live_serving "${next}"
  stop_load rollback
}

# --- chat through a switch -------------------------------------------------------------------
# chat_users <n>: n users straight into MySQL (the login needs Kakao); prints their ids.
chat_users() {
  local n="$1"
  local values=() i
  for ((i = 1; i <= n; i++)); do
    values+=("($(($$ * 1000 + i)), 'e2e-chat-${i}', NOW(6), NOW(6))")
  done
  MYSQL_PWD="${MYSQL_PASSWORD}" mariadb -h 127.0.0.1 -P "${MYSQL_HOST_PORT}" -u switchyard -N -B switchyard -e \
    "INSERT INTO users (kakao_id, nickname, created_at, updated_at) VALUES $(IFS=,; echo "${values[*]}");
     SELECT id FROM users WHERE kakao_id > $(($$ * 1000)) AND kakao_id <= $(($$ * 1000 + n)) ORDER BY id;"
}

# api <token> <method> <path> [json]: one REST call through nginx; prints the body, fails on non-2xx.
api() {
  curl -sS --fail-with-body --max-time 10 -X "$2" -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/json' ${4:+--data "$4"} "${NGINX_URL}$3"
}

# chat_thread_dump <color>: the color's JVM threads that serve chat (SIGQUIT prints them to its log), for
# the chat's owners when messages went unacknowledged or undelivered.
chat_thread_dump() {
  local cid
  cid="$(color_container "$1")"
  [[ -n "${cid}" ]] || return 0
  docker kill --signal QUIT "${cid}" >/dev/null 2>&1 || return 0
  sleep 1
  log "chat: $1's chat threads (thread dump):"
  docker logs --since 5s "${cid}" 2>&1 |
    awk '/^"/ { keep = ($0 ~ /clientInbound|clientOutbound|brokerChannel|chat-|lettuce|redis/) } keep' | head -n 400 >&2
}

# watch_stopped <container> <deadline epoch>: prints the time the container stopped running, if it did by then.
watch_stopped() {
  local container="$1"
  local deadline="$2"
  while (($(date +%s) < deadline)); do
    if [[ "$(docker inspect -f '{{.State.Running}}' "${container}" 2>/dev/null)" != true ]]; then
      date +%s
      return 0
    fi
    sleep 0.5
  done
}

case_chat() {
  CASE=chat
  local live next img rc=0 ids tokens room token summary pid
  live="$(file_color)"
  next="$(other "${live}")"
  img="$(next_image)"
  mapfile -t ids < <(chat_users "${CHAT_CLIENTS}")
  check "${CHAT_CLIENTS} chat users created in MySQL" test "${#ids[@]}" -eq "${CHAT_CLIENTS}"
  /usr/bin/python3 "${TEST_DIR}/mint_tokens.py" "${APP_ENV_FILE}" "${ids[@]}" >"${TMP}/chat-tokens.txt"
  mapfile -t tokens <"${TMP}/chat-tokens.txt"
  room="$(api "${tokens[0]}" POST /api/rooms '{"name": "switch under chat"}' | jq -r .id)"
  for token in "${tokens[@]:1}"; do
    api "${token}" POST "/api/rooms/${room}/join" >/dev/null
  done
  check "room ${room} has ${CHAT_CLIENTS} members" \
    test "$(api "${tokens[0]}" GET "/api/rooms/${room}/members" | jq length)" -eq "${CHAT_CLIENTS}"

  start_load chat
  /usr/bin/python3 "${TEST_DIR}/chat_clients.py" --nginx "127.0.0.1:${NGINX_PORT}" --tokens "${TMP}/chat-tokens.txt" \
    --room "${room}" --interval "${CHAT_INTERVAL}" --stop-file "${TMP}/chat.stop" --ready-file "${TMP}/chat.ready" \
    --out "${TMP}/chat.json" >/dev/null 2>"${TMP}/chat-clients.log" &
  pid=$!
  check "every chat client is live on ${live} before the deploy" retry_until 60 0.2 test -e "${TMP}/chat.ready"
  sleep 2
  local old_cid due status_json
  old_cid="$(color_container "${live}")"
  # As Jenkins runs it, keeping the old color for a rollback window.
  ROLLBACK_WINDOW_S="${CHAT_WINDOW_S}" jenkins_step chat-deploy "${ROOT}/scripts/deploy.sh" "${ENV_NAME}" "${img}" || rc=$?
  deploy_outcome chat-deploy "${rc}"
  check "deploy to ${next} while chatting exits 0" test "${rc}" -eq 0
  status_json="$("${ROOT}/scripts/status.sh" --json "${ENV_NAME}" 2>/dev/null || echo '{}')"
  # shellcheck disable=SC2016 # a jq program
  check "status shows the pending retirement of ${live} after the Jenkins step ended" \
    jq -e --arg c "${live}" '.retirements | length == 1 and .[0].color == $c and .[0].state == "pending" and .[0].in_s > 0' <<<"${status_json}" >/dev/null
  "${ROOT}/scripts/status.sh" "${ENV_NAME}" 2>/dev/null | grep '^retirement' >&2 || true
  check "the old color ${live} still runs during its window" container_running "${live}"
  due="$(jq -r '.retirements[0].due // 0' <<<"${status_json}")"
  # The window closes on time although every process of the build was killed: stopped by due + 15 s.
  # Watched beside the clients' wind-down, which may outlast the window.
  local watcher stopped_at
  watch_stopped "${old_cid}" $((due + 15)) >"${TMP}/retired-at" &
  watcher=$!
  sleep 3
  touch "${TMP}/chat.stop"
  wait "${pid}" || true
  stop_load chat
  wait "${watcher}" || true
  stopped_at="$(cat "${TMP}/retired-at")"
  check "the rollback window closed: ${live} stopped by its due time + 15 s (at $((${stopped_at:-0} - due)) s)" test -n "${stopped_at}"
  check "no retirement pending any more" test ! -e "${SWITCHYARD_STATE_DIR}/${ENV_NAME}/retire-${live}.json"
  REPORT+=("chat: rollback window ${CHAT_WINDOW_S}s under a Jenkins-style step (${JENKINS_KILLED} process(es) killed after it): ${live} stopped $((${stopped_at:-0} - due)) s after its due time")
  summary="$(cat "${TMP}/chat.json" 2>/dev/null || echo '{}')"
  log "chat: ${summary}"
  if ! jq -e '.unsent == [] and (.missing | all(. == 0))' <<<"${summary}" >/dev/null; then
    chat_thread_dump "${next}"
  fi
  REPORT+=("chat: $(jq -r '"\(.clients) clients, \(.messages) messages in the room, \(.acked) acknowledged, \(.resent) resent (\(.resent_stored_twice) stored twice), reconnects \(.reconnects | tostring), longest gap \(.longest_gap_ms) ms"' <<<"${summary}" 2>/dev/null)")
  check "chat: messages flowed before and after the switch" jq -e '.messages > 0 and .acked > 0' <<<"${summary}" >/dev/null
  check "chat: no acknowledged message is missing from the room" jq -e '.lost_acked == []' <<<"${summary}" >/dev/null
  check "chat: every message sent was acknowledged in the end (resent after reconnecting)" \
    jq -e '.unsent == []' <<<"${summary}" >/dev/null
  check "chat: a resend after a lost receipt (same message-key) was not stored twice" \
    jq -e '.resent_stored_twice == 0' <<<"${summary}" >/dev/null
  check "chat: every client received every message of the room" \
    jq -e '.missing | all(. == 0)' <<<"${summary}" >/dev/null
  check "chat: no client received a message that is not in the room" \
    jq -e '.unknown_received | all(. == 0)' <<<"${summary}" >/dev/null
  # The old color ends every session: the ERROR reconnect hint, or its close frame. Under load Spring can
  # close a busy socket before the queued hint goes out (close 1002); docs/chat.md has clients reconnect on
  # any close, so either counts. The hints seen are in the log line above.
  check "chat: the old color ended every client's session (ERROR reconnect:true or a close frame)" \
    jq -e '.hints | all(length > 0 and any(.[]; test("^ERROR server-restart reconnect$|^close [0-9]+$")))' <<<"${summary}" >/dev/null
  # shellcheck disable=SC2016 # a jq program
  check "chat: every client was on ${live}, then reconnected to ${next}" \
    jq -e --arg a "${live}" --arg b "${next}" '.colors | all(.[0] == $a and .[-1] == $b)' <<<"${summary}" >/dev/null
  check "chat: no client error" jq -e '.errors == []' <<<"${summary}" >/dev/null
}

# --- bake: bad releases that pass every check before the switch ------------------------------------
# bake_one <label> <image> <log-name>: deploys it under load on GET /api/rooms/popular (an authenticated
# route) and checks that the bake switched back by itself.
bake_one() {
  local label="$1"
  local img="$2"
  local name="$3"
  local live next rc=0 token summary bad_first bad_last first_fail failed
  live="$(file_color)"
  next="$(other "${live}")"
  token="$(/usr/bin/python3 "${TEST_DIR}/mint_tokens.py" "${APP_ENV_FILE}" 0)"
  check "${label}: the route answers 200 on ${live} before the deploy" \
    test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${token}" "${NGINX_URL}/api/rooms/popular")" = 200
  start_load "${name}" /api/rooms/popular "${token}"
  sleep 3
  run_deploy "${name}" "${img}" || rc=$?
  stop_load "${name}" failures-expected
  # The engine's own account of the bake (baseline, slow intervals, verdict): what to read when a check fails.
  grep -E '(\] |ERROR: )bake: ' "${TMP}/${name}.log" | while IFS= read -r line; do log "  ${name}: ${line#*] }"; done || true
  check "${label}: the deploy passed readiness, the smoke test and verify, and was rolled back by the bake: exit 6" test "${rc}" -eq 6
  check "${label}: the log names the breach and the switch back" grep -q "bake: BREACH: .*switching back to ${live}" "${TMP}/${name}.log"
  check "${label}: upstream file names ${live} again" test "$(file_color)" = "${live}"
  check "${label}: nginx answers from ${live}" live_serving "${live}"
  check "${label}: the bad release on ${next} is removed" no_container "${next}"
  # shellcheck disable=SC2016 # a jq program
  check "${label}: history records rolled_back (exit 6) with the reason and the figures" \
    test "$(last_history '"\(.result):\(.exit_code):\(.failed_step):\(.bake.requests > 0):\(.bake.baseline.requests > 0)"')" = "rolled_back:6:bake:true:true"
  # Clients' view: from the first failed request to the last answer from the bad color.
  summary="$(cat "${TMP}/load-${name}-keepalive.json" "${TMP}/load-${name}-close.json" | jq -s -c '{
      failed: (map(.failed) | add), requests: (map(.requests) | add),
      first_fail: (map(.first_failure_t // empty) | min),
      bad_first: (map(.color_times["'"${next}"'"].first // empty) | min),
      bad_last: (map(.color_times["'"${next}"'"].last // empty) | max)}')"
  read -r failed first_fail bad_first bad_last <<<"$(jq -r '"\(.failed) \(.first_fail // 0) \(.bad_first // 0) \(.bad_last // 0)"' <<<"${summary}")"
  local bad_ms restore_ms
  bad_ms="$(awk -v a="${bad_first}" -v b="${bad_last}" 'BEGIN { printf "%d", (b - a) * 1000 }')"
  restore_ms="$(awk -v a="${first_fail}" -v b="${bad_last}" 'BEGIN { printf "%d", (a > 0 ? (b - a) * 1000 : -1) }')"
  REPORT+=("bake ${label}: $(last_history '.message'); engine: breach found $(last_history .bake.after_ms) ms into the bake, ${live} live again $(last_history .bake.restored_ms) ms later; clients: ${next} answered for ${bad_ms} ms, first failed request to last answer from ${next} ${restore_ms} ms, ${failed} failed of $(jq -r .requests <<<"${summary}")")
  BAKE_FIGURES_REPORT+=("${label}: detect $(last_history .bake.after_ms) ms, restore $(last_history .bake.restored_ms) ms, first bad response -> all on ${live} ${restore_ms} ms, failed ${failed}")
}

case_bake() {
  CASE=bake
  local t0
  BAKE_LOG_FROM="$(stat -c %s "${ACCESS_LOG}" 2>/dev/null || echo 0)"
  bake_one "500 on a real route" "${IMG_500}" bake-500
  check "500 release: the reason is the 5xx ratio" grep -q 'bake: BREACH: 5xx on' "${TMP}/bake-500.log"
  # The slow release is opt-in (SWITCHYARD_E2E_BAKE_SLOW=1): it is not reliably slow here. The interpreted
  # (JIT-off) release's p99 upstream time under this load was 3-4x the old color's over its whole bake (144-165
  # ms against 43-46 ms), but per 1 s interval mostly under the limit, so no 3 slow intervals in a row: it was
  # kept in 4 runs of 4, with the shipped limit and with a 2x one. The latency verdict itself is tested in
  # tests/bats/bake.bats (a color slow in every interval is rolled back after three of them).
  if [[ "${SWITCHYARD_E2E_BAKE_SLOW:-0}" == 1 ]]; then
    t0="${SECONDS}"
    READY_DEADLINE_S=300 BAKE_S=20 bake_one "slower (JIT off)" "${IMG_SLOW}" bake-slow
    check "slow release: the reason is the p99" grep -q 'bake: BREACH: p99' "${TMP}/bake-slow.log"
    log "slow release case took $((SECONDS - t0))s"
  else
    log "slow-release bake skipped (SWITCHYARD_E2E_BAKE_SLOW=1 runs it)"
  fi
  BAKE_LOG_TO="$(stat -c %s "${ACCESS_LOG}" 2>/dev/null || echo 0)"
}

# --- schema gate ------------------------------------------------------------------------------------
mysql_root() {
  MYSQL_PWD="${MYSQL_ROOT_PASSWORD}" mariadb -h 127.0.0.1 -P "${MYSQL_HOST_PORT}" -u root -N -B "$@"
}

case_gate() {
  CASE=gate
  local live next rc=0 before from
  live="$(file_color)"
  next="$(other "${live}")"
  before="$(cat "${UPSTREAM_FILE}")"
  mysql_root -e "CREATE DATABASE IF NOT EXISTS switchyard_gate; GRANT ALL PRIVILEGES ON switchyard_gate.* TO 'switchyard'@'%';"
  from="$(stat -c %s "${ACCESS_LOG}")"
  start_load gate
  run_deploy gate "${IMG_GATE}" || rc=$?
  stop_load gate
  check "the schema gate aborts the deploy before the switch: exit 4" test "${rc}" -eq 4
  check "it failed at the schema gate, naming the live color and the migration" \
    grep -q "schema gate: the live color ${live} fails hook schema_gate.post after ${next} migrated the database" "${TMP}/gate.log"
  check "the smoke hook saw the live release fail its database read" grep -q "users table could not be read" "${TMP}/gate.log"
  check "history records the failure at schema_gate" test "$(last_history '"\(.result):\(.exit_code):\(.failed_step)"')" = "failed:4:schema_gate"
  check "upstream file untouched" test "$(cat "${UPSTREAM_FILE}")" = "${before}"
  check "live ${live} still serving" live_serving "${live}"
  check "the new color ${next} is removed" no_container "${next}"
  check "not one request through nginx reached ${next}" \
    test "$(tail -c +"$((from + 1))" "${ACCESS_LOG}" | jq -r --arg p ":$(port_of "${next}")" 'select(.upstream_addr | endswith($p)) | .uri' | wc -l)" -eq 0
  # What the operator does next: restore the column (from the snapshot a start_idle.pre hook took).
  mysql_root -e "ALTER TABLE switchyard.users ADD COLUMN email VARCHAR(320) AFTER thumbnail_image_url; DROP DATABASE switchyard_gate;"
  check "with the column back the live release passes its smoke test again" \
    env SWITCHYARD_TARGET_URL="http://127.0.0.1:$(port_of "${live}")" SWITCHYARD_APP_ENV_FILE="${APP_ENV_FILE}" "${ROOT}/deploy.d/smoke_test.post"
}

# --- disk, and what a dead chat webhook costs -------------------------------------------------------
# refused_deploy_ms <log-name> [env...]: runs a deploy that the disk check refuses; prints its duration.
refused_deploy_ms() {
  local name="$1"
  shift
  local t0 rc=0
  t0="$(date +%s%3N)"
  env DISK_MIN_FREE_MB=999999999 "$@" "${ROOT}/scripts/deploy.sh" "${ENV_NAME}" "$(next_image)" >"${TMP}/${name}.log" 2>&1 || rc=$?
  echo "$(($(date +%s%3N) - t0)) ${rc}"
}

case_disk() {
  CASE=disk
  local live ms rc hang_port dead_port base_ms
  live="$(file_color)"
  read -r base_ms rc <<<"$(refused_deploy_ms disk-refused NOTIFY_WEBHOOK_URL=)"
  check "too little disk: refused with exit 4" test "${rc}" -eq 4
  check "the refusal names the numbers" grep -q "MB free on Docker's data root .*DISK_MIN_FREE_MB=999999999 needed" "${TMP}/disk-refused.log"
  check "refused before the idle color started: no $(other "${live}") container" no_container "$(other "${live}")"
  check "history records the failure at start_idle" test "$(last_history '"\(.result):\(.exit_code):\(.failed_step)"')" = "failed:4:start_idle"
  check "live ${live} still serving" live_serving "${live}"
  # The same deploy with the webhook dead (connection refused) and hanging (accepts, never answers).
  dead_port="$(free_port)"
  python3 "${TEST_DIR}/webhook_receiver.py" --out "${TMP}/hang-received.jsonl" --port-file "${TMP}/hang.port" --hang --hang-s 30 --max-s 120 &
  HANG_PID=$!
  retry_until 10 0.1 test -s "${TMP}/hang.port"
  hang_port="$(cat "${TMP}/hang.port")"
  read -r ms rc <<<"$(refused_deploy_ms disk-dead-webhook NOTIFY_WEBHOOK_URL="http://127.0.0.1:${dead_port}/hooks/dead")"
  check "a dead webhook adds under 1 s to the deploy ($((ms - base_ms)) ms)" test "$((ms - base_ms))" -lt 1000
  local hang_ms
  read -r hang_ms rc <<<"$(refused_deploy_ms disk-hanging-webhook NOTIFY_WEBHOOK_URL="http://127.0.0.1:${hang_port}/hooks/hang")"
  check "a hanging webhook adds under 1 s to the deploy ($((hang_ms - base_ms)) ms)" test "$((hang_ms - base_ms))" -lt 1000
  check "the hanging webhook was posted to meanwhile" retry_until 10 0.2 test -s "${TMP}/hang-received.jsonl"
  kill "${HANG_PID}" 2>/dev/null || true
  REPORT+=("notifications: a deploy refused at start_idle took ${base_ms} ms without a webhook, ${ms} ms with a dead one, ${hang_ms} ms with a hanging one")
}

# senders_idle: no notification or event sender is running. The deploys of the cases before start them
# detached (scripts/lib/notify.sh, scripts/lib/events.sh); they append to the state dir when they finish.
senders_idle() {
  ! pgrep -f -- 'scripts/notify.sh' >/dev/null && ! pgrep -f -- 'deploy_event_sinks' >/dev/null
}

# snapshot: everything a deploy could change - nginx files and workers, state files, containers.
snapshot() {
  (cd "${TMP}" && find nginx state -type f ! -path 'nginx/logs/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  echo "workers: $(nginx_worker_pids)"
  docker ps -a --no-trunc --filter "label=com.docker.compose.project=${RUN_ID}-blue" \
    --filter "label=com.docker.compose.project=${RUN_ID}-green" --format '{{.ID}} {{.Image}} {{.Status}}' |
    sed -E 's/ (Up|Exited) .*/ \1/' | sort
}

case_dryrun() {
  CASE=dryrun
  local live idle before after rc=0 img
  live="$(file_color)"
  idle="$(other "${live}")"
  img="$(next_image)"
  # A late line of an earlier deploy's sender would look like the dry run's doing.
  retry_until 60 0.2 senders_idle || log "notification or event senders still running after 60 s"
  before="$(snapshot)"
  "${ROOT}/scripts/deploy.sh" --dry-run "${ENV_NAME}" "${img}" >"${TMP}/dryrun.out" 2>"${TMP}/dryrun.log" || rc=$?
  after="$(snapshot)"
  check "dry-run exits 0" test "${rc}" -eq 0
  check "dry-run prints the plan (${live} -> ${idle}, eleven steps)" \
    bash -c "grep -q 'new color        ${idle} ' '${TMP}/dryrun.out' && grep -q '11 record' '${TMP}/dryrun.out'"
  check "dry-run prints the nginx diff of the upstream include" \
    bash -c "grep -qx -- '-server 127.0.0.1:$(port_of "${live}");' '${TMP}/dryrun.out' && grep -qx -- '+server 127.0.0.1:$(port_of "${idle}");' '${TMP}/dryrun.out'"
  if [[ "${before}" != "${after}" ]]; then
    diff <(echo "${before}") <(echo "${after}") >&2 || true
  fi
  check "dry-run changed nothing (nginx files and workers, state, containers)" test "${before}" = "${after}"
  check "live ${live} still serving" live_serving "${live}"
}

port_of() {
  if [[ "$1" == blue ]]; then echo "${BLUE_PORT}"; else echo "${GREEN_PORT}"; fi
}

# start_receiver: the chat webhook every deploy of the run notifies (a secret path, as Slack's).
start_receiver() {
  python3 "${TEST_DIR}/webhook_receiver.py" --out "${TMP}/notifications.jsonl" --port-file "${TMP}/receiver.port" --max-s 3600 &
  RECEIVER_PID=$!
  retry_until 10 0.1 test -s "${TMP}/receiver.port" || die "webhook receiver did not start"
  WEBHOOK_SECRET="T0-B0-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  NOTIFY_WEBHOOK_URL="http://127.0.0.1:$(cat "${TMP}/receiver.port")/services/${WEBHOOK_SECRET}"
  export NOTIFY_WEBHOOK_URL
}

# check_notifications: each kind of result reached the receiver; the secret URL is in no log.
check_notifications() {
  local kinds=("started: " "succeeded: ")
  [[ " ${CASES[*]} " != *" failures "* ]] || kinds+=("FAILED at health_check (exit 4)")
  [[ " ${CASES[*]} " != *" bake "* ]] || kinds+=("ROLLED BACK by the bake")
  [[ " ${CASES[*]} " != *" rollback "* ]] || kinds+=("rollback ")
  local kind
  for kind in "${kinds[@]}"; do
    # shellcheck disable=SC2016 # a jq program
    check "a chat notification '${kind}' reached the webhook" \
      jq -e -s --arg k "${kind}" 'any(.[]; .body.text | contains($k))' "${TMP}/notifications.jsonl" >/dev/null
  done
  check "every notification is Slack-compatible JSON {\"text\": ...}" \
    jq -e -s 'all(.[]; (.body | type) == "object" and (.body | keys) == ["text"] and .content_type == "application/json")' "${TMP}/notifications.jsonl" >/dev/null
  check "the webhook's secret URL is in no log or state file" bash -c "! grep -r -q -F '${WEBHOOK_SECRET}' '${TMP}'/*.log '${SWITCHYARD_STATE_DIR}'"
  REPORT+=("notifications: $(wc -l <"${TMP}/notifications.jsonl") received by the local webhook")
}

# server_errors_outside_bake: 5xx in the access log outside the bake case (whose bad releases answer 5xx).
server_errors_outside_bake() {
  local from="${BAKE_LOG_FROM:-0}" to="${BAKE_LOG_TO:-0}"
  {
    head -c "${from}" "${ACCESS_LOG}"
    tail -c +"$((to + 1))" "${ACCESS_LOG}"
  } | jq -r 'select(.status >= 500) | .status' 2>/dev/null | wc -l
}

main() {
  CASES=("$@")
  if ((${#CASES[@]} == 0)); then
    CASES=(good failures nginx kill concurrent rollback chat bake gate disk dryrun)
  fi
  SWITCH_TIMES=()
  BAKE_VERDICTS=()
  BAKE_FIGURES_REPORT=()
  ensure_packages nginx docker.io docker-compose curl jq python3 python3-websocket python3-jwt mariadb-client \
    gettext-base iproute2 procps util-linux
  ensure_dockerd
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  local t0=${SECONDS}
  setup_env
  start_receiver
  start_datastores
  prepare_images
  log "setup took $((SECONDS - t0))s; nginx :${NGINX_PORT}, blue :${BLUE_PORT}, green :${GREEN_PORT}"
  case_initial
  local c
  for c in "${CASES[@]}"; do
    local tc=${SECONDS}
    "case_${c}"
    log "case ${c} took $((SECONDS - tc))s"
  done
  CASE=final
  check "no 5xx in nginx's access log over the whole run (but the bake case's bad releases)" test "$(server_errors_outside_bake)" -eq 0
  local actions='["start", "step", "switched", "succeeded"]'
  if [[ " ${CASES[*]} " == *" failures "* ]]; then
    actions='["start", "step", "switched", "succeeded", "failed"]'
  fi
  if [[ " ${CASES[*]} " == *" bake "* ]]; then
    actions="${actions%]}, \"rolled_back\"]"
  fi
  # shellcheck disable=SC2016 # a jq program
  check "deploy events recorded: ${actions}" \
    jq -s -e --argjson want "${actions}" '($want - [.[].event.action]) == []' "${DEPLOY_EVENTS_FILE}" >/dev/null
  check_notifications
  # Old images: the failed releases were pruned after the next good deploy; the live and previous kept.
  if [[ " ${CASES[*]} " == *" failures "* ]]; then
    check "old images pruned after good deploys: the broken release's image is gone" bash -c "! docker image inspect '${IMG_BROKEN}' >/dev/null 2>&1"
  fi
  check "the live and the previous release's images are kept" docker image inspect "${IMG_V1}" "${IMG_V2}"
  local totals
  totals="no load ran in these cases"
  compgen -G "${TMP}/load-*.json" >/dev/null &&
    totals="$(cat "${TMP}"/load-*.json | jq -s -r '"\(map(.requests) | add) requests through nginx during the cases, \(map(.failed) | add) failed (bad releases of the bake case included), \(map(.stale_retries) | add) keep-alive resends"')"
  printf '%s\n' "---- deploy e2e summary ----" "${REPORT[@]}" "total: ${totals}" \
    "switch (switch start -> ${VERIFY_REQUESTS:-10} verified responses) ms: ${SWITCH_TIMES[*]:-}" \
    "rollback switch ms: ${ROLLBACK_MS:-n/a}" \
    "bake of good deploys: ${BAKED_OK} baked and kept (false rollbacks: none, else their deploy checks failed)" \
    "${BAKE_VERDICTS[@]/#/  }" \
    "bake of bad releases: ${BAKE_FIGURES_REPORT[*]:-n/a}" \
    "passed ${PASSES}, failed ${FAILURES}, $((SECONDS - t0))s" >&2
  ((FAILURES == 0))
}

main "$@"
