#!/usr/bin/env bash
# Writes the app env file on every host of an environment from the secrets in this process's
# environment (the pipeline binds them with withCredentials), with scripts/write-env-file.sh <env>
# on each host. Secret values travel only through environments and ssh's stdin (as shell-quoted
# assignments that the host's bash reads), never on a command line, never logged.
#
# Usage: scripts/fleet-env-file.sh <env>
# Keys:  those scripts/write-env-file.sh reads (it checks them: required keys, no quote/backslash/line break).
# Hosts: <ENV>_HOSTS as for scripts/fleet-deploy.sh (none = this host: write-env-file.sh here). The kit
#        of this checkout is put on each host first (as fleet-deploy.sh does).
# Exit:  0 written on every host; 2 usage/config error; 1 a host failed (named; hosts before it are written).
set -euo pipefail
set +x

SCRIPT_NAME="fleet-env-file"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"
# shellcheck source=scripts/lib/digest.sh
source "${SCRIPT_DIR}/lib/digest.sh"
# shellcheck source=scripts/lib/fleet.sh
source "${SCRIPT_DIR}/lib/fleet.sh"
# shellcheck source=scripts/lib/fleet-ship.sh
source "${SCRIPT_DIR}/lib/fleet-ship.sh"

# The keys scripts/write-env-file.sh reads.
readonly SECRET_KEYS=(KAKAO_CLIENT_SECRET JWT_SECRET MYSQL_PASSWORD MYSQL_USERNAME MONGODB_URI REDIS_PASSWORD)
RUN_TMP=""

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

cleanup() {
  if [[ -n "${RUN_TMP}" ]]; then
    rm -rf "${RUN_TMP}"
  fi
}

# secret_assignments: `KEY=<quoted value>` lines for the keys that are set, for the host's bash.
secret_assignments() {
  local key
  for key in "${SECRET_KEYS[@]}"; do
    if [[ -n "${!key+set}" ]]; then
      printf '%s=%q\n' "${key}" "${!key}"
    fi
  done
}

write_on_host() {
  local host="$1"
  local env_name="$2"
  if fleet_is_local "${host}"; then
    (cd "${SWITCHYARD_ROOT}" && scripts/write-env-file.sh "${env_name}")
    return
  fi
  # bash on the host reads the assignments from stdin, exports them, and runs write-env-file.sh.
  # shellcheck disable=SC2016 # expanded by the host's bash
  secret_assignments | fleet_run "${host}" bash -c 'set -a; source /dev/stdin; set +a; exec scripts/write-env-file.sh "$1"' \
    fleet-env-file "${env_name}"
}

main() {
  if (($# != 1)) || [[ "$1" == -* ]]; then
    usage >&2
    exit 2
  fi
  local env_name="$1"
  config_load "${env_name}" || exit 2
  local hosts_out hosts=() host archive kit_id
  hosts_out="$(fleet_hosts)" || exit 2
  mapfile -t hosts <<<"${hosts_out}"
  trap cleanup EXIT
  RUN_TMP="$(mktemp -d)"
  archive="${RUN_TMP}/kit.tar"
  kit_id="$(fleet_kit_archive "${archive}")"
  for host in "${hosts[@]}"; do
    fleet_ship_kit "${host}" "${archive}" "${kit_id}" || die "${host}: cannot put the kit there"
    if ! write_on_host "${host}" "${env_name}" 2>&1 | sed -u "s/^/[${host}] /" >&2; then
      die "${host}: writing the env file failed"
    fi
  done
  log "env file of ${env_name} written on ${#hosts[@]} host(s): ${hosts[*]}"
}

main "$@"
