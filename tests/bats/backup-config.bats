#!/usr/bin/env bats
# Backup settings: the password and env files' modes, the KEY=VALUE host file, value checks.

setup() {
  load backup_helpers
  backup_setup
}

@test "a password file of mode 600 or 400 is accepted" {
  secret "${BACKUP_PASSWORD_FILE}" 600 pw
  secret_file_ok "${BACKUP_PASSWORD_FILE}" BACKUP_PASSWORD_FILE
  chmod 400 "${BACKUP_PASSWORD_FILE}"
  secret_file_ok "${BACKUP_PASSWORD_FILE}" BACKUP_PASSWORD_FILE
}

@test "a password file readable by group or others is refused with status 2 and the fix" {
  local mode
  for mode in 640 604 644 660 606; do
    secret "${BACKUP_PASSWORD_FILE}" "${mode}" pw
    run secret_file_ok "${BACKUP_PASSWORD_FILE}" BACKUP_PASSWORD_FILE
    [ "${status}" -eq 2 ]
    [[ "${output}" == *"has mode ${mode}"*"chmod 600 ${BACKUP_PASSWORD_FILE}"* ]]
  done
}

@test "a missing password file is refused, naming the setting" {
  run secret_file_ok "${BATS_TEST_TMPDIR}/nope" BACKUP_PASSWORD_FILE
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"BACKUP_PASSWORD_FILE: ${BATS_TEST_TMPDIR}/nope does not exist"* ]]
}

@test "no repository configured: status 2 and an example" {
  BACKUP_REPOSITORY=""
  secret "${BACKUP_PASSWORD_FILE}" 600 pw
  run backup_require_repository
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"no backup repository configured: set BACKUP_REPOSITORY"* ]]
}

@test "an empty password file is refused" {
  : >"${BACKUP_PASSWORD_FILE}"
  chmod 600 "${BACKUP_PASSWORD_FILE}"
  run backup_require_repository
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"is empty"* ]]
}

@test "the env file sets the repository and backend credentials, quotes dropped, never runs as shell" {
  BACKUP_REPOSITORY=""
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  secret "${BACKUP_ENV_FILE}" 600 "# comment
BACKUP_REPOSITORY=s3:https://s3.test/bucket/sy
AWS_ACCESS_KEY_ID=\"AKIA\$(touch ${BATS_TEST_TMPDIR}/ran)\"

AWS_SECRET_ACCESS_KEY='s3cr et'"
  backup_load_env_file
  [ "${BACKUP_REPOSITORY}" = "s3:https://s3.test/bucket/sy" ]
  [ "${AWS_ACCESS_KEY_ID}" = "AKIA\$(touch ${BATS_TEST_TMPDIR}/ran)" ]
  [ "${AWS_SECRET_ACCESS_KEY}" = "s3cr et" ]
  [ ! -e "${BATS_TEST_TMPDIR}/ran" ]
}

@test "the caller's environment wins over the env file" {
  export AWS_ACCESS_KEY_ID=from-caller
  secret "${BACKUP_ENV_FILE}" 600 "AWS_ACCESS_KEY_ID=from-file"
  backup_load_env_file
  [ "${AWS_ACCESS_KEY_ID}" = from-caller ]
}

@test "the env file may not set other names, nor have a loose mode" {
  secret "${BACKUP_ENV_FILE}" 600 "PATH=/tmp/evil"
  run backup_load_env_file
  [ "${status}" -eq 2 ]
  [[ "${output}" == *":1: PATH may not be set here"* ]]
  secret "${BACKUP_ENV_FILE}" 644 "AWS_ACCESS_KEY_ID=x"
  run backup_load_env_file
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"has mode 644"* ]]
  secret "${BACKUP_ENV_FILE}" 600 "export AWS_ACCESS_KEY_ID=x"
  run backup_load_env_file
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"not a KEY=VALUE line"* ]]
}

@test "the defaults pass the checks; bad values are named" {
  backup_config_check
  BACKUP_STORES="mysql postgres" run backup_config_check
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"unknown store 'postgres'"* ]]
  BACKUP_BEFORE_DEPLOY=sometimes run backup_config_check
  [[ "${output}" == *"BACKUP_BEFORE_DEPLOY must be auto, always or never"* ]]
  BACKUP_KEEP_HOURLY=0 BACKUP_KEEP_DAILY=0 BACKUP_KEEP_WEEKLY=0 run backup_config_check
  [[ "${output}" == *"retention would delete every snapshot"* ]]
  BACKUP_NICE=20 run backup_config_check
  [ "${status}" -eq 2 ]
  BACKUP_MAX_AGE_S=2h run backup_config_check
  [[ "${output}" == *"BACKUP_MAX_AGE_S must be a whole number"* ]]
}

@test "the repository label drops credentials from a URL" {
  BACKUP_REPOSITORY="s3:https://key:secret@s3.test/bucket"
  [ "$(backup_repository_label)" = "s3:https://s3.test/bucket" ]
  BACKUP_REPOSITORY="/srv/backup"
  [ "$(backup_repository_label)" = "/srv/backup" ]
}
