# shellcheck shell=bash
# Draining the old color after a switch. The reload already sent new requests to the new color;
# old nginx workers finish their in-flight requests and close their keepalive connections, then exit.
# Only when no worker of the old generation and no connection to the old port is left do we stop the
# old container: docker stop sends SIGTERM and the app shuts down gracefully (WebSockets get a
# reconnect hint), with SIGKILL only after STOP_GRACE_S.
# Needs: nginx.sh (nginx_workers).

# port_connections <port>: established TCP connections to 127.0.0.1:<port> (nginx -> old color).
port_connections() {
  ss -Htn state established "( dport = :$1 )" 2>/dev/null | wc -l
}

# open_chat_sockets <app-url>: the color's open WebSocket sockets (its /actuator/info), 0 when unknown.
open_chat_sockets() {
  local n
  n="$(curl -s --max-time 2 "$1/actuator/info" 2>/dev/null | jq -r '.chat.openSockets // 0' 2>/dev/null || true)"
  if [[ "${n}" =~ ^[0-9]+$ ]]; then echo "${n}"; else echo 0; fi
}

# drain_wait <port> <deadline-s> [app-url]: 0 when drained, 1 on timeout (the caller stops the color
# anyway; the app's own graceful shutdown still finishes in-flight requests).
# Drained: no old nginx worker and no connection to the port left - or, given the app's URL, every
# connection left is one of its WebSocket sockets. Those tunnels through an old worker never end by
# themselves; stopping the color hands them over (reconnect hint, close 1012) and they resume on the
# new color.
drain_wait() {
  local port="$1"
  local deadline_s="$2"
  local app_url="${3:-}"
  local deadline=$((SECONDS + deadline_s))
  local shutting conns sockets=0
  while :; do
    shutting="$(nginx_workers shutting | wc -l)"
    conns="$(port_connections "${port}")"
    if ((shutting == 0 && conns == 0)); then
      return 0
    fi
    if [[ -n "${app_url}" ]] && ((conns > 0)); then
      sockets="$(open_chat_sockets "${app_url}")"
      if ((sockets > 0 && conns <= sockets)); then
        log "drain: the ${conns} connection(s) left to :${port} are WebSocket sockets: stopping the color hands them over"
        return 0
      fi
    fi
    if ((SECONDS >= deadline)); then
      log "drain: after ${deadline_s}s still ${shutting} old nginx worker(s), ${conns} connection(s) to :${port} (${sockets} WebSocket)"
      return 1
    fi
    sleep 0.2
  done
}

# retire_later <script> <env> <color> <container-id> <after-s>: a detached timer that stops the old
# color once the rollback window is over, unless it is live again by then (see deploy.sh --retire).
# It does not inherit the deploy lock (fd 9) and survives the deploy's exit. Its pid (its own
# process group) is kept in ${STATE_DIR}/retire-<color>.pid; a newer timer for the color replaces it.
retire_later() {
  local script="$1"
  local color="$3"
  local pid_file="${STATE_DIR}/retire-${color}.pid"
  retire_cancel "${color}"
  setsid "${script}" --retire "${@:2}" </dev/null >>"${STATE_DIR}/retire.log" 2>&1 9>&- &
  echo "$!" >"${pid_file}"
}

# retire_cancel <color>: ends a pending retire timer of the color (and its sleep).
retire_cancel() {
  local pid_file="${STATE_DIR}/retire-$1.pid"
  local pid
  [[ -r "${pid_file}" ]] || return 0
  pid="$(tr -dc '0-9' <"${pid_file}")"
  if [[ -n "${pid}" ]] && ps -o args= -p "${pid}" 2>/dev/null | grep -q -- '--retire'; then
    kill -- "-${pid}" 2>/dev/null || kill "${pid}" 2>/dev/null || true
  fi
  rm -f "${pid_file}"
}
