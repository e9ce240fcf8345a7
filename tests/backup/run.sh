#!/usr/bin/env bash
# backup suite: scripts/backup.sh and scripts/restore.sh against real data stores and a real restic
# repository. One data-store project (docker-compose.datastores.yml: the offline MariaDB and Redis
# stand-ins, and for MongoDB the stand-in with stubs of mongodump/mongorestore/mongosh, since it has
# none: tests/backup/mongo-tools-stub), seeded with a data set of BACKUP_TEST_USERS users (default
# 2000) and BACKUP_TEST_BLOB_BYTES of random text (default 3 MB); a repository in a temp dir.
#   - backup: exit 0, one snapshot tagged env/kind, manifest counts = the seeded counts, JSON event
#   - a held backup lock (exit 3), a store that is down, a mongodump failing midway (exit 4), a wrong
#     password and a full repository disk (1 MiB tmpfs) (exit 5): a clear message, no new snapshot
#   - pre-migration snapshot only when the image brings a migration the database lacks
#   - destroy the volumes; restore into a fresh project (holding the deploy lock as "restore ..."),
#     content identical (and after a Redis restart: the AOF); --in-place refused while an app color
#     runs, then done; --drill passes and removes its project
#   - retention after a simulated series of 12 runs (faked times) keeps exactly what
#     retention_oracle.py computes; --check-age: stale -> webhook alert, fresh -> event to Logstash
#   - the systemd units as bootstrap-host.sh installs them pass systemd-analyze verify; schedules printed
# Cleans up every container, volume, network, mount and file it made, also on failure.
set -euo pipefail

SCRIPT_NAME="tests/backup"
SUITE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${SUITE_DIR}/../.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${ROOT}/scripts/lib/common.sh"
# shellcheck source=tests/lib/checks.sh
source "${ROOT}/tests/lib/checks.sh"
# shellcheck source=scripts/lib/compose.sh
source "${ROOT}/scripts/lib/compose.sh"
# shellcheck source=scripts/lib/images.sh
source "${ROOT}/scripts/lib/images.sh"

RUN_ID="sybk$$"
TMP=""
DATA_PROJECT="${RUN_ID}-data"
USERS="${BACKUP_TEST_USERS:-2000}"
BLOB_BYTES="${BACKUP_TEST_BLOB_BYTES:-3000000}"
SMALL_MOUNT=""
PIDS=()
OUT=""
RC=0
SNAP1=""
declare -A SEEDED=()

cleanup() {
  local rc=$?
  set +e
  local pid
  for pid in "${PIDS[@]}"; do
    kill "${pid}" 2>/dev/null
  done
  local project
  for project in $(docker ps -a --format '{{.Label "com.docker.compose.project"}}' | grep "^${RUN_ID}" | sort -u); do
    remove_all container rm -f < <(docker ps -aq --filter "label=com.docker.compose.project=${project}")
  done
  remove_all container rm -f < <(docker ps -aq --filter "label=dev.switchyard.test=${RUN_ID}")
  remove_all volume rm < <(docker volume ls -q | grep "^${RUN_ID}")
  remove_all network rm < <(docker network ls --format '{{.Name}}' | grep "^${RUN_ID}")
  docker rmi "${RUN_ID}-app:1" >/dev/null 2>&1
  if [[ -n "${SMALL_MOUNT}" ]]; then
    umount "${SMALL_MOUNT}"
  fi
  if [[ -n "${TMP}" ]] && ! grep -qF " ${TMP}/" /proc/mounts; then
    rm -rf "${TMP}"
  fi
  exit "${rc}"
}

