#!/usr/bin/env bash
# Entrypoint of the offline MySQL stand-in (MariaDB). Initialises an empty data directory the way
# the official mysql image does (root password, database, user, init scripts), then runs the
# server as the mysql user in the foreground.
set -euo pipefail

DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock

log() {
  printf '%s [entrypoint] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

die() {
  log "ERROR: $*"
  exit 1
}

# Quotes a value as an SQL string literal.
sql_string() {
  local s="$1"
  s="${s//\\/\\\\}"
  s="${s//\'/\\\'}"
  printf "'%s'" "${s}"
}

# Quotes a name as an SQL identifier.
sql_ident() {
  local bt='`'
  printf '%s%s%s' "${bt}" "${1//${bt}/${bt}${bt}}" "${bt}"
}

as_mysql() {
  if [[ "$(id -u)" == 0 ]]; then
    setpriv --reuid=mysql --regid=mysql --init-groups "$@"
  else
    "$@"
  fi
}

run_sql() {
  mariadb --protocol=socket --socket="${SOCKET}" -uroot
}

init_database() {
  if [[ -z "${MYSQL_ROOT_PASSWORD:-}" && -z "${MYSQL_ALLOW_EMPTY_PASSWORD:-}" && -z "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]]; then
    die "database is uninitialized and password option is not specified: set one of MYSQL_ROOT_PASSWORD, MYSQL_ALLOW_EMPTY_PASSWORD, MYSQL_RANDOM_ROOT_PASSWORD"
  fi
  local root_password="${MYSQL_ROOT_PASSWORD:-}"
  if [[ -n "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]]; then
    root_password="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
    log "GENERATED ROOT PASSWORD: ${root_password}"
  fi

  log "initializing database files in ${DATADIR}"
  as_mysql mariadb-install-db --datadir="${DATADIR}" --skip-test-db --auth-root-authentication-method=normal \
    --rpm >/dev/null

  log "starting temporary server (no networking)"
  as_mysql mariadbd --datadir="${DATADIR}" --skip-networking --socket="${SOCKET}" &
  local pid=$!
  local i
  for i in $(seq 1 60); do
    if mariadb-admin --socket="${SOCKET}" -uroot ping >/dev/null 2>&1; then
      break
    fi
    kill -0 "${pid}" 2>/dev/null || die "temporary server exited during initialization"
    ((i == 60)) && die "temporary server did not start in 60s"
    sleep 1
  done

  local root_host="${MYSQL_ROOT_HOST:-%}"
  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    echo "DELETE FROM mysql.user WHERE user = '' OR (user = 'root' AND host NOT IN ('localhost'));"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $(sql_string "${root_password}");"
    if [[ "${root_host}" != localhost ]]; then
      echo "CREATE USER 'root'@$(sql_string "${root_host}") IDENTIFIED BY $(sql_string "${root_password}");"
      echo "GRANT ALL ON *.* TO 'root'@$(sql_string "${root_host}") WITH GRANT OPTION;"
    fi
    if [[ -n "${MYSQL_DATABASE:-}" ]]; then
      echo "CREATE DATABASE IF NOT EXISTS $(sql_ident "${MYSQL_DATABASE}");"
    fi
    if [[ -n "${MYSQL_USER:-}" ]]; then
      [[ "${MYSQL_USER}" == root ]] && die "MYSQL_USER=root is not allowed; use MYSQL_ROOT_PASSWORD"
      [[ -n "${MYSQL_PASSWORD:-}" ]] || die "MYSQL_USER is set but MYSQL_PASSWORD is empty"
      echo "CREATE USER $(sql_string "${MYSQL_USER}")@'%' IDENTIFIED BY $(sql_string "${MYSQL_PASSWORD}");"
      if [[ -n "${MYSQL_DATABASE:-}" ]]; then
        echo "GRANT ALL ON $(sql_ident "${MYSQL_DATABASE}").* TO $(sql_string "${MYSQL_USER}")@'%';"
      fi
    fi
    echo "FLUSH PRIVILEGES;"
  } | run_sql

  local client=(mariadb --protocol=socket --socket="${SOCKET}" -uroot "--password=${root_password}")
  if [[ -n "${MYSQL_DATABASE:-}" ]]; then
    client+=("--database=${MYSQL_DATABASE}")
  fi
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    [[ -e "${f}" ]] || continue
    case "${f}" in
      *.sh)
        log "running ${f}"
        # shellcheck disable=SC1090  # init scripts are supplied by the user at run time
        source "${f}"
        ;;
      *.sql)
        log "running ${f}"
        "${client[@]}" <"${f}"
        ;;
      *.sql.gz)
        log "running ${f}"
        gunzip -c "${f}" | "${client[@]}"
        ;;
      *) log "ignoring ${f}" ;;
    esac
  done

  log "stopping temporary server"
  mariadb-admin --socket="${SOCKET}" -uroot "--password=${root_password}" shutdown
  wait "${pid}" || true
  log "initialization complete"
}

main() {
  if [[ "${1:-}" == -* ]]; then
    set -- mariadbd "$@"
  fi
  if [[ "${1:-}" == mariadbd || "${1:-}" == mysqld ]]; then
    shift
    set -- mariadbd "$@"
    mkdir -p "${DATADIR}" /run/mysqld
    if [[ "$(id -u)" == 0 ]]; then
      chown -R mysql:mysql "${DATADIR}" /run/mysqld
    fi
    if [[ ! -d "${DATADIR}/mysql" ]]; then
      init_database
    fi
    log "starting $*"
    if [[ "$(id -u)" == 0 ]]; then
      exec setpriv --reuid=mysql --regid=mysql --init-groups "$@" --datadir="${DATADIR}"
    fi
    exec "$@" --datadir="${DATADIR}"
  fi
  exec "$@"
}

main "$@"
