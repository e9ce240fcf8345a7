#!/usr/bin/env bash
# Writes the app env file of one environment from secrets found in this process's environment
# (Jenkins binds them with withCredentials). Secret values never appear on a command line, on
# stdout or on stderr: only key names are logged.
#
# Usage: scripts/write-env-file.sh <env>
#
# File:  APP_ENV_FILE as the deploy kit resolves it for <env> (scripts/env/*.env; default
#        /etc/switchyard/<env>.env), the docker compose env_file of the app containers. Mode 600,
#        replaced atomically (temp file in the same directory, then mv).
# Keys:  KAKAO_CLIENT_SECRET, JWT_SECRET (>= 32 bytes) and MYSQL_PASSWORD are required;
#        MYSQL_USERNAME, MONGODB_URI and REDIS_PASSWORD are written when set and non-empty.
#        Written as KEY='value': single quotes keep a value literal for compose ($, #, spaces),
#        so a value may not contain a single quote, a backslash or a line break.
#        Every other line already in the file (settings and comments operators keep there, e.g.
#        MYSQL_URL, REDIS_HOST) is kept as it is; a key this run writes replaces its old line.
# Exit:  0 written; 2 usage/config error, or a missing or invalid value (the file is left untouched).
set -euo pipefail
# Never trace: a trace would print the values.
set +x

SCRIPT_NAME="write-env-file"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/config.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/config.sh"

readonly REQUIRED_KEYS=(KAKAO_CLIENT_SECRET JWT_SECRET MYSQL_PASSWORD)
readonly OPTIONAL_KEYS=(MYSQL_USERNAME MONGODB_URI REDIS_PASSWORD)
readonly JWT_SECRET_MIN_BYTES=32
TMP_FILE=""

cleanup() {
  if [[ -n "${TMP_FILE}" ]]; then
    rm -f "${TMP_FILE}"
  fi
}

usage() {
  echo "usage: ${0##*/} <env>   (secrets are read from the environment: ${REQUIRED_KEYS[*]} ${OPTIONAL_KEYS[*]})" >&2
}

# Prints the key of an env-file line ("KEY=...", "export KEY=..."), or nothing for comments/blanks.
line_key() {
  local line="$1"
  line="${line#"${line%%[![:space:]]*}"}"
  line="${line#export }"
  if [[ "${line}" =~ ^([A-Za-z_][A-Za-z0-9_]*)= ]]; then
    printf '%s' "${BASH_REMATCH[1]}"
  fi
}

# Succeeds when $1 is one of the remaining arguments.
contains() {
  local needle="$1"
  shift
  local item
  for item in "$@"; do
    if [[ "${item}" == "${needle}" ]]; then
      return 0
    fi
  done
  return 1
}

# Lists, one per line, the keys this run writes; dies (exit 2) on a missing or invalid value.
keys_to_write() {
  local key
  for key in "${REQUIRED_KEYS[@]}"; do
    if [[ -z "${!key:-}" ]]; then
      die "${key} is not set (expected in the environment, e.g. from Jenkins withCredentials)"
    fi
  done
  for key in "${REQUIRED_KEYS[@]}" "${OPTIONAL_KEYS[@]}"; do
    if [[ -z "${!key:-}" ]]; then
      continue
    fi
    if [[ "${!key}" == *$'\n'* || "${!key}" == *$'\r'* ]]; then
      die "${key} contains a line break; an env file holds one value per line"
    fi
    if [[ "${!key}" == *"'"* || "${!key}" == *"\\"* ]]; then
      die "${key} contains a single quote or a backslash, which an env file cannot hold literally"
    fi
    printf '%s\n' "${key}"
  done
  if ((${#JWT_SECRET} < JWT_SECRET_MIN_BYTES)); then
    die "JWT_SECRET is shorter than ${JWT_SECRET_MIN_BYTES} bytes"
  fi
}

main() {
  export DIE_EXIT_CODE=2
  if [[ $# -ne 1 || "$1" == -* ]]; then
    usage
    exit 2
  fi
  config_load "$1" || exit 2

  local keys_output
  keys_output="$(keys_to_write)"
  local keys=()
  mapfile -t keys <<<"${keys_output}"

  local target="${APP_ENV_FILE}"
  umask 077
  mkdir -p "$(dirname "${target}")"
  trap cleanup EXIT
  TMP_FILE="$(mktemp "$(dirname "${target}")/.$(basename "${target}").XXXXXX")"
  local tmp="${TMP_FILE}"

  if [[ -f "${target}" ]]; then
    local line
    local key
    while IFS= read -r line || [[ -n "${line}" ]]; do
      key="$(line_key "${line}")"
      if [[ -n "${key}" ]] && contains "${key}" "${keys[@]}"; then
        continue
      fi
      printf '%s\n' "${line}" >>"${tmp}"
    done <"${target}"
    # Keep the owner/group operators gave the file (only possible as root; harmless otherwise).
    chown --reference="${target}" "${tmp}" 2>/dev/null || true
  fi
  for key in "${keys[@]}"; do
    printf "%s='%s'\n" "${key}" "${!key}" >>"${tmp}"
  done
  chmod 600 "${tmp}"
  mv -f "${tmp}" "${target}"
  TMP_FILE=""
  log "wrote ${target} (${keys[*]})"
}

main "$@"
