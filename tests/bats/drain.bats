#!/usr/bin/env bats
# shellcheck disable=SC2317 # nginx_master_pid, nginx_workers and port_connections below are called by the library
# drain: done when nginx holds no connection to the old color's port, or when every connection left is a
# WebSocket the old color reports (its /actuator/info chat.openSockets); otherwise it waits until its
# deadline. Connections are read from nginx's network namespace (/proc/<nginx pid>/net/tcp, a fake /proc
# here) and counted only when an nginx process owns them; ss, ps and curl are stubs.

bats_require_minimum_version 1.5.0

setup() {
  load deploy_helpers
  deploy_setup
  # shellcheck disable=SC2016 # expanded by the stub, not here
  stub curl 'echo "{\"chat\": {\"openSockets\": ${SOCKETS:-0}, \"draining\": false}}"'
  # What this process's own network namespace shows: nothing (a containerised agent, say).
  stub ss 'true'
  export PROC_ROOT="${BATS_TEST_TMPDIR}/proc"
  # nginx: master 4242, workers 4243 (new) and 4244 (old generation, shutting down).
  stub ps 'if [[ "$*" == *"--ppid 4242"* ]]; then printf "4243\n4244\n"; fi'
  nginx_master_pid() { echo 4242; }
  mkdir -p "${PROC_ROOT}/4242/net" "${PROC_ROOT}/4242/fd" "${PROC_ROOT}/4243/fd" "${PROC_ROOT}/4244/fd"
  tcp_table
}

# tcp_table <line...>: /proc/4242/net/tcp with a header and the given rows (sl local remote st ... inode).
tcp_table() {
  {
    echo "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
    printf '%s\n' "$@"
  } >"${PROC_ROOT}/4242/net/tcp"
  : >"${PROC_ROOT}/4242/net/tcp6"
}

# row <n> <local port hex> <remote port hex> <state> <inode>: one /proc/net/tcp row on 127.0.0.1.
row() {
  echo "   $1: 0100007F:$2 0100007F:$3 $4 00000000:00000000 00:00000000 00000000     0        0 $5 1 0000000000000000 20 4 30 10 -1"
}

# owns <pid> <inode...>: the process holds those sockets (fd symlinks as the kernel shows them).
owns() {
  local pid="$1"
  shift
  local inode
  for inode in "$@"; do
    ln -s "socket:[${inode}]" "${PROC_ROOT}/${pid}/fd/${inode}"
  done
}

@test "nothing left: drained at once" {
  run drain_wait 8081 5 http://127.0.0.1:8081
  [ "$status" -eq 0 ]
}

@test "connections are read in nginx's namespace: one nginx holds to the old port keeps the drain waiting, though ss here sees none" {
  # 8081 = 1F91; nginx's worker 4244 holds an in-flight request to it.
  tcp_table "$(row 0 9C40 1F91 01 111)"
  owns 4244 111
  [ "$(port_connections 8081)" -eq 1 ]
  run drain_wait 8081 1
  [ "$status" -eq 1 ]
  [[ "$output" == *"still 1 connection(s) from nginx to :8081"* ]]
}

@test "only this env's port counts: another env's old worker finishing its requests does not hold the drain" {
  # The shutting-down worker 4244 holds a connection to 9081 (2379), the dev env's old color.
  tcp_table "$(row 0 9C40 2379 01 333)"
  owns 4244 333
  nginx_workers() { [[ "${1:-}" != shutting ]] || echo 4244; }
  SECONDS=0
  run drain_wait 8081 5
  [ "$status" -eq 0 ]
  ((SECONDS < 3))
  [ "$(port_connections 9081)" -eq 1 ]
}

@test "only nginx's connections count: a probe, a closed socket or docker-proxy's end of a connection do not" {
  tcp_table \
    "$(row 0 9C40 1F91 01 111)" \
    "$(row 1 9C41 1F91 01 222)" \
    "$(row 2 9C42 1F91 06 0)" \
    "$(row 3 1F91 9C40 01 444)"
  owns 4243 111
  # 222: a monitor's probe straight to the port; 444: the listener's side of 111.
  [ "$(port_connections 8081)" -eq 1 ]
}

