#!/usr/bin/env bash
# Restores a snapshot of one environment's data stores and checks the restored counts against the
# snapshot's manifest (README "Backups").
#
# Usage: scripts/restore.sh [--project NAME] [--keep] <env> [<snapshot>|latest]
#        scripts/restore.sh --in-place <env> [<snapshot>|latest]
#        scripts/restore.sh --drill [--keep] <env> [<snapshot>|latest]
#        scripts/restore.sh --list <env>
#   (default)    into a fresh data-store project (NAME, default switchyard-<env>-restore-<UTC time>) on its
#                own docker network of the same name and free loopback ports; the live stores stay as
#                they are. Passwords: MYSQL_ROOT_PASSWORD, MYSQL_PASSWORD, REDIS_PASSWORD from the caller,
#                else the live containers'. It prints how to move the app onto the restored stores.
#   --in-place   over the env's own stores (BACKUP_DATA_PROJECT, containers up), only while no app color
#                runs (stop them first); each store is emptied and reloaded.
#   --drill      into a scratch project, check the counts, remove it (--keep: leave it for a look).
#   --list       the env's snapshots.
# A restore (not a drill) holds the env's deploy lock ("restore ... (scripts/restore.sh)"): a deploy
# waits for it or fails naming it. Every mode holds the backup lock (no backup runs meanwhile).
#
# Exit codes:
#   0  restored; every count matches the manifest (drill: and the scratch project is removed)
#   1  the restore failed or a count differs (printed: store, object, manifest, restored)
#   2  usage or configuration error; --in-place while the app runs; the project exists already
#   3  a deploy, backup or restore of this env holds a lock (waited LOCK_WAIT_S / BACKUP_LOCK_WAIT_S)
#   5  repository error (wrong password, unreachable) or no such snapshot
set -euo pipefail

SCRIPT_NAME="restore"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"
# shellcheck source=scripts/lib/compose.sh
source "${SCRIPT_DIR}/lib/compose.sh"
# shellcheck source=scripts/lib/images.sh
source "${SCRIPT_DIR}/lib/images.sh"
# shellcheck source=scripts/lib/lock.sh
source "${SCRIPT_DIR}/lib/lock.sh"
# shellcheck source=scripts/lib/backup-config.sh
source "${SCRIPT_DIR}/lib/backup-config.sh"
# shellcheck source=scripts/lib/backup-lock.sh
source "${SCRIPT_DIR}/lib/backup-lock.sh"
# shellcheck source=scripts/lib/backup-containers.sh
source "${SCRIPT_DIR}/lib/backup-containers.sh"
# shellcheck source=scripts/lib/backup-restic.sh
source "${SCRIPT_DIR}/lib/backup-restic.sh"
# shellcheck source=scripts/lib/backup-manifest.sh
source "${SCRIPT_DIR}/lib/backup-manifest.sh"
# shellcheck source=scripts/lib/backup-events.sh
source "${SCRIPT_DIR}/lib/backup-events.sh"
# shellcheck source=scripts/lib/backup-mysql.sh
source "${SCRIPT_DIR}/lib/backup-mysql.sh"
# shellcheck source=scripts/lib/backup-redis.sh
source "${SCRIPT_DIR}/lib/backup-redis.sh"
# shellcheck source=scripts/lib/backup-mongo.sh
source "${SCRIPT_DIR}/lib/backup-mongo.sh"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

ENV_NAME=""
MODE=restore # restore | in-place | drill
PROJECT=""
KEEP=0
SNAPSHOT=""
WORK=""
CREATED_PROJECT=0
DEPLOY_LOCK_TAKEN=0
STARTED_MS=0
DATASTORES_FILE=""

now_ms() {
  date +%s%3N
}

# The compose project this run created goes again unless the caller wants it (a drill's always goes
# unless --keep; a fresh restore's only when it failed).
cleanup() {
  local rc=$?
  set +e
  if ((CREATED_PROJECT)) && { [[ "${MODE}" == drill && "${KEEP}" == 0 ]] || { ((rc != 0)) && [[ "${KEEP}" == 0 ]]; }; }; then
    log "removing project ${PROJECT} and its volumes"
    project_compose down -v --remove-orphans >/dev/null 2>&1
  fi
  [[ -z "${WORK}" ]] || rm -rf "${WORK}"
  # The kernel frees the locks with us; clearing the holders keeps status from naming a finished restore.
  [[ -z "${BACKUP_LOCK_FD}" ]] || backup_lock_release "${BACKUP_LOCK_FILE}"
  ((!DEPLOY_LOCK_TAKEN)) || lock_release "${LOCK_FILE}"
  exit "${rc}"
}

