#!/usr/bin/env bash
# End-to-end tests of the fleet deploy: two "hosts" behind a balancer nginx, deployed one at a time
# by scripts/fleet-deploy.sh over real ssh.
#
# Usage: tests/fleet/run.sh
#
# The topology (all on 127.0.0.1 of this machine):
#   load.py -> balancer nginx -> host-1's nginx -> host-1 blue/green   (the main docker engine)
#                             -> host-2's nginx -> host-2 blue/green   (a second docker engine of its own)
#   each host: its own sshd (its settings are that sshd's SetEnv), nginx, app ports, state, env file;
#   the data stores (docker-compose.datastores.yml) are shared, as managed stores are.
#   The deployer is this script: PROD_HOSTS="host-1 host-2", FLEET_SSH_CONFIG, the balancer hook
#   tests/fleet/balancer-hook.sh as FLEET_DRAIN_CMD / FLEET_UNDRAIN_CMD.
#
# Cases, in order (each depends on the one before):
#   promote  first fleet deploy of v1: host-1's engine has the image (checked, not shipped), host-2's
#            has none and gets it by docker save | ssh | docker load, its image ID checked; both hosts
#            live on v1. A wrong --digest is refused before anything is touched (exit 4), and
#            deploy.sh on a host refuses an image whose ID is not EXPECTED_IMAGE_ID (exit 2).
#   good     under load through the balancer: v2 to the fleet (host-2's v2 tag first pointed at other
#            bytes: replaced by the release): exit 0, both hosts on v2 with its ID, 0 failed requests,
#            and no request reached a host between its drain and undrain.
#   broken   under load: v3, which cannot start on host-2: exit 6, host-1 (switched) rolled back to
#            v2, host-2 untouched: the whole fleet serves v2, 0 failed requests.
#   lock     a second fleet deploy while one holds the fleet lock: exit 3, naming the holder.
# Figures printed at the end: requests and failures per case, per-host deploy and switch times.
# Environment: SWITCHYARD_E2E_IMAGE / SWITCHYARD_E2E_JAR (tests/lib/app-stack.sh), SWITCHYARD_E2E_KEEP=1
# keeps the temp dir, SWITCHYARD_E2E_LOAD_PAUSE_S (default 0.05) paces the load clients.
set -euo pipefail

SCRIPT_NAME="fleet-e2e"
TEST_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${TEST_DIR}/../.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${ROOT}/scripts/lib/common.sh"
# shellcheck source=tests/lib/checks.sh
source "${ROOT}/tests/lib/checks.sh"
# shellcheck source=tests/lib/app-stack.sh
source "${ROOT}/tests/lib/app-stack.sh"
# shellcheck source=tests/fleet/engine.sh
source "${TEST_DIR}/engine.sh"
# shellcheck source=tests/fleet/hosts.sh
source "${TEST_DIR}/hosts.sh"
# shellcheck source=tests/fleet/balancer.sh
source "${TEST_DIR}/balancer.sh"

TMP=""
RUN_ID="syfleet$$"
ENV_NAME=prod
HOSTS=(host-1 host-2)
declare -A HOST_NGINX_PORT=()
declare -A HOST_DIR=()
RELAY_PIDS=()
LOAD_PIDS=()
REPORT=()
# 6 clients pausing 50 ms: ~100 requests/s through two nginx layers, steady through every switch, while
# two hosts' JVMs start on the same two cores.
LOAD_PAUSE_S="${SWITCHYARD_E2E_LOAD_PAUSE_S:-0.05}"

# --- environment ---------------------------------------------------------------------------
cleanup() {
  local rc=$?
  set +e
  stop_load_all
  kill_retire_timers
  local host pid
  for host in "${HOSTS[@]}"; do
    if [[ -n "${HOST_DIR[${host}]:-}" && -r "${HOST_DIR[${host}]}/nginx/logs/nginx.pid" ]]; then
      kill -QUIT "$(cat "${HOST_DIR[${host}]}/nginx/logs/nginx.pid")" 2>/dev/null
    fi
  done
  balancer_stop
  hosts_stop_sshd
  for pid in "${RELAY_PIDS[@]}"; do
    kill "${pid}" 2>/dev/null
  done
  local id
  for id in $(docker ps -aq --filter "label=com.docker.compose.project=${RUN_ID}-h1-blue") \
    $(docker ps -aq --filter "label=com.docker.compose.project=${RUN_ID}-h1-green"); do
    docker rm -f -v "${id}" >/dev/null 2>&1
  done
  docker network rm "${RUN_ID}-h1-blue_default" "${RUN_ID}-h1-green_default" >/dev/null 2>&1
  engine_stop
  stack_down
  if [[ -n "${TMP}" && "${SWITCHYARD_E2E_KEEP:-0}" != 1 ]]; then
    rm -rf "${TMP}"
  elif [[ -n "${TMP}" ]]; then
    log "kept ${TMP}"
  fi
  exit "${rc}"
}

