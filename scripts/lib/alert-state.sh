# shellcheck shell=bash
# Alert state: which incidents are open, so each incident gets one message when it starts and one when
# it clears, however often the runner looks. Pure jq over JSON, no I/O: scripts/alerts.sh does the rest.
# Sourced, never executed.
#
# state    {"<key>": {"rule": "...", "summary": "...", "since": "<iso>"}, ...}   (what was announced)
# firing   [{"key": "...", "rule": "...", "summary": "...", "text": "..."}, ...]  (what holds now)
# rules_ok ["errors", "deploy", ...]   rules that answered this run; a rule that could not query keeps
#                                      its open incidents as they are (nothing resolves by an outage)

# alert_transitions <state> <firing> <rules_ok>: prints one JSON line per message to send:
#   {"kind": "firing"|"resolved", "key": ..., "rule": ..., "summary": ..., "text": ..., "since": ...}
alert_transitions() {
  jq -cn --argjson state "$1" --argjson firing "$2" --argjson ok "$3" '
    ($firing | map({(.key): .}) | add // {}) as $now
    | ($firing[] | select($state[.key] == null) | {kind: "firing"} + .),
      ($state | to_entries[]
        | select((.value.rule as $r | $ok | index($r)) and $now[.key] == null)
        | {kind: "resolved", key: .key, rule: .value.rule, summary: .value.summary, since: .value.since})'
}

# alert_next_state <state> <sent> <now-iso>: the state after this run's messages. <sent> is a JSON
# array of the transitions that were delivered; one that failed to send is not recorded, so the next
# run sends it again (an open incident stays open, a new one stays new).
alert_next_state() {
  jq -cn --argjson state "$1" --argjson sent "$2" --arg now "$3" '
    reduce $sent[] as $t ($state;
      if $t.kind == "firing" then .[$t.key] = {rule: $t.rule, summary: $t.summary, since: $now}
      else del(.[$t.key]) end)'
}
