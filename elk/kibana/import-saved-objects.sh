#!/usr/bin/env bash
# Imports the Switchyard Kibana saved objects (index patterns, visualizations, saved search, dashboard).
# Idempotent: objects have fixed ids and are overwritten.
#   elk/kibana/import-saved-objects.sh [--apm-integration] [ndjson-file...]
# Env: KIBANA_URL (default http://127.0.0.1:5601), KIBANA_USER (default elastic),
#      ELASTIC_PASSWORD (default: read from elk/secrets.env), KIBANA_SPACE (default: the default space).
# --apm-integration also installs Kibana's bundled APM integration package (Fleet), which older 8.x
# releases need before the APM server can write.
set -euo pipefail

KIBANA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${KIBANA_DIR}/../../scripts/lib/common.sh"

usage() {
  printf 'usage: %s [--apm-integration] [ndjson-file...]\n' "${0##*/}" >&2
  exit 2
}

kibana_base() {
  local base="${KIBANA_URL:-http://127.0.0.1:5601}"
  base="${base%/}"
  if [[ -n "${KIBANA_SPACE:-}" ]]; then
    base+="/s/${KIBANA_SPACE}"
  fi
  printf '%s' "${base}"
}

# curl_kibana <out-file> <curl args...>: prints the HTTP status code.
curl_kibana() {
  local out="$1"
  shift
  curl -sS -o "${out}" -w '%{http_code}' --max-time 60 \
    -u "${KIBANA_USER:-elastic}:${ELASTIC_PASSWORD}" -H 'kbn-xsrf: switchyard' "$@"
}

import_file() {
  local file="$1"
  local out
  out="$(mktemp)"
  local code
  code="$(curl_kibana "${out}" -X POST --form "file=@${file}" \
    "$(kibana_base)/api/saved_objects/_import?overwrite=true")" || code="000"
  if [[ "${code}" != "200" ]] || [[ "$(jq -r '.success' "${out}" 2>/dev/null)" != "true" ]]; then
    err "import of ${file} failed (HTTP ${code}): $(head -c 2000 "${out}")"
    rm -f "${out}"
    return 1
  fi
  log "imported $(jq -r '.successCount' "${out}") objects from ${file##*/}"
  rm -f "${out}"
}

install_apm_integration() {
  local out
  out="$(mktemp)"
  local code
  code="$(curl_kibana "${out}" -X POST -H 'Content-Type: application/json' -d '{"force":true}' \
    "$(kibana_base)/api/fleet/epm/packages/apm")" || code="000"
  if [[ ! "${code}" =~ ^2 ]]; then
    err "APM integration install failed (HTTP ${code}): $(head -c 1000 "${out}")"
    rm -f "${out}"
    return 1
  fi
  log "APM integration package installed"
  rm -f "${out}"
}

main() {
  local apm_integration=false
  local files=()
  while (($# > 0)); do
    case "$1" in
      --apm-integration) apm_integration=true ;;
      -h | --help) usage ;;
      -*) usage ;;
      *) files+=("$1") ;;
    esac
    shift
  done
  if ((${#files[@]} == 0)); then
    files=("${KIBANA_DIR}"/saved-objects/*.ndjson)
  fi
  require_cmd curl jq
  if [[ -z "${ELASTIC_PASSWORD:-}" && -r "${KIBANA_DIR}/../secrets.env" ]]; then
    ELASTIC_PASSWORD="$(sed -n 's/^ELASTIC_PASSWORD=//p' "${KIBANA_DIR}/../secrets.env" | tail -n 1)"
  fi
  [[ -n "${ELASTIC_PASSWORD:-}" ]] || die "ELASTIC_PASSWORD is not set and elk/secrets.env has none"

  log "waiting for Kibana at $(kibana_base)"
  retry_until "${KIBANA_WAIT_S:-180}" 3 curl -fsS -o /dev/null --max-time 5 \
    -u "${KIBANA_USER:-elastic}:${ELASTIC_PASSWORD}" "${KIBANA_URL:-http://127.0.0.1:5601}/api/status" ||
    die "Kibana did not answer at ${KIBANA_URL:-http://127.0.0.1:5601}"

  local file
  for file in "${files[@]}"; do
    [[ -r "${file}" ]] || die "cannot read ${file}"
    import_file "${file}" || die "import failed"
  done
  if [[ "${apm_integration}" == true ]]; then
    install_apm_integration || die "APM integration install failed"
  fi
}

main "$@"
