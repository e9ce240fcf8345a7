#!/usr/bin/env bats
# jenkins/notify-build.sh: build results to a Slack-compatible webhook (a real HTTP receiver on
# 127.0.0.1), the webhook URL never on a command line nor in the log, and never a failed build.

setup() {
  SCRIPT="${BATS_TEST_DIRNAME}/../notify-build.sh"
  OUT="${BATS_TEST_TMPDIR}/received.jsonl"
  export JOB_NAME=switchyard-prod/switchyard/main BUILD_NUMBER=42 BUILD_URL=https://jenkins.example.com/job/x/42/
  export DEPLOY_ENV=prod IMAGE=switchyard:1.0.0-abc1234 IMAGE_ID="sha256:$(printf 'e%.0s' {1..64})"
  unset NOTIFY_STAGE NOTIFY_MESSAGE NOTIFY_REPORT NOTIFY_WEBHOOK_URL
  RECEIVER_PID=""
}

teardown() {
  if [[ -n "${RECEIVER_PID}" ]]; then
    kill "${RECEIVER_PID}" 2>/dev/null || true
  fi
}

# receiver [status]: starts the webhook stand-in; sets NOTIFY_WEBHOOK_URL to it with a secret path.
receiver() {
  python3 "${BATS_TEST_DIRNAME}/webhook_receiver.py" --port-file "${BATS_TEST_TMPDIR}/port" --out "${OUT}" \
    --status "${1:-200}" --max-s 30 &
  RECEIVER_PID=$!
  local _
  for _ in $(seq 1 50); do
    [[ -s "${BATS_TEST_TMPDIR}/port" ]] && break
    sleep 0.1
  done
  export NOTIFY_WEBHOOK_URL="http://127.0.0.1:$(cat "${BATS_TEST_TMPDIR}/port")/services/T0/B0/Secret-path-77"
}

text() {
  jq -r .body.text "${OUT}"
}

@test "a deploy's success reaches the webhook as Slack JSON, with image and build link" {
  receiver
  NOTIFY_RESULT=SUCCESS run "${SCRIPT}"
  [ "$status" -eq 0 ]
  [ "$(jq -r '.path, .content_type' "${OUT}" | paste -sd ' ')" = "/services/T0/B0/Secret-path-77 application/json" ]
  [ "$(text)" = ":white_check_mark: switchyard-prod/switchyard/main #42 deployed switchyard:1.0.0-abc1234 to prod
image switchyard:1.0.0-abc1234 (sha256:eeeeeeeeeeee)
<https://jenkins.example.com/job/x/42/|build log>" ]
  [[ "$output" != *Secret-path* ]]
}

@test "a failure names the stage and the reason" {
  receiver
  NOTIFY_RESULT=FAILURE NOTIFY_STAGE=Test NOTIFY_MESSAGE='scripts/test.sh exited 1' run "${SCRIPT}"
  [ "$status" -eq 0 ]
  [[ "$(text)" == ":x: switchyard-prod/switchyard/main #42 FAILED in stage Test"$'\n'"scripts/test.sh exited 1"* ]]
}

@test "a rollback lists each host's outcome from the fleet report" {
  receiver
  cat >"${BATS_TEST_TMPDIR}/fleet.json" <<'JSON'
{"hosts": [{"host": "app-1", "outcome": "rolled_back", "switch_ms": 840, "note": ""},
           {"host": "app-2", "outcome": "failed", "switch_ms": null, "note": "deploy.sh exited 4"}]}
JSON
  NOTIFY_RESULT=ROLLED_BACK NOTIFY_STAGE=Deploy NOTIFY_REPORT="${BATS_TEST_TMPDIR}/fleet.json" run "${SCRIPT}"
  [ "$status" -eq 0 ]
  [[ "$(text)" == *"ROLLED BACK prod: switchyard:1.0.0-abc1234 failed in stage Deploy; every host is back on its previous release"* ]]
  [[ "$(text)" == *"• app-1: rolled_back (switch 840 ms)"$'\n'"• app-2: failed - deploy.sh exited 4"* ]]
}

@test "aborted and unstable builds say so" {
  receiver
  NOTIFY_RESULT=ABORTED NOTIFY_STAGE=Approve run "${SCRIPT}"
  NOTIFY_RESULT=UNSTABLE NOTIFY_STAGE=Test run "${SCRIPT}"
  [[ "$(sed -n 1p "${OUT}" | jq -r .body.text)" == ":no_entry: switchyard-prod/switchyard/main #42 was ABORTED in stage Approve"* ]]
  [[ "$(sed -n 2p "${OUT}" | jq -r .body.text)" == ":warning: switchyard-prod/switchyard/main #42 is UNSTABLE (stage Test)"* ]]
}

@test "a webhook that answers 500 or is down never fails the build" {
  receiver 500
  SECONDS=0
  NOTIFY_RESULT=SUCCESS run "${SCRIPT}"
  [ "$status" -eq 0 ]
  [[ "$output" == *"could not send the result SUCCESS"* ]]
  [[ "$output" != *Secret-path* ]]
  kill "${RECEIVER_PID}"
  wait "${RECEIVER_PID}" 2>/dev/null || true
  RECEIVER_PID=""
  NOTIFY_RESULT=FAILURE run "${SCRIPT}"
  [ "$status" -eq 0 ]
  [[ "$output" == *"could not send the result FAILURE"* ]]
  [ "${SECONDS}" -lt 30 ]
}

@test "the webhook URL is never on curl's command line" {
  mkdir -p "${BATS_TEST_TMPDIR}/bin"
  cat >"${BATS_TEST_TMPDIR}/bin/curl" <<'STUB'
#!/usr/bin/env bash
printf '%s\n' "$@" >"${BATS_TEST_TMPDIR}/curl-argv"
for ((i = 1; i <= $#; i++)); do
  if [[ "${!i}" == --config ]]; then j=$((i + 1)); cat "${!j}" >"${BATS_TEST_TMPDIR}/curl-config"; fi
done
cat >"${BATS_TEST_TMPDIR}/curl-stdin"
STUB
  chmod +x "${BATS_TEST_TMPDIR}/bin/curl"
  NOTIFY_WEBHOOK_URL='https://hooks.example.com/services/Secret"quote' NOTIFY_RESULT=SUCCESS PATH="${BATS_TEST_TMPDIR}/bin:${PATH}" run "${SCRIPT}"
  [ "$status" -eq 0 ]
  ! grep -q Secret "${BATS_TEST_TMPDIR}/curl-argv"
  [ "$(cat "${BATS_TEST_TMPDIR}/curl-config")" = 'url = "https://hooks.example.com/services/Secret\"quote"' ]
  jq -e '.text | startswith(":white_check_mark:")' "${BATS_TEST_TMPDIR}/curl-stdin"
}

@test "no webhook: skipped; an unknown result: usage error" {
  NOTIFY_RESULT=SUCCESS run "${SCRIPT}"
  [ "$status" -eq 0 ]
  [[ "$output" == *"no NOTIFY_WEBHOOK_URL: result SUCCESS not sent"* ]]
  NOTIFY_RESULT=GREAT run "${SCRIPT}"
  [ "$status" -eq 2 ]
}
