#!/usr/bin/env bats
# scripts/fleet-status.sh: every host's status, the live image ID, unreachable hosts shown as such.

load fleet_helpers

setup() {
  fleet_setup
  export PROD_HOSTS="app-1,app-2"
  fleet_host app-1 "${OLD}"
  fleet_host app-2 "${OLD}"
}

@test "--json lists every host with its status.sh answer and its live container's image ID" {
  run "${REPO}/scripts/fleet-status.sh" --json prod
  [ "${status}" -eq 0 ]
  [ "$(jq -r '[.hosts[] | "\(.host) \(.reachable) \(.status.colors[.status.live_color].image) \(.live_image_id)"] | join(",")' <<<"${output}")" = \
    "app-1 true ${OLD} ${ID_OLD},app-2 true ${OLD} ${ID_OLD}" ]
  [ "$(jq -r '.env, .fleet_lock.held' <<<"${output}" | paste -sd ' ')" = "prod false" ]
}

@test "an unreachable host is reported, not fatal" {
  touch "${HOSTS_DIR}/app-2/unreachable"
  run "${REPO}/scripts/fleet-status.sh" prod
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"app-1  live green  ${OLD}  sha256:bbbbbbbbbbbb  health up  lock free"* ]]
  [[ "${output}" == *"app-2  UNREACHABLE"* ]]
}

@test "a held fleet lock is shown with its holder" {
  mkdir -p "${SWITCHYARD_STATE_DIR}/prod"
  echo "fleet deploy x pid=1" >"${SWITCHYARD_STATE_DIR}/prod/fleet.lock.holder"
  flock "${SWITCHYARD_STATE_DIR}/prod/fleet.lock" sleep 3 &
  sleep 0.3
  run "${REPO}/scripts/fleet-status.sh" --json prod
  [ "$(jq -r .fleet_lock.held <<<"${output}")" = true ]
  [[ "$(jq -r .fleet_lock.holder <<<"${output}")" == "fleet deploy x pid=1"* ]]
}

@test "usage errors exit 2" {
  run "${REPO}/scripts/fleet-status.sh"
  [ "${status}" -eq 2 ]
  PROD_HOSTS='bad;host' run "${REPO}/scripts/fleet-status.sh" prod
  [ "${status}" -eq 2 ]
}
