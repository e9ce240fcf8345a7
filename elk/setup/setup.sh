#!/usr/bin/env bash
# One-shot setup of a fresh (or existing) Elasticsearch for Switchyard; idempotent, safe to re-run.
# Sets the kibana_system password, creates the writer roles/users for Logstash and the APM server and
# the read-only user of the alert runner,
# and loads the ILM policies and index templates from elk/elasticsearch/.
# Runs in the compose "setup" service; an operator can run it from the host too:
#   ES_URL=http://127.0.0.1:9200 ELASTIC_PASSWORD=... ... elk/setup/setup.sh [users] [templates]
# With arguments only those steps run (default: both).
set -euo pipefail

ELK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${ELK_DIR}/../scripts/lib/common.sh"
SCRIPT_NAME="elk-setup"

# es <method> <path> [json-body-file]: one authenticated request; fails (and logs the body) on non-2xx.
es() {
  local method="$1"
  local path="$2"
  local body_file="${3:-}"
  local out
  out="$(mktemp)"
  local args=(-sS -o "${out}" -w '%{http_code}' -u "elastic:${ELASTIC_PASSWORD}" -X "${method}"
    -H 'Content-Type: application/json' "${ES_URL}${path}")
  if [[ -n "${body_file}" ]]; then
    args+=(--data-binary "@${body_file}")
  fi
  local code
  code="$(curl "${args[@]}")" || code="000"
  if [[ ! "${code}" =~ ^2 ]]; then
    err "${method} ${path} -> HTTP ${code}: $(head -c 500 "${out}")"
    rm -f "${out}"
    return 1
  fi
  rm -f "${out}"
}

es_json() {
  local method="$1"
  local path="$2"
  local json="$3"
  local tmp
  tmp="$(mktemp)"
  printf '%s' "${json}" >"${tmp}"
  local rc=0
  es "${method}" "${path}" "${tmp}" || rc=$?
  rm -f "${tmp}"
  return "${rc}"
}

es_up() {
  curl -fsS -o /dev/null -u "elastic:${ELASTIC_PASSWORD}" \
    "${ES_URL}/_cluster/health?wait_for_status=yellow&timeout=5s"
}

setup_users() {
  log "setting the kibana_system password"
  es_json POST /_security/user/kibana_system/_password \
    "{\"password\":\"${KIBANA_SYSTEM_PASSWORD}\"}"

  log "creating role and user for Logstash"
  es_json PUT /_security/role/switchyard_logstash_writer '{
    "cluster": ["monitor"],
    "indices": [{"names": ["switchyard-*"],
                 "privileges": ["create_index", "create_doc", "write", "view_index_metadata"]}]}'
  es_json PUT /_security/user/logstash_internal \
    "{\"password\":\"${LOGSTASH_INTERNAL_PASSWORD}\",\"roles\":[\"switchyard_logstash_writer\"],\"full_name\":\"Logstash writer\"}"

  log "creating role and user for the APM server"
  es_json PUT /_security/role/switchyard_apm_writer '{
    "cluster": ["monitor"],
    "indices": [{"names": ["traces-apm*", "logs-apm*", "metrics-apm*"],
                 "privileges": ["auto_configure", "create_doc"]}]}'
  es_json PUT /_security/user/apm_server_internal \
    "{\"password\":\"${APM_SERVER_INTERNAL_PASSWORD}\",\"roles\":[\"switchyard_apm_writer\"],\"full_name\":\"APM server writer\"}"

  # Read-only: scripts/alerts.sh and scripts/elk-verify.sh on each host (ELK_ES_USER / ELK_ES_PASSWORD there).
  log "creating role and user for the alert runner"
  es_json PUT /_security/role/switchyard_alerts_reader '{
    "cluster": ["monitor"],
    "indices": [{"names": ["switchyard-*", "traces-apm*"], "privileges": ["read", "view_index_metadata"]}]}'
  es_json PUT /_security/user/switchyard_alerts \
    "{\"password\":\"${ALERTS_READER_PASSWORD}\",\"roles\":[\"switchyard_alerts_reader\"],\"full_name\":\"Alert runner (read only)\"}"
}

setup_templates() {
  local file
  local name
  for file in "${ELK_DIR}"/elasticsearch/ilm/*.json; do
    name="$(basename "${file}" .json)"
    log "ILM policy ${name}"
    es PUT "/_ilm/policy/${name}" "${file}"
  done
  for file in "${ELK_DIR}"/elasticsearch/index-templates/*.json; do
    name="$(basename "${file}" .json)"
    log "index template ${name}"
    es PUT "/_index_template/${name}" "${file}"
  done
}

main() {
  ES_URL="${ES_URL:-http://elasticsearch:9200}"
  local var
  for var in ELASTIC_PASSWORD KIBANA_SYSTEM_PASSWORD LOGSTASH_INTERNAL_PASSWORD APM_SERVER_INTERNAL_PASSWORD ALERTS_READER_PASSWORD; do
    [[ -n "${!var:-}" ]] || die "${var} is not set (see elk/secrets.env.example)"
    # Passwords are embedded in JSON bodies: keep them to a JSON-safe alphabet (base64 is fine).
    [[ "${!var}" =~ ^[A-Za-z0-9+/=._-]+$ ]] || die "${var} may only use A-Z a-z 0-9 + / = . _ -"
  done
  require_cmd curl
  log "waiting for Elasticsearch at ${ES_URL}"
  retry_until 180 3 es_up || die "Elasticsearch did not answer at ${ES_URL}"
  local steps=("$@")
  ((${#steps[@]} > 0)) || steps=(users templates)
  local step
  for step in "${steps[@]}"; do
    case "${step}" in
      users) setup_users ;;
      templates) setup_templates ;;
      *) die "unknown step '${step}' (users, templates)" ;;
    esac
  done
  log "done"
}

main "$@"
