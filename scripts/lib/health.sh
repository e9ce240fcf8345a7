# shellcheck shell=bash
# Health probes. Read-only: nothing here changes traffic or containers.
# Healthy = HTTP 2xx AND a JSON body whose "status" is "UP". Anything else is not healthy.

# probe_up <url> [timeout-s]: one probe.
probe_up() {
  local url="$1"
  local timeout_s="${2:-3}"
  local out code body
  out="$(curl -s --max-time "${timeout_s}" -H 'Accept: application/json' -w '\n%{http_code}' "${url}" 2>/dev/null)" || return 1
  code="${out##*$'\n'}"
  body="${out%$'\n'*}"
  [[ "${code}" =~ ^2[0-9][0-9]$ ]] || return 1
  [[ "$(jq -r 'if type == "object" then .status else empty end' 2>/dev/null <<<"${body}")" == UP ]]
}

# container_state <id>: "<status> <restart-count> <exit-code>", e.g. "running 0 0".
container_state() {
  docker inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' "$1" 2>/dev/null
}

# wait_ready <url> <container-id> <deadline-s> <interval-s>
# 0 = ready; 1 = deadline passed; 2 = the container exited, restarted or vanished (fail fast).
wait_ready() {
  local url="$1"
  local cid="$2"
  local deadline_s="$3"
  local interval_s="$4"
  local deadline=$((SECONDS + deadline_s))
  local state status restarts code first_restarts=""
  while :; do
    if ! state="$(container_state "${cid}")"; then
      err "container ${cid:0:12} vanished"
      return 2
    fi
    read -r status restarts code <<<"${state}"
    first_restarts="${first_restarts:-${restarts}}"
    if [[ "${status}" != running && "${status}" != created ]] || ((restarts > first_restarts)); then
      err "container ${cid:0:12} is ${status} (exit code ${code}, restarts ${restarts})"
      return 2
    fi
    if probe_up "${url}" 2; then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      err "not ready after ${deadline_s}s: ${url}"
      return 1
    fi
    sleep "${interval_s}"
  done
}
