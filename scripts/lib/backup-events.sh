# shellcheck shell=bash
# Backup, restore and drill events: one JSON line each, appended to BACKUP_EVENTS_FILE and sent to
# Logstash the way deploy events are (scripts/lib/events.sh: LOGSTASH_HOST:LOGSTASH_DEPLOY_PORT,
# bounded by LOGSTASH_TIMEOUT_S). With no Logstash configured, the failures (failed, stale,
# restore_failed, drill_failed) go to BACKUP_NOTIFY_WEBHOOK_URL as Slack-compatible JSON instead.
# Emitting never fails the caller. Sourced after common.sh.
#
#   emit_backup_event <action> [key=value ...]
#
# The event (fields are stable: alerts read them):
#   {"@timestamp": "<UTC>", "event": {"kind": "backup", "action": <action>, "outcome": "success"|"failure"},
#    "backup": {"env", "kind", "snapshot", "stores", "image", "project", "repository", "host", "message",
#               "duration_ms", "bytes", "added_bytes", "exit_code", "age_s"}}
# action: succeeded | failed | skipped | stale | fresh | restored | restore_failed | drill_passed | drill_failed
# backup.kind: scheduled | before-deploy | restore | in-place | drill; numbers are JSON numbers.

# shellcheck source=scripts/lib/events.sh
source "$(dirname "${BASH_SOURCE[0]}")/events.sh"

readonly BACKUP_EVENT_ACTIONS="succeeded failed skipped stale fresh restored restore_failed drill_passed drill_failed"
readonly BACKUP_EVENT_FAILURES="failed stale restore_failed drill_failed"
readonly BACKUP_EVENT_KEYS="env kind snapshot stores image project repository host message"
readonly BACKUP_EVENT_NUMBERS="duration_ms bytes added_bytes exit_code age_s"

# backup_event_json <action> [key=value ...]
backup_event_json() {
  local action="$1"
  shift
  local outcome=success
  if [[ " ${BACKUP_EVENT_FAILURES} " == *" ${action} "* ]]; then
    outcome=failure
  fi
  local jq_args=(--arg ts "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg action "${action}" --arg outcome "${outcome}")
  local obj="{}"
  local arg
  local key
  local value
  local i=0
  for arg in "$@"; do
    key="${arg%%=*}"
    value="${arg#*=}"
    if [[ "${arg}" != *=* ]]; then
      err "backup event: ignoring argument without '=': ${arg}"
      continue
    fi
    i=$((i + 1))
    if [[ " ${BACKUP_EVENT_NUMBERS} " == *" ${key} "* ]]; then
      if [[ ! "${value}" =~ ^[0-9]+$ ]]; then
        [[ -z "${value}" ]] || err "backup event: ${key} is not a whole number, dropped: ${value}"
        continue
      fi
      jq_args+=(--argjson "v${i}" "${value}")
    elif [[ " ${BACKUP_EVENT_KEYS} " == *" ${key} "* ]]; then
      [[ -n "${value}" ]] || continue
      jq_args+=(--arg "v${i}" "${value}")
    else
      err "backup event: ignoring unknown key: ${key}"
      continue
    fi
    obj+=" + {${key}: \$v${i}}"
  done
  jq -cn "${jq_args[@]}" \
    "{\"@timestamp\": \$ts, event: {kind: \"backup\", action: \$action, outcome: \$outcome}, backup: (${obj})}"
}

# backup_notify_webhook <event-json>: a Slack-compatible {"text": ...} POST, bounded in time.
backup_notify_webhook() {
  local line="$1"
  local text
  text="$(jq -r '"Switchyard \(.backup.env // "?"): \(.event.action) \(.backup.kind // "")\(if .backup.snapshot then " snapshot " + .backup.snapshot[0:8] else "" end) on \(.backup.host // "?"): \(.backup.message // "")"' <<<"${line}")"
  if ! jq -cn --arg text "${text}" '{text: $text}' |
    curl -fsS -m "${LOGSTASH_TIMEOUT_S:-5}" -o /dev/null -H 'Content-Type: application/json' --data-binary @- \
      "${BACKUP_NOTIFY_WEBHOOK_URL}" 2>/dev/null; then
    err "backup event: webhook unreachable, alert not sent"
  fi
}

emit_backup_event() {
  local action="${1:-}"
  shift || true
  if [[ " ${BACKUP_EVENT_ACTIONS} " != *" ${action} "* ]]; then
    err "backup event: unexpected action '${action}' (expected one of: ${BACKUP_EVENT_ACTIONS})"
  fi
  local line
  if ! line="$(backup_event_json "${action}" "$@")" || [[ -z "${line}" ]]; then
    err "backup event: could not build event '${action}'"
    return 0
  fi
  if [[ -n "${BACKUP_EVENTS_FILE:-}" ]]; then
    if ! { mkdir -p "$(dirname "${BACKUP_EVENTS_FILE}")" && printf '%s\n' "${line}" >>"${BACKUP_EVENTS_FILE}"; } 2>/dev/null; then
      err "backup event: could not append to ${BACKUP_EVENTS_FILE}"
    fi
  fi
  if [[ -n "${LOGSTASH_HOST:-}" && -n "${LOGSTASH_DEPLOY_PORT:-}" ]]; then
    if ! send_to_logstash "${LOGSTASH_HOST}" "${LOGSTASH_DEPLOY_PORT}" "${line}"; then
      err "backup event: Logstash ${LOGSTASH_HOST}:${LOGSTASH_DEPLOY_PORT} unreachable, event '${action}' not sent"
    fi
  elif [[ -n "${BACKUP_NOTIFY_WEBHOOK_URL:-}" && " ${BACKUP_EVENT_FAILURES} " == *" ${action} "* ]]; then
    backup_notify_webhook "${line}"
  fi
  return 0
}