# kill_retire_timers: the hosts' rollback-window timers (started by deploy.sh in their own process
# group), found by their pid files and by the run's temp dir on their command line.
kill_retire_timers() {
  [[ -n "${TMP}" ]] || return 0
  local f pid
  for f in "${TMP}"/host-*/state/*/retire-*.pid; do
    [[ -r "${f}" ]] && kill -- "-$(tr -dc '0-9' <"${f}")" 2>/dev/null
  done
  local cmdline
  for f in /proc/[0-9]*/cmdline; do
    pid="${f#/proc/}"
    pid="${pid%/cmdline}"
    # (A process may be gone by the time its command line is read.)
    cmdline="$(tr '\0' ' ' 2>/dev/null <"${f}")" || continue
    if [[ "${pid}" != "$$" && "${cmdline}" == *--retire* && "${cmdline}" == *"${TMP}/"* ]]; then
      kill -- "-${pid}" 2>/dev/null || kill "${pid}" 2>/dev/null
    fi
  done
  return 0
}

# host_settings <host> <dir> <nginx-port> <blue> <green> [extra NAME=value...]: what a session on the
# host sees (its sshd's SetEnv). Plain HTTP behind the balancer (prod's HTTPS edge: the edge suite).
# Each host still bakes, for 10 s instead of prod's 60 (the bake itself: the deploy suite).
host_settings() {
  local name="$1"
  local dir="$2"
  shift 2
  local tag="${name/host-/h}"
  printf '%s\n' \
    "SWITCHYARD_STATE_DIR=${dir}/state" \
    "NGINX_PREFIX=${dir}/nginx" "NGINX_CONF=${dir}/nginx/nginx.conf" "NGINX_CONF_DIR=${dir}/nginx" \
    "NGINX_INSTALL_MAIN_CONF=1" "NGINX_LISTEN=127.0.0.1:$1" "NGINX_URL=http://127.0.0.1:$1" \
    "BLUE_PORT=$2" "GREEN_PORT=$3" \
    "COMPOSE_PROJECT_BLUE=${RUN_ID}-${tag}-blue" "COMPOSE_PROJECT_GREEN=${RUN_ID}-${tag}-green" \
    "SWITCHYARD_DATA_NETWORK=${RUN_ID}-data" "APP_ENV_FILE=${dir}/app.env" \
    "STOP_GRACE_S=30" "DRAIN_TIMEOUT_S=15" "READY_DEADLINE_S=120" \
    "WARMUP_REQUESTS=100" "DEPLOY_EVENTS_FILE=${dir}/events.jsonl" \
    "BAKE_S=10" "TLS_ENABLED=0" "${@:4}"
}

# host_nginx_prefix <dir>: the placeholders for the hardening snippets the site includes (as the
# deploy e2e does), when the repository has none.
host_nginx_prefix() {
  local prefix="$1/nginx"
  mkdir -p "${prefix}/snippets" "${prefix}/conf.d"
  local f
  for f in snippets/switchyard-hardening.conf snippets/switchyard-login-limit.conf \
    snippets/switchyard-api-limit.conf conf.d/switchyard-limits.conf; do
    if [[ ! -e "${ROOT}/nginx/${f}" ]]; then
      : >"${prefix}/${f}"
    fi
  done
}

# relay <ip> <port> <target-port>: a TCP relay from the second engine's data gateway to a data store.
relay() {
  socat "TCP-LISTEN:$2,bind=$1,fork,reuseaddr" "TCP:127.0.0.1:$3" >/dev/null 2>&1 &
  RELAY_PIDS+=($!)
}

