#!/usr/bin/env bats
# Retiring the old color after the rollback window (scripts/lib/retire.sh, scripts/retire.sh): a systemd
# transient timer where systemd runs (systemd-run and systemctl are PATH stubs here; the engine suite runs
# the real one), else a detached process that survives a Jenkins-style kill of the build's processes.
# docker is a stub that records what would be stopped.

bats_require_minimum_version 1.5.0

setup() {
  load deploy_helpers
  deploy_setup
  SWITCHYARD_ENV=prod
  STATE_DIR="${BATS_TEST_TMPDIR}/state/prod"
  LOCK_FILE="${STATE_DIR}/deploy.lock"
  UPSTREAM_FILE="${BATS_TEST_TMPDIR}/prod-upstream.conf"
  STOP_GRACE_S=45
  LOCK_WAIT_S=30
  mkdir -p "${STATE_DIR}"
  echo 'server 127.0.0.1:8082;' >"${UPSTREAM_FILE}"
  # The blue container is 0123456789ab; docker stop records its call.
  stub docker '
case "$1" in
  ps) echo 0123456789abcdef0123 ;;
  stop) [[ -z "${STOP_SLEEP:-}" ]] || sleep "${STOP_SLEEP}"; echo stopped >>"${STUB_LOG}.stopped" ;;
esac'
  export RETIRE_SYSTEMD_RUN_DIR="${BATS_TEST_TMPDIR}/run-systemd-system"
  JOB_PIDS=()
}

teardown() {
  local pid
  for pid in "${JOB_PIDS[@]}"; do
    kill "${pid}" 2>/dev/null || true
  done
  if [[ -r "${STATE_DIR}/retire-blue.json" ]]; then
    pid="$(jq -r '.pid // empty' "${STATE_DIR}/retire-blue.json")"
    [[ -z "${pid}" ]] || kill "${pid}" 2>/dev/null || true
  fi
}

state() {
  jq -r "$1" "${STATE_DIR}/retire-blue.json"
}

@test "auto picks systemd when systemd is the init system and systemd-run exists, else a process" {
  stub systemd-run 'true'
  [ "$(retire_mechanism)" = process ]
  mkdir -p "${RETIRE_SYSTEMD_RUN_DIR}"
  [ "$(retire_mechanism)" = systemd ]
  RETIRE_SCHEDULER=process
  [ "$(retire_mechanism)" = process ]
}

@test "systemd: a transient timer named after the env and color runs scripts/retire.sh with the state file" {
  mkdir -p "${RETIRE_SYSTEMD_RUN_DIR}"
  stub systemd-run 'true'
  stub systemctl 'true'
  retire_schedule blue 0123456789ab 600
  local file="${STATE_DIR}/retire-blue.json"
  grep -q -x -F "systemd-run --quiet --collect --unit=switchyard-retire-prod-blue --on-active=600s --timer-property=AccuracySec=1s --description=Switchyard prod: stop blue after the rollback window ${REPO_ROOT}/scripts/retire.sh ${file}" "${STUB_LOG}"
  [ "$(state .mechanism)" = systemd ]
  [ "$(state .unit)" = switchyard-retire-prod-blue ]
  [ "$(state .container)" = 0123456789ab ]
  (($(state .due) - $(date +%s) > 590))
  # What the job needs travels in the file: the unit runs with systemd's environment, not ours.
  [ "$(state .settings.lock_file)" = "${LOCK_FILE}" ]
  [ "$(state .settings.project)" = switchyard-test-blue ]
  [ "$(state .settings.stop_grace_s)" = 45 ]
  run retire_pending_json
  [ "$(jq -r '.[0] | "\(.color) \(.state) \(.mechanism) \(.unit)"' <<<"${output}")" = "blue pending systemd switchyard-retire-prod-blue" ]
}

@test "systemd: a stale unit of that name is stopped and reset first; cancelling stops the timer and removes the file" {
  mkdir -p "${RETIRE_SYSTEMD_RUN_DIR}"
  stub systemd-run 'true'
  stub systemctl 'true'
  retire_schedule blue 0123456789ab 600
  grep -q '^systemctl stop switchyard-retire-prod-blue.timer switchyard-retire-prod-blue.service' "${STUB_LOG}"
  grep -q '^systemctl reset-failed switchyard-retire-prod-blue.timer' "${STUB_LOG}"
  : >"${STUB_LOG}"
  retire_cancel blue
  grep -q -x 'systemctl stop switchyard-retire-prod-blue.timer' "${STUB_LOG}"
  [ ! -e "${STATE_DIR}/retire-blue.json" ]
}

@test "systemd: a timer that is gone (a reboot) shows as lost" {
  mkdir -p "${RETIRE_SYSTEMD_RUN_DIR}"
  stub systemd-run 'true'
  stub systemctl '[[ "$1" != is-active ]]'
  retire_schedule blue 0123456789ab 600
  run retire_pending_json
  [ "$(jq -r '.[0].state' <<<"${output}")" = lost ]
}

