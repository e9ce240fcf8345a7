# shellcheck shell=bash
# Delivers alert messages to a Slack-compatible incoming webhook (NOTIFY_WEBHOOK_URL: a JSON body
# {"text": "..."}, as Slack, Mattermost, Rocket.Chat and Google Chat's Slack mode accept). Bounded: each
# attempt ALERT_WEBHOOK_TIMEOUT_S, ALERT_WEBHOOK_TRIES attempts. The URL is a secret and is never logged.
# Sourced, never executed; needs common.sh.

# alert_message_text <transition-json>: the one line a person reads.
alert_message_text() {
  jq -r 'if .kind == "firing" then "FIRING \(.summary)"
         else "RESOLVED \(.summary) (open since \(.since // "?"))" end' <<<"$1"
}

# alert_webhook_post <transition-json>: 0 when the webhook answered 2xx.
alert_webhook_post() {
  local body
  local tries="${ALERT_WEBHOOK_TRIES:-3}"
  local i
  body="$(jq -cn --arg text "$(alert_message_text "$1")" --argjson t "$1" \
    '{text: $text, switchyard: {kind: $t.kind, key: $t.key, rule: $t.rule}}')"
  for ((i = 1; i <= tries; i++)); do
    # The URL goes to curl through stdin (-K -), so it never shows in `ps` either.
    if printf 'url = "%s"\n' "${NOTIFY_WEBHOOK_URL}" |
      curl -fsS -o /dev/null --max-time "${ALERT_WEBHOOK_TIMEOUT_S:-5}" -K - \
        -H 'Content-Type: application/json' --data-binary "${body}" 2>/dev/null; then
      return 0
    fi
    ((i == tries)) || sleep 1
  done
  return 1
}