# remove_all <docker object> <verb...>: removes the objects named on stdin, if any.
remove_all() {
  local names=()
  mapfile -t names
  ((${#names[@]} == 0)) || docker "$@" "${names[@]}" >/dev/null 2>&1
}

# --- environment -------------------------------------------------------------------------------
# The stub image is built FROM the mongo stand-in and labelled with a hash of both, like the offline images.
ensure_images() {
  local img
  for img in "${SWITCHYARD_MYSQL_IMAGE}" "${SWITCHYARD_REDIS_IMAGE}" "${SWITCHYARD_MONGO_IMAGE}"; do
    if ! image_present "${img}"; then
      log "image ${img} missing: building the offline images"
      "${ROOT}/scripts/offline-images.sh" >&2
      break
    fi
  done
  local base_id
  base_id="$(docker image inspect -f '{{.Id}}' "${SWITCHYARD_MONGO_IMAGE}")"
  local hash
  hash="$(content_hash "${base_id}" -- "${SUITE_DIR}/mongo-tools-stub")"
  MONGO_STUB_IMAGE="switchyard-test/mongo-tools-stub:${hash}"
  if ! image_has_hash "${MONGO_STUB_IMAGE}" "${hash}"; then
    log "building ${MONGO_STUB_IMAGE}"
    DOCKER_BUILDKIT=0 docker build -q --label "${SWITCHYARD_HASH_LABEL}=${hash}" \
      --build-arg "BASE_IMAGE=${SWITCHYARD_MONGO_IMAGE}" -t "${MONGO_STUB_IMAGE}" "${SUITE_DIR}/mongo-tools-stub" >/dev/null
  fi
}

# What backup.sh and restore.sh read: env dev, everything under TMP, our own compose projects.
export_settings() {
  export SWITCHYARD_STATE_DIR="${TMP}/state"
  export STATE_DIR="${TMP}/state/dev"
  export BACKUP_DATA_PROJECT="${DATA_PROJECT}"
  export BACKUP_REPOSITORY="${TMP}/repo"
  export BACKUP_PASSWORD_FILE="${TMP}/backup.password"
  export BACKUP_ENV_FILE="${TMP}/no-backup.env"
  export BACKUP_CACHE_DIR="${TMP}/restic-cache"
  export BACKUP_EVENTS_FILE="${TMP}/events.jsonl"
  export BACKUP_HOST="switchyard-test"
  export BACKUP_RESTORE_READY_S=120
  export COMPOSE_PROJECT_BLUE="${RUN_ID}-blue"
  export COMPOSE_PROJECT_GREEN="${RUN_ID}-green"
  export SWITCHYARD_MONGO_IMAGE="${MONGO_STUB_IMAGE}"
  export TZ=UTC
  unset LOGSTASH_HOST LOGSTASH_DEPLOY_PORT NOTIFY_WEBHOOK_URL BACKUP_NOTIFY_WEBHOOK_URL RESTIC_PASSWORD
  (umask 077 && printf 'correct horse battery staple\n' >"${BACKUP_PASSWORD_FILE}")
  export MYSQL_ROOT_PASSWORD="root-${RUN_ID}"
  export MYSQL_PASSWORD="app-${RUN_ID}"
}

datastores() {
  SWITCHYARD_DATA_NETWORK="${DATA_PROJECT}" MYSQL_HOST_PORT="${LIVE_MYSQL_PORT}" REDIS_HOST_PORT="${LIVE_REDIS_PORT}" \
    MONGO_HOST_PORT="${LIVE_MONGO_PORT}" COMPOSE_PROJECT_NAME="${DATA_PROJECT}" \
    compose -p "${DATA_PROJECT}" -f "${ROOT}/docker-compose.datastores.yml" "$@"
}

cid() {
  docker ps -aq --filter "label=com.docker.compose.project=$1" --filter "label=com.docker.compose.service=$2" | head -n 1
}

healthy() {
  [[ "$(docker inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null)" == healthy ]]
}

wait_healthy() {
  local project="$1"
  local svc
  for svc in mysql redis mongo; do
    retry_until 180 0.5 healthy "$(cid "${project}" "${svc}")" || die "${project} ${svc} not healthy"
  done
}

start_datastores() {
  LIVE_MYSQL_PORT="$(free_port)"
  LIVE_REDIS_PORT="$(free_port)"
  LIVE_MONGO_PORT="$(free_port)"
  datastores up -d >&2
  wait_healthy "${DATA_PROJECT}"
}

sql() {
  docker exec -i -e "MYSQL_PWD=${MYSQL_ROOT_PASSWORD}" "$(cid "$1" mysql)" mysql -uroot -N -B switchyard "${@:2}"
}

# shellcheck disable=SC2016 # Lua for Redis.
readonly REDIS_CONTENT_LUA='local ks = redis.call("KEYS", "*") table.sort(ks) local out = {}
for _, k in ipairs(ks) do
  local t = redis.call("TYPE", k).ok
  table.insert(out, k .. " " .. t)
  if t == "string" then table.insert(out, redis.call("GET", k))
  elseif t == "hash" then local h = redis.call("HGETALL", k) for _, v in ipairs(h) do table.insert(out, v) end
  elseif t == "list" then for _, v in ipairs(redis.call("LRANGE", k, 0, -1)) do table.insert(out, v) end end
end
return out'

seed() {
  log "seeding ${USERS} users, $((USERS / 10)) rooms, ${BLOB_BYTES} bytes of blobs; ${USERS} + Redis keys; $((USERS * 2)) documents"
  python3 "${SUITE_DIR}/seed_data.py" sql "${USERS}" "${BLOB_BYTES}" | sql "${DATA_PROJECT}"
  python3 "${SUITE_DIR}/seed_data.py" redis "${USERS}" 0 | docker exec -i "$(cid "${DATA_PROJECT}" redis)" redis-cli >/dev/null
  python3 "${SUITE_DIR}/seed_data.py" mongo "${USERS}" 0 | docker exec -i "$(cid "${DATA_PROJECT}" mongo)" \
    sh -c 'mkdir -p /data/db/stub-store/switchyard && cat >/data/db/stub-store/switchyard/messages.jsonl'
  SEEDED[mysql]="$(fingerprint_mysql "${DATA_PROJECT}")"
  SEEDED[redis]="$(fingerprint_redis "${DATA_PROJECT}")"
  SEEDED[mongo]="$(fingerprint_mongo "${DATA_PROJECT}")"
}

# fingerprint_<store> <project>: counts and a hash of the whole content, read without our scripts.
fingerprint_mysql() {
  local t
  for t in users chat_rooms blobs empty_table flyway_schema_history; do
    printf '%s %s %s\n' "${t}" "$(sql "$1" -e "SELECT COUNT(*) FROM ${t}")" \
      "$(sql "$1" -e "SELECT * FROM ${t} ORDER BY 1" | sha256sum | cut -c1-16)"
  done | paste -sd ' '
}

fingerprint_redis() {
  local id
  id="$(cid "$1" redis)"
  printf 'keys %s content %s' "$(docker exec "${id}" redis-cli DBSIZE)" \
    "$(docker exec "${id}" redis-cli EVAL "${REDIS_CONTENT_LUA}" 0 | sha256sum | cut -c1-16)"
}

fingerprint_mongo() {
  docker exec "$(cid "$1" mongo)" sh -c 'wc -l </data/db/stub-store/switchyard/messages.jsonl; sha256sum </data/db/stub-store/switchyard/messages.jsonl | cut -c1-16' |
    paste -sd ' '
}

# run_script <name> <args...>: a kit script; sets OUT (stdout+stderr) and RC.
run_script() {
  local name="$1"
  shift
  RC=0
  OUT="$("${ROOT}/scripts/${name}" "$@" 2>&1)" || RC=$?
  printf '%s\n' "${OUT}" | tail -n 25 | sed 's/^/    | /' >&2
}

expect_rc() {
  expect_eq "${RC}" "$1" "$2: exit code"
}

expect_out() {
  if grep -qE -- "$1" <<<"${OUT}"; then
    pass "$2"
  else
    fail "$2: no line matching '$1'"
  fi
}

snapshot_count() {
  restic -r "${BACKUP_REPOSITORY}" --password-file "${BACKUP_PASSWORD_FILE}" --cache-dir "${BACKUP_CACHE_DIR}" \
    snapshots --json --tag "env=dev${1:+,kind=$1}" | jq length
}

last_event() {
  tail -n 1 "${BACKUP_EVENTS_FILE}"
}

# --- cases ---------------------------------------------------------------------------------------
case_backup() {
  run_script backup.sh --init dev
  expect_rc 0 "--init creates the repository"
  check_true "the repository exists" test -f "${BACKUP_REPOSITORY}/config"
  local started=${SECONDS}
  run_script backup.sh dev
  expect_rc 0 "backup"
  SNAP1="$(tail -n 1 <<<"${OUT}")"
  BACKUP_SECONDS=$((SECONDS - started))
  check_true "backup printed a snapshot id" grep -Eq '^[0-9a-f]{64}$' <<<"${SNAP1}"
  expect_eq "$(snapshot_count scheduled)" 1 "one scheduled snapshot"
  expect_eq "$(last_event | jq -r '[.event.kind, .event.action, .backup.snapshot, .backup.kind] | join(" ")')" \
    "backup succeeded ${SNAP1} scheduled" "the event names the snapshot"
  local manifest
  manifest="$(restic -r "${BACKUP_REPOSITORY}" --password-file "${BACKUP_PASSWORD_FILE}" --cache-dir "${BACKUP_CACHE_DIR}" dump "${SNAP1}" /manifest.json)"
  expect_eq "$(jq -r '[.stores.mysql.tables.users, .stores.mysql.tables.chat_rooms, .stores.mysql.tables.empty_table, .stores.mongo.collections["switchyard.messages"]] | join(" ")' <<<"${manifest}")" \
    "${USERS} $((USERS / 10)) 0 $((USERS * 2))" "manifest counts: users, rooms, empty table, documents"
  expect_eq "$(jq -r '.stores.redis | "\(.keys) \(.expires)"' <<<"${manifest}")" "$((USERS + USERS / 5 + 50)) 50" "manifest counts: Redis keys, keys with a TTL"
  DUMP_BYTES="$(last_event | jq -r .backup.bytes)"
  REPO_BYTES="$(du -sb "${BACKUP_REPOSITORY}" | cut -f1)"
  log "figures: backup of ${DUMP_BYTES} dump bytes in ${BACKUP_SECONDS}s; repository ${REPO_BYTES} bytes"
  check_true "no password or dump left in the staging dir" test -z "$(ls -A "${STATE_DIR}/backup-staging" 2>/dev/null)"
}

case_lock_held() {
  mkdir -p "${STATE_DIR}"
  # One process that takes the lock and then becomes the sleep: killing it frees the lock.
  (
    exec 8>>"${STATE_DIR}/backup.lock"
    flock 8
    echo "drill of snapshot x (test holder) pid=${BASHPID}" >"${STATE_DIR}/backup.lock.holder"
    exec sleep 60
  ) &
  PIDS+=($!)
  retry_until 5 0.1 test -s "${STATE_DIR}/backup.lock.holder"
  run_script backup.sh dev
  expect_rc 3 "backup while another holds the backup lock"
  expect_out "another backup, restore or drill of dev is running: drill of snapshot x \(test holder\)" "the holder is named"
  kill "${PIDS[-1]}" 2>/dev/null || true
  wait "${PIDS[-1]}" 2>/dev/null || true
}

case_failures() {
  local redis
  redis="$(cid "${DATA_PROJECT}" redis)"
  docker stop "${redis}" >/dev/null
  run_script backup.sh dev
  expect_rc 4 "backup with Redis down"
  expect_out "redis: container [0-9a-f]+ of project ${DATA_PROJECT} is not running" "the message names the store"
  expect_eq "$(last_event | jq -r '"\(.event.action) \(.backup.exit_code)"')" "failed 4" "a failed event with the exit code"
  docker start "${redis}" >/dev/null
  retry_until 60 0.5 healthy "${redis}" || die "redis did not come back"

  docker exec "$(cid "${DATA_PROJECT}" mongo)" touch /data/db/stub-store/.fail-dump-midway
  run_script backup.sh dev
  expect_rc 4 "backup with mongodump failing midway"
  expect_out "mongo: mongodump of switchyard failed: .*connection reset" "mongodump's error is shown"
  docker exec "$(cid "${DATA_PROJECT}" mongo)" rm /data/db/stub-store/.fail-dump-midway

  (umask 077 && echo "not the password" >"${TMP}/wrong.password")
  BACKUP_PASSWORD_FILE="${TMP}/wrong.password" run_script backup.sh dev
  expect_rc 5 "backup with a wrong password"
  expect_out "wrong repository password" "the message says so"

  mkdir -p "${TMP}/small"
  mount -t tmpfs -o size=1m tmpfs "${TMP}/small"
  SMALL_MOUNT="${TMP}/small"
  BACKUP_REPOSITORY="${TMP}/small/repo" run_script backup.sh --init dev
  BACKUP_REPOSITORY="${TMP}/small/repo" run_script backup.sh dev
  expect_rc 5 "backup to a full repository disk"
  expect_out "the repository's disk is full" "the message says the disk is full"
  expect_eq "$(last_event | jq -r '"\(.event.action) \(.backup.snapshot // "none")"')" "failed none" "the event reports no snapshot"
  expect_eq "$(snapshot_count_at "${TMP}/small/repo")" 0 "no snapshot in the full repository"
  umount "${SMALL_MOUNT}"
  SMALL_MOUNT=""
  expect_eq "$(snapshot_count)" 1 "after all failures: still exactly the one good snapshot"
}

snapshot_count_at() {
  restic -r "$1" --password-file "${BACKUP_PASSWORD_FILE}" --cache-dir "${BACKUP_CACHE_DIR}" snapshots --json | jq length
}

# A stand-in app image: a jar (a zip) with two migrations the database has and, in image 1, one more.
case_before_deploy() {
  local ctx="${TMP}/app-image"
  mkdir -p "${ctx}/app"
  python3 - "${ctx}/app/app.jar" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name in ("db/migration/V1__create_users.sql", "db/migration/V10__create_chat_rooms.sql",
                 "db/migration/V11__add_profile.sql", "io/switchyard/App.class"):
        z.writestr(name, "-- test\n")
PY
  printf 'FROM %s\nCOPY app /app\nLABEL dev.switchyard.test=%s\n' "${SWITCHYARD_REDIS_IMAGE}" "${RUN_ID}" >"${ctx}/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "${RUN_ID}-app:1" "${ctx}" >/dev/null
  run_script backup.sh --before-deploy dev "${RUN_ID}-app:1"
  expect_rc 0 "before-deploy with a new migration"
  expect_out "brings migrations switchyard has not applied: 11" "the pending migration is named"
  expect_eq "$(snapshot_count before-deploy)" 1 "one before-deploy snapshot"
  expect_eq "$(last_event | jq -r '"\(.backup.kind) \(.backup.image) \(.backup.stores)"')" "before-deploy ${RUN_ID}-app:1 mysql" \
    "the event: kind, image, MySQL only"
  sql "${DATA_PROJECT}" -e "INSERT INTO flyway_schema_history VALUES (3, '11', 'add profile', 1)"
  run_script backup.sh --before-deploy dev "${RUN_ID}-app:1"
  expect_rc 0 "before-deploy once the migration is applied"
  expect_out "no pre-migration snapshot: .* brings no migration switchyard lacks" "nothing to snapshot, said so"
  BACKUP_BEFORE_DEPLOY=always run_script backup.sh --before-deploy dev "${RUN_ID}-app:1"
  expect_eq "$(snapshot_count before-deploy)" 2 "BACKUP_BEFORE_DEPLOY=always snapshots anyway"
  sql "${DATA_PROJECT}" -e "DELETE FROM flyway_schema_history WHERE installed_rank = 3"
}

case_destroy_and_restore() {
  datastores down -v >&2
  check_true "the data volumes are gone" test -z "$(docker volume ls -q | grep "^${DATA_PROJECT}_")"
  local project="${RUN_ID}-restored"
  # The restore holds the env's deploy lock under its own name while it runs.
  "${ROOT}/scripts/restore.sh" --project "${project}" dev "${SNAP1:0:12}" >"${TMP}/restore.out" 2>&1 &
  local pid=$!
  PIDS+=("${pid}")
  local holder=""
  retry_until 60 0.2 grep -q "restore of snapshot" "${STATE_DIR}/deploy.lock.holder" 2>/dev/null &&
    holder="$(cat "${STATE_DIR}/deploy.lock.holder")"
  check_true "while it runs, the deploy lock's holder says restore ('${holder%% pid=*}')" grep -q "^restore of snapshot ${SNAP1:0:8} into ${project}" <<<"${holder}"
  local started=${SECONDS}
  RC=0
  wait "${pid}" || RC=$?
  RESTORE_SECONDS=$((SECONDS - started))
  OUT="$(cat "${TMP}/restore.out")"
  printf '%s\n' "${OUT}" | tail -n 20 | sed 's/^/    | /' >&2
  expect_rc 0 "restore into a fresh project"
  expect_out "^mysql +users +${USERS} +${USERS}  ok" "the count report lists users"
  expect_out "every count matches" "restore reports all counts matching"
  local store
  for store in mysql redis mongo; do
    expect_eq "$("fingerprint_${store}" "${project}")" "${SEEDED[${store}]}" "${store}: restored content = seeded content"
  done
  docker restart "$(cid "${project}" redis)" >/dev/null
  retry_until 60 0.5 healthy "$(cid "${project}" redis)"
  expect_eq "$(fingerprint_redis "${project}")" "${SEEDED[redis]}" "redis: the same after a restart (loaded from its AOF)"
  log "figures: restore of ${DUMP_BYTES} dump bytes in ${RESTORE_SECONDS}s (including the new project's start)"
}

case_in_place() {
  start_datastores
  docker run -d --label "com.docker.compose.project=${COMPOSE_PROJECT_BLUE}" --label "dev.switchyard.test=${RUN_ID}" \
    --entrypoint sleep "${SWITCHYARD_REDIS_IMAGE}" 300 >/dev/null
  run_script restore.sh --in-place dev "${SNAP1}"
  expect_rc 2 "--in-place while an app color runs"
  expect_out "stop both colors first" "the message says what to stop"
  remove_all container rm -f < <(docker ps -aq --filter "label=com.docker.compose.project=${COMPOSE_PROJECT_BLUE}")
  run_script restore.sh --in-place dev "${SNAP1}"
  expect_rc 0 "--in-place with the app stopped"
  local store
  for store in mysql redis mongo; do
    expect_eq "$("fingerprint_${store}" "${DATA_PROJECT}")" "${SEEDED[${store}]}" "${store}: content restored in place"
  done
}

case_drill() {
  local started=${SECONDS}
  run_script restore.sh --drill --project "${RUN_ID}-drill" dev "${SNAP1}"
  DRILL_SECONDS=$((SECONDS - started))
  DRILL_OUT="${OUT}"
  expect_rc 0 "drill"
  expect_out "drill passed: snapshot ${SNAP1:0:8}" "the drill passed"
  expect_eq "$(docker ps -aq --filter "label=com.docker.compose.project=${RUN_ID}-drill" | wc -l)" 0 "no drill container left"
  expect_eq "$(docker volume ls -q | grep -c "^${RUN_ID}-drill_" || true)" 0 "no drill volume left"
  expect_eq "$(docker network ls -q --filter "name=^${RUN_ID}-drill" | wc -l)" 0 "no drill network left"
  expect_eq "$(last_event | jq -r '.event.action')" drill_passed "a drill_passed event"
}

# The backup timer's series, scaled down (each restic call opens the repository: ~0.6 s of key
# derivation): 12 runs over four weeks (faked snapshot times), retention after each, with a policy
# of the same shape (hourly 4, daily 3, weekly 2; the defaults' arguments are checked in bats).
case_retention() {
  local repo="${TMP}/retention-repo"
  local dir="${TMP}/retention-data"
  mkdir -p "${dir}"
  echo data >"${dir}/f"
  local now
  now="$(date -u +%s)"
  local times=()
  local i
  for i in 3 2; do times+=("$((now - i * 7 * 86400 - 2 * 86400))"); done
  for i in 5 4 3; do times+=("$((now - i * 86400 - 3600))"); done
  for ((i = 7; i >= 1; i--)); do times+=("$((now - i * 2700))"); done
  # The kit's own restic_backup_dir and restic_forget, in a child shell with this repository.
  # shellcheck disable=SC2016 # expanded by the child shell.
  BACKUP_REPOSITORY="${repo}" BACKUP_KEEP_HOURLY=4 BACKUP_KEEP_DAILY=3 BACKUP_KEEP_WEEKLY=2 bash -c 'set -euo pipefail
    for lib in common config backup-config backup-containers backup-restic; do source "$1/scripts/lib/${lib}.sh"; done
    config_load dev
    restic_init >/dev/null 2>&1
    dir="$2"
    shift 2
    for t in "$@"; do
      restic_backup_dir "${dir}" "$(date -u -d "@${t}" "+%Y-%m-%d %H:%M:%S")" env=dev kind=scheduled >/dev/null
      restic_forget dev scheduled >/dev/null 2>&1
    done' _ "${ROOT}" "${dir}" "${times[@]}"
  local want
  local got
  want="$(for i in "${times[@]}"; do date -u -d "@${i}" +%Y-%m-%dT%H:%M:%SZ; done | python3 "${SUITE_DIR}/retention_oracle.py" 4 3 2)"
  got="$(snapshot_count_json "${repo}" | jq -r '.[].time | sub("\\.[0-9]+"; "") | sub("\\+00:00$"; "Z")' | sort)"
  log "retention: ${#times[@]} runs, $(wc -l <<<"${got}") snapshots kept: $(paste -sd ' ' <<<"${got}")"
  expect_eq "$(wc -l <<<"${got}")" "$(wc -l <<<"${want}")" "retention keeps as many snapshots as the policy says"
  check_true "retention keeps exactly the snapshots the policy says" test "${got}" == "${want}"
  check_true "retention dropped some" test "$(wc -l <<<"${got}")" -lt "${#times[@]}"
  RETENTION_REPO="${repo}"
}

snapshot_count_json() {
  restic -r "$1" --password-file "${BACKUP_PASSWORD_FILE}" --cache-dir "${BACKUP_CACHE_DIR}" snapshots --json
}

case_check_age() {
  python3 "${SUITE_DIR}/receiver.py" http "${TMP}/hook.port" "${TMP}/hook.body" &
  PIDS+=($!)
  retry_until 10 0.1 test -s "${TMP}/hook.port"
  BACKUP_REPOSITORY="${RETENTION_REPO}" BACKUP_MAX_AGE_S=600 \
    BACKUP_NOTIFY_WEBHOOK_URL="http://127.0.0.1:$(cat "${TMP}/hook.port")/hook" run_script backup.sh --check-age dev
  expect_rc 6 "--check-age with the newest snapshot 45 min old, 10 min allowed"
  retry_until 10 0.1 test -s "${TMP}/hook.body"
  check_true "the webhook got a Slack-style alert: $(jq -r .text "${TMP}/hook.body" 2>/dev/null)" \
    grep -q '"text": *"Switchyard dev: stale scheduled' "${TMP}/hook.body"

  python3 "${SUITE_DIR}/receiver.py" tcp "${TMP}/ls.port" "${TMP}/ls.line" &
  PIDS+=($!)
  retry_until 10 0.1 test -s "${TMP}/ls.port"
  LOGSTASH_HOST=127.0.0.1 LOGSTASH_DEPLOY_PORT="$(cat "${TMP}/ls.port")" run_script backup.sh --check-age dev
  expect_rc 0 "--check-age right after a backup"
  retry_until 10 0.1 test -s "${TMP}/ls.line"
  expect_eq "$(jq -r '"\(.event.kind) \(.event.action) \(.backup.env)"' "${TMP}/ls.line")" "backup fresh dev" "the event reached the Logstash input"
}

case_systemd_units() {
  local root="${TMP}/host-root"
  mkdir -p "${root}"
  run_script bootstrap-host.sh --root "${root}" --no-packages
  expect_rc 0 "bootstrap-host.sh into an empty root"
  local unit="${root}/etc/systemd/system"
  check_true "units installed" test -f "${unit}/switchyard-backup@.timer" -a -f "${unit}/switchyard-restore-drill@.service"
  check_true "ExecStart points at this checkout" grep -qx "ExecStart=${ROOT}/scripts/backup.sh %i" "${unit}/switchyard-backup@.service"
  expect_eq "$(stat -c %a "${root}/etc/switchyard/backup.env")" 600 "backup.env skeleton, mode 600"
  run_script bootstrap-host.sh --root "${root}" --no-packages --check
  expect_rc 0 "--check right after: no drift"
  local verify="${TMP}/units"
  mkdir -p "${verify}"
  cp "${unit}"/switchyard-*@.* "${verify}/"
  local name
  local files=()
  for name in switchyard-backup switchyard-backup-check switchyard-restore-drill; do
    ln -s "${name}@.service" "${verify}/${name}@prod.service"
    ln -s "${name}@.timer" "${verify}/${name}@prod.timer"
    files+=("${verify}/${name}@prod.service" "${verify}/${name}@prod.timer")
  done
  local out
  local rc=0
  out="$(systemd-analyze verify "${files[@]}" 2>&1)" || rc=$?
  if ((rc == 0)) && [[ -z "${out}" ]]; then
    pass "systemd-analyze verify: no complaint"
  else
    fail "systemd-analyze verify (exit ${rc}): ${out}"
  fi
  local calendar
  for name in switchyard-backup switchyard-backup-check switchyard-restore-drill; do
    calendar="$(sed -n 's/^OnCalendar=//p' "${verify}/${name}@.timer")"
    log "${name}@.timer schedule:"
    systemd-analyze calendar --iterations=2 "${calendar}" | sed 's/^/    /' >&2 ||
      fail "${name}: OnCalendar=${calendar} does not parse"
  done
}

main() {
  local started=${SECONDS}
  is_root || die "run as root (docker, mount)"
  ensure_packages restic jq python3 docker.io docker-compose systemd util-linux
  require_cmd restic jq python3 docker systemd-analyze flock
  ensure_dockerd
  TMP="$(mktemp -d /tmp/switchyard-backup-test.XXXXXX)"
  trap cleanup EXIT
  ensure_images
  export_settings
  start_datastores
  seed
  case_backup
  case_lock_held
  case_failures
  case_before_deploy
  case_destroy_and_restore
  case_in_place
  case_drill
  case_retention
  case_check_age
  case_systemd_units
  log "figures: data set ${USERS} users, $((USERS / 10)) rooms, ${BLOB_BYTES} B blobs, $((USERS + USERS / 5 + 50)) Redis keys, $((USERS * 2)) documents"
  log "figures: dumps ${DUMP_BYTES} B; repository after the first snapshot ${REPO_BYTES} B; backup ${BACKUP_SECONDS}s; restore ${RESTORE_SECONDS}s; drill ${DRILL_SECONDS}s"
  printf '%s\n' "${DRILL_OUT}" | grep -E '^(store|mysql|redis|mongo) ' | sed 's/^/    drill | /' >&2
  checks_summary backup "${started}"
}

main "$@"
