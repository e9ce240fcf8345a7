#!/usr/bin/env bash
# The app image as color containers, started by the deploy kit's own app_start with the shipped compose
# files, ship their JSON log lines and APM traces to stand-ins for Logstash and the APM server:
#   local   ELK_HOST=local: the stand-ins are containers on the ELK stack's network (the fixed name of
#           elk/docker-compose.yml) under its service names, logstash and apm-server; blue joins it
#   remote  ELK_HOST=<address>: the stand-ins listen in a network namespace ("another host") on an
#           address this test gives it; green and the host's deploy events and disk figures reach it
# The stand-ins (tests/elk/standin/ElkStandIn.java) speak the real contracts: Logstash's TCP json_lines
# input and the APM server's intake v2 API. Run by tests/elk/run.sh; needs root, docker, iproute2.
#
# Usage: tests/elk/wiring-containers.sh <app-image>
set -euo pipefail

TESTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${TESTS_DIR}/../.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${REPO_ROOT}/scripts/lib/common.sh"
# shellcheck source=scripts/lib/images.sh
source "${REPO_ROOT}/scripts/lib/images.sh"
SCRIPT_NAME="elk-wiring"

RUN_ID="elkw$$"
WORK=""
NETNS="${RUN_ID}"
HOST_ADDR=10.199.14.1
NS_ADDR=10.199.14.2
ELK_NET=""
DATA_NET="${RUN_ID}-data"
STANDIN_PIDS=()
CHECKS=0

cleanup() {
  set +e
  local c
  for c in $(docker ps -aq --filter "label=com.docker.compose.project=${RUN_ID}-blue") \
    $(docker ps -aq --filter "label=com.docker.compose.project=${RUN_ID}-green") $(docker ps -aq --filter "name=^${RUN_ID}-"); do
    docker rm -f -v "${c}" >/dev/null 2>&1
  done
  for c in "${STANDIN_PIDS[@]}"; do
    kill "${c}" 2>/dev/null
  done
  ip netns del "${NETNS}" 2>/dev/null
  ip link del "${RUN_ID}h" 2>/dev/null
  [[ -n "${ELK_NET}" ]] && docker network rm "${ELK_NET}" >/dev/null 2>&1
  docker network rm "${DATA_NET}" "${RUN_ID}-blue_default" "${RUN_ID}-green_default" >/dev/null 2>&1
  [[ -n "${WORK}" ]] && rm -rf "${WORK}"
}

check() {
  local what="$1"
  shift
  if "$@"; then
    CHECKS=$((CHECKS + 1))
    log "ok: ${what}"
  else
    die "FAILED: ${what}"
  fi
}

# The env "elkwire": its own ports and compose projects; ELK_HOST decides the wiring.
write_env() {
  mkdir -p "${WORK}/env"
  cp "${REPO_ROOT}/scripts/env/common.env" "${WORK}/env/common.env"
  cat >"${WORK}/env/elkwire.env" <<ENV
: "\${NGINX_LISTEN:=$(free_port)}"
: "\${BLUE_PORT:=$(free_port)}"
: "\${GREEN_PORT:=$(free_port)}"
ENV
  # The app's own settings: embedded stores (no data-store containers needed), JSON logs, the agent's
  # token and quick APM reporting so the test need not wait for the default 10 s batches.
  cat >"${WORK}/app.env" <<ENV
SPRING_PROFILES_ACTIVE=
LOG_FORMAT=json
ELASTIC_APM_SECRET_TOKEN=elkwire-token
ELASTIC_APM_API_REQUEST_TIME=1s
ELASTIC_APM_METRICS_INTERVAL=1s
ELASTIC_APM_CENTRAL_CONFIG=false
ELASTIC_APM_CLOUD_PROVIDER=NONE
ENV
}

# in_env <ELK_HOST> <bash-code> [args...]: runs the code with the deploy kit's libraries and the env
# "elkwire" loaded as a deploy would load it; ELK_HOST is the only ELK setting given.
in_env() {
  local elk_host="$1"
  shift
  # shellcheck disable=SC2016 # the libraries are sourced by the child shell
  env SWITCHYARD_ENV_DIR="${WORK}/env" ELK_HOST="${elk_host}" ELK_NETWORK="${ELK_NET}" \
    APP_ENV_FILE="${WORK}/app.env" SWITCHYARD_DATA_NETWORK="${DATA_NET}" SWITCHYARD_STATE_DIR="${WORK}/state" \
    COMPOSE_PROJECT_BLUE="${RUN_ID}-blue" COMPOSE_PROJECT_GREEN="${RUN_ID}-green" REPO_ROOT="${REPO_ROOT}" \
    bash -c 'set -euo pipefail
      for lib in common config color app events; do source "${REPO_ROOT}/scripts/lib/${lib}.sh"; done
      config_load elkwire
      '"$1" _ "${@:2}"
}

