#!/usr/bin/env bats
# Chat notifications (scripts/lib/notify.sh, scripts/notify.sh): {"text": ...} to NOTIFY_WEBHOOK_URL, to a
# real local receiver (tests/deploy/webhook_receiver.py); bounded retries; never in the caller's way; the
# URL (a secret) on no command line and in no log.

bats_require_minimum_version 1.5.0

setup() {
  load deploy_helpers
  deploy_setup
  RECEIVED="${BATS_TEST_TMPDIR}/received.jsonl"
  RECEIVER=""
  export NOTIFY_TIMEOUT_S=2 NOTIFY_ATTEMPTS=3
  NOTIFY_LOG="${BATS_TEST_TMPDIR}/notify.log"
}

# A detached notifier left running by a test ends by itself: NOTIFY_ATTEMPTS x NOTIFY_TIMEOUT_S at most.
teardown() {
  [[ -z "${RECEIVER}" ]] || kill "${RECEIVER}" 2>/dev/null || true
}

# receiver [args]: starts the receiver; sets NOTIFY_WEBHOOK_URL to it, with a secret path.
receiver() {
  python3 "${REPO_ROOT}/tests/deploy/webhook_receiver.py" --out "${RECEIVED}" --port-file "${BATS_TEST_TMPDIR}/port" "$@" &
  RECEIVER=$!
  retry_until 10 0.1 test -s "${BATS_TEST_TMPDIR}/port"
  export NOTIFY_WEBHOOK_URL="http://127.0.0.1:$(cat "${BATS_TEST_TMPDIR}/port")/services/T0/B0/secret-token-${BATS_TEST_NUMBER}"
}

@test "a notification is posted as Slack-compatible JSON to the URL" {
  receiver
  run "${REPO_ROOT}/scripts/notify.sh" 'deploy "x" succeeded: switchyard:2.0.0 -> green'
  [ "$status" -eq 0 ]
  [ "$(jq -r .body.text "${RECEIVED}")" = 'deploy "x" succeeded: switchyard:2.0.0 -> green' ]
  [ "$(jq -r '.body | keys | join(",")' "${RECEIVED}")" = text ]
  [ "$(jq -r .content_type "${RECEIVED}")" = application/json ]
  [ "$(jq -r .path "${RECEIVED}")" = "/services/T0/B0/secret-token-${BATS_TEST_NUMBER}" ]
  [[ "$output" != *secret-token* ]]
}

@test "a receiver failing twice gets a third attempt; the log names attempts, never the URL" {
  receiver --fail 2
  run "${REPO_ROOT}/scripts/notify.sh" "third time lucky"
  [ "$status" -eq 0 ]
  [ "$(wc -l <"${RECEIVED}")" -eq 3 ]
  [[ "$output" == *"attempt 1/3 failed (curl exit 0, HTTP 500)"*"attempt 2/3 failed"*"sent (attempt 3)"* ]]
  [[ "$output" != *secret-token* && "$output" != *127.0.0.1* ]]
}

@test "a dead receiver: bounded attempts, exit 1, the URL not logged" {
  receiver
  kill "${RECEIVER}"
  wait "${RECEIVER}" 2>/dev/null || true
  RECEIVER=""
  run "${REPO_ROOT}/scripts/notify.sh" "nobody listens"
  [ "$status" -eq 1 ]
  [[ "$output" == *"attempt 3/3 failed (curl exit 7"* ]]
  [[ "$output" != *secret-token* ]]
}

@test "notify returns at once while the receiver hangs, and the URL is on no command line" {
  receiver --hang --hang-s 20
  notify "hanging receiver ${BATS_TEST_NUMBER}-${BATS_ROOT_PID:-x}"
  # Returned: the post is still in flight in a detached process.
  retry_until 10 0.1 test -s "${RECEIVED}"
  local pid cmdlines
  cmdlines="$(for pid in $(pgrep -f 'scripts/notify.sh|curl' || true); do tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null; echo; done)"
  [[ "${cmdlines}" == *"scripts/notify.sh hanging receiver"* ]]
  [[ "${cmdlines}" != *secret-token* ]]
  run ! grep -q secret-token "${NOTIFY_LOG}"
}

@test "without NOTIFY_WEBHOOK_URL nothing is started" {
  unset NOTIFY_WEBHOOK_URL
  notify "nowhere"
  run "${REPO_ROOT}/scripts/notify.sh" "nowhere"
  [ "$status" -eq 0 ]
  [ ! -e "${NOTIFY_LOG}" ]
}

@test "usage: one non-empty text" {
  run "${REPO_ROOT}/scripts/notify.sh"
  [ "$status" -eq 2 ]
  run "${REPO_ROOT}/scripts/notify.sh" ""
  [ "$status" -eq 2 ]
}