setup() {
  TMP="$(mktemp -d /tmp/switchyard-fleet-e2e.XXXXXX)"
  export SWITCHYARD_ROOT="${ROOT}"
  export SWITCHYARD_DATA_NETWORK="${RUN_ID}-data"
  stack_compose_cmd
  stack_start_datastores
  stack_base_image
  log "base image: ${STACK_BASE_IMAGE}"
  prepare_images

  engine_start "${TMP}/engine" "/run/${RUN_ID}"
  engine_data_network "${RUN_ID}-data"
  relay "${ENGINE_DATA_GATEWAY}" "${MYSQL_HOST_PORT}" "${MYSQL_HOST_PORT}"
  relay "${ENGINE_DATA_GATEWAY}" "${REDIS_HOST_PORT}" "${REDIS_HOST_PORT}"
  relay "${ENGINE_DATA_GATEWAY}" "${MONGO_HOST_PORT}" "${MONGO_HOST_PORT}"

  hosts_ssh_init "${TMP}/ssh"
  local host dir nginx_port blue green settings=()
  for host in "${HOSTS[@]}"; do
    dir="${TMP}/${host}"
    HOST_DIR["${host}"]="${dir}"
    mkdir -p "${dir}/state"
    host_nginx_prefix "${dir}"
    nginx_port="$(free_port)"
    blue="$(free_port)"
    green="$(free_port)"
    HOST_NGINX_PORT["${host}"]="${nginx_port}"
    if [[ "${host}" == host-1 ]]; then
      stack_write_app_env "${dir}/app.env" mysql:3306 redis 6379 mongo:27017
      # host-1 keeps its previous color for an instant rollback (the broken case rolls it back).
      mapfile -t settings < <(host_settings "${host}" "${dir}" "${nginx_port}" "${blue}" "${green}" ROLLBACK_WINDOW_S=300)
    else
      # The same stores through the relays; and the marker that breaks v3 on this host only.
      stack_write_app_env "${dir}/app.env" "${ENGINE_DATA_GATEWAY}:${MYSQL_HOST_PORT}" "${ENGINE_DATA_GATEWAY}" \
        "${REDIS_HOST_PORT}" "${ENGINE_DATA_GATEWAY}:${MONGO_HOST_PORT}" SWITCHYARD_E2E_BROKEN_HOST=1
      # host-2 is never rolled back here: it stops its previous color at once (two JVMs fewer on two cores).
      mapfile -t settings < <(host_settings "${host}" "${dir}" "${nginx_port}" "${blue}" "${green}" ROLLBACK_WINDOW_S=0 \
        "DOCKER_HOST=unix://${ENGINE_SOCK}")
    fi
    hosts_start_sshd "${host}" "$(free_port)" "${settings[@]}"
  done

  BALANCER_URL="http://127.0.0.1:$(free_port)"
  balancer_start "${TMP}/balancer" "${BALANCER_URL##*:}" "host-1=${HOST_NGINX_PORT[host-1]}" "host-2=${HOST_NGINX_PORT[host-2]}"

  # The deployer's settings (what the pipeline's agent would have).
  export PROD_HOSTS="${HOSTS[*]}"
  export FLEET_SSH_CONFIG="${SSH_DIR}/config"
  export FLEET_REMOTE_ROOT="${TMP}/remote"
  export SWITCHYARD_STATE_DIR="${TMP}/deployer"
  export BALANCER_DIR
  export FLEET_DRAIN_CMD="${TEST_DIR}/balancer-hook.sh drain"
  export FLEET_UNDRAIN_CMD="${TEST_DIR}/balancer-hook.sh undrain"
}

# derive_release <tag> <version> [dockerfile lines...]: a release of the base image reporting <version>.
derive_release() {
  local tag="$1"
  local version="$2"
  shift 2
  stack_derive "${tag}" "LABEL org.opencontainers.image.version=${version}" "ENV APP_VERSION=${version}" "$@"
}

prepare_images() {
  local v0 entrypoint
  v0="$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "${STACK_BASE_IMAGE}")"
  entrypoint="$(docker image inspect -f '{{join .Config.Entrypoint " "}}' "${STACK_BASE_IMAGE}")"
  IMG_V1="switchyard-fleet:${RUN_ID}-v1"
  IMG_V2="switchyard-fleet:${RUN_ID}-v2"
  IMG_V3="switchyard-fleet:${RUN_ID}-v3"
  derive_release "${IMG_V1}" "${v0}-v1"
  derive_release "${IMG_V2}" "${v0}-v2"
  # v3 passes nowhere where SWITCHYARD_E2E_BROKEN_HOST is set (host-2's env file): it exits at start.
  derive_release "${IMG_V3}" "${v0}-v3" \
    "ENTRYPOINT [\"/bin/sh\", \"-c\", \"if [ -n \\\"\${SWITCHYARD_E2E_BROKEN_HOST:-}\\\" ]; then echo 'v3 is broken on this host' >&2; exit 1; fi; exec ${entrypoint}\"]"
  ID_V1="$(docker image inspect -f '{{.Id}}' "${IMG_V1}")"
  ID_V2="$(docker image inspect -f '{{.Id}}' "${IMG_V2}")"
  ID_V3="$(docker image inspect -f '{{.Id}}' "${IMG_V3}")"
  log "releases: v1 ${ID_V1:7:12}, v2 ${ID_V2:7:12}, v3 ${ID_V3:7:12}"
}

