#!/usr/bin/env bash
# docker compose for the ELK stack with secrets loaded from elk/secrets.env (never committed).
#   elk/compose.sh up -d                      start the stack
#   elk/compose.sh run --rm setup             re-apply users, ILM policies, index templates
#   elk/compose.sh down                       stop (data stays in named volumes)
# ELK_SECRETS_FILE overrides the secrets file location.
set -euo pipefail

ELK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${ELK_DIR}/../scripts/lib/common.sh"

main() {
  local secrets="${ELK_SECRETS_FILE:-${ELK_DIR}/secrets.env}"
  [[ -r "${secrets}" ]] || die "no secrets file at ${secrets}: copy elk/secrets.env.example and fill it in"
  set -a
  # shellcheck source=/dev/null
  source "${secrets}"
  set +a
  # The compose v2 plugin when present, else the standalone docker-compose (Debian's 1.29 reads this file too).
  local compose=(docker compose)
  if ! docker compose version >/dev/null 2>&1; then
    require_cmd docker-compose
    compose=(docker-compose)
  fi
  exec "${compose[@]}" --project-directory "${ELK_DIR}" -f "${ELK_DIR}/docker-compose.yml" "$@"
}

main "$@"
