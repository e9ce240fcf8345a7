#!/usr/bin/env bats
# The restic wrapper: the settings it passes, retention arguments, errors turned into one clear line.

setup() {
  load backup_helpers
  backup_setup
  secret "${BACKUP_PASSWORD_FILE}" 600 pw
}

@test "restic gets the repository and password file, never a password variable, on BACKUP_RESTIC_PROCS cores" {
  stub restic 'echo "repo=${RESTIC_REPOSITORY} file=${RESTIC_PASSWORD_FILE} pw=${RESTIC_PASSWORD:-unset} procs=${GOMAXPROCS}"'
  export RESTIC_PASSWORD=leaked
  BACKUP_RESTIC_PROCS=1
  run restic_cmd snapshots
  [ "${output}" = "repo=${BACKUP_REPOSITORY} file=${BACKUP_PASSWORD_FILE} pw=unset procs=1" ]
}

@test "restic runs at the backup's nice level" {
  stub restic 'cut -d" " -f19 /proc/$$/stat'
  BACKUP_NICE=17
  run restic_cmd version
  [ "${output}" = 17 ]
}

@test "scheduled retention: keep hourly, daily, weekly of this env's scheduled snapshots, then prune" {
  stub restic 'exit 0'
  restic_forget prod scheduled
  grep -qx "restic forget --tag env=prod,kind=scheduled --group-by host,paths --keep-hourly 24 --keep-daily 7 --keep-weekly 4 --prune" "${STUB_LOG}"
}

@test "pre-migration snapshots: the last BACKUP_KEEP_BEFORE_DEPLOY" {
  stub restic 'exit 0'
  BACKUP_KEEP_BEFORE_DEPLOY=3
  restic_forget dev before-deploy
  grep -qx "restic forget --tag env=dev,kind=before-deploy --group-by host,paths --keep-last 3 --prune" "${STUB_LOG}"
}

@test "restic's errors become one clear line, also out of a command substitution" {
  RESTIC_ERROR_FILE="${BATS_TEST_TMPDIR}/restic-error"
  stub restic 'echo "Fatal: wrong password or no key found" >&2; exit 1'
  out="$(restic_try snapshots 2>/dev/null)" || true
  [[ "$(restic_error)" == "wrong repository password (BACKUP_PASSWORD_FILE does not open ${BACKUP_REPOSITORY})" ]]
  stub restic 'echo "Fatal: unable to save snapshot: write /r/data/x: no space left on device" >&2; exit 1'
  run restic_try backup
  [ "${status}" -eq 1 ]
  [[ "$(restic_error)" == "the repository's disk is full (${BACKUP_REPOSITORY}): no snapshot was written" ]]
  stub restic 'printf "Fatal: unable to open config file: stat /r/config: no such file or directory\nIs there a repository at the following location?\n" >&2; exit 1'
  run restic_try snapshots
  [[ "$(restic_error)" == "no restic repository at ${BACKUP_REPOSITORY} (create it once: scripts/backup.sh --init <env>)" ]]
}

@test "restic_resolve: latest of this env, a unique prefix, or a clear error" {
  stub restic 'echo "[{\"id\":\"aaa111\",\"time\":\"2024-01-01T10:00:00Z\"},{\"id\":\"bbb222\",\"time\":\"2024-01-02T10:00:00Z\"},{\"id\":\"bbb333\",\"time\":\"2023-01-01T10:00:00Z\"}]"'
  [ "$(restic_resolve dev latest)" = bbb222 ]
  [ "$(restic_resolve dev aaa)" = aaa111 ]
  run restic_resolve dev bbb
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"no snapshot 'bbb' of env dev"* ]]
  grep -q -- "--tag env=dev" "${STUB_LOG}"
}
