#!/usr/bin/env bats
# The deploy plan is computed from its inputs only, so --dry-run can print it.

setup() {
  load deploy_helpers
  deploy_setup
  LOCK_FILE=/state/prod/deploy.lock
  UPSTREAM_FILE=/etc/nginx/switchyard/prod-upstream.conf
  HISTORY_FILE=/state/prod/history.jsonl
  READY_DEADLINE_S=120
  VERIFY_REQUESTS=10
  DRAIN_TIMEOUT_S=30
  STOP_GRACE_S=45
  ROLLBACK_WINDOW_S=0
  BAKE_S=0
  DISK_MIN_FREE_MB=2048
  IMAGES_PRUNE=1
  IMAGES_KEEP=3
  RETIRE_SCHEDULER=process
  DEPLOY_HOOKS_DIR="${BATS_TEST_TMPDIR}/hooks"
  SWITCHYARD_ENV=prod
}

@test "plan_image_tag handles registries with ports and digests" {
  [ "$(plan_image_tag switchyard:1.2.3-abc1234)" = 1.2.3-abc1234 ]
  [ "$(plan_image_tag registry.local:5000/team/switchyard:2.0.0)" = 2.0.0 ]
  [ "$(plan_image_tag registry.local:5000/team/switchyard)" = "" ]
  [ "$(plan_image_tag switchyard:1.0.0@sha256:0123)" = 1.0.0 ]
}

@test "plan_validate_image accepts pinned tags only" {
  plan_validate_image switchyard:1.0.0-abc1234
  run plan_validate_image switchyard:latest
  [ "$status" -ne 0 ]
  run plan_validate_image switchyard
  [ "$status" -ne 0 ]
  run plan_validate_image 'switchyard:1.0; rm -rf /'
  [ "$status" -ne 0 ]
}

@test "live blue: the plan deploys green on its port" {
  plan_build prod switchyard:2.0.0 blue 2.0.0
  [ "${PLAN_IDLE_COLOR}" = green ]
  [ "${PLAN_IDLE_PORT}" = 8082 ]
  [ "${PLAN_LIVE_PORT}" = 8081 ]
  [ "${PLAN_IDLE_PROJECT}" = switchyard-test-green ]
  [ "${PLAN_UPSTREAM_LINE}" = "server 127.0.0.1:8082;" ]
}

@test "live green: the plan deploys blue" {
  plan_build prod switchyard:2.0.0 green 2.0.0
  [ "${PLAN_IDLE_COLOR}" = blue ]
  [ "${PLAN_UPSTREAM_LINE}" = "server 127.0.0.1:8081;" ]
}

@test "first deploy: blue, nothing to drain" {
  plan_build prod switchyard:1.0.0 none 1.0.0
  [ "${PLAN_IDLE_COLOR}" = blue ]
  [ -z "${PLAN_LIVE_PORT}" ]
  run plan_print
  [[ "$output" == *"live color       none (first deploy)"* ]]
  [[ "$output" == *"10 drain         nothing to drain"* ]]
  [[ "$output" == *"6 schema_gate   nothing live to check"* ]]
}

@test "an unknown live color is refused" {
  run plan_build prod switchyard:1.0.0 purple 1.0.0
  [ "$status" -ne 0 ]
}

@test "plan_print names the steps, the version check, the bake, the hooks and the drain policy" {
  plan_build prod switchyard:2.0.0 blue 2.0.0
  run plan_print
  [ "$status" -eq 0 ]
  [[ "$output" == *"version == 2.0.0"* ]]
  [[ "$output" == *"upstream include -> 'server 127.0.0.1:8082;'"* ]]
  [[ "$output" == *"stop blue (grace 45s)"* ]]
  local n
  for n in lock read_live start_idle health_check smoke_test schema_gate switch verify bake drain record; do
    [[ "$output" == *" ${n} "* ]]
  done
  [[ "$output" == *"9 bake          none (BAKE_S=0)"* ]]
  [[ "$output" == *"smoke_test    /actuator/info version == 2.0.0, color green; hooks none"* ]]
  [[ "$output" == *"keep live, previous, last 3"* ]]
  ROLLBACK_WINDOW_S=600 BAKE_S=60
  mkdir -p "${DEPLOY_HOOKS_DIR}/prod"
  printf '#!/bin/sh\n' >"${DEPLOY_HOOKS_DIR}/smoke_test.post"
  printf '#!/bin/sh\n' >"${DEPLOY_HOOKS_DIR}/prod/smoke_test.pre"
  printf '#!/bin/sh\n' >"${DEPLOY_HOOKS_DIR}/schema_gate.post"
  chmod +x "${DEPLOY_HOOKS_DIR}/smoke_test.post" "${DEPLOY_HOOKS_DIR}/prod/smoke_test.pre" "${DEPLOY_HOOKS_DIR}/schema_gate.post"
  run plan_print
  [[ "$output" == *"keep blue 600s for rollback, then stop it (process timer)"* ]]
  [[ "$output" == *"9 bake          60s: green's 5xx ratio and p99 vs blue's"* ]]
  [[ "$output" == *"hooks prod/smoke_test.pre smoke_test.post"* ]]
  [[ "$output" == *"blue still ready and passing the smoke hooks schema_gate.post"* ]]
}

@test "the deploy runs the steps in the documented order" {
  [ "${PLAN_STEPS[*]}" = "lock read_live start_idle health_check smoke_test schema_gate switch verify bake drain record" ]
}
