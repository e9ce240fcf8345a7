#!/usr/bin/env bash
# Checks the whole observability path of one environment on a real host, in one command:
#   1. a marked request through nginx to the live color (answered 401 by the app, which logs it)
#   2. a deploy event and the disk figures, as the deploy and the disk timer send them
#   3. waits until Elasticsearch has each: the nginx line (with its routed color), the app's log line
#      and APM transaction of that request (same trace id), the event, the figures
#   4. Kibana answers; one test message goes to the webhook (the alerts' and the deploy's)
# Prints every stage with the seconds it took; exits 1 on the first one missing after ELK_VERIFY_WAIT_S.
#
# Usage: scripts/elk-verify.sh <env>
# Settings: the env's ELK section (scripts/env/common.env), secrets from ELK_SECRETS_FILE. The reader
# user (ELK_ES_USER) reads switchyard-* and traces-apm* (elk/setup/setup.sh).
set -euo pipefail

SCRIPT_NAME="elk-verify"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"
# shellcheck source=scripts/lib/elk.sh
source "${SCRIPT_DIR}/lib/elk.sh"
# shellcheck source=scripts/lib/events.sh
source "${SCRIPT_DIR}/lib/events.sh"
# shellcheck source=scripts/lib/alert-rules.sh
source "${SCRIPT_DIR}/lib/alert-rules.sh"

START_S=0

# found <index> <query-json>: at least one document matches.
found() {
  es_search "$1" "{\"size\":1,\"query\":$2}" | jq -e '.hits.hits | length > 0' >/dev/null 2>&1
}

# stage <name> <index> <query-json>: waits for the document, prints the delay.
stage() {
  if retry_until "${ELK_VERIFY_WAIT_S:-120}" 2 found "$2" "$3"; then
    printf 'ok     %-44s %3ds\n' "$1" "$((SECONDS - START_S))"
  else
    printf 'FAILED %-44s not in %s after %ss\n' "$1" "$2" "${ELK_VERIFY_WAIT_S:-120}"
    exit 1
  fi
}

term() {
  jq -cn --arg f "$1" --arg v "$2" '{term: {($f): $v}}'
}

main() {
  if (($# != 1)) || [[ "$1" == -* ]]; then
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
  fi
  local env="$1"
  config_load "${env}" || exit 2
  elk_load_secrets
  require_cmd curl jq
  [[ -n "${ELK_HOST}" || -n "${ELK_ES_URL}" ]] || DIE_EXIT_CODE=2 die "env ${env} has no ELK (ELK_HOST is empty)"
  local marker
  marker="elkverify-$(date -u +%Y%m%d%H%M%S)-$$"
  START_S=${SECONDS}

  local headers code trace
  headers="$(curl -sS -o /dev/null -D - --max-time 10 -A "switchyard-elk-verify/${marker}" \
    -H "Authorization: Bearer ${marker}" "${NGINX_URL}/api/users/me" | tr -d '\r')" ||
    die "nginx at ${NGINX_URL} did not answer"
  code="$(sed -n -E '1s/^HTTP\/[0-9.]+ ([0-9]{3}).*/\1/p' <<<"${headers}")"
  trace="$(sed -n 's/^[Xx]-[Tt]race-[Ii]d: //p' <<<"${headers}")"
  [[ "${code}" == 401 && -n "${trace}" ]] || die "expected 401 with X-Trace-Id from the app through nginx, got ${code:-nothing}"
  printf 'ok     %-44s trace %s\n' "request through nginx (${NGINX_URL})" "${trace}"
  DEPLOY_ENV="${env}" DEPLOY_ID="${marker}" emit_deploy_event step step=elk-verify result=ok message="${marker}"
  "${SCRIPT_DIR}/disk-report.sh" "${env}" || die "disk figures not sent"
  local host="${DISK_REPORT_HOST_NAME:-$(hostname)}"

  stage "nginx access line" 'switchyard-nginx-access-*' "$(term user_agent "switchyard-elk-verify/${marker}")"
  stage "app log line (trace.id)" 'switchyard-app-logs-*' "$(term trace.id "${trace}")"
  stage "APM transaction (trace.id)" 'traces-apm*' "$(term trace.id "${trace}")"
  stage "deploy event" 'switchyard-deploy-events-*' "$(term deploy.id "${marker}")"
  stage "disk figures of ${host}" 'switchyard-host-metrics-*' \
    "$(jq -cn --arg h "${host}" '{bool: {filter: [{term: {"host.name": $h}}, {range: {"@timestamp": {gte: "now-2m"}}}]}}')"

  if [[ -n "${KIBANA_URL}" ]]; then
    # The key goes to curl on stdin, never on its command line.
    printf '%s\n' "${KIBANA_API_KEY:+header = \"Authorization: ApiKey ${KIBANA_API_KEY}\"}" |
      curl -fsS -o /dev/null --max-time 10 -K - "${KIBANA_URL%/}/api/status" ||
      die "Kibana at ${KIBANA_URL} did not answer"
    printf 'ok     %-44s\n' "Kibana (${KIBANA_URL})"
  fi
  [[ -n "${NOTIFY_WEBHOOK_URL:-}" ]] || die "NOTIFY_WEBHOOK_URL is not set: alerts have nowhere to go"
  # shellcheck source=scripts/lib/alert-webhook.sh
  source "${SCRIPT_DIR}/lib/alert-webhook.sh"
  alert_webhook_post "$(jq -cn --arg env "${env}" --arg m "${marker}" \
    '{kind: "firing", key: "elk-verify", rule: "elk-verify", summary: "[\($env)] ELK check \($m): logs, traces, nginx, deploy events and disk figures arrive (test message, no action needed)"}')" ||
    die "the webhook did not accept the test message"
  printf 'ok     %-44s\n' "test message to the webhook"
  log "${env}: the whole path works (${marker}, $((SECONDS - START_S))s)"
}

main "$@"
