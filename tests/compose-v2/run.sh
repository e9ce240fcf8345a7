#!/usr/bin/env bash
# Compose v2 suite: the deploy kit under `docker compose` (v2, the CLI plugin) instead of Debian 12's
# docker-compose 1.29. tests/lib/compose-v2.sh provides v2 for this process only (trixie's package,
# cached in /var/cache/switchyard/compose-v2); then:
#   - scripts/lib/compose.sh detects v2 by itself, and v2 accepts our compose files (`config -q`)
#   - the end-to-end deploy test (tests/deploy/run.sh, real dockerd and nginx) runs a subset of its
#     cases with SWITCHYARD_COMPOSE="docker compose"
#   - every container of that run was created by Compose v2: a `docker events` listener records each
#     container created meanwhile with its labels; the run's projects (<run>-data, -blue, -green)
#     must all carry com.docker.compose.version 2.x and v2 names (<project>-<service>-<n>)
#   - the run left no container, network or volume behind
#   - compose_container_id finds a container that has exited (v2's `ps` lists running ones only)
#
# Usage: tests/compose-v2/run.sh [case...]   cases of tests/deploy/run.sh (default: good rollback)
# Environment: SWITCHYARD_E2E_KEEP=1 keeps the temp dir (logs, recorded events); the SWITCHYARD_E2E_*
# and SWITCHYARD_COMPOSE_V2_* settings of tests/deploy/run.sh and tests/lib/compose-v2.sh apply.
set -euo pipefail

SCRIPT_NAME="tests/compose-v2"
SUITE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${SUITE_DIR}/../.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${ROOT}/scripts/lib/common.sh"
# shellcheck source=tests/lib/checks.sh
source "${ROOT}/tests/lib/checks.sh"
# shellcheck source=tests/lib/compose-v2.sh
source "${ROOT}/tests/lib/compose-v2.sh"
# shellcheck source=scripts/lib/compose.sh
source "${ROOT}/scripts/lib/compose.sh"
# shellcheck source=scripts/lib/images.sh
source "${ROOT}/scripts/lib/images.sh"

TMP=""
EVENTS_PID=""
TAIL_PID=""
E2E_PID=""
PROBE_PROJECT="sycv2probe$$"

cleanup() {
  local rc=$?
  set +e
  if [[ -n "${E2E_PID}" ]] && kill -0 "${E2E_PID}" 2>/dev/null; then
    # The deploy test removes its containers, networks and nginx in its own EXIT trap.
    kill -TERM "${E2E_PID}" 2>/dev/null
    wait "${E2E_PID}" 2>/dev/null
  fi
  [[ -z "${TAIL_PID}" ]] || kill "${TAIL_PID}" 2>/dev/null
  [[ -z "${EVENTS_PID}" ]] || kill "${EVENTS_PID}" 2>/dev/null
  if [[ -n "${TMP}" ]]; then
    compose -p "${PROBE_PROJECT}" -f "${TMP}/probe.yml" down -v >/dev/null 2>&1
    if [[ "${SWITCHYARD_E2E_KEEP:-0}" == 1 ]]; then
      log "kept ${TMP}"
    else
      rm -rf "${TMP}"
    fi
  fi
  exit "${rc}"
}

# The compose files as deploy.sh and tests/deploy/run.sh use them, validated by v2.
check_config() {
  local file
  : >"${TMP}/empty.env"
  for file in docker-compose.blue.yml docker-compose.green.yml docker-compose.datastores.yml; do
    if APP_IMAGE=switchyard:0-config APP_ENV_FILE="${TMP}/empty.env" APP_PORT=18081 \
      SWITCHYARD_DATA_NETWORK=sycv2-config-data docker compose -p sycv2-config -f "${ROOT}/${file}" config -q \
      2>"${TMP}/config.err"; then
      pass "v2 accepts ${file}"
    else
      fail "v2 rejects ${file}: $(grep -v 'attribute .version. is obsolete' "${TMP}/config.err" | tr '\n' ' ')"
    fi
  done
}

