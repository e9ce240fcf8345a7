# shellcheck shell=bash
# Deploy events: one JSON object per line, appended to a file and/or sent to Logstash over TCP.
# Sourced, never executed: `source "$(dirname "${BASH_SOURCE[0]}")/lib/events.sh"`.
#
#   emit_deploy_event <action> [key=value ...]
#
# action: start | step | switched | rolled_back | failed | succeeded
# keys:   id env image from_color to_color step duration_ms result user message
#         (defaults: DEPLOY_ID DEPLOY_ENV DEPLOY_IMAGE DEPLOY_FROM_COLOR DEPLOY_TO_COLOR DEPLOY_USER;
#          without an id one is generated as <env>-<yyyymmddHHMMSS>-<pid> and kept in DEPLOY_ID)
# output: appended to DEPLOY_EVENTS_FILE when set; sent to LOGSTASH_HOST:LOGSTASH_DEPLOY_PORT when both
#         are set, bounded by LOGSTASH_TIMEOUT_S (default 2).
# Emitting an event never fails the caller: problems are logged to stderr and the function returns 0.
# emit_deploy_event_async (the deploy engine's): the same, but the network part runs in a detached
# process, so the caller never waits for Logstash (e.g. between the switch and its verification).

if ! declare -F err >/dev/null 2>&1; then
  # shellcheck source=scripts/lib/common.sh
  source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
fi
if ! declare -F detach_run >/dev/null 2>&1; then
  # shellcheck source=scripts/lib/detach.sh
  source "$(dirname "${BASH_SOURCE[0]}")/detach.sh"
fi

readonly DEPLOY_EVENT_ACTIONS="start step switched rolled_back failed succeeded"
readonly DEPLOY_EVENT_KEYS="id env image from_color to_color step duration_ms result user message"

