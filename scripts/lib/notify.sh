# shellcheck shell=bash
# Chat notifications: one message per deploy result, posted to NOTIFY_WEBHOOK_URL as Slack-compatible
# JSON, {"text": "..."} (Slack and Mattermost incoming webhooks, Teams and Discord adapters, or any
# receiver). Never in the deploy's way: the post runs in a detached process (scripts/notify.sh), each
# attempt bounded by NOTIFY_TIMEOUT_S, NOTIFY_ATTEMPTS attempts at most. The URL is a secret: it reaches
# curl through a config on a pipe (never argv, never a log line).
# Reusable by anything that has the setting: `scripts/notify.sh "<text>"`.
# Needs: common.sh, detach.sh.

# notify <text>: starts the post and returns at once (nothing to do without NOTIFY_WEBHOOK_URL).
notify() {
  [[ -n "${NOTIFY_WEBHOOK_URL:-}" ]] || return 0
  (
    # Through the environment, never argv: the URL is a secret.
    export NOTIFY_WEBHOOK_URL NOTIFY_TIMEOUT_S NOTIFY_ATTEMPTS
    detach_run "${NOTIFY_LOG:-/dev/null}" "$(repo_root)/scripts/notify.sh" "$1" >/dev/null
  ) || true
}

# notify_curl_config <url>: the curl config line naming the URL (quotes and backslashes escaped).
notify_curl_config() {
  local url="${1//\\/\\\\}"
  printf 'url = "%s"\n' "${url//\"/\\\"}"
}

# notify_post <text>: the post itself, with retries; 0 when the receiver answered 2xx.
notify_post() {
  local text="$1"
  local attempts="${NOTIFY_ATTEMPTS:-3}"
  local payload attempt code rc
  [[ -n "${NOTIFY_WEBHOOK_URL:-}" ]] || return 0
  payload="$(jq -n -c --arg text "${text}" '{text: $text}')"
  for ((attempt = 1; attempt <= attempts; attempt++)); do
    rc=0
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time "${NOTIFY_TIMEOUT_S:-5}" \
      -H 'Content-Type: application/json' --data-binary "${payload}" \
      -K <(notify_curl_config "${NOTIFY_WEBHOOK_URL}") 2>/dev/null)" || rc=$?
    if ((rc == 0)) && [[ "${code}" =~ ^2[0-9][0-9]$ ]]; then
      log "notification sent (attempt ${attempt}): ${text:0:80}"
      return 0
    fi
    log "notification attempt ${attempt}/${attempts} failed (curl exit ${rc}, HTTP ${code:-none})"
    if ((attempt < attempts)); then
      sleep "${attempt}"
    fi
  done
  return 1
}
