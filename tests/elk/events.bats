#!/usr/bin/env bats
# scripts/lib/events.sh: deploy events reach a Logstash TCP input when one is configured, and a
# missing, refusing or hanging Logstash never fails or stalls the deploy that emits them.

setup() {
  REPO_ROOT="$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)"
  unset LOGSTASH_HOST LOGSTASH_DEPLOY_PORT LOGSTASH_TIMEOUT_S DEPLOY_EVENTS_FILE DEPLOY_ID
  export DEPLOY_ENV=prod DEPLOY_IMAGE=switchyard:1.0.2-abc1234 DEPLOY_FROM_COLOR=blue DEPLOY_TO_COLOR=green
  export DEPLOY_USER=jenkins
  STUB_PID=""
  # shellcheck source=scripts/lib/events.sh
  source "${REPO_ROOT}/scripts/lib/events.sh"
}

teardown() {
  if [[ -n "${STUB_PID}" ]]; then
    kill "${STUB_PID}" 2>/dev/null || true
    wait "${STUB_PID}" 2>/dev/null || true
  fi
}

# start_stub <mode> [args]: starts tests/elk/tcp_stub.py and sets STUB_PORT.
start_stub() {
  local port_file="${BATS_TEST_TMPDIR}/stub.port"
  python3 "${BATS_TEST_DIRNAME}/tcp_stub.py" "$@" >"${port_file}" &
  STUB_PID=$!
  local i
  for i in $(seq 50); do
    if [[ -s "${port_file}" ]]; then
      STUB_PORT="$(head -n 1 "${port_file}")"
      return 0
    fi
    sleep 0.1
  done
  echo "stub did not start" >&2
  return 1
}

