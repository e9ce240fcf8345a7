#!/usr/bin/env bash
# Posts a build's result to a Slack-compatible chat webhook ({"text": ...}; Slack, Mattermost and
# Rocket.Chat take it as is). Never fails the build: a webhook that is missing, slow or down is
# logged and skipped (at most ~25 s: 10 s per try, 2 retries on transient errors).
#
# Usage: jenkins/notify-build.sh        (everything comes from the environment)
#   NOTIFY_WEBHOOK_URL  the webhook (a secret: bound by the pipeline from a Jenkins credential; it never
#                       reaches a command line or the log - curl reads it from a config on a pipe)
#   NOTIFY_RESULT       SUCCESS | FAILURE | UNSTABLE | ABORTED | ROLLED_BACK
#   NOTIFY_STAGE        the stage that failed (empty on success)
#   NOTIFY_MESSAGE      why, in one line (optional)
#   NOTIFY_REPORT       scripts/fleet-deploy.sh --report file (optional): adds each host's outcome
#   JOB_NAME, BUILD_NUMBER, BUILD_URL, DEPLOY_ENV, IMAGE, IMAGE_ID   from Jenkins and the pipeline
# Exit: 0 (sent or skipped); 2 usage error (NOTIFY_RESULT missing or unknown).
set -euo pipefail
set +x

# shellcheck source-path=SCRIPTDIR source=../scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"

SCRIPT_NAME="notify-build"

# headline <result>: the first line, by result.
headline() {
  local what="${JOB_NAME:-build} #${BUILD_NUMBER:-?}"
  case "$1" in
    SUCCESS)
      if [[ -n "${DEPLOY_ENV:-}" && "${DEPLOY_ENV}" != none ]]; then
        echo ":white_check_mark: ${what} deployed ${IMAGE:-?} to ${DEPLOY_ENV}"
      else
        echo ":white_check_mark: ${what} passed${IMAGE:+ (built ${IMAGE})}"
      fi
      ;;
    FAILURE) echo ":x: ${what} FAILED${NOTIFY_STAGE:+ in stage ${NOTIFY_STAGE}}" ;;
    UNSTABLE) echo ":warning: ${what} is UNSTABLE${NOTIFY_STAGE:+ (stage ${NOTIFY_STAGE})}" ;;
    ABORTED) echo ":no_entry: ${what} was ABORTED${NOTIFY_STAGE:+ in stage ${NOTIFY_STAGE}}" ;;
    ROLLED_BACK) echo ":leftwards_arrow_with_hook: ${what} ROLLED BACK ${DEPLOY_ENV:-}: ${IMAGE:-?} failed in stage ${NOTIFY_STAGE:-Deploy}; every host is back on its previous release" ;;
  esac
}

# host_lines: one line per host of the fleet report, when there is one.
host_lines() {
  local report="${NOTIFY_REPORT:-}"
  if [[ -z "${report}" || ! -r "${report}" ]]; then
    return 0
  fi
  jq -r '.hosts[]? | "• \(.host): \(.outcome)\(if .switch_ms then " (switch \(.switch_ms) ms)" else "" end)\(if (.note // "") != "" then " - \(.note)" else "" end)"' \
    "${report}" 2>/dev/null || true
}

message_text() {
  local result="$1"
  headline "${result}"
  if [[ -n "${NOTIFY_MESSAGE:-}" ]]; then
    echo "${NOTIFY_MESSAGE}"
  fi
  if [[ -n "${IMAGE_ID:-}" ]]; then
    echo "image ${IMAGE:-?} (${IMAGE_ID:0:19})"
  fi
  host_lines
  if [[ -n "${BUILD_URL:-}" ]]; then
    echo "<${BUILD_URL}|build log>"
  fi
}

# curl_config: curl reads the URL from this (a config file on a pipe), so it is on no command line.
curl_config() {
  local url="${NOTIFY_WEBHOOK_URL//\\/\\\\}"
  printf 'url = "%s"\n' "${url//\"/\\\"}"
}

main() {
  local result="${NOTIFY_RESULT:-}"
  case "${result}" in
    SUCCESS | FAILURE | UNSTABLE | ABORTED | ROLLED_BACK) ;;
    *)
      err "NOTIFY_RESULT must be SUCCESS, FAILURE, UNSTABLE, ABORTED or ROLLED_BACK, got '${result}'"
      exit 2
      ;;
  esac
  if [[ -z "${NOTIFY_WEBHOOK_URL:-}" ]]; then
    log "no NOTIFY_WEBHOOK_URL: result ${result} not sent"
    return 0
  fi
  require_cmd curl jq
  local payload
  payload="$(message_text "${result}" | jq -R -s -c '{text: (. | rtrimstr("\n"))}')"
  if curl -sS -o /dev/null --fail --max-time 10 --retry 2 --retry-max-time 25 \
    -H 'Content-Type: application/json' --data-binary @- --config <(curl_config) <<<"${payload}"; then
    log "result ${result} sent to the chat webhook"
  else
    log "WARNING: could not send the result ${result} to the chat webhook (the build goes on)"
  fi
}

main "$@"
