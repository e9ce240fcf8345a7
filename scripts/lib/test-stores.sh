# shellcheck shell=bash
# Real MariaDB and Redis on 127.0.0.1 for the integration tests. Sourced after common.sh.
# Idempotent: uses what already answers, starts what does not (CI sandboxes have no init system).

TEST_DB_NAME="${SWITCHYARD_TEST_DB_NAME:-switchyard_test}"
TEST_DB_USER="${SWITCHYARD_TEST_DB_USER:-switchyard_test}"
TEST_DB_PASSWORD="${SWITCHYARD_TEST_DB_PASSWORD:-switchyard_test}"
TEST_REDIS_PORT="${SWITCHYARD_TEST_REDIS_PORT:-6379}"

mariadb_answers() {
  mariadb-admin --protocol=socket ping >/dev/null 2>&1
}

start_mariadb() {
  if mariadb_answers; then
    return 0
  fi
  log "starting MariaDB"
  if [[ -x /etc/init.d/mariadb ]]; then
    as_root /etc/init.d/mariadb start >/dev/null 2>&1 || true
  fi
  if ! mariadb_answers; then
    as_root sh -c 'nohup mysqld_safe --bind-address=127.0.0.1 >/dev/null 2>&1 &'
  fi
  retry_until 60 1 mariadb_answers || die "MariaDB did not start"
}

# Creates the test database and a user that reaches it over TCP from 127.0.0.1.
prepare_test_database() {
  as_root mariadb --protocol=socket <<SQL
CREATE DATABASE IF NOT EXISTS \`${TEST_DB_NAME}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '${TEST_DB_USER}'@'127.0.0.1' IDENTIFIED BY '${TEST_DB_PASSWORD}';
CREATE USER IF NOT EXISTS '${TEST_DB_USER}'@'localhost' IDENTIFIED BY '${TEST_DB_PASSWORD}';
GRANT ALL PRIVILEGES ON \`${TEST_DB_NAME}\`.* TO '${TEST_DB_USER}'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`${TEST_DB_NAME}\`.* TO '${TEST_DB_USER}'@'localhost';
FLUSH PRIVILEGES;
SQL
}

redis_answers() {
  [[ "$(redis-cli -h 127.0.0.1 -p "${TEST_REDIS_PORT}" ping 2>/dev/null)" == "PONG" ]]
}

start_redis() {
  if redis_answers; then
    return 0
  fi
  log "starting Redis on 127.0.0.1:${TEST_REDIS_PORT}"
  redis-server --daemonize yes --bind 127.0.0.1 --port "${TEST_REDIS_PORT}" --save '' --appendonly no \
    --logfile /tmp/switchyard-test-redis.log >/dev/null
  retry_until 20 0.5 redis_answers || die "Redis did not start"
}

# Exports what the *IT tests read (see src/test/java/io/switchyard/testsupport/RealStores.java).
export_test_store_env() {
  export SWITCHYARD_TEST_MYSQL_URL="jdbc:mysql://127.0.0.1:3306/${TEST_DB_NAME}"
  export SWITCHYARD_TEST_MYSQL_USERNAME="${TEST_DB_USER}"
  export SWITCHYARD_TEST_MYSQL_PASSWORD="${TEST_DB_PASSWORD}"
  export SWITCHYARD_TEST_REDIS_HOST=127.0.0.1
  export SWITCHYARD_TEST_REDIS_PORT="${TEST_REDIS_PORT}"
}

start_test_stores() {
  start_mariadb
  prepare_test_database
  start_redis
  export_test_store_env
}