# wait_for_lines <file> <count>: the stub writes asynchronously.
wait_for_lines() {
  local i
  for i in $(seq 50); do
    if [[ -f "$1" ]] && (($(wc -l <"$1") >= $2)); then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

now_ms() {
  date +%s%3N
}

@test "events reach a Logstash TCP input as one JSON line each, with typed fields" {
  received="${BATS_TEST_TMPDIR}/received.jsonl"
  start_stub collect "${received}"
  export LOGSTASH_HOST=127.0.0.1 LOGSTASH_DEPLOY_PORT="${STUB_PORT}"
  export DEPLOY_EVENTS_FILE="${BATS_TEST_TMPDIR}/events/deploy-events.jsonl"

  emit_deploy_event start result=ok
  emit_deploy_event step step=health_check duration_ms=1234 result=ok
  emit_deploy_event switched step=switch result=ok message='quote " and \ survive'

  wait_for_lines "${received}" 3
  [ "$(wc -l <"${received}")" -eq 3 ]
  # The same lines went to the file and to Logstash.
  diff "${DEPLOY_EVENTS_FILE}" "${received}"
  [ "$(jq -r '.event.action' "${received}" | paste -sd ' ')" = "start step switched" ]
  [ "$(jq -r '.event.kind' "${received}" | sort -u)" = deploy ]
  # One id for the whole deploy, generated on the first event.
  [ "$(jq -r '.deploy.id' "${received}" | sort -u | wc -l)" -eq 1 ]
  [[ "$(jq -r '.deploy.id' "${received}" | head -n 1)" =~ ^prod-[0-9]{14}-[0-9]+$ ]]
  line2="$(sed -n 2p "${received}")"
  [ "$(jq -r '.deploy.duration_ms | type' <<<"${line2}")" = number ]
  [ "$(jq -r '.deploy.duration_ms' <<<"${line2}")" = 1234 ]
  [ "$(jq -r '.deploy.step' <<<"${line2}")" = health_check ]
  [ "$(jq -c '[.deploy.env, .deploy.image, .deploy.from_color, .deploy.to_color, .deploy.user]' <<<"${line2}")" = \
    '["prod","switchyard:1.0.2-abc1234","blue","green","jenkins"]' ]
  [ "$(sed -n 3p "${received}" | jq -r '.deploy.message')" = 'quote " and \ survive' ]
  [[ "$(jq -r '."@timestamp"' <<<"${line2}")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]
}

@test "a refused connection is logged, never fails the caller, and is quick" {
  start_stub collect "${BATS_TEST_TMPDIR}/unused"
  port="${STUB_PORT}"
  kill "${STUB_PID}"
  wait "${STUB_PID}" 2>/dev/null || true
  STUB_PID=""
  export LOGSTASH_HOST=127.0.0.1 LOGSTASH_DEPLOY_PORT="${port}"
  export DEPLOY_EVENTS_FILE="${BATS_TEST_TMPDIR}/deploy-events.jsonl"
  start="$(now_ms)"
  run emit_deploy_event failed step=health_check result=failed message="not ready"
  elapsed=$(($(now_ms) - start))
  [ "$status" -eq 0 ]
  [[ "$output" == *"unreachable"* ]]
  ((elapsed < 1500))
  # The local record is still written.
  [ "$(jq -r '.event.action' "${DEPLOY_EVENTS_FILE}")" = failed ]
}

@test "a Logstash whose connect hangs is cut off after LOGSTASH_TIMEOUT_S" {
  start_stub hang
  export LOGSTASH_HOST=127.0.0.1 LOGSTASH_DEPLOY_PORT="${STUB_PORT}" LOGSTASH_TIMEOUT_S=1
  start="$(now_ms)"
  run emit_deploy_event step step=pull duration_ms=10 result=ok
  elapsed=$(($(now_ms) - start))
  echo "elapsed ${elapsed} ms" >&3
  [ "$status" -eq 0 ]
  [[ "$output" == *"unreachable"* ]]
  # Bounded: the timeout (1 s) plus its kill-after (1 s) at most, with some slack for a busy host.
  ((elapsed >= 900))
  ((elapsed < 3500))
}

@test "the default bound is 2 seconds" {
  start_stub hang
  export LOGSTASH_HOST=127.0.0.1 LOGSTASH_DEPLOY_PORT="${STUB_PORT}"
  start="$(now_ms)"
  run emit_deploy_event start result=ok
  elapsed=$(($(now_ms) - start))
  [ "$status" -eq 0 ]
  ((elapsed >= 1900))
  ((elapsed < 4500))
}

@test "an unresolvable host, a bad port or a missing jq never fail a set -e caller" {
  script="set -euo pipefail
    source '${REPO_ROOT}/scripts/lib/events.sh'
    LOGSTASH_HOST=logstash.invalid LOGSTASH_DEPLOY_PORT=5001 emit_deploy_event start result=ok
    LOGSTASH_HOST=127.0.0.1 LOGSTASH_DEPLOY_PORT=not-a-port emit_deploy_event start result=ok
    PATH=/nonexistent emit_deploy_event start result=ok
    emit_deploy_event
    emit_deploy_event start duration_ms=12.5 bogus=1 noequals
    echo caller-continued"
  start="$(now_ms)"
  run bash -c "${script}"
  elapsed=$(($(now_ms) - start))
  [ "$status" -eq 0 ]
  [[ "$output" == *"caller-continued"* ]]
  [[ "$output" == *"not a port number"* ]]
  [[ "$output" == *"jq not found"* ]]
  [[ "$output" == *"usage: emit_deploy_event"* ]]
  [[ "$output" == *"duration_ms is not a whole number"* ]]
  [[ "$output" == *"unknown key: bogus"* ]]
  ((elapsed < 6000))
}

@test "without LOGSTASH_HOST nothing is sent and nothing is slowed down" {
  export DEPLOY_EVENTS_FILE="${BATS_TEST_TMPDIR}/deploy-events.jsonl"
  export LOGSTASH_DEPLOY_PORT=5001
  start="$(now_ms)"
  run emit_deploy_event rolled_back result=ok duration_ms=180
  elapsed=$(($(now_ms) - start))
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  ((elapsed < 1000))
  [ "$(jq -r '.event.action + " " + (.deploy.duration_ms|tostring)' "${DEPLOY_EVENTS_FILE}")" = "rolled_back 180" ]
}
