#!/usr/bin/env bash
# Backs up one environment's data stores into the restic repository (README "Backups").
#
# Usage: scripts/backup.sh <env>                          one snapshot of BACKUP_STORES, then retention
#        scripts/backup.sh --init <env>                   create the repository (once)
#        scripts/backup.sh --before-deploy <env> <image>  pre-migration snapshot of MySQL, when needed
#        scripts/backup.sh --check-age <env>              is the newest scheduled snapshot recent enough?
#
#   <env>            MySQL/MariaDB: mysqldump --single-transaction; Redis: the RDB of a finished BGSAVE;
#                    MongoDB: mongodump --archive; each inside its container of BACKUP_DATA_PROJECT,
#                    at nice BACKUP_NICE / I/O class BACKUP_IONICE_CLASS. One snapshot (tags env=<env>,
#                    kind=scheduled) with a manifest of counts, then restic forget --keep-hourly/daily/weekly.
#   --before-deploy  with BACKUP_BEFORE_DEPLOY=auto, only when <image> carries Flyway migrations the
#                    database has not applied (always / never: as named); tags kind=before-deploy, image=<image>.
#                    Waits up to BACKUP_LOCK_WAIT_S for a running backup. The deploy hook calls this.
#   --check-age      event "stale" (an alert) when the newest scheduled snapshot is older than BACKUP_MAX_AGE_S.
# Never takes the deploy lock. Each run appends a JSON event (BACKUP_EVENTS_FILE, Logstash when set).
#
# Exit codes:
#   0  snapshot written (or none needed) / --check-age: recent enough
#   2  usage or configuration error (no repository, password file missing or readable by others)
#   3  another backup, restore or drill of this env holds the backup lock (named)
#   4  a data store could not be dumped (container down, dump failed): no snapshot written
#   5  repository error (wrong password, disk full, unreachable, retention failed): no snapshot reported good
#   6  --check-age: no scheduled snapshot, or the newest is too old
set -euo pipefail

SCRIPT_NAME="backup"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"
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
# shellcheck source=scripts/lib/backup-migrations.sh
source "${SCRIPT_DIR}/lib/backup-migrations.sh"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

ENV_NAME=""
KIND=scheduled
IMAGE=""
STARTED_MS=0
STAGE=""

now_ms() {
  date +%s%3N
}

# finish_failed <exit-code> <message>: the failure event, then exit. Nothing was reported good.
finish_failed() {
  local code="$1"
  local message="$2"
  err "${message}"
  emit_backup_event failed env="${ENV_NAME}" kind="${KIND}" image="${IMAGE}" stores="${BACKUP_STORES}" \
    host="${BACKUP_HOST}" repository="$(backup_repository_label)" message="${message}" exit_code="${code}" \
    duration_ms="$(($(now_ms) - STARTED_MS))"
  exit "${code}"
}

cleanup() {
  rm -f "${RESTIC_ERROR_FILE}"
  [[ -z "${BACKUP_LOCK_FD}" ]] || backup_lock_release "${BACKUP_LOCK_FILE}"
  if [[ -n "${STAGE}" && -d "${STAGE}" ]]; then
    rm -rf "${STAGE}"
  fi
}

# dump_store <store> <stage-dir>: dumps one store; prints its manifest entry.
dump_store() {
  local store="$1"
  local dir="$2"
  local id
  id="$(running_store_container "${BACKUP_DATA_PROJECT}" "${store}")" || return 1
  local image
  image="$(container_image "${id}")"
  local started=${SECONDS}
  local entry
  case "${store}" in
    mysql)
      local db
      db="$(mysql_database "${id}")"
      mysql_dump "${id}" "${dir}/mysql.sql" || return 1
      entry="$(manifest_file_entry "${dir}/mysql.sql" "$(jq -c -n --arg db "${db}" --arg i "${image}" \
        --argjson t "$(mysql_dump_counts "${dir}/mysql.sql")" '{database: $db, image: $i, tables: $t}')")"
      ;;
    redis)
      redis_dump "${id}" "${dir}/redis.rdb" || return 1
      local counts
      counts="$(redis_rdb_counts "${dir}/redis.rdb" "${image}")" || return 1
      entry="$(manifest_file_entry "${dir}/redis.rdb" "$(jq -c --arg i "${image}" '. + {image: $i}' <<<"${counts}")")"
      ;;
    mongo)
      mongo_dump "${id}" "${BACKUP_MONGO_DATABASE}" "${dir}/mongo.archive" || return 1
      entry="$(manifest_file_entry "${dir}/mongo.archive" "$(jq -c -n --arg db "${BACKUP_MONGO_DATABASE}" \
        --arg i "${image}" --argjson c "$(mongo_dump_counts "${dir}/mongo.archive.log")" \
        '{database: $db, image: $i, collections: $c}')")"
      rm -f "${dir}/mongo.archive.log"
      ;;
  esac
  log "${store}: dumped $(jq -r '.bytes' <<<"${entry}") bytes in $((SECONDS - started))s"
  echo "${entry}"
}

