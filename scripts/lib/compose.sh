# shellcheck shell=bash
# `compose`: one entry point for Docker Compose v2 (`docker compose`) and Debian's
# docker-compose v1 (1.29). Sourced, never executed; needs scripts/lib/common.sh.
#
#   compose -p switchyard-prod-green -f docker-compose.green.yml up -d
#
# Both read the same files (format "2.4" with `extends`; v2 warns that `version` is obsolete, but
# v1 needs it). Differences callers must not rely on: container names (v1 project_service_1, v2
# project-service-1) — use compose_container_id or the com.docker.compose.project label; and
# `ps` without -a (v1 lists stopped containers too, v2 only running ones).

# compose_cmd: prints the command to use, once per shell: "docker compose" or "docker-compose".
# SWITCHYARD_COMPOSE overrides the detection (e.g. SWITCHYARD_COMPOSE=docker-compose).
compose_cmd() {
  if [[ -z "${SWITCHYARD_COMPOSE:-}" ]]; then
    if docker compose version >/dev/null 2>&1; then
      SWITCHYARD_COMPOSE="docker compose"
    elif command -v docker-compose >/dev/null 2>&1; then
      SWITCHYARD_COMPOSE="docker-compose"
    else
      die "neither 'docker compose' (v2) nor 'docker-compose' (v1) is installed"
    fi
  fi
  echo "${SWITCHYARD_COMPOSE}"
}

compose() {
  local cmd=()
  read -r -a cmd <<<"$(compose_cmd)"
  "${cmd[@]}" "$@"
}

# compose_container_id <project> <compose-file> <service>: the container's id, running or not, or
# nothing. `ps -a`: without it v2 leaves out a container that has exited.
compose_container_id() {
  compose -p "$1" -f "$2" ps -a -q "$3" 2>/dev/null | head -n 1
}
