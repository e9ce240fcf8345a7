#!/usr/bin/env bats
# backup.sh and restore.sh refuse bad input before touching anything: usage and configuration (exit 2).

setup() {
  load backup_helpers
  backup_setup
  stub docker 'exit 99'
  stub restic 'exit 99'
  secret "${BACKUP_PASSWORD_FILE}" 600 pw
}

@test "backup.sh: usage errors exit 2" {
  run "${REPO_ROOT}/scripts/backup.sh"
  [ "${status}" -eq 2 ]
  run "${REPO_ROOT}/scripts/backup.sh" --before-deploy dev
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"expected 2 argument(s)"* ]]
  run "${REPO_ROOT}/scripts/backup.sh" --bogus dev
  [ "${status}" -eq 2 ]
  run "${REPO_ROOT}/scripts/backup.sh" nosuchenv
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"unknown env 'nosuchenv'"* ]]
}

@test "backup.sh: a password file others can read is refused before any docker or restic call" {
  chmod 644 "${BACKUP_PASSWORD_FILE}"
  run "${REPO_ROOT}/scripts/backup.sh" dev
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"has mode 644"* ]]
  [ ! -s "${STUB_LOG}" ]
}

@test "backup.sh: no repository configured exits 2" {
  BACKUP_REPOSITORY="" run "${REPO_ROOT}/scripts/backup.sh" dev
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"no backup repository configured"* ]]
}

@test "restore.sh: usage errors exit 2" {
  run "${REPO_ROOT}/scripts/restore.sh"
  [ "${status}" -eq 2 ]
  run "${REPO_ROOT}/scripts/restore.sh" --in-place --project x dev
  [ "${status}" -eq 2 ]
  run "${REPO_ROOT}/scripts/restore.sh" --project 'Bad Name' dev
  [ "${status}" -eq 2 ]
  run "${REPO_ROOT}/scripts/restore.sh" dev a b
  [ "${status}" -eq 2 ]
  [ ! -s "${STUB_LOG}" ]
}

@test "--help prints the usage and exit codes" {
  run "${REPO_ROOT}/scripts/backup.sh" --help
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"Exit codes:"* ]]
  run "${REPO_ROOT}/scripts/restore.sh" --help
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"--drill"* ]]
}