# --- load through the balancer ---------------------------------------------------------------
start_load() {
  local name="$1"
  rm -f "${TMP}/load-${name}.stop"
  python3 "${ROOT}/tests/deploy/load.py" --url "${BALANCER_URL}/actuator/health/liveness" --expect-up \
    --mode keepalive --concurrency 4 --pause "${LOAD_PAUSE_S}" --duration 600 --stop-file "${TMP}/load-${name}.stop" \
    --out "${TMP}/load-${name}-keepalive.json" >/dev/null 2>&1 &
  LOAD_PIDS+=($!)
  python3 "${ROOT}/tests/deploy/load.py" --url "${BALANCER_URL}/actuator/health/liveness" --expect-up \
    --mode close --concurrency 2 --pause "${LOAD_PAUSE_S}" --duration 600 --stop-file "${TMP}/load-${name}.stop" \
    --out "${TMP}/load-${name}-close.json" >/dev/null 2>&1 &
  LOAD_PIDS+=($!)
  sleep 2
}

stop_load() {
  local name="$1"
  local mode summary pid
  touch "${TMP}/load-${name}.stop"
  for pid in "${LOAD_PIDS[@]}"; do
    wait "${pid}" 2>/dev/null || true
  done
  LOAD_PIDS=()
  for mode in keepalive close; do
    summary="$(cat "${TMP}/load-${name}-${mode}.json" 2>/dev/null || echo '{}')"
    REPORT+=("${name}/${mode}: $(jq -r '"\(.requests) requests, \(.failed) failed, \(.stale_retries) keep-alive resends, p99 \(.p99_ms) ms"' <<<"${summary}" 2>/dev/null)")
    check_true "${name}/${mode}: requests flowed through the balancer and none failed" \
      jq -e '.requests > 0 and .failed == 0' <<<"${summary}" >/dev/null
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

# --- probes ----------------------------------------------------------------------------------
# fleet <log-name> [fleet-deploy args...]: runs scripts/fleet-deploy.sh, keeps its output, returns its code.
fleet() {
  local name="$1"
  shift
  local rc=0
  "${ROOT}/scripts/fleet-deploy.sh" --report "${TMP}/${name}.json" "$@" >"${TMP}/${name}.log" 2>&1 || rc=$?
  log "fleet deploy ${name}: exit ${rc}"
  if ((rc != 0)); then
    # Its errors here, so that an unexpected failure is explained in the CI log (the temp dir goes).
    grep -E 'ERROR|FAILED' "${TMP}/${name}.log" | tail -n 15 | sed 's/^/    /' >&2 || true
  fi
  return "${rc}"
}

fleet_status_json() {
  "${ROOT}/scripts/fleet-status.sh" --json "${ENV_NAME}" 2>/dev/null
}

# fleet_runs <image> <id>: every host's live color runs <image> with image ID <id>, healthy.
fleet_runs() {
  fleet_status_json | jq -e --arg image "$1" --arg id "$2" \
    '(.hosts | length) == 2 and (.hosts | all(.reachable and .live_image_id == $id and
      (.status.colors[.status.live_color] | .image == $image and .health == "up")))' >/dev/null
}

host_live_image() {
  fleet_status_json | jq -r --arg h "$1" '.hosts[] | select(.host == $h) | .status.colors[.status.live_color].image // ""'
}

