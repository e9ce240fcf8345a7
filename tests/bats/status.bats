#!/usr/bin/env bats
# status.sh shows the pending retirements (the rollback window's timers) in text and JSON: due when, by
# what, and whether that timer is still there. docker and curl are PATH stubs; no nginx runs.

setup() {
  load deploy_helpers
  deploy_setup
  export SWITCHYARD_STATE_DIR="${BATS_TEST_TMPDIR}/state"
  export NGINX_PREFIX="${BATS_TEST_TMPDIR}/nginx"
  export NGINX_CONF="${NGINX_PREFIX}/nginx.conf"
  export NGINX_CONF_DIR="${NGINX_PREFIX}"
  export BLUE_PORT=9081 GREEN_PORT=9082
  stub docker 'true'
  stub curl 'exit 7'
  STATE="${SWITCHYARD_STATE_DIR}/dev"
  mkdir -p "${STATE}"
  TIMER=""
}

teardown() {
  [[ -z "${TIMER}" ]] || kill "${TIMER}" 2>/dev/null || true
}

# retirement <color> <in-s> <pid>: a state file as retire_schedule writes it (process mechanism).
retirement() {
  jq -n --arg c "$1" --argjson due "$(($(date +%s) + $2))" --argjson pid "$3" \
    '{env: "dev", color: $c, container: "0123456789abcdef", due: $due, token: "t", mechanism: "process", pid: $pid}' \
    >"${STATE}/retire-$1.json"
}

@test "no retirement: none pending" {
  run "${REPO_ROOT}/scripts/status.sh" dev
  [ "$status" -eq 0 ]
  [[ "$output" == *"retirements  none pending"* ]]
}

@test "a pending retirement whose timer runs, and one whose timer is gone (a reboot)" {
  # A process that looks like the retire job of the blue file.
  bash -c "exec -a 'scripts/retire.sh --wait ${STATE}/retire-blue.json' sleep 60" &
  TIMER=$!
  retirement blue 600 "${TIMER}"
  retirement green -30 999999
  run "${REPO_ROOT}/scripts/status.sh" dev
  [ "$status" -eq 0 ]
  [[ "$output" == *"retirement   blue (0123456789ab): pending, due in "*"s (process pid ${TIMER})"* ]]
  echo "$output"
  [[ "$output" == *"retirement   green (0123456789ab): lost, due 3"?"s ago (process pid 999999)"* ]]
  run "${REPO_ROOT}/scripts/status.sh" --json dev
  [ "$(jq -r '[.retirements[] | "\(.color):\(.state)"] | join(",")' <<<"$output")" = "blue:pending,green:lost" ]
}