# run_backup <kind> <lock-wait-s> <store...>: dumps, one snapshot, read-back check, retention.
run_backup() {
  local kind="$1"
  local wait_s="$2"
  shift 2
  local stores=("$@")
  KIND="${kind}"
  BACKUP_STORES="${stores[*]}"
  local rc=0
  backup_lock_acquire "${BACKUP_LOCK_FILE}" "${wait_s}" "backup ${kind} of ${ENV_NAME} (scripts/backup.sh)" || rc=$?
  if ((rc != 0)); then
    finish_failed 3 "another backup, restore or drill of ${ENV_NAME} is running: $(lock_holder "${BACKUP_LOCK_FILE}")"
  fi
  # Before spending minutes on dumps: the repository opens with this password.
  restic_try cat config >/dev/null || finish_failed 5 "repository: $(restic_error)"

  # A fixed path per kind: restic groups retention by host and path.
  install -d -m 700 "${BACKUP_STAGING_DIR}"
  STAGE="${BACKUP_STAGING_DIR}/${kind}"
  rm -rf "${STAGE}"
  install -d -m 700 "${STAGE}"

  local store
  local entry
  local entries="{}"
  for store in "${stores[@]}"; do
    entry="$(dump_store "${store}" "${STAGE}")" || finish_failed 4 "${store}: could not be dumped; no snapshot written"
    entries="$(jq -c --arg s "${store}" --argjson e "${entry}" '. + {($s): $e}' <<<"${entries}")"
  done
  manifest_build "${ENV_NAME}" "${kind}" "${IMAGE}" "${entries}" >"${STAGE}/manifest.json"

  local tags=("env=${ENV_NAME}" "kind=${kind}")
  if [[ -n "${IMAGE}" ]]; then
    tags+=("image=${IMAGE//,/_}")
  fi
  local result
  result="$(restic_backup_dir "${STAGE}" "" "${tags[@]}")" ||
    finish_failed 5 "repository: $(restic_error)"
  local summary="${result#*$'\t'}"
  local snapshot
  snapshot="$(restic_full_id "${result%%$'\t'*}")" || finish_failed 5 "the new snapshot is not listed: $(restic_error)"
  # Read the manifest back from the new snapshot: it exists and is readable with this password.
  if ! restic_dump_file "${snapshot}" manifest.json | cmp -s - "${STAGE}/manifest.json"; then
    finish_failed 5 "snapshot ${snapshot:0:8} does not read back its manifest: not reported good"
  fi
  local bytes
  bytes="$(jq -r '.total_bytes_processed // 0' <<<"${summary}")"
  local added
  added="$(jq -r '.data_added // 0' <<<"${summary}")"
  if ! restic_forget "${ENV_NAME}" "${kind}"; then
    finish_failed 5 "snapshot ${snapshot:0:8} written, but retention failed: $(restic_error)"
  fi
  local duration_ms=$(($(now_ms) - STARTED_MS))
  log "snapshot ${snapshot:0:8} of ${ENV_NAME} (${kind}): ${bytes} bytes dumped, ${added} added to the repository, $((duration_ms / 1000))s"
  emit_backup_event succeeded env="${ENV_NAME}" kind="${kind}" snapshot="${snapshot}" stores="${stores[*]}" \
    image="${IMAGE}" host="${BACKUP_HOST}" repository="$(backup_repository_label)" bytes="${bytes}" \
    added_bytes="${added}" duration_ms="${duration_ms}" exit_code=0 \
    message="$(jq -r '[.stores | to_entries[] | "\(.key) \(.value.bytes) B"] | join(", ")' "${STAGE}/manifest.json")"
  printf '%s\n' "${snapshot}"
  backup_lock_release "${BACKUP_LOCK_FILE}"
}

