#!/usr/bin/env bats
# deploy.d/start_idle.pre: the pre-migration snapshot hook. It runs scripts/backup.sh --before-deploy
# only when backups are configured for the env; here backup.sh is a stub in a copy of the repo's layout
# (the real libraries and env files, linked).

bats_require_minimum_version 1.5.0

setup() {
  load deploy_helpers
  deploy_setup
  FAKE_ROOT="${BATS_TEST_TMPDIR}/root"
  mkdir -p "${FAKE_ROOT}/scripts"
  ln -s "${REPO_ROOT}/scripts/lib" "${FAKE_ROOT}/scripts/lib"
  ln -s "${REPO_ROOT}/scripts/env" "${FAKE_ROOT}/scripts/env"
  # shellcheck disable=SC2016 # the stub's own code
  printf '#!/usr/bin/env bash\necho "backup.sh $*" >>"${STUB_LOG}"\nexit "${BACKUP_STUB_RC:-0}"\n' >"${FAKE_ROOT}/scripts/backup.sh"
  chmod +x "${FAKE_ROOT}/scripts/backup.sh"
  export SWITCHYARD_ROOT="${FAKE_ROOT}" SWITCHYARD_ENV=dev SWITCHYARD_IMAGE=switchyard:2.0.0
  export SWITCHYARD_STATE_DIR="${BATS_TEST_TMPDIR}/state"
  export BACKUP_ENV_FILE="${BATS_TEST_TMPDIR}/backup.env"
  unset BACKUP_REPOSITORY
  HOOK="${REPO_ROOT}/deploy.d/start_idle.pre"
}

@test "backups not configured: no snapshot asked for, the deploy goes on" {
  run "${HOOK}"
  [ "$status" -eq 0 ]
  [[ "$output" == *"backups are not configured for dev"* ]]
  run ! grep -q '^backup.sh' "${STUB_LOG}"
}

@test "a repository in BACKUP_ENV_FILE: backup.sh --before-deploy <env> <image>, its failure fails the hook" {
  install -m 600 /dev/null "${BACKUP_ENV_FILE}"
  echo 'BACKUP_REPOSITORY=/srv/backup/switchyard' >"${BACKUP_ENV_FILE}"
  run "${HOOK}"
  [ "$status" -eq 0 ]
  grep -qx 'backup.sh --before-deploy dev switchyard:2.0.0' "${STUB_LOG}"
  BACKUP_STUB_RC=4 run "${HOOK}"
  [ "$status" -eq 4 ]
}

@test "a repository in the environment counts as configured too" {
  BACKUP_REPOSITORY=/srv/backup/switchyard run "${HOOK}"
  [ "$status" -eq 0 ]
  grep -qx 'backup.sh --before-deploy dev switchyard:2.0.0' "${STUB_LOG}"
}

@test "a BACKUP_ENV_FILE others may read: the hook fails, naming the setting, nothing backed up" {
  install -m 644 /dev/null "${BACKUP_ENV_FILE}"
  echo 'BACKUP_REPOSITORY=/srv/backup/switchyard' >"${BACKUP_ENV_FILE}"
  run "${HOOK}"
  [ "$status" -eq 2 ]
  [[ "$output" == *"BACKUP_ENV_FILE"*"mode 644"* ]]
  run ! grep -q '^backup.sh' "${STUB_LOG}"
}
