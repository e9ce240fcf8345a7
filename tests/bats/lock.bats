#!/usr/bin/env bats
# The per-env deploy lock: flock on a file, holder recorded next to it, released by the kernel.

bats_require_minimum_version 1.5.0

setup() {
  load deploy_helpers
  deploy_setup
  LOCK="${BATS_TEST_TMPDIR}/state/deploy.lock"
}

teardown() {
  if [[ -n "${HOLDER_PID:-}" ]]; then
    kill -9 "${HOLDER_PID}" 2>/dev/null || true
  fi
}

# hold_lock: a background process that takes the lock and keeps it.
hold_lock() {
  (
    lock_acquire "${LOCK}" 0 "deploy test-1 image=switchyard:1.0.0"
    exec sleep 300
  ) &
  HOLDER_PID=$!
  disown "${HOLDER_PID}"
  local i
  for i in $(seq 1 50); do
    [[ -s "${LOCK}.holder" ]] && return 0
    sleep 0.1
  done
  return 1
}

@test "a free lock is taken and its holder recorded" {
  lock_acquire "${LOCK}" 0 "deploy test-0 image=switchyard:1.0.0"
  grep -q "deploy test-0 image=switchyard:1.0.0 pid=${BASHPID} " "${LOCK}.holder"
  lock_is_held "${LOCK}" || true
  lock_release "${LOCK}"
  run ! lock_is_held "${LOCK}"
}

@test "a second deploy fails fast with status 3 and names the holder" {
  hold_lock
  lock_is_held "${LOCK}"
  run lock_acquire "${LOCK}" 0 "deploy test-2"
  [ "$status" -eq 3 ]
  [[ "$output" == *"deploy test-1 image=switchyard:1.0.0"* ]]
}

@test "--wait gives up after its deadline with status 3" {
  hold_lock
  SECONDS=0
  run lock_acquire "${LOCK}" 1 "deploy test-2"
  [ "$status" -eq 3 ]
  [ "${SECONDS}" -ge 1 ]
}

@test "--wait gets the lock when the holder finishes" {
  hold_lock
  (sleep 0.5 && kill "${HOLDER_PID}") &
  run lock_acquire "${LOCK}" 10 "deploy test-2"
  [ "$status" -eq 0 ]
}

@test "a SIGKILLed holder never leaves a stale lock" {
  hold_lock
  kill -9 "${HOLDER_PID}"
  while kill -0 "${HOLDER_PID}" 2>/dev/null; do sleep 0.05; done
  [[ "$(lock_holder "${LOCK}")" == *"(process gone)"* ]]
  run ! lock_is_held "${LOCK}"
  lock_acquire "${LOCK}" 0 "deploy test-3"
  grep -q "deploy test-3" "${LOCK}.holder"
}

@test "a deploy that loses a race still names the winner, who records itself just after locking" {
  mkdir -p "$(dirname "${LOCK}")"
  # The winner holds the lock but writes its holder line only 0.5 s later.
  (
    exec 9>>"${LOCK}"
    flock -n 9
    sleep 0.5
    echo "deploy racer image=switchyard:2.0.0 pid=${BASHPID}" >"${LOCK}.holder"
    exec sleep 300
  ) &
  HOLDER_PID=$!
  disown "${HOLDER_PID}"
  sleep 0.1
  run lock_acquire "${LOCK}" 0 "deploy test-2 image=switchyard:1.0.0"
  [ "${status}" -eq 3 ]
  [[ "${output}" == *"another deploy holds the lock"*"deploy racer image=switchyard:2.0.0"* ]]
}

# hold_lock_as <description>: like hold_lock, with that holder description.
hold_lock_as() {
  (
    lock_acquire "${LOCK}" 0 "$1"
    exec sleep 300
  ) &
  HOLDER_PID=$!
  disown "${HOLDER_PID}"
  retry_until 5 0.1 test -s "${LOCK}.holder"
}

@test "a deploy without --wait waits LOCK_WAIT_S for a restore holding the lock" {
  LOCK_WAIT_S=900
  hold_lock_as "restore of snapshot 1a2b3c4d into switchyard-data (scripts/restore.sh)"
  run lock_wait_for_holder "${LOCK}" 0
  [ "$output" = 900 ]
}

@test "a retirement holding the lock gets RETIRE_LOCK_WAIT_S, a longer --wait is kept" {
  RETIRE_LOCK_WAIT_S=30
  hold_lock_as "retire dev blue after the rollback window"
  run lock_wait_for_holder "${LOCK}" 0
  [ "$output" = 30 ]
  run lock_wait_for_holder "${LOCK}" 900
  [ "$output" = 900 ]
}

@test "another deploy or a free lock: the wait asked for, unchanged" {
  LOCK_WAIT_S=900
  RETIRE_LOCK_WAIT_S=30
  run lock_wait_for_holder "${LOCK}" 0
  [ "$output" = 0 ]
  hold_lock_as "deploy dev-1 image=switchyard:1.0.0"
  run lock_wait_for_holder "${LOCK}" 0
  [ "$output" = 0 ]
}
