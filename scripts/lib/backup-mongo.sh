# shellcheck shell=bash
# MongoDB of a data-store project, with the official image's own tools inside the mongo container:
# `mongodump --archive` (its "done dumping <ns> (<n> documents)" lines are the manifest's counts),
# `mongorestore --archive --drop`, and mongosh for the counts of a restored database.
# Sourced after common.sh and backup-containers.sh. The compose file runs MongoDB without auth on an
# internal network, so the tools connect to the container's own localhost.

# mongo_dump <container> <database> <out-file>: the archive; the tool's log beside it (<out>.log).
mongo_dump() {
  local id="$1"
  local db="$2"
  local out="$3"
  # shellcheck disable=SC2016 # expanded inside the container.
  if ! in_container "${id}" 'prio mongodump --archive --db="$1"' "${db}" >"${out}" 2>"${out}.log"; then
    err "mongo: mongodump of ${db} failed: $(tail -n 3 "${out}.log" | tr '\n' ' ')"
    return 1
  fi
  if [[ ! -s "${out}" ]]; then
    err "mongo: mongodump of ${db} wrote no archive"
    return 1
  fi
}

# mongo_dump_counts <mongodump-log>: {"<db>.<collection>": documents, ...} from mongodump's log.
mongo_dump_counts() {
  sed -n -E 's/.*done dumping ([^ ]+) \(([0-9]+) documents?\).*/\1\t\2/p' "$1" |
    jq -R -n '[inputs | split("\t") | {key: .[0], value: (.[1] | tonumber)}] | from_entries'
}

# mongo_restore <container>: loads the archive read from stdin, dropping each collection first.
mongo_restore() {
  local id="$1"
  local log
  log="$(mktemp)"
  if ! in_container "${id}" 'prio mongorestore --archive --drop' 2>"${log}"; then
    err "mongo: mongorestore failed: $(tail -n 3 "${log}" | tr '\n' ' ')"
    rm -f "${log}"
    return 1
  fi
  if grep -Eq '[1-9][0-9]* documents? failed to restore' "${log}"; then
    err "mongo: mongorestore: $(grep -E 'failed to restore' "${log}" | tail -n 1)"
    rm -f "${log}"
    return 1
  fi
  rm -f "${log}"
}

# The counts a restored database reports, as the manifest keys them.
# shellcheck disable=SC2016 # JavaScript for mongosh.
readonly MONGO_COUNT_JS='const out = {};
for (const c of db.getCollectionNames().filter((n) => !n.startsWith("system."))) {
  out[db.getName() + "." + c] = db.getCollection(c).countDocuments({});
}
print(JSON.stringify(out));'

# mongo_live_counts <container> <database>
mongo_live_counts() {
  # shellcheck disable=SC2016 # expanded inside the container.
  in_container "$1" 'mongosh --quiet --norc "mongodb://127.0.0.1:27017/$1" --eval "$2"' "$2" "${MONGO_COUNT_JS}" |
    jq -c 'if type == "object" then . else error("not an object") end'
}

mongo_wait_ready() {
  # shellcheck disable=SC2016 # JavaScript for mongosh.
  retry_until "$2" 1 in_container "$1" 'mongosh --quiet --norc "mongodb://127.0.0.1:27017/admin" --eval "db.runCommand({ping: 1}).ok"' \
    >/dev/null 2>&1
}