# finish <action> <exit-code> <message>: the event, then exit.
finish() {
  local action="$1"
  local code="$2"
  local message="$3"
  if ((code != 0)); then
    err "${message}"
  else
    log "${message}"
  fi
  emit_backup_event "${action}" env="${ENV_NAME}" kind="${MODE}" snapshot="${SNAPSHOT}" project="${PROJECT}" \
    host="${BACKUP_HOST}" repository="$(backup_repository_label)" message="${message}" exit_code="${code}" \
    duration_ms="$(($(now_ms) - STARTED_MS))"
  exit "${code}"
}

fail() {
  local code="$1"
  local message="$2"
  if [[ "${MODE}" == drill ]]; then
    finish drill_failed "${code}" "drill of ${SNAPSHOT:0:8} failed: ${message}"
  fi
  finish restore_failed "${code}" "restore of ${SNAPSHOT:0:8} into ${PROJECT:-?} failed: ${message}"
}

# Compose for the target project, with the settings restore_settings exported for a new one.
project_compose() {
  COMPOSE_PROJECT_NAME="${PROJECT}" compose -p "${PROJECT}" -f "${DATASTORES_FILE}" "$@"
}

random_secret() {
  od -An -N12 -tx1 /dev/urandom | tr -d ' \n'
}

# live_setting <service> <NAME>: the live container's value of NAME (empty when there is none).
live_setting() {
  local id
  id="$(store_container "${BACKUP_DATA_PROJECT}" "$1")" || return 0
  container_env "${id}" "$2"
}

# restore_settings: what docker-compose.datastores.yml needs to create the new project.
restore_settings() {
  export SWITCHYARD_DATA_NETWORK="${PROJECT}"
  MYSQL_HOST_PORT="$(free_port)"
  REDIS_HOST_PORT="$(free_port)"
  MONGO_HOST_PORT="$(free_port)"
  export MYSQL_HOST_PORT REDIS_HOST_PORT MONGO_HOST_PORT
  local name
  local service
  for name in MYSQL_ROOT_PASSWORD MYSQL_PASSWORD MYSQL_DATABASE MYSQL_USER REDIS_PASSWORD; do
    [[ -z "${!name:-}" ]] || continue
    service=mysql
    [[ "${name}" != REDIS_PASSWORD ]] || service=redis
    if [[ "${MODE}" == drill && "${name}" == *PASSWORD* ]]; then
      # A scratch project: its own passwords, never the live ones.
      printf -v "${name}" '%s' "drill-$(random_secret)"
    else
      printf -v "${name}" '%s' "$(live_setting "${service}" "${name}")"
    fi
    export "${name?}"
  done
  MYSQL_DATABASE="$(jq -r '.stores.mysql.database // empty' "${WORK}/manifest.json")"
  export MYSQL_DATABASE="${MYSQL_DATABASE:-switchyard}"
  if [[ " $(manifest_stores "${WORK}/manifest.json" | paste -sd ' ') " == *" mysql "* ]] &&
    [[ -z "${MYSQL_ROOT_PASSWORD}" || -z "${MYSQL_PASSWORD}" ]]; then
    DIE_EXIT_CODE=2 die "no live MySQL to copy the passwords from: set MYSQL_ROOT_PASSWORD and MYSQL_PASSWORD (the app's, from ${APP_ENV_FILE})"
  fi
}

# create_project <service...>: a new data-store project with these services, healthy.
create_project() {
  local service
  for service in "$@"; do
    if store_container "${PROJECT}" "${service}" >/dev/null; then
      DIE_EXIT_CODE=2 die "project ${PROJECT} exists already (service ${service}): pick another --project or remove it"
    fi
  done
  restore_settings
  log "creating project ${PROJECT} (network ${SWITCHYARD_DATA_NETWORK}; loopback ports mysql ${MYSQL_HOST_PORT}, redis ${REDIS_HOST_PORT}, mongo ${MONGO_HOST_PORT})"
  CREATED_PROJECT=1
  project_compose up -d "$@" >&2 || fail 1 "could not start the project's containers"
  local id
  for service in "$@"; do
    id="$(store_container "${PROJECT}" "${service}")" || fail 1 "${service}: no container in ${PROJECT}"
    retry_until "${BACKUP_RESTORE_READY_S}" 1 container_healthy "${id}" ||
      fail 1 "${service}: not healthy within ${BACKUP_RESTORE_READY_S}s (docker logs ${id:0:12})"
  done
}