# no_traffic_while_drained <host>: the balancer sent the host no request between the end of its drain
# hook and the start of its undrain hook (each pair in hooks.log), and some before and after.
no_traffic_while_drained() {
  local host="$1"
  local port="${HOST_NGINX_PORT[${host}]}"
  local pairs
  pairs="$(awk -v h="${host}" '$2 == h { printf "%s %s %s\n", $1, $3, $4 }' "${BALANCER_DIR}/hooks.log" |
    awk '$1 == "drain" { d = $3 } $1 == "undrain" && d { print d, $2; d = "" }')"
  [[ -n "${pairs}" ]] || return 1
  local from to during
  while read -r from to; do
    during="$(jq -r --arg up "127.0.0.1:${port}" --argjson from "${from}" --argjson to "${to}" \
      'select(.upstream == $up and (.msec * 1000) > $from and (.msec * 1000) < $to) | .status' \
      "${BALANCER_DIR}/logs/access.log" | wc -l)"
    log "${host}: drained $((to - from)) ms, ${during} balancer request(s) sent to it meanwhile"
    ((during == 0)) || return 1
  done <<<"${pairs}"
}

balancer_5xx() {
  jq -r 'select(.status >= 500) | .status' "${BALANCER_DIR}/logs/access.log" 2>/dev/null | wc -l
}

host_switch_figures() {
  jq -r '.hosts[] | "\(.host) \(.outcome): deploy \(.duration_ms // "-") ms, switch \(.switch_ms // "-") ms"' "$1" 2>/dev/null | paste -sd ';' -
}

# --- cases -------------------------------------------------------------------------------------
case_promote() {
  local rc=0
  check_true "host-2's engine does not have v1 before the deploy" bash -c "! docker -H unix://${ENGINE_SOCK} image inspect ${IMG_V1} >/dev/null 2>&1"
  rc=0
  fleet promote-wrong --digest "sha256:$(printf '0%.0s' {1..64})" "${ENV_NAME}" "${IMG_V1}" || rc=$?
  expect_eq "${rc}" 4 "a --digest that is not v1's ID: refused before anything switched (exit)"
  check_true "it named the mismatch" grep -q "not the release sha256:0000" "${TMP}/promote-wrong.log"

  rc=0
  fleet promote --digest "${ID_V1}" "${ENV_NAME}" "${IMG_V1}" || rc=$?
  expect_eq "${rc}" 0 "first fleet deploy of v1 (nothing live anywhere) exits"
  check_true "host-1 already had v1: checked, not shipped" grep -q "host-1: has ${IMG_V1} (${ID_V1})" "${TMP}/promote.log"
  check_true "host-2 got v1 over ssh (docker save | docker load)" grep -q "host-2: shipping ${IMG_V1} over ssh" "${TMP}/promote.log"
  expect_eq "$(engine_docker image inspect -f '{{.Id}}' "${IMG_V1}" 2>/dev/null)" "${ID_V1}" "host-2's engine has v1 with the release's image ID"
  check_true "both hosts live on v1 (tag and image ID), healthy" fleet_runs "${IMG_V1}" "${ID_V1}"
  check_true "the balancer answers" curl -sf --max-time 5 -o /dev/null "${BALANCER_URL}/actuator/health/readiness"
  REPORT+=("promote: $(host_switch_figures "${TMP}/promote.json")")

  # deploy.sh itself refuses an image whose ID is not the tested one (same tag, other bytes).
  local before
  before="$(cat "${HOST_DIR[host-2]}/nginx/switchyard/${ENV_NAME}-upstream.conf")"
  rc=0
  ssh -F "${FLEET_SSH_CONFIG}" host-2 "cd ${FLEET_REMOTE_ROOT}/current && EXPECTED_IMAGE_ID=${ID_V2} scripts/deploy.sh ${ENV_NAME} ${IMG_V1}" \
    >"${TMP}/refuse.log" 2>&1 || rc=$?
  expect_eq "${rc}" 2 "deploy.sh with EXPECTED_IMAGE_ID of another image: refused (exit)"
  check_true "it said why" grep -q "refusing ${IMG_V1}: its image ID is ${ID_V1}, not the tested ${ID_V2}" "${TMP}/refuse.log"
  expect_eq "$(cat "${HOST_DIR[host-2]}/nginx/switchyard/${ENV_NAME}-upstream.conf")" "${before}" "host-2's upstream untouched"
}

