#!/usr/bin/env bats
# The deploy engine's events (emit_deploy_event_async in scripts/lib/events.sh): the local file is written
# at once, Logstash is reached from a detached process, so a Logstash that hangs never holds the deploy
# (nor its switch). Logstash is tests/elk/tcp_stub.py: "hang" (connect never completes) and "collect".

bats_require_minimum_version 1.5.0

setup() {
  load deploy_helpers
  deploy_setup
  unset LOGSTASH_HOST LOGSTASH_DEPLOY_PORT LOGSTASH_TIMEOUT_S DEPLOY_ID
  # shellcheck source=scripts/lib/events.sh
  source "${REPO_ROOT}/scripts/lib/events.sh"
  export DEPLOY_ENV=prod DEPLOY_IMAGE=switchyard:2.0.0 DEPLOY_USER=jenkins DEPLOY_ID=prod-20260101000000-7
  export DEPLOY_EVENTS_FILE="${BATS_TEST_TMPDIR}/events.jsonl"
  DEPLOY_EVENTS_LOG="${BATS_TEST_TMPDIR}/send.log"
  STUB_PID=""
}

teardown() {
  [[ -z "${STUB_PID}" ]] || kill "${STUB_PID}" 2>/dev/null || true
}

start_stub() {
  python3 "${REPO_ROOT}/tests/elk/tcp_stub.py" "$@" >"${BATS_TEST_TMPDIR}/stub.port" &
  STUB_PID=$!
  retry_until 10 0.1 test -s "${BATS_TEST_TMPDIR}/stub.port"
  export LOGSTASH_HOST=127.0.0.1 LOGSTASH_DEPLOY_PORT="$(head -n 1 "${BATS_TEST_TMPDIR}/stub.port")"
}

@test "a hanging Logstash: the event is in the file when the call returns, the send still under way" {
  start_stub hang
  export LOGSTASH_TIMEOUT_S=5
  emit_deploy_event_async switched step=switch result=ok
  # Returned before the 5 s bound: the detached sender is still connecting.
  [ "$(jq -r .event.action "${DEPLOY_EVENTS_FILE}")" = switched ]
  pgrep -f "deploy_event_sinks" >/dev/null
  local pid
  pid="$(pgrep -f "deploy_event_sinks" | head -n 1)"
  # Detached (scripts/lib/detach.sh, see retire.bats for the build cookies): its own session.
  [ "$(ps -o sid= -p "${pid}" | tr -d ' ')" = "${pid}" ]
}

@test "events still reach a Logstash that answers, one JSON line each, in the file too" {
  start_stub collect "${BATS_TEST_TMPDIR}/received"
  emit_deploy_event_async start result=ok
  emit_deploy_event_async step step=verify duration_ms=120 result=ok
  retry_until 10 0.1 bash -c "[[ \$(wc -l <'${BATS_TEST_TMPDIR}/received' 2>/dev/null || echo 0) -ge 2 ]]"
  [ "$(jq -r .event.action "${BATS_TEST_TMPDIR}/received" | sort | paste -sd ' ')" = "start step" ]
  [ "$(wc -l <"${DEPLOY_EVENTS_FILE}")" -eq 2 ]
  [ "$(jq -r .deploy.id "${BATS_TEST_TMPDIR}/received" | sort -u)" = prod-20260101000000-7 ]
}

@test "an unreachable Logstash is logged by the sender, never to the caller" {
  start_stub collect "${BATS_TEST_TMPDIR}/unused"
  kill "${STUB_PID}"
  wait "${STUB_PID}" 2>/dev/null || true
  STUB_PID=""
  run emit_deploy_event_async failed result=failed message="x"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  retry_until 10 0.1 grep -q "unreachable, event 'failed' not sent" "${DEPLOY_EVENTS_LOG}"
}

@test "without Logstash it is the plain file append, nothing detached" {
  detach_run() { echo "detached: $*" >>"${BATS_TEST_TMPDIR}/detached"; }
  export LOGSTASH_DEPLOY_PORT=5001
  emit_deploy_event_async rolled_back result=ok
  [ "$(jq -r .event.action "${DEPLOY_EVENTS_FILE}")" = rolled_back ]
  [ ! -e "${BATS_TEST_TMPDIR}/detached" ]
}
