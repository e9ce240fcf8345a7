#!/usr/bin/env bash
# The blog-style blue/green script the kit is measured against (scripts/bench-switch.sh --naive):
# start the idle color, poll its health once a second, `sed -i` the port in nginx's upstream include,
# `nginx -s reload`, stop the old color at once. No lock, no smoke test, no warm-up, no `nginx -t`, no
# verify, no drain, no rollback. For benchmarks only: never deploy with it.
#
# Usage: scripts/bench/naive-deploy.sh <env> <image>
# Same env files, compose files, containers and nginx as scripts/deploy.sh. Prints "==> switch" to stderr
# when it edits the include, and one JSON line to stdout: {"mode":"naive","from_color",...,"steps":{..}}.
set -euo pipefail

SCRIPT_NAME="naive-deploy"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"
# shellcheck source=scripts/lib/color.sh
source "${SCRIPT_DIR}/lib/color.sh"
# shellcheck source=scripts/lib/app.sh
source "${SCRIPT_DIR}/lib/app.sh"

readonly HEALTH_DEADLINE_S=180

now_ms() {
  date +%s%3N
}

main() {
  (($# == 2)) || DIE_EXIT_CODE=2 die "usage: scripts/bench/naive-deploy.sh <env> <image>"
  config_load "$1" || exit 2
  local image="$2"
  local t0 t live idle idle_port live_port
  local -A steps=()
  t0="$(now_ms)"
  live="$(live_color "${UPSTREAM_FILE}")"
  [[ "${live}" == blue || "${live}" == green ]] || die "no live color in ${UPSTREAM_FILE}"
  idle="$(color_other "${live}")"
  idle_port="$(port_for_color "${idle}")"
  live_port="$(port_for_color "${live}")"

  t="$(now_ms)"
  app_remove "${idle}"
  app_start "${idle}" "${image}" >&2 || die "could not start ${idle}"
  steps[start]=$(($(now_ms) - t))

  t="$(now_ms)"
  local deadline=$((SECONDS + HEALTH_DEADLINE_S))
  until curl -fs --max-time 2 "http://${APP_HOST}:${idle_port}/actuator/health" 2>/dev/null | grep -q '"UP"'; do
    ((SECONDS < deadline)) || die "${idle} not healthy after ${HEALTH_DEADLINE_S}s"
    sleep 1
  done
  steps[health]=$(($(now_ms) - t))

  log "==> switch"
  t="$(now_ms)"
  sed -i -E "s/(server[[:space:]]+127\.0\.0\.1:)${live_port}/\1${idle_port}/" "${UPSTREAM_FILE}"
  nginx_cmd -s reload
  steps[switch]=$(($(now_ms) - t))

  t="$(now_ms)"
  app_stop "${live}" "${STOP_GRACE_S}"
  steps[stop]=$(($(now_ms) - t))

  jq -cn --arg from "${live}" --arg to "${idle}" --arg image "${image}" \
    --argjson start "${steps[start]}" --argjson health "${steps[health]}" --argjson switch "${steps[switch]}" \
    --argjson stop "${steps[stop]}" --argjson total "$(($(now_ms) - t0))" \
    '{mode: "naive", from_color: $from, to_color: $to, image: $image, result: "ok", duration_ms: $total,
      steps: {start_idle: $start, health_check: $health, switch: $switch, stop_old: $stop}}'
}

main "$@"
