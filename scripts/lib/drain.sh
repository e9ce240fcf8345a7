# shellcheck shell=bash
# Draining the old color after a switch. The reload already sent new requests to the new color;
# old nginx workers finish their in-flight requests and close their keepalive connections, then exit.
# The old color is drained when nginx holds no connection to its port any more. Only this env's
# connections count (its colors have their own ports): another env's requests finishing in old workers of
# a shared nginx do not hold this drain up. They are read in nginx's own network namespace
# (/proc/<nginx pid>/net/tcp), so a deploy running in another one (a containerised agent sharing the
# host's pid namespace and files) sees them too, and attributed to nginx's processes by socket inode, so a
# probe or a monitor talking to the port directly does not count.
# WebSocket tunnels through old workers never end by themselves: once only they are left, the old color
# hands them over (drain_handover: each client gets the reconnect hint and resumes on the new color).
# Needs: nginx.sh (nginx_master_pid), common.sh.

# tcp_connections_to <net-dir> <port>: socket inodes of the established TCP connections to
# 127.0.0.1:<port> in a /proc/<pid>/net directory (tcp and tcp6, IPv4-mapped included).
tcp_connections_to() {
  local net_dir="$1"
  local port_hex
  port_hex="$(printf '%04X' "$2")"
  cat "${net_dir}/tcp" "${net_dir}/tcp6" 2>/dev/null | awk -v port="${port_hex}" '
    $1 ~ /^[0-9]+:$/ && $4 == "01" {
      n = split($3, remote, ":")
      if (remote[n] == port && (remote[1] == "0100007F" || remote[1] == "0000000000000000FFFF00000100007F")) print $10
    }'
}

# nginx_socket_inodes <master-pid>: the socket inodes nginx's master and workers hold; fails when their
# descriptors cannot be read (not root).
nginx_socket_inodes() {
  local master="$1"
  local pid
  for pid in "${master}" $(ps -o pid= --ppid "${master}"); do
    [[ -d "${PROC_ROOT:-/proc}/${pid}" ]] || continue
    find "${PROC_ROOT:-/proc}/${pid}/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null || return 1
  done | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p'
}

# port_connections <port>: nginx's established connections to 127.0.0.1:<port> (nginx -> a color).
port_connections() {
  local port="$1"
  local master conns owned
  if master="$(nginx_master_pid)" && [[ -r "${PROC_ROOT:-/proc}/${master}/net/tcp" ]]; then
    conns="$(tcp_connections_to "${PROC_ROOT:-/proc}/${master}/net" "${port}")"
    if [[ -z "${conns}" ]]; then
      echo 0
    elif owned="$(nginx_socket_inodes "${master}")"; then
      grep -c -x -F -f <(printf '%s\n' "${owned}") <<<"${conns}" || true
    else
      grep -c . <<<"${conns}"
    fi
    return 0
  fi
  # No nginx pid (not running, or its pid file unreadable): what this network namespace shows.
  ss -Htn state established "( dport = :${port} )" 2>/dev/null | wc -l
}

# open_chat_sockets <app-url>: the color's open WebSocket sockets (its /actuator/info), 0 when unknown.
open_chat_sockets() {
  local n
  n="$(curl -s --max-time 2 "$1/actuator/info" 2>/dev/null | jq -r '.chat.openSockets // 0' 2>/dev/null || true)"
  if [[ "${n}" =~ ^[0-9]+$ ]]; then echo "${n}"; else echo 0; fi
}

# drain_wait <port> <deadline-s> [app-url]: 0 when drained, 1 on timeout (the caller goes on anyway; the
# app's own graceful shutdown still finishes in-flight requests).
# Drained: nginx holds no connection to the port - or, given the app's URL, every connection left is one
# of its WebSocket sockets (those are handed over next).
drain_wait() {
  local port="$1"
  local deadline_s="$2"
  local app_url="${3:-}"
  local deadline=$((SECONDS + deadline_s))
  local conns sockets=0
  while :; do
    conns="$(port_connections "${port}")"
    if ((conns == 0)); then
      return 0
    fi
    if [[ -n "${app_url}" ]]; then
      sockets="$(open_chat_sockets "${app_url}")"
      if ((sockets > 0 && conns <= sockets)); then
        log "drain: the ${conns} connection(s) left to :${port} are WebSocket sockets: handing them over"
        return 0
      fi
    fi
    if ((SECONDS >= deadline)); then
      log "drain: after ${deadline_s}s still ${conns} connection(s) from nginx to :${port} (${sockets} WebSocket)"
      return 1
    fi
    sleep 0.2
  done
}

# drain_handover <app-url>: asks the color to hand its WebSocket sockets over (POST /actuator/chathandover:
# reconnect hint to each, then close) while it keeps running for the rollback window. Quiet when it has
# none; never fails the caller (stopping the color hands them over as well).
drain_handover() {
  local url="$1"
  local sockets answer
  sockets="$(open_chat_sockets "${url}")"
  ((sockets > 0)) || return 0
  if answer="$(curl -s -f -X POST --max-time "${HANDOVER_TIMEOUT_S:-15}" "${url}/actuator/chathandover" 2>/dev/null)" &&
    [[ "$(jq -r '.handedOver' <<<"${answer}" 2>/dev/null)" == true ]]; then
    log "drain: handed ${sockets} WebSocket socket(s) over (reconnect hint); $(open_chat_sockets "${url}") left"
  else
    log "WARNING: ${url} did not hand its ${sockets} WebSocket socket(s) over (${answer:-no answer}); they move when it stops"
  fi
}
