# shellcheck shell=bash
# The restic repository: every call runs at low priority on at most BACKUP_RESTIC_PROCS cores, with
# the repository and password file of the backup settings. Errors are turned into one clear line
# (wrong password, full disk, no repository). Sourced after common.sh, backup-config.sh and
# backup-containers.sh.
#
# Snapshots carry the tags env=<env> and kind=<scheduled|before-deploy> (and image=<ref> for
# before-deploy). Each kind is backed up from its own staging path, so retention (grouped by host and
# path) keeps the kinds apart.

RESTIC_LAST_ERROR=""
# restic_try runs inside $(...) too: it also leaves its last error in this file, when set.
RESTIC_ERROR_FILE="${RESTIC_ERROR_FILE:-}"

# restic_cmd <args...>: restic with the backup settings; stderr passed through.
restic_cmd() {
  mkdir -p "${BACKUP_CACHE_DIR}"
  # The password comes from the file only, never from a variable the caller happens to have.
  low_priority env -u RESTIC_PASSWORD -u RESTIC_PASSWORD_COMMAND GOMAXPROCS="${BACKUP_RESTIC_PROCS}" \
    RESTIC_REPOSITORY="${BACKUP_REPOSITORY}" RESTIC_PASSWORD_FILE="${BACKUP_PASSWORD_FILE}" \
    RESTIC_CACHE_DIR="${BACKUP_CACHE_DIR}" restic "$@"
}

# restic_explain <stderr-file>: one line saying what went wrong, for messages and events.
restic_explain() {
  local file="$1"
  if grep -q 'wrong password or no key found' "${file}"; then
    echo "wrong repository password (BACKUP_PASSWORD_FILE does not open $(backup_repository_label))"
  elif grep -qi 'no space left on device' "${file}"; then
    echo "the repository's disk is full ($(backup_repository_label)): no snapshot was written"
  elif grep -qE 'unable to open config file|Is there a repository at the following location' "${file}"; then
    echo "no restic repository at $(backup_repository_label) (create it once: scripts/backup.sh --init <env>)"
  elif grep -q 'repository is already locked' "${file}"; then
    echo "the repository is locked by another restic process: $(grep -m1 'locked' "${file}")"
  else
    grep -v '^\s*$' "${file}" | tail -n 2 | tr '\n' ' '
  fi
}

# restic_try <args...>: runs restic, stdout to stdout; on failure sets RESTIC_LAST_ERROR and logs it.
restic_try() {
  local errfile
  errfile="$(mktemp)"
  if restic_cmd "$@" 2>"${errfile}"; then
    rm -f "${errfile}"
    return 0
  fi
  RESTIC_LAST_ERROR="$(restic_explain "${errfile}")"
  if [[ -n "${RESTIC_ERROR_FILE}" ]]; then
    printf '%s\n' "${RESTIC_LAST_ERROR}" >"${RESTIC_ERROR_FILE}"
  fi
  err "restic $1: ${RESTIC_LAST_ERROR}"
  rm -f "${errfile}"
  return 1
}

# restic_error: the last error, also when restic_try ran in a command substitution.
restic_error() {
  if [[ -n "${RESTIC_ERROR_FILE}" && -s "${RESTIC_ERROR_FILE}" ]]; then
    cat "${RESTIC_ERROR_FILE}"
  else
    echo "${RESTIC_LAST_ERROR:-unknown restic error}"
  fi
}

restic_init() {
  if restic_cmd cat config >/dev/null 2>&1; then
    log "repository $(backup_repository_label) exists already"
    return 0
  fi
  restic_try init >&2
}

# restic_backup_dir <dir> <time|""> <tag...>: backs up the directory's contents (paths inside the
# snapshot start at /) and prints the new snapshot's short id and restic's summary JSON, tab-separated.
restic_backup_dir() {
  local dir="$1"
  local time="$2"
  shift 2
  local args=(backup --json --host "${BACKUP_HOST}")
  local tag
  for tag in "$@"; do
    args+=(--tag "${tag}")
  done
  if [[ -n "${time}" ]]; then
    args+=(--time "${time}")
  fi
  local out
  out="$(cd "${dir}" && restic_try "${args[@]}" .)" || return 1
  local summary
  summary="$(grep '"message_type":"summary"' <<<"${out}" | tail -n 1)"
  local short
  short="$(jq -r '.snapshot_id // empty' <<<"${summary}" 2>/dev/null)"
  if [[ -z "${short}" ]]; then
    RESTIC_LAST_ERROR="restic reported no snapshot id"
    [[ -z "${RESTIC_ERROR_FILE}" ]] || printf '%s\n' "${RESTIC_LAST_ERROR}" >"${RESTIC_ERROR_FILE}"
    err "restic backup: ${RESTIC_LAST_ERROR}"
    return 1
  fi
  printf '%s\t%s\n' "${short}" "${summary}"
}

# restic_full_id <snapshot>: the full id of a snapshot given by a short one.
restic_full_id() {
  restic_try snapshots --json "$1" | jq -er '.[0].id'
}

# restic_forget <env> <kind>: applies the retention of that kind and prunes what no snapshot needs.
restic_forget() {
  local env="$1"
  local kind="$2"
  local keep=()
  if [[ "${kind}" == scheduled ]]; then
    keep=(--keep-hourly "${BACKUP_KEEP_HOURLY}" --keep-daily "${BACKUP_KEEP_DAILY}" --keep-weekly "${BACKUP_KEEP_WEEKLY}")
  else
    keep=(--keep-last "${BACKUP_KEEP_BEFORE_DEPLOY}")
  fi
  restic_try forget --tag "env=${env},kind=${kind}" --group-by host,paths "${keep[@]}" --prune >&2
}

# restic_snapshots_json <env> [kind]: the env's snapshots (all kinds unless given), oldest first.
restic_snapshots_json() {
  local filter="env=$1"
  if [[ -n "${2:-}" ]]; then
    filter+=",kind=$2"
  fi
  restic_try snapshots --json --tag "${filter}"
}

# restic_resolve <env> <snapshot|latest>: the full id of that snapshot of this env.
restic_resolve() {
  local env="$1"
  local wanted="$2"
  local list
  list="$(restic_snapshots_json "${env}")" || return 5
  local id
  if [[ "${wanted}" == latest ]]; then
    id="$(jq -r 'sort_by(.time) | last | .id // empty' <<<"${list}")"
  else
    id="$(jq -r --arg w "${wanted}" '[.[] | select(.id | startswith($w))] | if length == 1 then .[0].id else empty end' <<<"${list}")"
  fi
  if [[ -z "${id}" ]]; then
    err "no snapshot '${wanted}' of env ${env} in $(backup_repository_label) (scripts/restore.sh --list ${env})"
    return 1
  fi
  echo "${id}"
}

# restic_dump_file <snapshot> <name>: one file of a snapshot to stdout.
restic_dump_file() {
  restic_try dump "$1" "/$2"
}