# start_app <color> <ELK_HOST>: app_start of the deploy kit; prints the color's URL.
start_app() {
  # shellcheck disable=SC2016 # expanded by in_env's shell
  in_env "$2" 'app_start "$1" "$2" >&2; echo "http://127.0.0.1:$(port_for_color "$1")"' "$1" "${APP_IMAGE}"
}

ready() {
  curl -fs -o /dev/null --max-time 3 "$1/actuator/health/readiness"
}

# bad_tokens <base-url>: three requests the app logs inside the request ("rejected access token"), with
# the trace id in X-Trace-Id; prints the trace ids.
bad_tokens() {
  local i
  for i in 1 2 3; do
    curl -sS -o /dev/null -D - --max-time 10 -H "Authorization: Bearer not-a-jwt-${i}" "$1/api/users/me" |
      tr -d '\r' | sed -n 's/^[Xx]-[Tt]race-[Ii]d: //p'
  done
}

# shipped <out-dir> <color> <env> <trace-ids...>: log lines and traces of that container arrived.
log_lines_arrived() {
  local file="$1/logstash-5000.jsonl"
  local color="$2"
  shift 2
  [[ -s "${file}" ]] || return 1
  local id
  for id in "$@"; do
    jq -n -e --arg id "${id}" --arg color "${color}" \
      'any(inputs; .["trace.id"] == $id and .["app.color"] == $color and .["app.env"] == "elkwire"
              and (.message | startswith("rejected access token")))' "${file}" >/dev/null 2>&1 || return 1
  done
}

traces_arrived() {
  local file="$1/apm-intake.ndjson"
  shift
  [[ -s "${file}" ]] || return 1
  local id
  for id in "$@"; do
    jq -n -e --arg id "${id}" 'any(inputs; .transaction.trace_id == $id)' "${file}" >/dev/null 2>&1 || return 1
  done
}

metadata_ok() {
  jq -n -e 'any(inputs | select(.metadata) | .metadata.service;
    .name == "switchyard" and .environment == "elkwire" and (.version | length > 0))' \
    "$1/apm-intake.ndjson" >/dev/null 2>&1 &&
    jq -n -e --arg color "$2" 'any(inputs | select(.metadata); .metadata.labels.color == $color)' \
      "$1/apm-intake.ndjson" >/dev/null 2>&1 &&
    grep -qx 'Bearer elkwire-token' "$1/apm-auth.txt"
}

start_local_standins() {
  ELK_NET="$(sed -n 's/^    name: \(switchyard-elk\)$/\1/p' "${REPO_ROOT}/elk/docker-compose.yml")"
  [[ -n "${ELK_NET}" ]] || die "no network name in elk/docker-compose.yml"
  if docker network inspect "${ELK_NET}" >/dev/null 2>&1; then
    # An ELK stack runs on this machine: leave it alone, use a network of our own (ELK_NETWORK).
    log "network ${ELK_NET} exists (a real ELK stack?): using ${RUN_ID}-elk instead"
    ELK_NET="${RUN_ID}-elk"
  fi
  docker network create "${ELK_NET}" >/dev/null
  mkdir -p "${WORK}/out-local"
  chmod 777 "${WORK}/out-local"
  # The stand-ins run on the app's own JRE image (scripts/lib/images.sh), present wherever the app image is built.
  local jre="${SWITCHYARD_JRE_IMAGE}"
  docker run -d --name "${RUN_ID}-logstash" --network "${ELK_NET}" --network-alias logstash \
    -v "${WORK}/classes:/standin:ro" -v "${WORK}/out-local:/out" "${jre}" \
    java -cp /standin ElkStandIn logstash /out 5000 >/dev/null
  docker run -d --name "${RUN_ID}-apm" --network "${ELK_NET}" --network-alias apm-server \
    -v "${WORK}/classes:/standin:ro" -v "${WORK}/out-local:/out" "${jre}" \
    java -cp /standin ElkStandIn apm /out 8200 >/dev/null
}

start_remote_standins() {
  ip netns add "${NETNS}"
  ip link add "${RUN_ID}h" type veth peer name "${RUN_ID}n"
  ip link set "${RUN_ID}n" netns "${NETNS}"
  ip addr add "${HOST_ADDR}/30" dev "${RUN_ID}h"
  ip link set "${RUN_ID}h" up
  ip netns exec "${NETNS}" ip addr add "${NS_ADDR}/30" dev "${RUN_ID}n"
  ip netns exec "${NETNS}" ip link set "${RUN_ID}n" up
  ip netns exec "${NETNS}" ip link set lo up
  mkdir -p "${WORK}/out-remote"
  local pid
  ip netns exec "${NETNS}" java -cp "${WORK}/classes" ElkStandIn logstash "${WORK}/out-remote" 5000 5001 5002 \
    >"${WORK}/standin-logstash.log" 2>&1 &
  pid=$!
  STANDIN_PIDS+=("${pid}")
  ip netns exec "${NETNS}" java -cp "${WORK}/classes" ElkStandIn apm "${WORK}/out-remote" 8200 \
    >"${WORK}/standin-apm.log" 2>&1 &
  pid=$!
  STANDIN_PIDS+=("${pid}")
}

