# shellcheck shell=bash
# ELK wiring of one environment (settings: the ELK section of scripts/env/common.env). Sourced, never
# executed; needs common.sh and config.sh (config_load already run). Brings apm_annotate along
# (apm-annotation.sh) for the deploy's switch and rollback markers.

# shellcheck source=scripts/lib/apm-annotation.sh
source "$(dirname "${BASH_SOURCE[0]}")/apm-annotation.sh"

# elk_compose_args: the extra `-f <file>` arguments of the app container's compose call, one word per
# line: none without ELK_HOST; docker-compose.elk.yml (where Logstash and the APM server are) and, for
# a stack on this host, docker-compose.elk-network.yml (join its network). An ELK stack that is down
# never stops a deploy: without its network the app starts unjoined, with a warning.
elk_compose_args() {
  [[ -n "${ELK_HOST:-}" ]] || return 0
  printf '%s\n' -f "${SWITCHYARD_ROOT}/docker-compose.elk.yml"
  [[ "${ELK_HOST}" == local ]] || return 0
  if docker network inspect "${ELK_NETWORK}" >/dev/null 2>&1; then
    printf '%s\n' -f "${SWITCHYARD_ROOT}/docker-compose.elk-network.yml"
  else
    err "WARNING: ELK_HOST=local but there is no docker network ${ELK_NETWORK} (elk/compose.sh up -d): the app starts without it, its logs and traces are dropped"
  fi
}

# elk_load_secrets: the host tools' secrets (ELK_SECRETS_FILE, root-only); variables already set win.
elk_load_secrets() {
  local file="${ELK_SECRETS_FILE:-}"
  [[ -n "${file}" && -r "${file}" ]] || return 0
  local line name
  while IFS= read -r line || [[ -n "${line}" ]]; do
    [[ "${line}" =~ ^[[:space:]]*([A-Z_][A-Z0-9_]*)=(.*)$ ]] || continue
    name="${BASH_REMATCH[1]}"
    if [[ -z "${!name:-}" ]]; then
      printf -v "${name}" '%s' "${BASH_REMATCH[2]}"
      export "${name?}"
    fi
  done <"${file}"
}
