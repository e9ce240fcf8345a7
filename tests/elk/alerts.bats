#!/usr/bin/env bats
# The alert runner's logic without Elasticsearch: one message per incident, a resolved message when it
# clears, nothing resolved by an outage, undelivered messages retried (scripts/lib/alert-state.sh), and
# scripts/alerts.sh end to end with Elasticsearch unreachable and a webhook stub. The rules' queries run
# against a real node in elk/tests (AlertsIT).

setup() {
  REPO_ROOT="$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)"
  load lib/stubs
  STUB_PID=""
  # shellcheck source=scripts/lib/alert-state.sh
  source "${REPO_ROOT}/scripts/lib/alert-state.sh"
  A='{"key":"errors:prod:green","rule":"errors","summary":"[prod] 5xx on green"}'
  B='{"key":"disk:h1:/","rule":"disk","summary":"[h1] disk / 91% used"}'
}

teardown() {
  stop_stub
}

@test "a new incident fires once; while it holds nothing more is sent" {
  run alert_transitions '{}' "[${A}]" '["errors"]'
  [ "${#lines[@]}" -eq 1 ]
  [ "$(jq -r .kind <<<"${lines[0]}")" = firing ]
  state="$(alert_next_state '{}' "[${lines[0]}]" 2026-12-01T10:00:00Z)"
  [ "$(jq -r '.["errors:prod:green"].since' <<<"${state}")" = 2026-12-01T10:00:00Z ]
  run alert_transitions "${state}" "[${A}]" '["errors"]'
  [ "${#lines[@]}" -eq 0 ]
}

@test "an incident that no longer holds is resolved once, with its summary and start" {
  state='{"errors:prod:green":{"rule":"errors","summary":"[prod] 5xx on green","since":"2026-12-01T10:00:00Z"}}'
  run alert_transitions "${state}" '[]' '["errors"]'
  [ "${#lines[@]}" -eq 1 ]
  [ "$(jq -r '.kind + " " + .key + " " + .since' <<<"${lines[0]}")" = "resolved errors:prod:green 2026-12-01T10:00:00Z" ]
  state="$(alert_next_state "${state}" "[${lines[0]}]" 2026-12-01T10:05:00Z)"
  [ "${state}" = '{}' ]
}

@test "a rule that could not query resolves nothing" {
  state='{"errors:prod:green":{"rule":"errors","summary":"x","since":"t"}}'
  run alert_transitions "${state}" '[]' '["disk"]'
  [ "${#lines[@]}" -eq 0 ]
}

@test "a message that was not delivered is not recorded: the next run sends it again" {
  run alert_transitions '{}' "[${A},${B}]" '["errors","disk"]'
  [ "${#lines[@]}" -eq 2 ]
  delivered="$(jq -c 'select(.key == "disk:h1:/")' <<<"${output}")"
  state="$(alert_next_state '{}' "[${delivered}]" t1)"
  run alert_transitions "${state}" "[${A},${B}]" '["errors","disk"]'
  [ "${#lines[@]}" -eq 1 ]
  [ "$(jq -r .key <<<"${lines[0]}")" = errors:prod:green ]
}

# runner <args>: scripts/alerts.sh prod with Elasticsearch unreachable and the webhook at WEBHOOK.
runner() {
  SWITCHYARD_STATE_DIR="${BATS_TEST_TMPDIR}/state" ELK_SECRETS_FILE=/nonexistent \
    ELK_ES_URL="http://127.0.0.1:${DEAD_PORT}" ELK_ES_PASSWORD=x NOTIFY_WEBHOOK_URL="${WEBHOOK}" \
    ALERT_QUERY_TIMEOUT_S=2 ALERT_WEBHOOK_TRIES=1 "${REPO_ROOT}/scripts/alerts.sh" "$@" prod
}

@test "alerts.sh: Elasticsearch out of reach is one incident, announced once, the URL secret never logged" {
  source "${REPO_ROOT}/scripts/lib/common.sh"
  DEAD_PORT="$(free_port)"
  got="${BATS_TEST_TMPDIR}/hook.jsonl"
  start_stub http_stub.py record "${got}"
  WEBHOOK="http://127.0.0.1:${STUB_PORT}/services/T0/B0/secret-token-xyz"
  run runner
  [ "${status}" -eq 0 ]
  [[ "${output}" != *secret-token-xyz* ]]
  [ "$(wc -l <"${got}")" -eq 1 ]
  run jq -r '.method, .path, .headers["content-type"], (.body | fromjson | .text, .switchyard.kind, .switchyard.key)' "${got}"
  [ "${lines[0]}" = POST ]
  [ "${lines[1]}" = /services/T0/B0/secret-token-xyz ]
  [ "${lines[2]}" = application/json ]
  [[ "${lines[3]}" == "FIRING [prod] alert runner cannot query Elasticsearch"* ]]
  [ "${lines[4]}" = firing ]
  [ "${lines[5]}" = elk:prod ]
  run runner
  [ "${status}" -eq 0 ]
  [ "$(wc -l <"${got}")" -eq 1 ]
}

@test "alerts.sh: a webhook that fails gets the message again on the next run; --dry-run sends nothing" {
  source "${REPO_ROOT}/scripts/lib/common.sh"
  DEAD_PORT="$(free_port)"
  failing="${BATS_TEST_TMPDIR}/failing.jsonl"
  start_stub http_stub.py record "${failing}" 500
  WEBHOOK="http://127.0.0.1:${STUB_PORT}/hook"
  run runner
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"could not deliver firing elk:prod"* ]]
  stop_stub
  got="${BATS_TEST_TMPDIR}/hook.jsonl"
  start_stub http_stub.py record "${got}"
  WEBHOOK="http://127.0.0.1:${STUB_PORT}/hook"
  run runner --dry-run
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"FIRING [prod] alert runner cannot query"* ]]
  [ ! -e "${got}" ]
  run runner
  [ "$(wc -l <"${got}")" -eq 1 ]
}

@test "alerts.sh: an env without ELK has nothing to check; no webhook is a configuration error" {
  run env SWITCHYARD_STATE_DIR="${BATS_TEST_TMPDIR}/state" ELK_SECRETS_FILE=/nonexistent ELK_HOST= ELK_ES_URL= \
    "${REPO_ROOT}/scripts/alerts.sh" prod
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"no ELK for env prod"* ]]
  run env SWITCHYARD_STATE_DIR="${BATS_TEST_TMPDIR}/state" ELK_SECRETS_FILE=/nonexistent ELK_HOST=local \
    NOTIFY_WEBHOOK_URL= "${REPO_ROOT}/scripts/alerts.sh" prod
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"NOTIFY_WEBHOOK_URL is not set"* ]]
}