@test "without access to nginx's descriptors every connection to the port in its namespace counts" {
  tcp_table "$(row 0 9C40 1F91 01 111)" "$(row 1 9C41 1F91 01 222)"
  nginx_socket_inodes() { return 1; }
  [ "$(port_connections 8081)" -eq 2 ]
}

@test "an IPv4-mapped IPv6 connection to the port counts too" {
  echo "   0: 00000000000000000000000000000000:9C40 0000000000000000FFFF00000100007F:1F91 01 00000000:00000000 00:00000000 00000000     0        0 555 1" \
    >>"${PROC_ROOT}/4242/net/tcp6"
  owns 4243 555
  [ "$(port_connections 8081)" -eq 1 ]
}

@test "without an nginx pid, this namespace's ss is asked" {
  nginx_master_pid() { return 1; }
  stub ss 'echo "ESTAB 0 0 127.0.0.1:40000 127.0.0.1:8081"'
  [ "$(port_connections 8081)" -eq 1 ]
  grep -q '^ss -Htn state established ( dport = :8081 )' "${STUB_LOG}"
}

@test "only WebSocket sockets left: drained, said so, without waiting for the deadline" {
  tcp_table "$(row 0 9C40 1F91 01 1)" "$(row 1 9C41 1F91 01 2)" "$(row 2 9C42 1F91 01 3)"
  owns 4244 1 2 3
  export SOCKETS=3
  SECONDS=0
  run drain_wait 8081 5 http://127.0.0.1:8081
  [ "$status" -eq 0 ]
  [[ "$output" == *"the 3 connection(s) left to :8081 are WebSocket sockets"* ]]
  ((SECONDS < 3))
}

@test "more connections than sockets (a request in flight): waits until the deadline" {
  tcp_table "$(row 0 9C40 1F91 01 1)" "$(row 1 9C41 1F91 01 2)" "$(row 2 9C42 1F91 01 3)" "$(row 3 9C43 1F91 01 4)"
  owns 4244 1 2 3 4
  export SOCKETS=3
  run drain_wait 8081 1 http://127.0.0.1:8081
  [ "$status" -eq 1 ]
  [[ "$output" == *"still 4 connection(s) from nginx to :8081 (3 WebSocket)"* ]]
}

@test "without the app's URL, sockets are not asked for and an open tunnel waits for the deadline" {
  tcp_table "$(row 0 9C40 1F91 01 1)"
  owns 4244 1
  export SOCKETS=1
  run drain_wait 8081 1
  [ "$status" -eq 1 ]
  run grep -c '^curl' "${STUB_LOG}"
  [ "$output" = 0 ]
}

@test "an old color that does not answer counts as no sockets" {
  tcp_table "$(row 0 9C40 1F91 01 1)"
  owns 4244 1
  stub curl 'exit 7'
  run drain_wait 8081 1 http://127.0.0.1:8081
  [ "$status" -eq 1 ]
  [[ "$output" == *"(0 WebSocket)"* ]]
}

@test "handover: a color with open sockets is asked to hand them over (POST), one without is not asked" {
  export SOCKETS=0
  run drain_handover http://127.0.0.1:8081
  [ "$status" -eq 0 ]
  run ! grep -q -- '-X POST' "${STUB_LOG}"
  # shellcheck disable=SC2016 # expanded by the stub
  stub curl 'if [[ "$*" == *"-X POST"* ]]; then echo "{\"handedOver\": true}"; else echo "{\"chat\": {\"openSockets\": 2}}"; fi'
  run drain_handover http://127.0.0.1:8081
  [ "$status" -eq 0 ]
  grep -q -- '-X POST --max-time 15 http://127.0.0.1:8081/actuator/chathandover' "${STUB_LOG}"
  [[ "$output" == *"handed 2 WebSocket socket(s) over"* ]]
}

@test "handover refused or unanswered: a warning, never a failure" {
  # shellcheck disable=SC2016 # expanded by the stub
  stub curl 'if [[ "$*" == *"-X POST"* ]]; then exit 22; else echo "{\"chat\": {\"openSockets\": 2}}"; fi'
  run drain_handover http://127.0.0.1:8081
  [ "$status" -eq 0 ]
  [[ "$output" == *"WARNING"*"did not hand its 2 WebSocket socket(s) over"* ]]
}
