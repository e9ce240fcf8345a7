#!/usr/bin/env bash
# Docker HEALTHCHECK of the Switchyard image: healthy only when readiness answers 2xx with
# status UP. Uses curl or wget when the base image has one, else bash's /dev/tcp.
set -euo pipefail

readonly HOST=127.0.0.1
readonly PORT="${SERVER_PORT:-8080}"
readonly PATH_READY=/actuator/health/readiness

fetch() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 2 "http://${HOST}:${PORT}${PATH_READY}"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -T 2 -O - "http://${HOST}:${PORT}${PATH_READY}"
  else
    local response
    exec 3<>"/dev/tcp/${HOST}/${PORT}"
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "${PATH_READY}" "${HOST}" >&3
    response="$(timeout 2 cat <&3)"
    exec 3<&-
    [[ "${response}" =~ ^HTTP/1\.[01]\ 2[0-9][0-9] ]] || return 1
    printf '%s' "${response#*$'\r\n\r\n'}"
  fi
}

main() {
  local body
  body="$(fetch)" || exit 1
  [[ "${body}" =~ \"status\"[[:space:]]*:[[:space:]]*\"UP\" ]] || exit 1
}

main "$@"