# before_deploy <image>: a MySQL snapshot when the image brings migrations (see the header).
before_deploy() {
  local image="$1"
  IMAGE="${image}"
  KIND="before-deploy"
  local skip=""
  if [[ "${BACKUP_BEFORE_DEPLOY}" == never ]]; then
    skip="BACKUP_BEFORE_DEPLOY=never"
  elif [[ " ${BACKUP_STORES} " != *" mysql "* ]]; then
    skip="this env does not run its own MySQL (BACKUP_STORES=${BACKUP_STORES}); snapshot a managed database (RDS) with its own tools"
  fi
  if [[ -z "${skip}" && "${BACKUP_BEFORE_DEPLOY}" == auto ]]; then
    local id
    id="$(running_store_container "${BACKUP_DATA_PROJECT}" mysql)" || finish_failed 4 "mysql: cannot check the applied migrations"
    local db
    db="$(mysql_database "${id}")"
    local in_image
    local applied
    local pending=""
    applied="$(applied_migrations "${id}" "${db}")" || finish_failed 4 "mysql: cannot read flyway_schema_history of ${db}"
    if in_image="$(image_jar_entries "${image}" "${BACKUP_APP_JAR}")"; then
      in_image="$(migration_versions_in_jar_listing <<<"${in_image}")"
      pending="$(pending_migrations <(printf '%s\n' "${in_image}") <(printf '%s\n' "${applied}") | paste -sd ' ')"
      if [[ -z "${pending}" ]]; then
        skip="${image} brings no migration ${db} lacks ($(wc -w <<<"${in_image}") in the image, all applied)"
      else
        log "${image} brings migrations ${db} has not applied: ${pending}"
      fi
    else
      log "cannot list the migrations of ${image}: taking the snapshot to be safe"
    fi
  fi
  if [[ -n "${skip}" ]]; then
    log "no pre-migration snapshot: ${skip}"
    emit_backup_event skipped env="${ENV_NAME}" kind=before-deploy image="${image}" host="${BACKUP_HOST}" \
      message="${skip}" exit_code=0
    return 0
  fi
  run_backup before-deploy "${BACKUP_LOCK_WAIT_S}" mysql
}

# check_age: the newest scheduled snapshot against BACKUP_MAX_AGE_S (no repository lock taken).
check_age() {
  KIND=scheduled
  local list
  if ! list="$(restic_try snapshots --no-lock --json --tag "env=${ENV_NAME},kind=scheduled")"; then
    finish_failed 5 "repository: $(restic_error)"
  fi
  local newest
  newest="$(jq -r 'map(.time) | sort | last // empty' <<<"${list}")"
  local message
  if [[ -z "${newest}" ]]; then
    message="no scheduled snapshot of ${ENV_NAME} in $(backup_repository_label)"
    err "${message}"
    emit_backup_event stale env="${ENV_NAME}" kind=scheduled host="${BACKUP_HOST}" message="${message}" exit_code=6
    exit 6
  fi
  local age_s=$(($(date +%s) - $(date -d "${newest}" +%s)))
  if ((age_s > BACKUP_MAX_AGE_S)); then
    message="the newest scheduled snapshot of ${ENV_NAME} is ${age_s}s old (BACKUP_MAX_AGE_S=${BACKUP_MAX_AGE_S})"
    err "${message}"
    emit_backup_event stale env="${ENV_NAME}" kind=scheduled host="${BACKUP_HOST}" message="${message}" \
      age_s="${age_s}" exit_code=6
    exit 6
  fi
  log "newest scheduled snapshot of ${ENV_NAME}: ${newest} (${age_s}s old, at most ${BACKUP_MAX_AGE_S}s)"
  emit_backup_event fresh env="${ENV_NAME}" kind=scheduled host="${BACKUP_HOST}" age_s="${age_s}" exit_code=0
}

main() {
  local mode=backup
  while (($# > 0)); do
    case "$1" in
      --init) mode=init ;;
      --before-deploy) mode="before-deploy" ;;
      --check-age) mode=check-age ;;
      -h | --help)
        usage
        return 0
        ;;
      -*)
        usage >&2
        DIE_EXIT_CODE=2 die "unknown option: $1"
        ;;
      *) break ;;
    esac
    shift
  done
  local want=1
  [[ "${mode}" != before-deploy ]] || want=2
  if (($# != want)); then
    usage >&2
    DIE_EXIT_CODE=2 die "expected ${want} argument(s) after the options, got $#"
  fi
  ENV_NAME="$1"
  STARTED_MS="$(now_ms)"
  RESTIC_ERROR_FILE="$(mktemp)"
  trap cleanup EXIT
  config_load "${ENV_NAME}" || exit 2
  backup_config_check || exit 2
  require_cmd restic jq docker
  backup_require_repository || exit 2
  case "${mode}" in
    init) restic_init || exit 5 ;;
    backup)
      local stores=()
      read -r -a stores <<<"${BACKUP_STORES}"
      ((${#stores[@]} > 0)) || DIE_EXIT_CODE=2 die "BACKUP_STORES is empty: nothing to back up"
      run_backup scheduled 0 "${stores[@]}"
      ;;
    before-deploy) before_deploy "$2" ;;
    check-age) check_age ;;
  esac
}

main "$@"
