# shellcheck shell=bash
# Alert rules: each asks Elasticsearch one or two questions about one environment and prints what holds
# now as a JSON array of incidents [{key, rule, summary, text}] (see alert-state.sh). A rule whose query
# fails returns 1 and prints nothing: its open incidents stay open. Sourced, never executed; needs
# common.sh and the ELK/ALERT_* settings of scripts/env/common.env. The same queries are run against a real
# Elasticsearch node by the ELK suite (elk/tests AlertRulesIT).
#
#   errors   5xx ratio per color nginx routed to (upstream_color) over ALERT_WINDOW_S
#   latency  p95 of upstream_response_time per color over ALERT_WINDOW_S
#   rise     5xx of the new color since a switch within ALERT_RISE_WATCH_S, against the env's ratio in the
#            ALERT_RISE_BASELINE_S before the switch
#   deploy   failed / rolled_back deploy events with no later succeeded deploy (ALERT_DEPLOY_LOOKBACK_S)
#   disk     the latest disk figure of every host and mount above ALERT_DISK_PCT (host-wide: same on every env)
#   backup   the env's latest backup, backup-age check, restore or drill failed with nothing good since
#            (scripts/lib/backup-events.sh's events: failed, stale, drill_failed, restore_failed; ALERT_BACKUP_LOOKBACK_S)

# shellcheck disable=SC2034 # read by scripts/alerts.sh
readonly ALERT_RULES_ALL="errors latency rise deploy disk backup"

# es_search <index-pattern> <json-body>: the search response on stdout; 1 on any failure.
es_search() {
  local index="$1"
  local body="$2"
  local auth=()
  if [[ -n "${ELK_ES_PASSWORD:-}" ]]; then
    auth=(-u "${ELK_ES_USER}:${ELK_ES_PASSWORD}")
  fi
  curl -fsS --max-time "${ALERT_QUERY_TIMEOUT_S:-10}" "${auth[@]}" -H 'Content-Type: application/json' \
    -X POST "${ELK_ES_URL%/}/${index}/_search?ignore_unavailable=true&allow_no_indices=true" --data-binary "${body}"
}

# The requests of the last window for one env, per routed color: count, 5xx count, p95 upstream time.
alert_query_traffic() {
  jq -cn --arg env "$1" --arg since "now-${ALERT_WINDOW_S}s" '{
    size: 0,
    query: {bool: {filter: [{term: {env: $env}}, {range: {"@timestamp": {gte: $since}}}]}},
    aggs: {color: {terms: {field: "upstream_color", size: 5}, aggs: {
      errors: {filter: {range: {status: {gte: 500, lte: 599}}}},
      p95: {percentiles: {field: "upstream_response_time", percents: [95]}}}}}}'
}

