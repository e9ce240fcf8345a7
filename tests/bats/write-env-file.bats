#!/usr/bin/env bats
# scripts/write-env-file.sh: the app env file written from secrets in the environment.

setup() {
  REPO="$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)"
  SCRIPT="${REPO}/scripts/write-env-file.sh"
  export APP_ENV_FILE="${BATS_TEST_TMPDIR}/etc-switchyard/app.env"
  export KAKAO_CLIENT_SECRET='kakao-SECRET-value'
  export JWT_SECRET='jwt-SECRET-0123456789abcdef0123456789'
  export MYSQL_PASSWORD="mysql-SECRET-p4ss #not-a-comment \$HOME"
  unset MYSQL_USERNAME MONGODB_URI REDIS_PASSWORD SWITCHYARD_ENV_DIR
}

assert_no_secret_in_output() {
  [[ "${output}" != *kakao-SECRET* ]]
  [[ "${output}" != *jwt-SECRET* ]]
  [[ "${output}" != *mysql-SECRET* ]]
  [[ "${output}" != *mongo-SECRET* ]]
}

leftover_temp_files() {
  find "$(dirname "${APP_ENV_FILE}")" -name '.app.env.*' | wc -l
}

@test "writes the env file with mode 600, values single-quoted, exactly the keys that are set" {
  export MONGODB_URI='mongodb://u:mongo-SECRET@127.0.0.1:27017/switchyard'

  run "${SCRIPT}" prod

  [ "${status}" -eq 0 ]
  assert_no_secret_in_output
  [ "$(stat -c '%a' "${APP_ENV_FILE}")" = "600" ]
  [ "$(cat "${APP_ENV_FILE}")" = "KAKAO_CLIENT_SECRET='kakao-SECRET-value'
JWT_SECRET='jwt-SECRET-0123456789abcdef0123456789'
MYSQL_PASSWORD='mysql-SECRET-p4ss #not-a-comment \$HOME'
MONGODB_URI='mongodb://u:mongo-SECRET@127.0.0.1:27017/switchyard'" ]
  [ "$(leftover_temp_files)" -eq 0 ]
}

@test "the file reads back to the exact values (sourced by bash)" {
  run "${SCRIPT}" dev
  [ "${status}" -eq 0 ]
  run env -i bash -c "set -a; source '${APP_ENV_FILE}'; printf '%s|' \"\${MYSQL_PASSWORD}\" \"\${JWT_SECRET}\""
  [ "${output}" = "mysql-SECRET-p4ss #not-a-comment \$HOME|jwt-SECRET-0123456789abcdef0123456789|" ]
}

@test "logs key names, never values" {
  run "${SCRIPT}" dev
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"KAKAO_CLIENT_SECRET JWT_SECRET MYSQL_PASSWORD"* ]]
  assert_no_secret_in_output
}

@test "keeps operator lines, replaces the keys it writes, and does not duplicate them" {
  mkdir -p "$(dirname "${APP_ENV_FILE}")"
  printf '%s\n' '# prod settings' 'SPRING_PROFILES_ACTIVE=prod' '# MYSQL_PASSWORD=' \
    'MYSQL_URL=jdbc:mysql://127.0.0.1:3306/switchyard' 'export JWT_SECRET=old-jwt' \
    'REDIS_PASSWORD=kept-redis' >"${APP_ENV_FILE}"
  # A last line without a trailing newline must not be lost.
  printf 'REDIS_HOST=127.0.0.1' >>"${APP_ENV_FILE}"

  run "${SCRIPT}" prod
  [ "${status}" -eq 0 ]
  run "${SCRIPT}" prod
  [ "${status}" -eq 0 ]

  [ "$(cat "${APP_ENV_FILE}")" = "# prod settings
SPRING_PROFILES_ACTIVE=prod
# MYSQL_PASSWORD=
MYSQL_URL=jdbc:mysql://127.0.0.1:3306/switchyard
REDIS_PASSWORD=kept-redis
REDIS_HOST=127.0.0.1
KAKAO_CLIENT_SECRET='kakao-SECRET-value'
JWT_SECRET='jwt-SECRET-0123456789abcdef0123456789'
MYSQL_PASSWORD='mysql-SECRET-p4ss #not-a-comment \$HOME'" ]
}

@test "writes where the deploy kit's settings put APP_ENV_FILE for that environment" {
  unset APP_ENV_FILE
  local settings="${BATS_TEST_TMPDIR}/settings"
  mkdir -p "${settings}"
  cp "${REPO}/scripts/env/common.env" "${settings}/common.env"
  cat >"${settings}/staging.env" <<EOF
: "\${BLUE_PORT:=9181}"
: "\${GREEN_PORT:=9182}"
: "\${NGINX_LISTEN:=8100}"
: "\${APP_ENV_FILE:=${BATS_TEST_TMPDIR}/staging/app-staging.env}"
EOF

  SWITCHYARD_ENV_DIR="${settings}" run "${SCRIPT}" staging

  [ "${status}" -eq 0 ]
  grep -qx "KAKAO_CLIENT_SECRET='kakao-SECRET-value'" "${BATS_TEST_TMPDIR}/staging/app-staging.env"
}

@test "a missing required secret fails with exit 2, names it, and leaves the old file untouched" {
  mkdir -p "$(dirname "${APP_ENV_FILE}")"
  echo 'JWT_SECRET=previous' >"${APP_ENV_FILE}"
  unset MYSQL_PASSWORD

  run "${SCRIPT}" dev

  [ "${status}" -eq 2 ]
  [[ "${output}" == *"MYSQL_PASSWORD is not set"* ]]
  assert_no_secret_in_output
  [ "$(cat "${APP_ENV_FILE}")" = "JWT_SECRET=previous" ]
  [ "$(leftover_temp_files)" -eq 0 ]
}

@test "a value with a line break is refused without printing it" {
  export KAKAO_CLIENT_SECRET=$'kakao-SECRET\nINJECTED=1'
  run "${SCRIPT}" dev
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"KAKAO_CLIENT_SECRET contains a line break"* ]]
  assert_no_secret_in_output
  [ ! -e "${APP_ENV_FILE}" ]
}

@test "a value with a single quote or a backslash is refused without printing it" {
  export MYSQL_PASSWORD="mysql-SECRET-it's"
  run "${SCRIPT}" dev
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"MYSQL_PASSWORD contains a single quote or a backslash"* ]]
  assert_no_secret_in_output
  export MYSQL_PASSWORD='mysql-SECRET-back\slash'
  run "${SCRIPT}" dev
  [ "${status}" -eq 2 ]
  assert_no_secret_in_output
  [ ! -e "${APP_ENV_FILE}" ]
}

@test "a JWT secret shorter than 32 bytes is refused" {
  export JWT_SECRET='jwt-SECRET-short'
  run "${SCRIPT}" prod
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"JWT_SECRET is shorter than 32 bytes"* ]]
  assert_no_secret_in_output
  [ ! -e "${APP_ENV_FILE}" ]
}

@test "usage errors: unknown environment, no argument, extra arguments (no secrets on argv)" {
  run "${SCRIPT}" staging
  [ "${status}" -eq 2 ]
  run "${SCRIPT}"
  [ "${status}" -eq 2 ]
  run "${SCRIPT}" prod jwt-SECRET-0123456789abcdef0123456789
  [ "${status}" -eq 2 ]
  [ ! -e "${APP_ENV_FILE}" ]
}

@test "running under bash -x still never prints a value" {
  run bash -x "${SCRIPT}" prod
  [ "${status}" -eq 0 ]
  assert_no_secret_in_output
}
