#!/usr/bin/env bats
# Deploy history: one valid JSON object per line.

setup() {
  load deploy_helpers
  deploy_setup
  HIST="${BATS_TEST_TMPDIR}/state/prod/history.jsonl"
}

@test "history_entry builds one JSON object with typed numbers and nested steps" {
  run history_entry id=prod-1 env=prod action=deploy image=switchyard:2.0.0 result=ok exit_code=0 \
    steps='{"lock":3,"switch":120}' duration_ms=4567 message='quote " and \ survive'
  [ "$status" -eq 0 ]
  [ "$(jq -r .image <<<"$output")" = switchyard:2.0.0 ]
  [ "$(jq -r '.steps.switch' <<<"$output")" = 120 ]
  [ "$(jq -r '.duration_ms | type' <<<"$output")" = number ]
  [ "$(jq -r .message <<<"$output")" = 'quote " and \ survive' ]
  [[ "$(jq -r .time <<<"$output")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]]
}

@test "history_entry rejects malformed keys" {
  run history_entry 'bad key=1'
  [ "$status" -ne 0 ]
}

@test "history_append writes one line per deploy, creating the directory" {
  history_append "${HIST}" "$(history_entry id=1 result=ok image=a:1)"
  history_append "${HIST}" "$(history_entry id=2 result=failed image=b:2)"
  [ "$(wc -l <"${HIST}")" -eq 2 ]
  jq -e . "${HIST}" >/dev/null
  [ "$(history_last "${HIST}" 1 | jq -r .id)" = 2 ]
}

@test "the previous image is the from_image of the last successful deploy or rollback" {
  history_append "${HIST}" "$(history_entry action=deploy result=ok image=s:1 from_image=)"
  history_append "${HIST}" "$(history_entry action=deploy result=ok image=s:2 from_image=s:1)"
  history_append "${HIST}" "$(history_entry action=deploy result=failed image=s:3 from_image=s:2)"
  [ "$(history_previous_image "${HIST}")" = s:1 ]
  [ "$(history_last_ok_image "${HIST}")" = s:2 ]
  history_append "${HIST}" "$(history_entry action=rollback result=ok image=s:1 from_image=s:2)"
  [ "$(history_previous_image "${HIST}")" = s:2 ]
}

@test "no history: no previous image" {
  [ -z "$(history_previous_image "${HIST}")" ]
}

@test "after a deploy that switched and could not switch back (exit 5), rollback returns one release, not two" {
  history_append "${HIST}" "$(history_entry action=deploy result=ok exit_code=0 image=s:1 from_image=)"
  history_append "${HIST}" "$(history_entry action=deploy result=ok exit_code=0 image=s:2 from_image=s:1)"
  history_append "${HIST}" "$(history_entry action=deploy result=failed exit_code=5 image=s:3 from_image=s:2)"
  # s:3 is live (it stayed after the switch): the release before it is s:2.
  [ "$(history_previous_image "${HIST}" s:3)" = s:2 ]
  [ "$(history_previous_image "${HIST}")" = s:2 ]
}

@test "failures before the switch and bake rollbacks leave the live release, so they do not count" {
  history_append "${HIST}" "$(history_entry action=deploy result=ok exit_code=0 image=s:1 from_image=)"
  history_append "${HIST}" "$(history_entry action=deploy result=ok exit_code=0 image=s:2 from_image=s:1)"
  history_append "${HIST}" "$(history_entry action=deploy result=failed exit_code=4 image=s:3 from_image=s:2)"
  history_append "${HIST}" "$(history_entry action=deploy result=rolled_back exit_code=6 image=s:4 from_image=s:2)"
  [ "$(history_previous_image "${HIST}" s:2)" = s:1 ]
}

@test "a history that does not end on the live image names no previous image" {
  history_append "${HIST}" "$(history_entry action=deploy result=ok exit_code=0 image=s:2 from_image=s:1)"
  [ -z "$(history_previous_image "${HIST}" s:9)" ]
}
