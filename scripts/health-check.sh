#!/usr/bin/env bash
# Read-only health check: healthy = HTTP 2xx AND a JSON body with "status":"UP". Never changes traffic.
#
# Usage: scripts/health-check.sh [--deadline S] [--interval S] <url>
#   --deadline S  keep probing until healthy or S seconds have passed (default 0: one probe)
#   --interval S  pause between probes (default 1)
#
# Exit codes: 0 healthy; 1 not healthy (by the deadline); 2 usage.
set -euo pipefail

SCRIPT_NAME="health-check"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/health.sh
source "${SCRIPT_DIR}/lib/health.sh"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

main() {
  local deadline_s=0
  local interval_s=1
  while (($# > 0)); do
    case "$1" in
      --deadline)
        deadline_s="${2:-}"
        shift 2 || true
        ;;
      --interval)
        interval_s="${2:-}"
        shift 2 || true
        ;;
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
  done
  if (($# != 1)) || [[ ! "${deadline_s}" =~ ^[0-9]+$ || ! "${interval_s}" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
    usage >&2
    exit 2
  fi
  local url="$1"
  require_cmd curl jq
  local timeout_s=3
  if retry_until "${deadline_s}" "${interval_s}" probe_up "${url}" "${timeout_s}"; then
    log "healthy: ${url}"
    return 0
  fi
  err "not healthy: ${url}"
  exit 1
}

main "$@"