# app_running: the ids of running app containers of this env (either color).
app_running() {
  local project
  for project in "${COMPOSE_PROJECT_BLUE}" "${COMPOSE_PROJECT_GREEN}"; do
    docker ps -q --filter "label=com.docker.compose.project=${project}"
  done
}

# restore_store <store>: loads the snapshot's file of that store into the target project.
restore_store() {
  local store="$1"
  local id
  id="$(running_store_container "${PROJECT}" "${store}")" || fail 1 "${store}: no running container in ${PROJECT}"
  local file
  file="$(jq -r --arg s "${store}" '.stores[$s].file' "${WORK}/manifest.json")"
  local started=${SECONDS}
  case "${store}" in
    mysql)
      mysql_wait_ready "${id}" "${BACKUP_RESTORE_READY_S}" || fail 1 "mysql: the server does not answer"
      restic_dump_file "${SNAPSHOT}" "${file}" | mysql_restore "${id}" "$(jq -r '.stores.mysql.database' "${WORK}/manifest.json")" ||
        fail 1 "mysql: the dump did not load"
      ;;
    redis)
      restic_dump_file "${SNAPSHOT}" "${file}" | redis_restore "${id}" "${BACKUP_RESTORE_READY_S}" ||
        fail 1 "redis: the RDB did not load"
      ;;
    mongo)
      mongo_wait_ready "${id}" "${BACKUP_RESTORE_READY_S}" || fail 1 "mongo: the server does not answer"
      restic_dump_file "${SNAPSHOT}" "${file}" | mongo_restore "${id}" || fail 1 "mongo: the archive did not load"
      ;;
  esac
  log "${store}: restored $(jq -r --arg s "${store}" '.stores[$s].bytes' "${WORK}/manifest.json") bytes in $((SECONDS - started))s"
}

# restored_counts <store...>: the counts of the target project, shaped like the manifest's.
restored_counts() {
  local out="{}"
  local store
  local id
  local part
  for store in "$@"; do
    id="$(running_store_container "${PROJECT}" "${store}")" || fail 1 "${store}: not running after the restore"
    case "${store}" in
      mysql)
        local db
        local tables=()
        db="$(jq -r '.stores.mysql.database' "${WORK}/manifest.json")"
        mapfile -t tables < <(jq -r '.stores.mysql.tables | keys[]' "${WORK}/manifest.json")
        part="$(jq -c -n --argjson t "$(mysql_live_counts "${id}" "${db}" "${tables[@]}")" '{mysql: {tables: $t}}')"
        ;;
      redis) part="$(jq -c -n --argjson k "$(redis_keys "${id}")" '{redis: {keys: $k}}')" ;;
      mongo)
        part="$(mongo_live_counts "${id}" "$(jq -r '.stores.mongo.database' "${WORK}/manifest.json")")" ||
          fail 1 "mongo: cannot count the restored documents"
        part="$(jq -c '{mongo: {collections: .}}' <<<"${part}")"
        ;;
    esac
    out="$(jq -c --argjson p "${part}" '. + $p' <<<"${out}")"
  done
  echo "${out}"
}

take_locks() {
  local rc=0
  backup_lock_acquire "${BACKUP_LOCK_FILE}" "${BACKUP_LOCK_WAIT_S}" \
    "${MODE} of snapshot ${SNAPSHOT:0:8} (scripts/restore.sh)" || rc=$?
  ((rc == 0)) || fail 3 "the backup lock is held: $(lock_holder "${BACKUP_LOCK_FILE}")"
  [[ "${MODE}" != drill ]] || return 0
  lock_acquire "${LOCK_FILE}" "${LOCK_WAIT_S}" \
    "restore of snapshot ${SNAPSHOT:0:8} into ${PROJECT} (scripts/restore.sh)" || rc=$?
  ((rc == 0)) || fail 3 "the deploy lock is held: $(lock_holder "${LOCK_FILE}")"
  DEPLOY_LOCK_TAKEN=1
}

list_snapshots() {
  restic_cmd snapshots --tag "env=${ENV_NAME}" || exit 5
}

