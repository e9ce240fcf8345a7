# shellcheck shell=bash
# MySQL/MariaDB of a data-store project: a consistent dump, its row counts, a restore and the counts
# of a restored database. Sourced after common.sh and backup-containers.sh.
#
# The dump is one transaction (--single-transaction: a consistent InnoDB snapshot, no table locks,
# the app keeps writing) with one INSERT per row (--skip-extended-insert), so the row counts of the
# manifest are read from the dump itself and describe exactly what a restore loads. The tools run
# inside the mysql container as root with the container's own MYSQL_ROOT_PASSWORD (as MYSQL_PWD:
# it never appears on a command line).

# mysql_database <container>: the app database (the container's MYSQL_DATABASE, else switchyard).
mysql_database() {
  local db
  db="$(container_env "$1" MYSQL_DATABASE)"
  echo "${db:-switchyard}"
}

# mysql_dump <container> <out-file>: writes the dump; returns 1 (stderr saved beside it) on failure.
mysql_dump() {
  local id="$1"
  local out="$2"
  local db
  db="$(mysql_database "${id}")"
  # shellcheck disable=SC2016 # expanded inside the container.
  if ! in_container "${id}" 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" prio mysqldump -uroot --single-transaction \
      --skip-extended-insert --no-autocommit --routines --triggers --events --hex-blob \
      --default-character-set=utf8mb4 --skip-dump-date --databases "$1"' "${db}" >"${out}" 2>"${out}.err"; then
    err "mysql: mysqldump of ${db} failed: $(tail -n 3 "${out}.err" | tr '\n' ' ')"
    return 1
  fi
  # A dump cut short has no completion line: never take it for a whole one.
  if ! tail -n 1 "${out}" | grep -q '^-- Dump completed'; then
    err "mysql: the dump of ${db} is incomplete (no '-- Dump completed' line)"
    return 1
  fi
  rm -f "${out}.err"
}

# mysql_dump_counts <dump-file>: {"<table>": rows, ...} read from the dump (every table, even empty).
mysql_dump_counts() {
  awk '
    /^CREATE TABLE `/ { t = $3; gsub(/`/, "", t); if (!(t in n)) { n[t] = 0; order[++k] = t } }
    /^INSERT INTO `/ { t = $3; gsub(/`/, "", t); if (!(t in n)) order[++k] = t; n[t]++ }
    END { for (i = 1; i <= k; i++) printf "%s\t%d\n", order[i], n[order[i]] }
  ' "$1" | jq -R -n '[inputs | split("\t") | {key: .[0], value: (.[1] | tonumber)}] | from_entries'
}

# mysql_wait_ready <container> <seconds>: the server answers a query as root.
mysql_wait_ready() {
  # shellcheck disable=SC2016 # expanded inside the container.
  retry_until "$2" 1 in_container "$1" 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -uroot -N -e "SELECT 1"' \
    >/dev/null 2>&1
}

# mysql_restore <container> <database>: drops the database, then loads the dump read from stdin
# (which recreates it). Returns 1 when the load fails.
mysql_restore() {
  local id="$1"
  local db="$2"
  local errfile
  errfile="$(mktemp)"
  # shellcheck disable=SC2016 # expanded inside the container.
  if ! in_container "${id}" 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD"; export MYSQL_PWD
      mysql -uroot -e "DROP DATABASE IF EXISTS \`$1\`" && prio mysql -uroot --default-character-set=utf8mb4' \
    "${db}" 2>"${errfile}"; then
    err "mysql: loading the dump into ${db} failed: $(tail -n 3 "${errfile}" | tr '\n' ' ')"
    rm -f "${errfile}"
    return 1
  fi
  rm -f "${errfile}"
}

# mysql_query <container> <database> <sql>: tab-separated rows, no header, as root.
mysql_query() {
  # shellcheck disable=SC2016 # expanded inside the container.
  in_container "$1" 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -uroot -N -B -e "$2" "$1"' "$2" "$3"
}

# mysql_live_counts <container> <database> <table...>: {"<table>": rows, ...} by SELECT COUNT(*);
# a missing table counts -1 (so it never matches).
mysql_live_counts() {
  local id="$1"
  local db="$2"
  shift 2
  local table
  local n
  local out=""
  for table in "$@"; do
    n="$(mysql_query "${id}" "${db}" "SELECT COUNT(*) FROM \`${table//\`/\`\`}\`" 2>/dev/null)" || n=-1
    out+="${table}"$'\t'"${n:--1}"$'\n'
  done
  printf '%s' "${out}" | jq -R -n '[inputs | select(length > 0) | split("\t") | {key: .[0], value: (.[1] | tonumber)}] | from_entries'
}
