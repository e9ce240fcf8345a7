#!/usr/bin/env bash
# Ships this host's disk figures to Elasticsearch: usage of the root file system, Docker's data root and
# the Elasticsearch data volume (when the ELK stack runs here), and Docker's image/volume/container usage.
# Run every minute by elk/host/systemd/switchyard-disk-report@.timer; the alert runner
# (scripts/alerts.sh) alerts above ALERT_DISK_PCT, the dashboard shows them.
#
# Usage: scripts/disk-report.sh [--stdout] <env>
#   --stdout  print the JSON lines instead of sending them
# Sends one TCP connection of JSON lines to LOGSTASH_HOST:ELK_LOGSTASH_METRICS_PORT (the env's ELK
# settings), bounded by LOGSTASH_TIMEOUT_S. Exit codes: 0 sent (or the env has no ELK), 1 nothing measured or
# not delivered, 2 usage.
set -euo pipefail

SCRIPT_NAME="disk-report"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"
# shellcheck source=scripts/lib/disk-usage.sh
source "${SCRIPT_DIR}/lib/disk-usage.sh"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# send_lines <host> <port> <text>: all lines over one TCP connection, bounded.
send_lines() {
  # shellcheck disable=SC2016 # $1 and $2 are expanded by the child shell, on purpose.
  printf '%s\n' "$3" | timeout --kill-after=1 "${LOGSTASH_TIMEOUT_S:-2}" bash -c 'cat >"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

main() {
  local to_stdout=0
  if [[ "${1:-}" == --stdout ]]; then
    to_stdout=1
    shift
  fi
  if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
    usage
    exit 0
  fi
  if (($# != 1)); then
    usage >&2
    exit 2
  fi
  config_load "$1" || exit 2
  require_cmd df jq curl
  local host="${DISK_REPORT_HOST_NAME:-$(hostname)}"
  local paths=()
  mapfile -t paths < <(disk_paths)
  local docs
  docs="$(disk_usage_docs "${host}" "${paths[@]}")" || die "no disk figures measured"
  local docker_doc
  if docker_doc="$(docker_usage_doc "${host}")"; then
    docs+=$'\n'"${docker_doc}"
  else
    err "Docker's disk usage not available (engine not answering): only file systems reported"
  fi
  if ((to_stdout)); then
    printf '%s\n' "${docs}"
    return 0
  fi
  if [[ -z "${LOGSTASH_HOST:-}" ]]; then
    log "no ELK for env $1 (ELK_HOST is empty): nothing sent"
    return 0
  fi
  send_lines "${LOGSTASH_HOST}" "${ELK_LOGSTASH_METRICS_PORT}" "${docs}" ||
    die "Logstash ${LOGSTASH_HOST}:${ELK_LOGSTASH_METRICS_PORT} unreachable: disk figures not sent"
  log "sent $(wc -l <<<"${docs}") disk figure(s) of ${host} to ${LOGSTASH_HOST}:${ELK_LOGSTASH_METRICS_PORT}"
}

main "$@"