alert_rule_errors() {
  local env="$1"
  local response
  response="$(es_search 'switchyard-nginx-access-*' "$(alert_query_traffic "${env}")")" || return 1
  jq -c --arg env "${env}" --argjson min "${ALERT_MIN_REQUESTS}" --argjson ratio "${ALERT_5XX_RATIO}" \
    --arg window "${ALERT_WINDOW_S}" '
    [(.aggregations.color.buckets // [])[]
      | select(.doc_count >= $min and (.errors.doc_count / .doc_count) >= $ratio)
      | ((.errors.doc_count * 1000 / .doc_count | round) / 10) as $pct
      | {key: "errors:\($env):\(.key)", rule: "errors",
         summary: "[\($env)] 5xx on \(.key): \($pct)% of \(.doc_count) requests in the last \($window)s (threshold \($ratio * 1000 | round / 10)%)"}]' \
    <<<"${response}"
}

alert_rule_latency() {
  local env="$1"
  local response
  response="$(es_search 'switchyard-nginx-access-*' "$(alert_query_traffic "${env}")")" || return 1
  jq -c --arg env "${env}" --argjson min "${ALERT_MIN_REQUESTS}" --argjson limit "${ALERT_P95_S}" \
    --arg window "${ALERT_WINDOW_S}" '
    [(.aggregations.color.buckets // [])[]
      | (.p95.values["95.0"] // null) as $p95
      | select(.doc_count >= $min and $p95 != null and $p95 > $limit)
      | {key: "latency:\($env):\(.key)", rule: "latency",
         summary: "[\($env)] p95 upstream time on \(.key): \($p95 * 1000 | round) ms over \(.doc_count) requests in the last \($window)s (threshold \($limit * 1000 | round) ms)"}]' \
    <<<"${response}"
}

# The last switch of the env within the watch window: {id, to_color, image, at} or nothing.
alert_last_switch() {
  local env="$1"
  local body
  local response
  body="$(jq -cn --arg env "${env}" --arg since "now-${ALERT_RISE_WATCH_S}s" '{
    size: 1, sort: [{"@timestamp": "desc"}], _source: ["@timestamp", "deploy"],
    query: {bool: {filter: [{term: {"deploy.env": $env}}, {terms: {"event.action": ["switched", "rolled_back"]}},
                            {range: {"@timestamp": {gte: $since}}}]}}}')"
  response="$(es_search 'switchyard-deploy-events-*' "${body}")" || return 1
  jq -c '(.hits.hits // [])[0]._source // empty
    | {id: .deploy.id, to_color: .deploy.to_color, image: (.deploy.image // ""), at: .["@timestamp"]}' <<<"${response}"
}

# 5xx counts of one env between two times (ES date math), optionally for one routed color.
alert_query_5xx_between() {
  jq -cn --arg env "$1" --arg from "$2" --arg to "$3" --arg color "${4:-}" '{
    size: 0, track_total_hits: true,
    query: {bool: {filter: ([{term: {env: $env}}, {range: {"@timestamp": {gte: $from, lt: $to}}}]
                            + (if $color == "" then [] else [{term: {upstream_color: $color}}] end))}},
    aggs: {errors: {filter: {range: {status: {gte: 500, lte: 599}}}}}}'
}

alert_rule_rise() {
  local env="$1"
  local switch
  local before
  local after
  switch="$(alert_last_switch "${env}")" || return 1
  if [[ -z "${switch}" ]]; then
    echo '[]'
    return 0
  fi
  local at color
  at="$(jq -r '.at' <<<"${switch}")"
  color="$(jq -r '.to_color' <<<"${switch}")"
  before="$(es_search 'switchyard-nginx-access-*' \
    "$(alert_query_5xx_between "${env}" "${at}||-${ALERT_RISE_BASELINE_S}s" "${at}")")" || return 1
  after="$(es_search 'switchyard-nginx-access-*' "$(alert_query_5xx_between "${env}" "${at}" "now+1s" "${color}")")" ||
    return 1
  jq -cn --arg env "${env}" --argjson switch "${switch}" --argjson before "${before}" --argjson after "${after}" \
    --argjson min "${ALERT_MIN_REQUESTS}" --argjson factor "${ALERT_RISE_FACTOR}" \
    --argjson floor "${ALERT_RISE_MIN_RATIO}" '
    ($before.hits.total.value // 0) as $bn | ($before.aggregations.errors.doc_count // 0) as $be
    | ($after.hits.total.value // 0) as $an | ($after.aggregations.errors.doc_count // 0) as $ae
    | (if $bn > 0 then $be / $bn else 0 end) as $base
    | (if $an > 0 then $ae / $an else 0 end) as $now
    | [select($an >= $min and $now >= $floor and $now >= $factor * $base)
       | {key: "rise:\($env):\($switch.id)", rule: "rise",
          summary: "[\($env)] 5xx rose after the switch to \($switch.to_color) (\($switch.image)) at \($switch.at): \(($now * 1000 | round) / 10)% of \($an) requests since, \(($base * 1000 | round) / 10)% before"}]'
}

alert_rule_deploy() {
  local env="$1"
  local body
  local response
  body="$(jq -cn --arg env "${env}" --arg since "now-${ALERT_DEPLOY_LOOKBACK_S}s" '{
    size: 200, sort: [{"@timestamp": "desc"}], _source: ["@timestamp", "event", "deploy"],
    query: {bool: {filter: [{term: {"deploy.env": $env}}, {terms: {"event.action": ["failed", "rolled_back", "succeeded"]}},
                            {range: {"@timestamp": {gte: $since}}}]}}}')"
  response="$(es_search 'switchyard-deploy-events-*' "${body}")" || return 1
  # Newest first: every failure or rollback newer than the newest success is open.
  jq -c --arg env "${env}" '
    [(.hits.hits // [])[]._source] as $events
    | ([$events | to_entries[] | select(.value.event.action == "succeeded") | .key] | min // ($events | length)) as $cut
    | [$events[0:$cut][]
       | {key: "deploy:\($env):\(.event.action):\(.deploy.id)", rule: "deploy",
          summary: ("[\($env)] deploy \(.deploy.id) \(if .event.action == "failed" then "FAILED" else "ROLLED BACK" end)"
                    + " (\(.deploy.image // "?"), \(.deploy.from_color // "?") -> \(.deploy.to_color // "?"))"
                    + (if .deploy.step then " at step \(.deploy.step)" else "" end)
                    + (if .deploy.message then ": \(.deploy.message)" else "" end))}]' <<<"${response}"
}

alert_rule_disk() {
  local body
  local response
  body="$(jq -cn --arg since "now-${ALERT_DISK_STALE_S}s" '{
    size: 0,
    query: {bool: {filter: [{term: {"event.dataset": "switchyard.disk"}}, {range: {"@timestamp": {gte: $since}}}]}},
    aggs: {host: {terms: {field: "host.name", size: 50}, aggs: {mount: {terms: {field: "disk.mount", size: 20}, aggs: {
      latest: {top_hits: {size: 1, sort: [{"@timestamp": "desc"}], _source: ["disk", "host"]}}}}}}}}')"
  response="$(es_search 'switchyard-host-metrics-*' "${body}")" || return 1
  jq -c --argjson limit "${ALERT_DISK_PCT}" '
    [(.aggregations.host.buckets // [])[] | .key as $host | .mount.buckets[]
      | .latest.hits.hits[0]._source.disk as $d
      | select($d.used_pct > $limit)
      | {key: "disk:\($host):\($d.mount)", rule: "disk",
         summary: "[\($host)] disk \($d.mount) (\($d.roles | join(", "))) \($d.used_pct)% used, \(($d.avail_bytes / 1073741824 * 10 | floor) / 10) GiB free (threshold \($limit)%)"}]' \
    <<<"${response}"
}

# The env's backup events of the lookback, per backup.kind and event.action: the newest of each (time and event).
alert_query_backup() {
  jq -cn --arg env "$1" --arg since "now-${ALERT_BACKUP_LOOKBACK_S}s" '{
    size: 0,
    query: {bool: {filter: [{term: {"event.kind": "backup"}}, {term: {"backup.env": $env}},
                            {range: {"@timestamp": {gte: $since}}}]}},
    aggs: {kind: {terms: {field: "backup.kind", size: 20, missing: "-"}, aggs: {action: {terms: {field: "event.action", size: 20}, aggs: {
      newest: {max: {field: "@timestamp"}},
      event: {top_hits: {size: 1, sort: [{"@timestamp": "desc"}], _source: ["@timestamp", "event", "backup"]}}}}}}}}'
}

# alert_backup_incidents <env> < search-response: per backup.kind, every failure whose newest event is newer
# than the newest event that clears it: failed <- succeeded; stale <- fresh or succeeded; drill_failed <-
# drill_passed; restore_failed <- restored. A failure that repeats stays one incident until it clears.
alert_backup_incidents() {
  jq -c --arg env "$1" '
    {failed: ["succeeded"], stale: ["fresh", "succeeded"], drill_failed: ["drill_passed"], restore_failed: ["restored"]} as $clears
    | {failed: "backup FAILED", stale: "backups STALE", drill_failed: "restore drill FAILED", restore_failed: "restore FAILED"} as $what
    | [(.aggregations.kind.buckets // [])[] | .key as $kind
       | (.action.buckets | map({key, value: {at: .newest.value, event: .event.hits.hits[0]._source}}) | from_entries) as $by
       | $clears | to_entries[] | .key as $failure
       | $by[$failure] as $f | select($f != null)
       | select([.value[] | $by[.].at // empty] | all(. < $f.at))
       | $f.event as $e | ($e.backup // {}) as $b
       | {key: "backup:\($env):\($failure):\($kind)", rule: "backup",
          summary: ("[\($env)] \($what[$failure]) (\($kind)"
                    + (if $b.host then " on \($b.host)" else "" end)
                    + (if $b.snapshot then ", snapshot \($b.snapshot[0:8])" else "" end)
                    + ") at \($e["@timestamp"])"
                    + (if $b.message then ": \($b.message)" else "" end))}]'
}

alert_rule_backup() {
  local env="$1"
  local response
  response="$(es_search 'switchyard-deploy-events-*' "$(alert_query_backup "${env}")")" || return 1
  alert_backup_incidents "${env}" <<<"${response}"
}
