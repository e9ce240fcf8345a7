#!/usr/bin/env bash
# Shows one environment: live color (from the nginx upstream include, and what nginx answers),
# image/version/health of each color, pending retirements (the rollback window's timer: when, by what,
# still alive), the deploy lock holder, and the last deploys. Read-only.
#
# Usage: scripts/status.sh [--json] <env>
set -euo pipefail

SCRIPT_NAME="status"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"
# shellcheck source=scripts/lib/color.sh
source "${SCRIPT_DIR}/lib/color.sh"
# shellcheck source=scripts/lib/lock.sh
source "${SCRIPT_DIR}/lib/lock.sh"
# shellcheck source=scripts/lib/history.sh
source "${SCRIPT_DIR}/lib/history.sh"
# shellcheck source=scripts/lib/nginx.sh
source "${SCRIPT_DIR}/lib/nginx.sh"
# shellcheck source=scripts/lib/health.sh
source "${SCRIPT_DIR}/lib/health.sh"
# shellcheck source=scripts/lib/app.sh
source "${SCRIPT_DIR}/lib/app.sh"
# shellcheck source=scripts/lib/detach.sh
source "${SCRIPT_DIR}/lib/detach.sh"
# shellcheck source=scripts/lib/retire.sh
source "${SCRIPT_DIR}/lib/retire.sh"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# color_json <color>: {"container","state","image","version","health","port"} of one color.
color_json() {
  local color="$1"
  local cid state="absent" image="" version="" health="down" url info
  url="$(app_url "${color}")"
  cid="$(app_container "${color}")"
  if [[ -n "${cid}" ]]; then
    state="$(docker inspect -f '{{.State.Status}}' "${cid}" 2>/dev/null || echo unknown)"
    image="$(docker inspect -f '{{.Config.Image}}' "${cid}" 2>/dev/null || true)"
    if [[ "${state}" == running ]]; then
      info="$(curl -s --max-time 3 "${url}/actuator/info" 2>/dev/null || true)"
      version="$(jq -r '.app.version // empty' <<<"${info}" 2>/dev/null || true)"
      if probe_up "${url}/actuator/health/readiness" 3; then
        health=up
      fi
    fi
  fi
  jq -n -c --arg color "${color}" --arg port "$(port_for_color "${color}")" --arg container "${cid:0:12}" \
    --arg state "${state}" --arg image "${image}" --arg version "${version}" --arg health "${health}" \
    '{color: $color, port: ($port | tonumber), container: $container, state: $state, image: $image,
      version: $version, health: $health}'
}

status_json() {
  local live observed lock_held=false holder="" history retirements
  live="$(live_color "${UPSTREAM_FILE}" 2>/dev/null || echo invalid)"
  observed="$(nginx_observed_color)"
  if lock_is_held "${LOCK_FILE}"; then
    lock_held=true
    holder="$(lock_holder "${LOCK_FILE}")"
  fi
  history="$(history_last "${HISTORY_FILE}" "${HISTORY_SHOW}" | jq -s -c . 2>/dev/null || echo '[]')"
  retirements="$(retire_pending_json 2>/dev/null || echo '[]')"
  jq -n --arg env "${SWITCHYARD_ENV}" --arg live "${live}" --arg observed "${observed}" \
    --arg upstream "${UPSTREAM_FILE}" --argjson nginx_running "$(nginx_running && echo true || echo false)" \
    --argjson blue "$(color_json blue)" --argjson green "$(color_json green)" \
    --argjson lock_held "${lock_held}" --arg holder "${holder}" --argjson history "${history}" \
    --argjson retirements "${retirements:-[]}" \
    '{env: $env, live_color: $live, nginx: {running: $nginx_running, routes_to: $observed, upstream_file: $upstream},
      colors: {blue: $blue, green: $green}, retirements: $retirements, lock: {held: $lock_held, holder: $holder},
      last_deploys: $history}'
}

status_text() {
  local json="$1"
  jq -r '
    "env          \(.env)",
    "live color   \(.live_color)  (nginx \(if .nginx.running then "running, answers from \(.nginx.routes_to // "-")" else "not running" end))",
    "upstream     \(.nginx.upstream_file)",
    (.colors[] | "\(.color | . + "      " | .[0:6])       :\(.port)  \(.state)  \(.image // "-")  version \(if .version == "" then "-" else .version end)  health \(.health)"),
    (if .retirements == [] then "retirements  none pending" else
      (.retirements[] | "retirement   \(.color) (\(.container)): \(.state), \(if .in_s >= 0 then "due in \(.in_s)s" else "due \(-.in_s)s ago" end) (\(.mechanism)\(if .unit then " \(.unit).timer" elif .pid then " pid \(.pid)" else "" end))") end),
    "lock         \(if .lock.held then "held by \(.lock.holder)" else "free" end)",
    "last deploys",
    (.last_deploys[] | "  \(.time)  \(.action)  \(.result)  \(.from_color // "-") -> \(.to_color // "-")  \(.image)  by \(.user)\(if .message != "" and .message != null then "  (\(.message))" else "" end)")
  ' <<<"${json}"
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
  require_cmd docker curl jq
  local json
  json="$(status_json)"
  if ((as_json)); then
    echo "${json}"
  else
    status_text "${json}"
  fi
}

main "$@"