parse_args() {
  while (($# > 0)); do
    case "$1" in
      --in-place) MODE=in-place ;;
      --drill) MODE=drill ;;
      --list) MODE=list ;;
      --keep) KEEP=1 ;;
      --project)
        [[ $# -ge 2 && "$2" =~ ^[a-z0-9][a-z0-9_-]{0,62}$ ]] ||
          DIE_EXIT_CODE=2 die "--project needs a compose project name (lower case letters, digits, - and _)"
        PROJECT="$2"
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      -*)
        usage >&2
        DIE_EXIT_CODE=2 die "unknown option: $1"
        ;;
      *) break ;;
    esac
    shift
  done
  if (($# < 1 || $# > 2)) || { [[ "${MODE}" == list ]] && (($# != 1)); }; then
    usage >&2
    DIE_EXIT_CODE=2 die "expected <env> [<snapshot>|latest]"
  fi
  if [[ "${MODE}" == in-place && -n "${PROJECT}" ]]; then
    DIE_EXIT_CODE=2 die "--in-place restores into BACKUP_DATA_PROJECT; --project is for a fresh project"
  fi
  ENV_NAME="$1"
  SNAPSHOT="${2:-latest}"
}

main() {
  parse_args "$@"
  STARTED_MS="$(now_ms)"
  config_load "${ENV_NAME}" || exit 2
  backup_config_check || exit 2
  require_cmd restic jq docker
  backup_require_repository || exit 2
  if [[ "${MODE}" == list ]]; then
    list_snapshots
    return 0
  fi
  DATASTORES_FILE="${SWITCHYARD_ROOT}/docker-compose.datastores.yml"
  WORK="$(mktemp -d)"
  RESTIC_ERROR_FILE="${WORK}/restic-error"
  trap cleanup EXIT
  local wanted="${SNAPSHOT}"
  SNAPSHOT="$(restic_resolve "${ENV_NAME}" "${wanted}")" || {
    SNAPSHOT="${wanted}"
    fail 5 "$(restic_error)"
  }
  restic_dump_file "${SNAPSHOT}" manifest.json >"${WORK}/manifest.json" || fail 5 "$(restic_error)"
  manifest_check "${WORK}/manifest.json" || fail 1 "snapshot ${SNAPSHOT:0:8} has no usable manifest"
  local stores=()
  mapfile -t stores < <(manifest_stores "${WORK}/manifest.json")
  log "snapshot ${SNAPSHOT:0:8}: $(jq -r '"\(.kind) of \(.env), \(.created), stores: \(.stores | keys | join(" "))"' "${WORK}/manifest.json")"

  local stamp
  stamp="$(date -u +%Y%m%d%H%M%S)"
  case "${MODE}" in
    in-place) PROJECT="${BACKUP_DATA_PROJECT}" ;;
    drill) PROJECT="${PROJECT:-switchyard-${ENV_NAME}-drill-${stamp}}" ;;
    restore) PROJECT="${PROJECT:-switchyard-${ENV_NAME}-restore-${stamp}}" ;;
  esac
  take_locks
  if [[ "${MODE}" == in-place ]]; then
    local running
    running="$(app_running | paste -sd ' ')"
    if [[ -n "${running}" ]]; then
      fail 2 "--in-place while app containers run (${running}): stop both colors first (docker stop ${running})"
    fi
    local store
    for store in "${stores[@]}"; do
      running_store_container "${PROJECT}" "${store}" >/dev/null ||
        fail 2 "${store}: bring the data-store project up first (compose -p ${PROJECT} -f docker-compose.datastores.yml up -d)"
    done
  else
    create_project "${stores[@]}"
  fi

  local store
  for store in "${stores[@]}"; do
    restore_store "${store}"
  done
  restored_counts "${stores[@]}" >"${WORK}/restored.json"
  local ok=0
  manifest_compare "${WORK}/manifest.json" "${WORK}/restored.json" || ok=$?

  local what
  what="snapshot ${SNAPSHOT:0:8} ($(jq -r '.created' "${WORK}/manifest.json")) into ${PROJECT}"
  case "${MODE}:${ok}" in
    drill:0)
      if ((KEEP)); then
        finish drill_passed 0 "drill passed: ${what}; kept (remove: docker-compose -p ${PROJECT} -f docker-compose.datastores.yml down -v)"
      fi
      finish drill_passed 0 "drill passed: ${what}, every count matches; the scratch project is removed"
      ;;
    drill:*) fail 1 "counts differ from the manifest (above)" ;;
    *:0)
      if [[ "${MODE}" == restore ]]; then
        log "to serve from it: SWITCHYARD_DATA_NETWORK=${PROJECT} BACKUP_DATA_PROJECT=${PROJECT} scripts/deploy.sh ${ENV_NAME} <the live image> (then set both in scripts/env/${ENV_NAME}.env)"
      fi
      finish restored 0 "restored ${what}, every count matches"
      ;;
    *) fail 1 "counts differ from the manifest (above)" ;;
  esac
}

main "$@"
