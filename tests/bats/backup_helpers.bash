# shellcheck shell=bash
# Set-up for the backup kit's bats tests: sources the backup libraries with the BACKUP defaults of
# scripts/env/common.env for env "dev" in a temp state dir, and puts a stub directory first on PATH.

backup_setup() {
  load deploy_helpers
  deploy_setup
  local lib
  for lib in backup-config backup-lock backup-containers backup-restic backup-manifest backup-events \
    backup-mysql backup-redis backup-mongo backup-migrations; do
    # shellcheck source=/dev/null
    source "${REPO_ROOT}/scripts/lib/${lib}.sh"
  done
  export STATE_DIR="${BATS_TEST_TMPDIR}/state"
  export BACKUP_ENV_FILE="${BATS_TEST_TMPDIR}/backup.env"
  export BACKUP_PASSWORD_FILE="${BATS_TEST_TMPDIR}/backup.password"
  export BACKUP_REPOSITORY="${BATS_TEST_TMPDIR}/repo"
  export BACKUP_CACHE_DIR="${BATS_TEST_TMPDIR}/cache"
  unset LOGSTASH_HOST LOGSTASH_DEPLOY_PORT BACKUP_NOTIFY_WEBHOOK_URL NOTIFY_WEBHOOK_URL
  config_load dev
}

# secret <path> <mode> <content>
secret() {
  printf '%s\n' "$3" >"$1"
  chmod "$2" "$1"
}
