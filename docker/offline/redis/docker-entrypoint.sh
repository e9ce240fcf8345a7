#!/usr/bin/env bash
# Entrypoint of the offline redis stand-in; mirrors the official image's behaviour.
set -euo pipefail

main() {
  # Flags or a config file alone are arguments for redis-server.
  if [[ "${1:-}" == -* || "${1:-}" == *.conf ]]; then
    set -- redis-server "$@"
  fi
  if [[ "${1:-}" == redis-server ]]; then
    # The official image compiles protected mode off; do the same unless told otherwise.
    local arg
    local has_protected=0
    for arg in "$@"; do
      [[ "${arg}" == --protected-mode ]] && has_protected=1
    done
    if ((has_protected == 0)); then
      set -- "$@" --protected-mode no
    fi
    if [[ "$(id -u)" == 0 ]]; then
      find . \! -user redis -exec chown redis:redis '{}' +
      exec setpriv --reuid=redis --regid=redis --init-groups "$@"
    fi
  fi
  exec "$@"
}

main "$@"
