#!/usr/bin/env bats
# The backup rule's logic (scripts/lib/alert-rules.sh alert_backup_incidents) on search responses shaped
# like Elasticsearch's answer to alert_query_backup, built here from lists of events as
# scripts/lib/backup-events.sh writes them. The query itself runs on a real node in elk/tests (AlertsIT).

setup() {
  REPO_ROOT="$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)"
  # shellcheck source=scripts/lib/alert-rules.sh
  source "${REPO_ROOT}/scripts/lib/alert-rules.sh"
}

# ev <minute> <action> <kind> [message]: one backup event at 2026-12-01T10:<minute>:00Z, env prod, host app-1.
ev() {
  jq -cn --arg t "2026-12-01T10:$1:00Z" --arg a "$2" --arg k "$3" --arg m "${4:-}" \
    '{"@timestamp": $t, event: {kind: "backup", action: $a}, backup: ({env: "prod", kind: $k, host: "app-1",
      snapshot: "4f1c2d3e9a8b7c6d"} + (if $m == "" then {} else {message: $m} end))}'
}

# response <event-json>...: the aggregations Elasticsearch returns for these events (terms backup.kind >
# terms event.action > max @timestamp as epoch ms, top_hits 1 newest).
response() {
  printf '%s\n' "$@" | jq -cs '{aggregations: {kind: {buckets: (group_by(.backup.kind) | map({key: .[0].backup.kind,
    action: {buckets: (group_by(.event.action) | map(sort_by(.["@timestamp"]) | last as $n
      | {key: $n.event.action, newest: {value: ($n["@timestamp"] | fromdateiso8601 * 1000)},
         event: {hits: {hits: [{_source: $n}]}}}))}}))}}}'
}

incidents() {
  response "$@" | alert_backup_incidents prod
}

@test "a failed scheduled backup is an incident with its host, time and message" {
  run incidents "$(ev 00 succeeded scheduled)" "$(ev 05 failed scheduled 'mysqldump exited 2')"
  [ "${status}" -eq 0 ]
  [ "$(jq -r 'length' <<<"${output}")" -eq 1 ]
  [ "$(jq -r '.[0].key' <<<"${output}")" = backup:prod:failed:scheduled ]
  [ "$(jq -r '.[0].rule' <<<"${output}")" = backup ]
  [ "$(jq -r '.[0].summary' <<<"${output}")" = \
    "[prod] backup FAILED (scheduled on app-1, snapshot 4f1c2d3e) at 2026-12-01T10:05:00Z: mysqldump exited 2" ]
}

@test "repeated failures stay one incident; a later success of the same kind clears it" {
  run incidents "$(ev 01 failed scheduled)" "$(ev 02 failed scheduled)" "$(ev 03 failed scheduled)"
  [ "$(jq -r 'map(.key) | join(" ")' <<<"${output}")" = backup:prod:failed:scheduled ]
  run incidents "$(ev 01 failed scheduled)" "$(ev 02 failed scheduled)" "$(ev 03 succeeded scheduled)"
  [ "${output}" = '[]' ]
}

@test "a success of another kind does not clear a failure" {
  run incidents "$(ev 01 failed scheduled)" "$(ev 02 succeeded before-deploy)"
  [ "$(jq -r 'map(.key) | join(" ")' <<<"${output}")" = backup:prod:failed:scheduled ]
  run incidents "$(ev 01 failed before-deploy)" "$(ev 02 succeeded scheduled)"
  [ "$(jq -r 'map(.key) | join(" ")' <<<"${output}")" = backup:prod:failed:before-deploy ]
}

@test "stale clears with the next fresh age check or a scheduled backup that succeeded" {
  run incidents "$(ev 00 fresh scheduled)" "$(ev 30 stale scheduled 'the newest scheduled snapshot of prod is 9000s old')"
  [ "$(jq -r 'map(.key) | join(" ")' <<<"${output}")" = backup:prod:stale:scheduled ]
  [[ "$(jq -r '.[0].summary' <<<"${output}")" == "[prod] backups STALE (scheduled on app-1"*"9000s old" ]]
  run incidents "$(ev 30 stale scheduled)" "$(ev 31 fresh scheduled)"
  [ "${output}" = '[]' ]
  run incidents "$(ev 30 stale scheduled)" "$(ev 40 succeeded scheduled)"
  [ "${output}" = '[]' ]
}

@test "a failed drill stays open until a drill passes; a failed restore until a restore succeeds" {
  run incidents "$(ev 01 drill_failed drill 'mysql users: manifest 120, restored 119')" "$(ev 02 succeeded scheduled)" \
    "$(ev 03 restore_failed restore)"
  [ "$(jq -r 'map(.key) | sort | join(" ")' <<<"${output}")" = \
    "backup:prod:drill_failed:drill backup:prod:restore_failed:restore" ]
  run incidents "$(ev 01 drill_failed drill)" "$(ev 09 drill_passed drill)" "$(ev 03 restore_failed restore)" \
    "$(ev 04 restored restore)"
  [ "${output}" = '[]' ]
}

@test "good news only, or no backup events at all: nothing" {
  run incidents "$(ev 01 succeeded scheduled)" "$(ev 02 fresh scheduled)" "$(ev 03 skipped before-deploy)" \
    "$(ev 04 drill_passed drill)"
  [ "${output}" = '[]' ]
  run alert_backup_incidents prod <<<'{"hits": {"total": {"value": 0}}}'
  [ "${status}" -eq 0 ]
  [ "${output}" = '[]' ]
}

@test "the query asks for this env's backup events of the lookback only" {
  ALERT_BACKUP_LOOKBACK_S=691200
  run alert_query_backup prod
  [ "$(jq -c '.query.bool.filter' <<<"${output}")" = \
    '[{"term":{"event.kind":"backup"}},{"term":{"backup.env":"prod"}},{"range":{"@timestamp":{"gte":"now-691200s"}}}]' ]
}
