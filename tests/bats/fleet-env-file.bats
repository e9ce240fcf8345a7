#!/usr/bin/env bats
# scripts/fleet-env-file.sh: the secrets reach each host's write-env-file.sh through ssh's stdin,
# never its command line.

load fleet_helpers

setup() {
  fleet_setup
  export PROD_HOSTS="app-1 app-2"
  fleet_host app-1 "${OLD}"
  fleet_host app-2 "${OLD}"
  export KAKAO_CLIENT_SECRET='kakao-Secret-1' JWT_SECRET='jwt Secret with spaces and $dollar 0123456789abcdef'
  export MYSQL_PASSWORD='my-Secret' MYSQL_USERNAME=switchyard
  unset MONGODB_URI REDIS_PASSWORD
}

@test "each host runs write-env-file.sh with the secrets from its stdin, after getting the kit" {
  run "${REPO}/scripts/fleet-env-file.sh" prod
  [ "${status}" -eq 0 ]
  local host
  for host in app-1 app-2; do
    [ "$(cat "${HOSTS_DIR}/${host}/kits")" = kit ]
    # What the host's bash sources: exactly the values, once quoted.
    [ "$(bash -c 'source "$1"; printf "%s|" "${KAKAO_CLIENT_SECRET}" "${JWT_SECRET}" "${MYSQL_PASSWORD}" "${MYSQL_USERNAME}" "${MONGODB_URI-unset}"' _ "${HOSTS_DIR}/${host}/env-stdin")" = \
      "kakao-Secret-1|jwt Secret with spaces and \$dollar 0123456789abcdef|my-Secret|switchyard|unset|" ]
  done
  [ "$(remote_calls 'write-env-file.sh' | wc -l)" -eq 2 ]
  ! grep -q -e 'Secret' "${CALLS}" "${SSH_ARGS}"
  [[ "${output}" != *Secret* ]]
}

@test "a host that fails stops the run, naming it" {
  touch "${HOSTS_DIR}/app-2/unreachable"
  run "${REPO}/scripts/fleet-env-file.sh" prod
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"app-2: cannot put the kit there"* ]]
}

@test "usage errors exit 2" {
  run "${REPO}/scripts/fleet-env-file.sh"
  [ "${status}" -eq 2 ]
  run "${REPO}/scripts/fleet-env-file.sh" --all
  [ "${status}" -eq 2 ]
}