# Records every container created from now on, with its labels, one JSON object a line.
start_events() {
  docker events --filter type=container --filter event=create --format '{{json .}}' >"${TMP}/events.jsonl" 2>"${TMP}/events.err" &
  EVENTS_PID=$!
  sleep 1
  kill -0 "${EVENTS_PID}" 2>/dev/null || die "docker events did not start: $(cat "${TMP}/events.err")"
}

# events_of <run-id>: "<project> <compose version> <name>" per container created for the run.
events_of() {
  # shellcheck disable=SC2016 # a jq program
  jq -r --arg run "$1" '.Actor.Attributes
    | select((.["com.docker.compose.project"] // "") | test("^" + $run + "-(data|blue|green)$"))
    | "\(.["com.docker.compose.project"]) \(.["com.docker.compose.version"] // "none") \(.name)"' \
    "${TMP}/events.jsonl"
}

# Another deploy e2e run on this 2-core host at the same time starves both (JVM starts past their
# deadlines): wait for it to end first (up to 30 min), saying so.
wait_for_other_e2e_runs() {
  local others
  for _ in $(seq 1 360); do
    others="$(pgrep -f 'tests/deploy/run\.sh' | tr '\n' ' ' || true)"
    [[ -n "${others// /}" ]] || return 0
    log "waiting for the deploy e2e run(s) already running to finish (pids ${others% })"
    sleep 5
  done
  log "WARNING: deploy e2e run(s) still running after 30 min; starting anyway"
}

check_created_by_v2() {
  local run="$1"
  local project version name total=0 bad=0 badnames=0 versions
  local -A per_project=([data]=0 [blue]=0 [green]=0)
  # The listener may lag the daemon a little.
  sleep 1
  while read -r project version name; do
    total=$((total + 1))
    per_project[${project##*-}]=$((per_project[${project##*-}] + 1))
    if [[ "${version}" != 2.* ]]; then
      bad=$((bad + 1))
      err "container ${name} of ${project} created by compose ${version}"
    fi
    [[ "${name}" =~ ^${project}-[a-z]+-[0-9]+$ ]] || badnames=$((badnames + 1))
  done < <(events_of "${run}")
  versions="$(events_of "${run}" | awk '{print $2}' | sort -u | tr '\n' ' ')"
  versions="${versions% }"
  CREATED_FIGURES="data ${per_project[data]}, blue ${per_project[blue]}, green ${per_project[green]} (com.docker.compose.version: ${versions:-none})"
  log "containers created for ${run}: ${CREATED_FIGURES}"
  check_true "the run's data stores were created and recorded (3 expected)" test "${per_project[data]}" -ge 3
  check_true "blue and green app containers were created and recorded" test "${per_project[blue]}" -ge 1 -a "${per_project[green]}" -ge 1
  expect_eq "${bad}" 0 "of ${total} containers created for the run, those not labelled com.docker.compose.version 2.x"
  expect_eq "${badnames}" 0 "of ${total} containers, those without v2's name <project>-<service>-<n>"
}

check_nothing_left() {
  local run="$1"
  local left project
  left="$(
    for project in data blue green; do
      docker ps -aq --filter "label=com.docker.compose.project=${run}-${project}"
    done
    docker network ls -q --filter "name=${run}-"
    docker volume ls -q --filter "name=${run}-"
  )"
  expect_eq "$(grep -c . <<<"${left}" || true)" 0 "containers, networks and volumes of ${run} left after the run"
}

# compose_container_id on a container that has exited: v2's `ps -q` alone would miss it.
check_container_id_of_exited() {
  cat >"${TMP}/probe.yml" <<YAML
version: "2.4"
services:
  probe:
    image: ${SWITCHYARD_REDIS_IMAGE}
    entrypoint: ["true"]
    network_mode: none
YAML
  if ! compose -p "${PROBE_PROJECT}" -f "${TMP}/probe.yml" up -d >/dev/null 2>"${TMP}/probe.err"; then
    fail "probe project did not start: $(tr '\n' ' ' <"${TMP}/probe.err")"
    return 0
  fi
  local cid
  cid="$(docker ps -aq --no-trunc --filter "label=com.docker.compose.project=${PROBE_PROJECT}")"
  retry_until 30 0.2 bash -c "[[ \"\$(docker inspect -f '{{.State.Status}}' '${cid}')\" == exited ]]" || true
  expect_eq "$(compose_container_id "${PROBE_PROJECT}" "${TMP}/probe.yml" probe)" "${cid}" \
    "compose_container_id finds the exited container"
  compose -p "${PROBE_PROJECT}" -f "${TMP}/probe.yml" down -v >/dev/null 2>&1 || true
}

main() {
  local cases=("$@")
  if ((${#cases[@]} == 0)); then
    cases=(good rollback)
  fi
  local t0=${SECONDS}
  ensure_packages docker.io jq procps coreutils util-linux
  ensure_dockerd
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  TMP="$(mktemp -d /tmp/switchyard-compose-v2.XXXXXX)"

  local tc=${SECONDS}
  use_compose_v2
  local fetch_s=$((SECONDS - tc))
  export SWITCHYARD_COMPOSE="docker compose"
  check_true "docker compose version reports 2.x (${COMPOSE_V2_VERSION})" test "${COMPOSE_V2_VERSION%%.*}" = 2
  expect_eq "$(unset SWITCHYARD_COMPOSE && compose_cmd)" "docker compose" "scripts/lib/compose.sh detects v2 by itself"
  check_config

  wait_for_other_e2e_runs
  start_events
  log "deploy e2e with Compose v2: tests/deploy/run.sh ${cases[*]}"
  tc=${SECONDS}
  local e2e_pid
  E2E_RC=0
  : >"${TMP}/deploy-e2e.log"
  SWITCHYARD_COMPOSE="docker compose" "${ROOT}/tests/deploy/run.sh" "${cases[@]}" 2>"${TMP}/deploy-e2e.log" &
  E2E_PID=$!
  e2e_pid="${E2E_PID}"
  tail -n +1 -f --pid="${E2E_PID}" "${TMP}/deploy-e2e.log" >&2 &
  TAIL_PID=$!
  wait "${E2E_PID}" || E2E_RC=$?
  E2E_PID=""
  wait "${TAIL_PID}" 2>/dev/null || true
  TAIL_PID=""
  local e2e_s=$((SECONDS - tc))
  # The run names its projects <run-id>-data/-blue/-green (sye2e<its pid> today).
  local run
  run="$(sed -n -E 's/.*starting data stores \(project (.+)-data\).*/\1/p' "${TMP}/deploy-e2e.log" | head -n 1)"
  run="${run:-sye2e${e2e_pid}}"
  local e2e_figures
  e2e_figures="$(grep -E '^passed [0-9]+, failed [0-9]+' "${TMP}/deploy-e2e.log" | tail -n 1)"
  expect_eq "${E2E_RC}" 0 "tests/deploy/run.sh ${cases[*]} under Compose v2 exits"
  check_created_by_v2 "${run}"
  check_nothing_left "${run}"
  check_container_id_of_exited

  printf '%s\n' "---- compose v2 summary ----" \
    "compose: docker compose ${COMPOSE_V2_VERSION} ($(cat "${COMPOSE_V2_CACHE}/SOURCE" 2>/dev/null || echo 'source unknown')); ready in ${fetch_s}s" \
    "docker: client $(docker version -f '{{.Client.Version}}' 2>/dev/null), engine $(docker version -f '{{.Server.Version}}' 2>/dev/null)" \
    "deploy e2e (${cases[*]}, run ${run}): exit ${E2E_RC}, ${e2e_figures:-no summary line}, ${e2e_s}s" \
    "containers created by the run: ${CREATED_FIGURES:-n/a}" \
    "checks: $((CHECKS - FAILURES)) of ${CHECKS} passed, $((SECONDS - t0))s" >&2
  checks_summary "compose v2" "${t0}"
}

main "$@"
