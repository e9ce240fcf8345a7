# shellcheck shell=bash
# Deploy markers in Kibana's APM app: each switch and rollback creates an APM annotation for the service,
# environment and version that went live, so latency and error charts show where a release started.
# Kibana's annotation API (8.x): POST <KIBANA_URL>[/s/<KIBANA_SPACE>]/api/apm/services/<service>/annotation
#   headers  kbn-xsrf, Content-Type: application/json, elastic-api-version: 2023-10-31,
#            Authorization: ApiKey <KIBANA_API_KEY>  (or basic auth KIBANA_USER / KIBANA_PASSWORD)
#   body     {"@timestamp", "service": {"version", "environment"}, "message", "tags": ["apm", ...]}
# Never slows or fails a deploy: the request runs in the background, bounded by APM_ANNOTATION_TIMEOUT_S,
# and its outcome is only logged. Without KIBANA_URL (no ELK) it does nothing.
# Sourced, never executed; needs common.sh. Settings: scripts/env/common.env (ELK section).

# apm_annotation_body <env> <version> <message> [timestamp]: the JSON body.
apm_annotation_body() {
  jq -cn --arg env "$1" --arg version "$2" --arg message "$3" \
    --arg ts "${4:-$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)}" \
    '{"@timestamp": $ts, service: {version: $version, environment: $env}, message: $message,
      tags: ["apm", "deploy", "switchyard", "env:\($env)"]}'
}

# apm_annotation_send <env> <version> <message>: one bounded request, in the foreground; 0 on HTTP 2xx.
apm_annotation_send() {
  local base="${KIBANA_URL%/}"
  local service="${APM_SERVICE_NAME:-switchyard}"
  local body
  local auth=""
  if [[ -n "${KIBANA_SPACE:-}" ]]; then
    base+="/s/${KIBANA_SPACE}"
  fi
  body="$(apm_annotation_body "$1" "$2" "$3")" || return 1
  # Credentials go to curl on stdin (-K -): never on a command line that `ps` shows.
  if [[ -n "${KIBANA_API_KEY:-}" ]]; then
    auth="header = \"Authorization: ApiKey ${KIBANA_API_KEY}\""
  elif [[ -n "${KIBANA_PASSWORD:-}" ]]; then
    auth="user = \"${KIBANA_USER:-elastic}:${KIBANA_PASSWORD}\""
  fi
  local code
  code="$(printf '%s\n' "${auth}" | curl -sS -o /dev/null -w '%{http_code}' -K - \
    --connect-timeout "${APM_ANNOTATION_TIMEOUT_S:-5}" --max-time "${APM_ANNOTATION_TIMEOUT_S:-5}" \
    -X POST -H 'kbn-xsrf: switchyard' -H 'Content-Type: application/json' -H 'elastic-api-version: 2023-10-31' \
    --data-binary "${body}" "${base}/api/apm/services/${service}/annotation" 2>/dev/null)" || code="${code:-000}"
  if [[ "${code}" =~ ^2 ]]; then
    log "APM annotation for ${service} ${2} in ${1}: ${3}"
    return 0
  fi
  err "APM annotation not created (Kibana ${KIBANA_URL} answered HTTP ${code}); the deploy goes on"
  return 1
}

# apm_image_version <image>: the release the agent reports for an image (its APP_VERSION): the image's
# org.opencontainers.image.version label, else its tag.
apm_image_version() {
  local label
  label="$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "$1" 2>/dev/null || true)"
  if [[ -n "${label}" && "${label}" != "<no value>" ]]; then
    echo "${label}"
  else
    echo "${1##*:}"
  fi
}

# apm_annotate <env> <version> <message>: the deploy's call; returns at once.
apm_annotate() {
  [[ -n "${KIBANA_URL:-}" ]] || return 0
  if ! command -v jq >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
    err "APM annotation skipped: jq or curl missing"
    return 0
  fi
  # Background, detached from the deploy's stdout (a pipe Jenkins waits on); its log lines go to stderr.
  (apm_annotation_send "$@" || true) >/dev/null 9>&- &
  return 0
}
