# shellcheck shell=bash
# The hosts of one environment and how to run a command on each: over ssh, or right here for the
# single-host kit. Sourced after scripts/lib/common.sh and config_load <env> (scripts/env/common.env
# holds the fleet settings).
#
# A host is an ssh destination (an alias from FLEET_SSH_CONFIG, a name, or user@name). The kit runs
# on a host from ${FLEET_REMOTE_ROOT}/current (scripts/lib/fleet-ship.sh puts it there). The
# pseudo-host "local" is this machine: the kit of this checkout, no ssh, nothing shipped.

readonly FLEET_LOCAL_HOST=local

# fleet_hosts_var: the name of the setting that lists this environment's hosts (PROD_HOSTS, DEV_HOSTS).
fleet_hosts_var() {
  local name="${SWITCHYARD_ENV^^}_HOSTS"
  echo "${name//-/_}"
}

# fleet_hosts: the environment's hosts, one a line, in deploy order (the first is the canary).
# No hosts configured = this host only ("local"). Returns 2 on a malformed or repeated name.
fleet_hosts() {
  local var value host
  local -A seen=()
  var="$(fleet_hosts_var)"
  value="${!var:-}"
  local hosts=()
  read -r -a hosts <<<"${value//,/ }"
  if ((${#hosts[@]} == 0)); then
    echo "${FLEET_LOCAL_HOST}"
    return 0
  fi
  for host in "${hosts[@]}"; do
    if [[ ! "${host}" =~ ^[A-Za-z0-9_][A-Za-z0-9_.@-]*$ ]]; then
      err "${var}: '${host}' is not a host name (letters, digits, '.', '_', '-', optionally user@)"
      return 2
    fi
    if [[ -n "${seen[${host}]:-}" ]]; then
      err "${var}: ${host} is listed twice"
      return 2
    fi
    seen["${host}"]=1
  done
  if ((${#hosts[@]} > 1)) && [[ -n "${seen[${FLEET_LOCAL_HOST}]:-}" ]]; then
    err "${var}: '${FLEET_LOCAL_HOST}' means this machine alone; list real host names instead"
    return 2
  fi
  printf '%s\n' "${hosts[@]}"
}

fleet_is_local() {
  [[ "$1" == "${FLEET_LOCAL_HOST}" ]]
}

# fleet_ssh <host> <remote-command>: one ssh call with the fleet's options; stdin and stdout pass through.
fleet_ssh() {
  local host="$1"
  local remote="$2"
  local cmd=(ssh)
  local opts=()
  if [[ -n "${FLEET_SSH_CONFIG}" ]]; then
    cmd+=(-F "${FLEET_SSH_CONFIG}")
  fi
  if [[ -n "${FLEET_SSH_KEY}" ]]; then
    cmd+=(-i "${FLEET_SSH_KEY}" -o IdentitiesOnly=yes)
  fi
  read -r -a opts <<<"${FLEET_SSH_OPTS}"
  cmd+=("${opts[@]}" -- "${host}" "${remote}")
  "${cmd[@]}"
}

# fleet_quote <argv...>: one shell-quoted command line, for the remote shell.
fleet_quote() {
  local out
  printf -v out '%q ' "$@"
  echo "${out% }"
}

# fleet_exec <host> <argv...>: runs a command on the host (docker, ...), outside the kit.
fleet_exec() {
  local host="$1"
  shift
  if fleet_is_local "${host}"; then
    "$@"
  else
    fleet_ssh "${host}" "$(fleet_quote "$@")"
  fi
}

# fleet_run <host> <argv...>: runs a kit command (scripts/...) from the kit's directory on the host.
fleet_run() {
  local host="$1"
  shift
  if fleet_is_local "${host}"; then
    (cd "${SWITCHYARD_ROOT}" && "$@")
  else
    fleet_ssh "${host}" "cd $(fleet_quote "${FLEET_REMOTE_ROOT%/}/current") && $(fleet_quote "$@")"
  fi
}

# fleet_host_status <host>: one JSON line, {host, reachable, status, live_image_id, error}: the host's
# `scripts/status.sh --json` and the image ID of the container its live color runs.
fleet_host_status() {
  local host="$1"
  local status cid id="" error=""
  if ! status="$(fleet_run "${host}" scripts/status.sh --json "${SWITCHYARD_ENV}" </dev/null 2>/dev/null)" ||
    ! jq -e 'type == "object"' <<<"${status}" >/dev/null 2>&1; then
    jq -n -c --arg host "${host}" \
      '{host: $host, reachable: false, status: null, live_image_id: "", error: "scripts/status.sh did not answer (host down, or no kit shipped yet)"}'
    return 0
  fi
  cid="$(jq -r '.colors[.live_color].container // empty' <<<"${status}" 2>/dev/null || true)"
  if [[ -n "${cid}" ]]; then
    id="$(fleet_exec "${host}" docker inspect -f '{{.Image}}' "${cid}" </dev/null 2>/dev/null)" ||
      error="cannot inspect the live container ${cid}"
  fi
  jq -n -c --arg host "${host}" --argjson status "${status}" --arg id "${id}" --arg error "${error}" \
    '{host: $host, reachable: true, status: $status, live_image_id: $id, error: $error}'
}

# fleet_live_image <host-status-json>: the image the host's live color runs ("" when none).
fleet_live_image() {
  jq -r '.status.colors[.status.live_color].image // empty' <<<"$1" 2>/dev/null || true
}