@test "systemd-run failing falls back to a detached process, said so" {
  mkdir -p "${RETIRE_SYSTEMD_RUN_DIR}"
  stub systemd-run 'echo "Failed to start transient timer unit" >&2; exit 1'
  stub systemctl 'true'
  run retire_schedule blue 0123456789ab 600
  [ "$status" -eq 0 ]
  [[ "$output" == *"systemd-run failed: retiring blue with a detached process instead"* ]]
  [ "$(state .mechanism)" = process ]
}

@test "no systemd: the detached job carries no build cookie, has its own session, and stops the color when due" {
  # Scheduled from a 'build step' that carries Jenkins' cookies, as deploy.sh under Jenkins would be.
  JENKINS_NODE_COOKIE=cookie-123 BUILD_ID=42 HUDSON_COOKIE=h-1 retire_schedule blue 0123456789ab 2
  local pid
  pid="$(state .pid)"
  [ "$(state .mechanism)" = process ]
  [ -r "/proc/${pid}/environ" ]
  run ! grep -q -z -E '^(JENKINS_NODE_COOKIE|BUILD_ID|HUDSON_COOKIE)=' "/proc/${pid}/environ"
  [ "$(ps -o sid= -p "${pid}" | tr -d ' ')" = "${pid}" ]
  run retire_pending_json
  [ "$(jq -r '.[0] | "\(.state) \(.pid)"' <<<"${output}")" = "pending ${pid}" ]
  # Due in 2 s: the job stops the container and removes its file.
  local i
  for i in $(seq 1 50); do
    [[ -e "${STUB_LOG}.stopped" ]] && break
    sleep 0.2
  done
  [ -e "${STUB_LOG}.stopped" ]
  grep -q '^docker stop -t 45 0123456789ab' "${STUB_LOG}"
  [ ! -e "${STATE_DIR}/retire-blue.json" ]
}

@test "cancel ends the detached job and nothing is stopped" {
  retire_schedule blue 0123456789ab 1
  local pid
  pid="$(state .pid)"
  retire_cancel blue
  [ ! -e "${STATE_DIR}/retire-blue.json" ]
  sleep 2
  [ ! -e "${STUB_LOG}.stopped" ]
  run ! kill -0 "${pid}"
}

@test "the job does not stop a color that is live again, or was replaced meanwhile" {
  echo 'server 127.0.0.1:8081;' >"${UPSTREAM_FILE}"
  RETIRE_SCHEDULER=process retire_schedule blue 0123456789ab 3600
  retire_cancel_process_only
  run "${REPO_ROOT}/scripts/retire.sh" "${STATE_DIR}/retire-blue.json"
  [ "$status" -eq 0 ]
  [[ "$output" == *"blue is live again, not stopping it"* ]]
  echo 'server 127.0.0.1:8082;' >"${UPSTREAM_FILE}"
  RETIRE_SCHEDULER=process retire_schedule blue fedcba987654 3600
  retire_cancel_process_only
  run "${REPO_ROOT}/scripts/retire.sh" "${STATE_DIR}/retire-blue.json"
  [ "$status" -eq 0 ]
  [[ "$output" == *"was replaced or removed meanwhile"* ]]
  [ ! -e "${STUB_LOG}.stopped" ]
}

@test "a cancelled retirement (state file gone) does nothing" {
  RETIRE_SCHEDULER=process retire_schedule blue 0123456789ab 3600
  cp "${STATE_DIR}/retire-blue.json" "${BATS_TEST_TMPDIR}/copy.json"
  retire_cancel blue
  run "${REPO_ROOT}/scripts/retire.sh" "${STATE_DIR}/retire-blue.json"
  [ "$status" -eq 0 ]
  [ ! -e "${STUB_LOG}.stopped" ]
}

@test "the job releases the deploy lock before docker stop: a deploy arriving meanwhile gets it at once" {
  RETIRE_SCHEDULER=process retire_schedule blue 0123456789ab 3600
  retire_cancel_process_only
  STOP_SLEEP=3 "${REPO_ROOT}/scripts/retire.sh" "${STATE_DIR}/retire-blue.json" >"${BATS_TEST_TMPDIR}/job.log" 2>&1 &
  JOB_PIDS+=($!)
  local i
  for i in $(seq 1 50); do
    grep -q '^docker stop' "${STUB_LOG}" && break
    sleep 0.1
  done
  grep -q '^docker stop' "${STUB_LOG}"
  # docker stop runs (3 s): a deploy without --wait takes the lock now.
  run lock_acquire "${LOCK_FILE}" 0 "deploy prod-2 image=switchyard:2.0.0"
  [ "$status" -eq 0 ]
  [ ! -e "${STUB_LOG}.stopped" ]
}

# retire_cancel_process_only: end the detached timer but keep the state file, to run the job by hand.
retire_cancel_process_only() {
  kill "$(state .pid)"
}
