# shellcheck shell=bash
# Backup settings and the host secrets they point to: validation, the optional KEY=VALUE host file
# (repository and S3 credentials), and the password file's mode. Sourced after common.sh and
# config.sh (config_load <env> has read scripts/env/common.env's BACKUP section).
#
# Every check returns 2 (configuration error) with a message naming the setting to fix.

# Names BACKUP_ENV_FILE may set: the repository and restic's backend credentials, nothing else.
readonly BACKUP_ENV_FILE_NAMES='^(BACKUP_REPOSITORY|RESTIC_[A-Z0-9_]+|AWS_[A-Z0-9_]+|B2_[A-Z0-9_]+|AZURE_[A-Z0-9_]+|GOOGLE_[A-Z0-9_]+|OS_[A-Z0-9_]+|ST_[A-Z0-9_]+)$'
readonly BACKUP_KNOWN_STORES="mysql redis mongo"

# secret_file_ok <path> <setting-name>: the file exists, is a regular file owned by us, and neither
# group nor others may read or write it (600 or 400).
secret_file_ok() {
  local path="$1"
  local setting="$2"
  local mode
  local owner
  if [[ ! -f "${path}" ]]; then
    err "${setting}: ${path} does not exist (create it: install -m 600 /dev/null ${path}, then write the secret)"
    return 2
  fi
  mode="$(stat -c '%a' "${path}")"
  owner="$(stat -c '%u' "${path}")"
  if [[ "${owner}" != "$(id -u)" ]]; then
    err "${setting}: ${path} belongs to uid ${owner}, not to $(id -un); refusing to use it"
    return 2
  fi
  if ((8#${mode} & 8#077)); then
    err "${setting}: ${path} has mode ${mode}; it holds a secret, so group and others must have no access (chmod 600 ${path})"
    return 2
  fi
}

# backup_load_env_file: reads BACKUP_ENV_FILE when it exists (KEY=VALUE lines, never executed as
# shell) and exports the names it may set. The caller's environment still wins.
backup_load_env_file() {
  local file="${BACKUP_ENV_FILE}"
  [[ -n "${file}" && -e "${file}" ]] || return 0
  secret_file_ok "${file}" BACKUP_ENV_FILE || return 2
  local line
  local key
  local value
  local n=0
  while IFS= read -r line || [[ -n "${line}" ]]; do
    n=$((n + 1))
    [[ "${line}" =~ ^[[:space:]]*(#|$) ]] && continue
    if [[ ! "${line}" =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]]; then
      err "BACKUP_ENV_FILE ${file}:${n}: not a KEY=VALUE line"
      return 2
    fi
    key="${BASH_REMATCH[1]}"
    value="${BASH_REMATCH[2]}"
    if [[ ! "${key}" =~ ${BACKUP_ENV_FILE_NAMES} ]]; then
      err "BACKUP_ENV_FILE ${file}:${n}: ${key} may not be set here (only BACKUP_REPOSITORY and restic backend credentials)"
      return 2
    fi
    # Surrounding quotes are the usual env-file habit: drop one pair.
    if [[ "${value}" =~ ^\"(.*)\"$ || "${value}" =~ ^\'(.*)\'$ ]]; then
      value="${BASH_REMATCH[1]}"
    fi
    # BACKUP_REPOSITORY from the file only fills an empty default; exported names only when unset.
    if [[ "${key}" == BACKUP_REPOSITORY ]]; then
      [[ -n "${BACKUP_REPOSITORY}" ]] || BACKUP_REPOSITORY="${value}"
    elif [[ -z "${!key:-}" ]]; then
      export "${key}=${value}"
    fi
  done <"${file}"
}

# backup_config_check: whole numbers, a known store list, a known before-deploy mode.
backup_config_check() {
  local name
  for name in BACKUP_LOCK_WAIT_S BACKUP_KEEP_HOURLY BACKUP_KEEP_DAILY BACKUP_KEEP_WEEKLY \
    BACKUP_KEEP_BEFORE_DEPLOY BACKUP_MAX_AGE_S BACKUP_RESTIC_PROCS BACKUP_REDIS_SAVE_TIMEOUT_S \
    BACKUP_RESTORE_READY_S BACKUP_IONICE_CLASS; do
    if [[ ! "${!name}" =~ ^[0-9]+$ ]]; then
      err "${name} must be a whole number, got '${!name}'"
      return 2
    fi
  done
  if [[ ! "${BACKUP_NICE}" =~ ^-?[0-9]+$ ]] || ((BACKUP_NICE < -20 || BACKUP_NICE > 19)); then
    err "BACKUP_NICE must be a nice level from -20 to 19, got '${BACKUP_NICE}'"
    return 2
  fi
  if ((BACKUP_IONICE_CLASS > 3 || BACKUP_RESTIC_PROCS < 1)); then
    err "BACKUP_IONICE_CLASS must be 0-3 and BACKUP_RESTIC_PROCS at least 1"
    return 2
  fi
  if ((BACKUP_KEEP_HOURLY + BACKUP_KEEP_DAILY + BACKUP_KEEP_WEEKLY == 0)); then
    err "BACKUP_KEEP_HOURLY, BACKUP_KEEP_DAILY and BACKUP_KEEP_WEEKLY are all 0: retention would delete every snapshot"
    return 2
  fi
  local store
  for store in ${BACKUP_STORES}; do
    if [[ " ${BACKUP_KNOWN_STORES} " != *" ${store} "* ]]; then
      err "BACKUP_STORES: unknown store '${store}' (known: ${BACKUP_KNOWN_STORES})"
      return 2
    fi
  done
  case "${BACKUP_BEFORE_DEPLOY}" in
    auto | always | never) ;;
    *)
      err "BACKUP_BEFORE_DEPLOY must be auto, always or never, got '${BACKUP_BEFORE_DEPLOY}'"
      return 2
      ;;
  esac
}

# backup_require_repository: a repository is configured and its password file is safe to use.
backup_require_repository() {
  backup_load_env_file || return 2
  if [[ -z "${BACKUP_REPOSITORY}" ]]; then
    err "no backup repository configured: set BACKUP_REPOSITORY (in ${BACKUP_ENV_FILE}), e.g. /srv/backup/switchyard, sftp:backup@host:/srv/switchyard or s3:https://host/bucket/switchyard"
    return 2
  fi
  secret_file_ok "${BACKUP_PASSWORD_FILE}" BACKUP_PASSWORD_FILE || return 2
  if [[ ! -s "${BACKUP_PASSWORD_FILE}" ]]; then
    err "BACKUP_PASSWORD_FILE: ${BACKUP_PASSWORD_FILE} is empty"
    return 2
  fi
}

# backup_repository_label: the repository for messages and events, without any user:password@.
backup_repository_label() {
  sed -E 's#(://)[^/@]*@#\1#' <<<"${BACKUP_REPOSITORY}"
}
