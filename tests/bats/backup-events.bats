#!/usr/bin/env bats
# Backup events: stable JSON fields, the events file, Logstash first, the webhook for failures only.

setup() {
  load backup_helpers
  backup_setup
  export BACKUP_EVENTS_FILE="${BATS_TEST_TMPDIR}/events.jsonl"
  stub curl 'cat >>"${STUB_LOG}.body"'
}

@test "an event: kind backup, action, outcome, string and number fields" {
  emit_backup_event succeeded env=prod kind=scheduled snapshot=abc123 bytes=42 duration_ms=1500 stores="mysql redis"
  run jq -c '[.event.kind, .event.action, .event.outcome, .backup.env, .backup.snapshot, .backup.bytes, .backup.duration_ms, .backup.stores]' "${BACKUP_EVENTS_FILE}"
  [ "${output}" = '["backup","succeeded","success","prod","abc123",42,1500,"mysql redis"]' ]
  [ "$(jq -r '."@timestamp"' "${BACKUP_EVENTS_FILE}")" != null ]
}

@test "failures have outcome failure; empty values and unknown keys are left out" {
  emit_backup_event failed env=prod image= exit_code=5 colour=blue message="disk full"
  run jq -c '[.event.outcome, (.backup | keys)]' "${BACKUP_EVENTS_FILE}"
  [ "${output}" = '["failure",["env","exit_code","message"]]' ]
}

@test "a non-numeric number is dropped, the event still written" {
  emit_backup_event succeeded env=dev bytes=lots
  [ "$(jq -r '.backup | has("bytes")' "${BACKUP_EVENTS_FILE}")" = false ]
}

@test "without Logstash a failure goes to the webhook as Slack-compatible text; a success does not" {
  export BACKUP_NOTIFY_WEBHOOK_URL=http://127.0.0.1:9/hook
  emit_backup_event succeeded env=prod
  [ ! -s "${STUB_LOG}" ]
  emit_backup_event stale env=prod kind=scheduled message="newest snapshot is 9000s old"
  grep -q "curl .* http://127.0.0.1:9/hook" "${STUB_LOG}"
  [[ "$(jq -r .text "${STUB_LOG}.body")" == "Switchyard prod: stale scheduled on "*": newest snapshot is 9000s old" ]]
}

@test "with Logstash configured the event is sent there and the webhook is left alone" {
  export BACKUP_NOTIFY_WEBHOOK_URL=http://127.0.0.1:9/hook
  export LOGSTASH_HOST=127.0.0.1 LOGSTASH_DEPLOY_PORT=9
  emit_backup_event failed env=prod message=x
  [ ! -s "${STUB_LOG}" ]
  [ "$(jq -r .event.action "${BACKUP_EVENTS_FILE}")" = failed ]
}

@test "an unwritable events file never fails the caller" {
  export BACKUP_EVENTS_FILE=/proc/nope/events.jsonl
  run emit_backup_event succeeded env=dev
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"could not append"* ]]
}
