#!/usr/bin/env bash
# Alert runner: asks Elasticsearch whether an environment is in trouble and tells the team's chat.
# One message when an incident starts, one when it clears; state is kept across runs, so the systemd
# timer (elk/host/systemd/switchyard-alerts@.timer, every 30 s) can run it as often as it likes.
#
# Usage: scripts/alerts.sh [--dry-run] <env>
#   --dry-run  print the messages instead of posting them, change no state
#
# Rules (scripts/lib/alert-rules.sh): 5xx ratio and p95 latency per color, a 5xx rise right after a switch,
# failed and rolled-back deploys, disk usage of every host that ships disk figures, failed or stale backups
# and failed restores/drills (scripts/lib/backup-events.sh's events). ALERT_RULES picks them.
# Messages go to NOTIFY_WEBHOOK_URL (Slack-compatible JSON {"text": ...}, the deploy's notification
# setting); settings: ELK and ALERT_* in scripts/env/common.env, secrets in ELK_SECRETS_FILE.
# Exit codes: 0 ran (even when some rule could not query: that is an incident of its own; also when the env
# has no ELK: nothing to check), 2 usage or config.
set -euo pipefail

SCRIPT_NAME="alerts"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"
# shellcheck source=scripts/lib/elk.sh
source "${SCRIPT_DIR}/lib/elk.sh"
# shellcheck source=scripts/lib/alert-state.sh
source "${SCRIPT_DIR}/lib/alert-state.sh"
# shellcheck source=scripts/lib/alert-rules.sh
source "${SCRIPT_DIR}/lib/alert-rules.sh"
# shellcheck source=scripts/lib/alert-webhook.sh
source "${SCRIPT_DIR}/lib/alert-webhook.sh"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# run_rules <env>: sets FIRING (JSON array) and RULES_OK (JSON array of rule names that answered).
run_rules() {
  local env="$1"
  local rule
  local out
  local failed=()
  FIRING='[]'
  RULES_OK='[]'
  for rule in ${ALERT_RULES}; do
    if [[ " ${ALERT_RULES_ALL} " != *" ${rule} "* ]]; then
      err "unknown rule in ALERT_RULES: ${rule} (known: ${ALERT_RULES_ALL})"
      continue
    fi
    if out="$("alert_rule_${rule}" "${env}")" && jq -e 'type == "array"' >/dev/null 2>&1 <<<"${out}"; then
      FIRING="$(jq -cn --argjson a "${FIRING}" --argjson b "${out}" '$a + $b')"
      RULES_OK="$(jq -cn --argjson a "${RULES_OK}" --arg r "${rule}" '$a + [$r]')"
    else
      failed+=("${rule}")
    fi
  done
  # Elasticsearch out of reach is an incident too (its own rule, always evaluated).
  RULES_OK="$(jq -cn --argjson a "${RULES_OK}" '$a + ["elk"]')"
  if ((${#failed[@]} > 0)); then
    err "rules without an answer from ${ELK_ES_URL}: ${failed[*]}"
    FIRING="$(jq -cn --argjson a "${FIRING}" --arg env "${env}" --arg url "${ELK_ES_URL}" --arg rules "${failed[*]}" \
      '$a + [{key: "elk:\($env)", rule: "elk", summary: "[\($env)] alert runner cannot query Elasticsearch at \($url) (rules: \($rules)): alerts are blind until it answers"}]')"
  fi
}

# read_state <file>: the open incidents recorded there ({} when none or unreadable).
read_state() {
  local file="$1"
  if [[ -s "${file}" ]] && jq -e 'type == "object"' "${file}" >/dev/null 2>&1; then
    cat "${file}"
  else
    echo '{}'
  fi
}

write_state() {
  local file="$1"
  local json="$2"
  mkdir -p "$(dirname "${file}")"
  printf '%s\n' "${json}" >"${file}.new"
  mv -f "${file}.new" "${file}"
}

# process <state-file> <firing> <rules-ok> <dry-run>: sends the transitions, records what was delivered.
process() {
  local file="$1"
  local firing="$2"
  local ok="$3"
  local dry_run="$4"
  local state
  local transition
  local sent='[]'
  state="$(read_state "${file}")"
  while IFS= read -r transition; do
    [[ -n "${transition}" ]] || continue
    if ((dry_run)); then
      printf '%s\n' "$(alert_message_text "${transition}")"
      continue
    fi
    if alert_webhook_post "${transition}"; then
      sent="$(jq -cn --argjson a "${sent}" --argjson t "${transition}" '$a + [$t]')"
      log "sent $(jq -r '.kind + ": " + .summary' <<<"${transition}")"
    else
      err "could not deliver $(jq -r '.kind + " " + .key' <<<"${transition}"); retrying on the next run"
    fi
  done < <(alert_transitions "${state}" "${firing}" "${ok}")
  if ((!dry_run)); then
    write_state "${file}" "$(alert_next_state "${state}" "${sent}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
  fi
}

main() {
  local dry_run=0
  while (($# > 0)); do
    case "$1" in
      --dry-run) dry_run=1 ;;
      -h | --help)
        usage
        exit 0
        ;;
      -*)
        usage >&2
        exit 2
        ;;
      *) break ;;
    esac
    shift
  done
  if (($# != 1)); then
    usage >&2
    exit 2
  fi
  local env="$1"
  config_load "${env}" || exit 2
  elk_load_secrets
  require_cmd curl jq flock
  if [[ -z "${ELK_ES_URL}" ]]; then
    log "no ELK for env ${env} (ELK_HOST and ELK_ES_URL empty): nothing to check"
    exit 0
  fi
  if ((!dry_run)) && [[ -z "${NOTIFY_WEBHOOK_URL:-}" ]]; then
    DIE_EXIT_CODE=2 die "NOTIFY_WEBHOOK_URL is not set (in ${ELK_SECRETS_FILE} or the environment): nowhere to send alerts"
  fi
  mkdir -p "${SWITCHYARD_STATE_DIR}"
  # One runner at a time per host: every env's runner shares the host-wide (disk) state.
  exec 8>>"${SWITCHYARD_STATE_DIR}/alerts.lock"
  flock -w 60 8 || die "another alert run holds ${SWITCHYARD_STATE_DIR}/alerts.lock"

  run_rules "${env}"
  # Host-wide incidents (disk) are announced once per host, whichever env's runner sees them first.
  local env_firing host_firing env_ok host_ok
  env_firing="$(jq -c 'map(select(.rule != "disk"))' <<<"${FIRING}")"
  host_firing="$(jq -c 'map(select(.rule == "disk"))' <<<"${FIRING}")"
  env_ok="$(jq -c 'map(select(. != "disk"))' <<<"${RULES_OK}")"
  host_ok="$(jq -c 'map(select(. == "disk"))' <<<"${RULES_OK}")"
  process "${STATE_DIR}/alerts.json" "${env_firing}" "${env_ok}" "${dry_run}"
  process "${SWITCHYARD_STATE_DIR}/alerts-host.json" "${host_firing}" "${host_ok}" "${dry_run}"
}

main "$@"