# deploy_event_json <action> [key=value ...]: prints the event as one compact JSON line.
deploy_event_json() {
  local action="$1"
  shift
  local -A fields=(
    [id]="${DEPLOY_ID:-}"
    [env]="${DEPLOY_ENV:-}"
    [image]="${DEPLOY_IMAGE:-}"
    [from_color]="${DEPLOY_FROM_COLOR:-}"
    [to_color]="${DEPLOY_TO_COLOR:-}"
    [user]="${DEPLOY_USER:-${BUILD_USER_ID:-${USER:-$(id -un 2>/dev/null || echo unknown)}}}"
  )
  local arg
  local key
  for arg in "$@"; do
    if [[ "${arg}" != *=* ]]; then
      err "deploy event: ignoring argument without '=': ${arg}"
      continue
    fi
    key="${arg%%=*}"
    if [[ " ${DEPLOY_EVENT_KEYS} " != *" ${key} "* ]]; then
      err "deploy event: ignoring unknown key: ${key}"
      continue
    fi
    fields["${key}"]="${arg#*=}"
  done
  if [[ -n "${fields[duration_ms]:-}" && ! "${fields[duration_ms]}" =~ ^[0-9]+$ ]]; then
    err "deploy event: duration_ms is not a whole number of milliseconds, dropped: ${fields[duration_ms]}"
    unset 'fields[duration_ms]'
  fi
  if [[ -z "${fields[id]}" ]]; then
    fields[id]="${fields[env]:-unknown}-$(date -u +%Y%m%d%H%M%S)-$$"
    DEPLOY_ID="${fields[id]}"
  fi

  local jq_args=(--arg ts "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg action "${action}")
  local deploy_obj="{}"
  for key in ${DEPLOY_EVENT_KEYS}; do
    if [[ -z "${fields[${key}]:-}" ]]; then
      continue
    fi
    if [[ "${key}" == "duration_ms" ]]; then
      jq_args+=(--argjson "${key}" "${fields[${key}]}")
    else
      jq_args+=(--arg "${key}" "${fields[${key}]}")
    fi
    deploy_obj+=" + {${key}: \$${key}}"
  done
  jq -cn "${jq_args[@]}" \
    "{\"@timestamp\": \$ts, event: {kind: \"deploy\", action: \$action}, deploy: (${deploy_obj})}"
}

# send_to_logstash <host> <port> <line>: one line over TCP, bounded by LOGSTASH_TIMEOUT_S.
send_to_logstash() {
  local host="$1"
  local port="$2"
  local line="$3"
  local timeout_s="${LOGSTASH_TIMEOUT_S:-2}"
  if [[ ! "${port}" =~ ^[0-9]+$ ]]; then
    err "deploy event: LOGSTASH_DEPLOY_PORT is not a port number: ${port}"
    return 1
  fi
  # bash's /dev/tcp needs no extra tool; timeout bounds DNS, connect and write.
  # shellcheck disable=SC2016 # $1 and $2 are expanded by the child shell, on purpose.
  printf '%s\n' "${line}" |
    timeout --kill-after=1 "${timeout_s}" bash -c 'cat >"/dev/tcp/$1/$2"' _ "${host}" "${port}" 2>/dev/null
}

emit_deploy_event() {
  local action="${1:-}"
  if [[ -z "${action}" ]]; then
    err "deploy event: usage: emit_deploy_event <action> [key=value ...]"
    return 0
  fi
  shift
  if [[ " ${DEPLOY_EVENT_ACTIONS} " != *" ${action} "* ]]; then
    err "deploy event: unexpected action '${action}' (expected one of: ${DEPLOY_EVENT_ACTIONS})"
  fi
  if ! command -v jq >/dev/null 2>&1; then
    err "deploy event: jq not found, event '${action}' not recorded"
    return 0
  fi
  local line
  if ! line="$(deploy_event_json "${action}" "$@")" || [[ -z "${line}" ]]; then
    err "deploy event: could not build event '${action}'"
    return 0
  fi
  # DEPLOY_ID may have been generated inside the command substitution: keep it for the next events.
  if [[ -z "${DEPLOY_ID:-}" ]]; then
    DEPLOY_ID="$(jq -r '.deploy.id' <<<"${line}")"
  fi

  deploy_event_append "${line}"
  if [[ -n "${LOGSTASH_HOST:-}" && -n "${LOGSTASH_DEPLOY_PORT:-}" ]]; then
    if ! send_to_logstash "${LOGSTASH_HOST}" "${LOGSTASH_DEPLOY_PORT}" "${line}"; then
      err "deploy event: Logstash ${LOGSTASH_HOST}:${LOGSTASH_DEPLOY_PORT} unreachable, event '${action}' not sent"
    fi
  fi
  return 0
}

# deploy_event_append <line>: to DEPLOY_EVENTS_FILE when set (local, never slow).
deploy_event_append() {
  if [[ -n "${DEPLOY_EVENTS_FILE:-}" ]]; then
    if ! { mkdir -p "$(dirname "${DEPLOY_EVENTS_FILE}")" && printf '%s\n' "$1" >>"${DEPLOY_EVENTS_FILE}"; } 2>/dev/null; then
      err "deploy event: could not append to ${DEPLOY_EVENTS_FILE}"
    fi
  fi
}

# emit_deploy_event_async <action> [key=value ...]: as emit_deploy_event, but returns without waiting
# for the network: the local file is written here, the event reaches the network sinks from a detached
# process (own session, without the CI build cookies: it outlives a Jenkins step), each bounded by
# LOGSTASH_TIMEOUT_S. Failures go to DEPLOY_EVENTS_LOG (default: nowhere).
# The place for more sinks (e.g. a Kibana APM annotation on switched / rolled_back): deploy_event_sinks.
emit_deploy_event_async() {
  if [[ -z "${LOGSTASH_HOST:-}" || -z "${LOGSTASH_DEPLOY_PORT:-}" ]]; then
    emit_deploy_event "$@"
    return 0
  fi
  local action="${1:-}"
  local line
  if ! command -v jq >/dev/null 2>&1 || ! line="$(deploy_event_json "$@")" || [[ -z "${line}" ]]; then
    emit_deploy_event "$@"
    return 0
  fi
  if [[ -z "${DEPLOY_ID:-}" ]]; then
    DEPLOY_ID="$(jq -r '.deploy.id' <<<"${line}")"
  fi
  deploy_event_append "${line}"
  (
    export LOGSTASH_HOST LOGSTASH_DEPLOY_PORT LOGSTASH_TIMEOUT_S
    # shellcheck disable=SC2016 # expanded by the detached shell
    detach_run "${DEPLOY_EVENTS_LOG:-/dev/null}" bash -c 'source "$1" && deploy_event_sinks "$2" "$3"' _ \
      "${BASH_SOURCE[0]}" "${action}" "${line}" >/dev/null
  ) || true
  return 0
}

# deploy_event_sinks <action> <line>: every network destination of an event (run detached).
deploy_event_sinks() {
  local action="$1"
  local line="$2"
  if [[ -n "${LOGSTASH_HOST:-}" && -n "${LOGSTASH_DEPLOY_PORT:-}" ]]; then
    if ! send_to_logstash "${LOGSTASH_HOST}" "${LOGSTASH_DEPLOY_PORT}" "${line}"; then
      err "deploy event: Logstash ${LOGSTASH_HOST}:${LOGSTASH_DEPLOY_PORT} unreachable, event '${action}' not sent"
    fi
  fi
}