case_good() {
  local rc=0
  # A stale or tampered v2 tag on host-2: the fleet must replace it with the release's bytes.
  engine_docker tag "${IMG_V1}" "${IMG_V2}"
  start_load good
  fleet good --digest "${ID_V2}" "${ENV_NAME}" "${IMG_V2}" || rc=$?
  stop_load good
  expect_eq "${rc}" 0 "fleet deploy of v2 under load exits"
  check_true "host-2's v2 tag pointed at other bytes: replaced" grep -q "host-2: its ${IMG_V2} is ${ID_V1}, not the release: replacing it" "${TMP}/good.log"
  check_true "the canary (host-1) went first, then host-2" \
    bash -c "grep -n '==> \[1/2\] host-1 (canary)' '${TMP}/good.log' >/dev/null && grep -n '==> \[2/2\] host-2' '${TMP}/good.log' >/dev/null"
  check_true "both hosts live on v2 (tag and image ID), healthy" fleet_runs "${IMG_V2}" "${ID_V2}"
  check_true "host-1: no balancer request while it was drained" no_traffic_while_drained host-1
  check_true "host-2: no balancer request while it was drained" no_traffic_while_drained host-2
  REPORT+=("good: $(host_switch_figures "${TMP}/good.json")")
}

case_broken() {
  local rc=0
  start_load broken
  fleet broken --digest "${ID_V3}" "${ENV_NAME}" "${IMG_V3}" || rc=$?
  stop_load broken
  expect_eq "${rc}" 6 "fleet deploy of v3 (broken on host-2) fails after host-1 switched, rolled back (exit)"
  expect_eq "$(jq -r '[.hosts[] | "\(.host)=\(.outcome)"] | join(" ")' "${TMP}/broken.json")" \
    "host-1=rolled_back host-2=failed" "report: host-1 rolled back, host-2 failed"
  check_true "host-2 failed fast: its deploy.sh exited 4 (live untouched)" \
    test "$(jq -r '.hosts[] | select(.host == "host-2") | .deploy_exit' "${TMP}/broken.json")" = 4
  check_true "host-1 was rolled back by scripts/rollback.sh" grep -q "rolling back host-1 to ${IMG_V2}" "${TMP}/broken.log"
  check_true "the whole fleet serves v2 again (tag and image ID), healthy" fleet_runs "${IMG_V2}" "${ID_V2}"
  REPORT+=("broken: $(host_switch_figures "${TMP}/broken.json")")
}

case_lock() {
  local rc=0 holder
  mkdir -p "${SWITCHYARD_STATE_DIR}/${ENV_NAME}"
  flock "${SWITCHYARD_STATE_DIR}/${ENV_NAME}/fleet.lock" sleep 30 &
  holder=$!
  echo "fleet deploy switchyard:other to prod pid=${holder} user=ops host=deployer-2" >"${SWITCHYARD_STATE_DIR}/${ENV_NAME}/fleet.lock.holder"
  retry_until 5 0.1 bash -c "! flock -n '${SWITCHYARD_STATE_DIR}/${ENV_NAME}/fleet.lock' true"
  fleet lock --digest "${ID_V1}" "${ENV_NAME}" "${IMG_V1}" || rc=$?
  kill "${holder}" 2>/dev/null || true
  wait "${holder}" 2>/dev/null || true
  expect_eq "${rc}" 3 "a fleet deploy while another holds the fleet lock exits"
  check_true "it named the holder" grep -q "fleet deploy switchyard:other to prod pid=${holder}" "${TMP}/lock.log"
  check_true "nothing changed: the fleet still serves v2" fleet_runs "${IMG_V2}" "${ID_V2}"
}

main() {
  ensure_packages nginx docker.io docker-compose curl jq python3 openssh-server openssh-client socat \
    iproute2 procps util-linux gettext-base
  ensure_dockerd
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  local t0=${SECONDS} c tc
  setup
  log "setup took $((SECONDS - t0))s; balancer ${BALANCER_URL}, host-1 nginx :${HOST_NGINX_PORT[host-1]}, host-2 nginx :${HOST_NGINX_PORT[host-2]}"
  for c in promote good broken lock; do
    tc=${SECONDS}
    "case_${c}"
    log "case ${c} took $((SECONDS - tc))s"
  done
  expect_eq "$(balancer_5xx)" 0 "5xx answers from the balancer over the whole run"
  local totals
  totals="$(cat "${TMP}"/load-*.json | jq -s -r '"\(map(.requests) | add) requests through the balancer during the cases, \(map(.failed) | add) failed"')"
  printf '%s\n' "---- fleet e2e summary ----" "${REPORT[@]}" "total: ${totals}" >&2
  checks_summary "fleet e2e" "${t0}"
}

main "$@"
