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

# health_now_ms: wall clock in milliseconds without a fork (bash 5's EPOCHREALTIME).
health_now_ms() {
  local t="${EPOCHREALTIME/[.,]/}"
  echo "$((10#${t} / 1000))"
}

# health_probe_timeout <remaining-ms>: seconds one probe may take ("0.250"): at most 2 s, never past
# the deadline, at least 0.1 s so a probe can still answer in the last instant.
health_probe_timeout() {
  local ms="$1"
  ((ms > 2000)) && ms=2000
  ((ms < 100)) && ms=100
  printf '%d.%03d' "$((ms / 1000))" "$((ms % 1000))"
}

# wait_ready <url> <container-id> <deadline-s> <interval-s>
# 0 = ready; 1 = deadline passed; 2 = the container exited, restarted or vanished (fail fast).
# The deadline is kept to the millisecond and a probe never outlasts it, so a sub-second interval
# (0.2 s) answers sooner without moving the deadline. The container's state costs a docker call:
# it is read at most once per second (and on the first round), not at every probe.
wait_ready() {
  local url="$1"
  local cid="$2"
  local deadline_s="$3"
  local interval_s="$4"
  local now deadline_ms next_state=0
  local state status restarts code first_restarts=""
  now="$(health_now_ms)"
  deadline_ms=$((now + deadline_s * 1000))
  while :; do
    if ((now >= next_state)); then
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
      next_state=$((now + 1000))
    fi
    if probe_up "${url}" "$(health_probe_timeout "$((deadline_ms - now))")"; then
      return 0
    fi
    now="$(health_now_ms)"
    if ((now >= deadline_ms)); then
      err "not ready after ${deadline_s}s: ${url}"
      return 1
    fi
    sleep "${interval_s}"
    now="$(health_now_ms)"
  done
}
