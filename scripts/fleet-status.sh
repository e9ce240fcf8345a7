#!/usr/bin/env bash
# Shows every host of an environment: its live color, the image and image ID that color runs, health,
# its deploy lock and last deploy; and this machine's fleet lock. Read-only.
#
# Usage: scripts/fleet-status.sh [--json] <env>
#   --json  {env, fleet_lock: {held, holder}, hosts: [{host, reachable, status, live_image_id, error}]},
#           where status is the host's own `scripts/status.sh --json <env>`
# Hosts: <ENV>_HOSTS as for scripts/fleet-deploy.sh (none = this host). An unreachable host is shown
# as such (reachable: false); the exit code is 0 unless the usage is wrong (2).
set -euo pipefail

SCRIPT_NAME="fleet-status"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"
# shellcheck source=scripts/lib/lock.sh
source "${SCRIPT_DIR}/lib/lock.sh"
# shellcheck source=scripts/lib/fleet.sh
source "${SCRIPT_DIR}/lib/fleet.sh"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

fleet_json() {
  local host held=false holder=""
  local lines=()
  for host in "$@"; do
    lines+=("$(fleet_host_status "${host}")")
  done
  if lock_is_held "${FLEET_LOCK_FILE}"; then
    held=true
    holder="$(lock_holder "${FLEET_LOCK_FILE}")"
  fi
  printf '%s\n' "${lines[@]}" | jq -s --arg env "${SWITCHYARD_ENV}" --argjson held "${held}" --arg holder "${holder}" \
    '{env: $env, fleet_lock: {held: $held, holder: $holder}, hosts: .}'
}

fleet_text() {
  jq -r '
    "env          \(.env)",
    "fleet lock   \(if .fleet_lock.held then "held by \(.fleet_lock.holder)" else "free" end)",
    (.hosts[] |
      if .reachable | not then "\(.host)  UNREACHABLE: \(.error)"
      else .status as $s | ($s.colors[$s.live_color] // {}) as $live |
        "\(.host)  live \($s.live_color)  \($live.image // "-")  \(if .live_image_id == "" then "-" else .live_image_id[0:19] end)  health \($live.health // "-")  lock \(if $s.lock.held then "held by \($s.lock.holder)" else "free" end)" +
        (($s.last_deploys | last) as $d | if $d then "\n      last: \($d.time) \($d.action) \($d.result) \($d.image)" else "" end)
      end)
  ' <<<"$1"
}

main() {
  local as_json=0
  if [[ "${1:-}" == --json ]]; then
    as_json=1
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
  require_cmd jq flock
  local hosts_out hosts=() json
  hosts_out="$(fleet_hosts)" || exit 2
  mapfile -t hosts <<<"${hosts_out}"
  json="$(fleet_json "${hosts[@]}")"
  if ((as_json)); then
    echo "${json}"
  else
    fleet_text "${json}"
  fi
}

main "$@"