listening() {
  grep -q listening "$1"
}

main() {
  (($# == 1)) || die "usage: tests/elk/wiring-containers.sh <app-image>"
  APP_IMAGE="$1"
  is_root || die "run as root (docker, network namespaces)"
  require_cmd docker ip javac jq curl
  trap cleanup EXIT
  WORK="$(mktemp -d)"
  chmod 755 "${WORK}"
  local t0=${SECONDS}
  javac --release 17 -d "${WORK}/classes" "${TESTS_DIR}/standin/ElkStandIn.java"
  chmod -R a+rX "${WORK}/classes"
  write_env
  docker network create --internal "${DATA_NET}" >/dev/null
  start_local_standins
  start_remote_standins

  # Both colors start at once: blue wired to the local stack, green to the remote one.
  local blue green
  blue="$(start_app blue local)"
  green="$(start_app green "${NS_ADDR}")"
  check "the blue container joined the ELK network ${ELK_NET}" \
    bash -c "docker inspect -f '{{json .NetworkSettings.Networks}}' \"\$(docker ps -q --filter label=com.docker.compose.project=${RUN_ID}-blue)\" | jq -e 'has(\"${ELK_NET}\")' >/dev/null"
  check "the green container did not join it (remote ELK)" \
    bash -c "docker inspect -f '{{json .NetworkSettings.Networks}}' \"\$(docker ps -q --filter label=com.docker.compose.project=${RUN_ID}-green)\" | jq -e 'has(\"${ELK_NET}\") | not' >/dev/null"
  retry_until 180 1 ready "${blue}" || die "blue not ready: $(docker logs --tail 30 "$(docker ps -aq --filter label=com.docker.compose.project=${RUN_ID}-blue)" 2>&1)"
  retry_until 180 1 ready "${green}" || die "green not ready"
  log "both colors ready after $((SECONDS - t0))s"

  local blue_ids green_ids
  mapfile -t blue_ids < <(bad_tokens "${blue}")
  mapfile -t green_ids < <(bad_tokens "${green}")
  ((${#blue_ids[@]} == 3 && ${#green_ids[@]} == 3)) || die "no X-Trace-Id headers"
  check "local: blue's log lines reached logstash:5000 with app.color=blue and each request's trace.id" \
    retry_until 30 1 log_lines_arrived "${WORK}/out-local" blue "${blue_ids[@]}"
  check "local: blue's transactions reached apm-server:8200 with the same trace ids" \
    retry_until 30 1 traces_arrived "${WORK}/out-local" "${blue_ids[@]}"
  check "local: APM metadata service switchyard, environment elkwire, label color=blue, the secret token" \
    retry_until 10 1 metadata_ok "${WORK}/out-local" blue
  check "remote: green's log lines reached ${NS_ADDR}:5000 in the other namespace" \
    retry_until 30 1 log_lines_arrived "${WORK}/out-remote" green "${green_ids[@]}"
  check "remote: green's transactions reached ${NS_ADDR}:8200" \
    retry_until 30 1 traces_arrived "${WORK}/out-remote" "${green_ids[@]}"
  check "remote: APM metadata with label color=green" retry_until 10 1 metadata_ok "${WORK}/out-remote" green
  check "local: no green line strayed to the local stand-in" \
    jq -n -e 'any(inputs; .["app.color"] == "green") | not' "${WORK}/out-local/logstash-5000.jsonl" >/dev/null

  # The host's own shippers with the same one setting: deploy events (5001) and disk figures (5002).
  check "remote: the stand-in listens" retry_until 10 1 listening "${WORK}/standin-logstash.log"
  # shellcheck disable=SC2016 # expanded by in_env's shell
  in_env "${NS_ADDR}" 'DEPLOY_ENV=elkwire DEPLOY_ID=elkwire-1 emit_deploy_event switched from_color=blue to_color=green
    "${REPO_ROOT}/scripts/disk-report.sh" elkwire'
  check "remote: the deploy event reached ${NS_ADDR}:5001" \
    retry_until 10 1 bash -c "jq -n -e 'any(inputs; .event.action == \"switched\" and .deploy.id == \"elkwire-1\")' '${WORK}/out-remote/logstash-5001.jsonl' >/dev/null 2>&1"
  check "remote: the disk figures reached ${NS_ADDR}:5002 (root file system)" \
    retry_until 10 1 bash -c "jq -n -e 'any(inputs; .event.dataset == \"switchyard.disk\" and (.disk.roles // [] | index(\"root\") != null))' '${WORK}/out-remote/logstash-5002.jsonl' >/dev/null 2>&1"
  log "wiring: ${CHECKS} checks passed in $((SECONDS - t0))s (local network ${ELK_NET}, remote ${NS_ADDR} in netns ${NETNS})"
}

main "$@"
