#!/usr/bin/env bash
# The fleet e2e's balancer hook (FLEET_DRAIN_CMD / FLEET_UNDRAIN_CMD): takes a host out of the test
# balancer's upstream ("server ... down;") or puts it back, validates (nginx -t), reloads, and returns
# once the balancer's old workers are gone, i.e. once no request can reach a drained host any more.
# A real team's hook does the same against its balancer (e.g. an ALB target group: deregister, then
# `aws elbv2 wait target-deregistered`).
#
# Usage: tests/fleet/balancer-hook.sh <drain|undrain> <host>     (BALANCER_DIR: the balancer's prefix)
# Logs "<drain|undrain> <host> <start-ms> <done-ms>" to ${BALANCER_DIR}/hooks.log.
set -euo pipefail

SCRIPT_NAME="balancer-hook"
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"

nginx_b() {
  nginx -p "${BALANCER_DIR}" -c "${BALANCER_DIR}/nginx.conf" "$@"
}

old_workers() {
  local master
  master="$(cat "${BALANCER_DIR}/logs/nginx.pid")"
  pgrep -c -P "${master}" -f 'shutting down' || true
}

main() {
  local action="$1"
  local host="$2"
  local conf="${BALANCER_DIR}/upstream.conf"
  local t0 new
  t0="$(date +%s%3N)"
  [[ "${host}" =~ ^[A-Za-z0-9_.@-]+$ ]] || die "bad host name '${host}'"
  grep -q "# ${host}\$" "${conf}" || die "${host} is not in ${conf}"
  new="$(mktemp "${conf}.XXXXXX")"
  case "${action}" in
    drain) sed -E "s/^( *server [^ ;]+)( down)?;( # ${host})$/\1 down;\3/" "${conf}" >"${new}" ;;
    undrain) sed -E "s/^( *server [^ ;]+) down;( # ${host})$/\1;\2/" "${conf}" >"${new}" ;;
    *) die "usage: $0 <drain|undrain> <host>" ;;
  esac
  cp "${conf}" "${conf}.bak"
  mv "${new}" "${conf}"
  if ! nginx_b -t -q; then
    mv "${conf}.bak" "${conf}"
    die "balancer config invalid after ${action} ${host}: restored"
  fi
  nginx_b -s reload
  # The reload is done when the old workers have finished their requests and exited.
  sleep 0.2
  retry_until 15 0.1 test "$(old_workers)" -eq 0 || die "old balancer workers still running after 15s"
  printf '%s %s %s %s\n' "${action}" "${host}" "${t0}" "$(date +%s%3N)" >>"${BALANCER_DIR}/hooks.log"
  log "${action} ${host}: done"
}

main "$@"
