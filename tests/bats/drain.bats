#!/usr/bin/env bats
# shellcheck disable=SC2317 # nginx_workers and port_connections below are called by drain_wait
# drain_wait: done when no old nginx worker and no connection to the old port is left, or when every
# connection left is a WebSocket the old color reports (its /actuator/info chat.openSockets);
# otherwise it waits until its deadline. nginx workers, ss and curl are stubbed.

setup() {
  load deploy_helpers
  deploy_setup
  SHUTTING=0
  CONNS=0
  # shellcheck disable=SC2016 # expanded by the stub, not here
  stub curl 'echo "{\"chat\": {\"openSockets\": ${SOCKETS:-0}, \"draining\": false}}"'
  # After deploy_setup: these replace the real ones from nginx.sh and drain.sh.
  nginx_workers() {
    local i
    for ((i = 0; i < SHUTTING; i++)); do echo "shutting-worker-${i}"; done
  }
  port_connections() {
    echo "${CONNS}"
  }
}

@test "nothing left: drained at once" {
  run drain_wait 8081 5 http://127.0.0.1:8081
  [ "$status" -eq 0 ]
}

@test "only WebSocket sockets left: drained, said so, without waiting for the deadline" {
  SHUTTING=1 CONNS=3 SOCKETS=3
  export SOCKETS
  SECONDS=0
  run drain_wait 8081 5 http://127.0.0.1:8081
  [ "$status" -eq 0 ]
  [[ "$output" == *"the 3 connection(s) left to :8081 are WebSocket sockets"* ]]
  ((SECONDS < 3))
}

@test "more connections than sockets (a request in flight): waits until the deadline" {
  SHUTTING=1 CONNS=4 SOCKETS=3
  export SOCKETS
  run drain_wait 8081 1 http://127.0.0.1:8081
  [ "$status" -eq 1 ]
  [[ "$output" == *"still 1 old nginx worker(s), 4 connection(s) to :8081 (3 WebSocket)"* ]]
}

@test "without the app's URL, sockets are not asked for and an open tunnel waits for the deadline" {
  SHUTTING=1 CONNS=3 SOCKETS=3
  export SOCKETS
  run drain_wait 8081 1
  [ "$status" -eq 1 ]
  run grep -c '^curl' "${STUB_LOG}"
  [ "$output" = 0 ]
}

@test "an old color that does not answer counts as no sockets" {
  SHUTTING=1 CONNS=2
  stub curl 'exit 7'
  run drain_wait 8081 1 http://127.0.0.1:8081
  [ "$status" -eq 1 ]
  [[ "$output" == *"(0 WebSocket)"* ]]
}
