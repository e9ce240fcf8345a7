#!/usr/bin/env bats
# Deploy hooks (scripts/lib/hooks.sh): which run, in which order, with which environment (the contract in
# deploy.d/README.md), and what their exit code means to the step.

bats_require_minimum_version 1.5.0

setup() {
  load deploy_helpers
  deploy_setup
  SWITCHYARD_ENV=prod
  DEPLOY_HOOKS_DIR="${BATS_TEST_TMPDIR}/deploy.d"
  HOOK_TIMEOUT_S=5
  APP_HOST=127.0.0.1
  DEPLOY_ID=prod-20260101000000-42
  DEPLOY_USER=jenkins
  IMAGE=switchyard:2.0.0
  EXPECTED_VERSION=2.0.0
  OLD_IMAGE=switchyard:1.0.0
  LIVE_COLOR=blue
  IDLE_COLOR=green
  NGINX_URL=http://127.0.0.1:80
  APP_ENV_FILE=/etc/switchyard/prod.env
  STATE_DIR=/var/lib/switchyard/prod
  mkdir -p "${DEPLOY_HOOKS_DIR}/prod" "${DEPLOY_HOOKS_DIR}/dev"
}

# hook <path> <body>: an executable hook.
hook() {
  printf '#!/usr/bin/env bash\n%s\n' "$2" >"${DEPLOY_HOOKS_DIR}/$1"
  chmod +x "${DEPLOY_HOOKS_DIR}/$1"
}

@test "no hooks: nothing runs, success" {
  run hooks_run smoke_test post http://127.0.0.1:8082
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "a hook gets the contract's environment" {
  hook start_idle.pre 'env | grep ^SWITCHYARD_ | sort'
  run hooks_run start_idle pre http://127.0.0.1:8082
  [ "$status" -eq 0 ]
  local want
  for want in SWITCHYARD_ENV=prod SWITCHYARD_DEPLOY_ID=prod-20260101000000-42 SWITCHYARD_DEPLOY_USER=jenkins \
    SWITCHYARD_ACTION=deploy SWITCHYARD_STEP=start_idle SWITCHYARD_HOOK=start_idle.pre \
    SWITCHYARD_IMAGE=switchyard:2.0.0 SWITCHYARD_VERSION=2.0.0 SWITCHYARD_PREVIOUS_IMAGE=switchyard:1.0.0 \
    SWITCHYARD_LIVE_COLOR=blue SWITCHYARD_LIVE_PORT=8081 SWITCHYARD_LIVE_URL=http://127.0.0.1:8081 \
    SWITCHYARD_NEW_COLOR=green SWITCHYARD_NEW_PORT=8082 SWITCHYARD_NEW_URL=http://127.0.0.1:8082 \
    SWITCHYARD_TARGET_URL=http://127.0.0.1:8082 SWITCHYARD_NGINX_URL=http://127.0.0.1:80 \
    SWITCHYARD_APP_ENV_FILE=/etc/switchyard/prod.env SWITCHYARD_STATE_DIR=/var/lib/switchyard/prod; do
    [[ "$output" == *"[start_idle.pre] ${want}"* ]] || { echo "missing ${want}"; false; }
  done
}

@test "first deploy: the live color is none, its port and URL empty" {
  LIVE_COLOR=none
  OLD_IMAGE=""
  hook read_live.post 'echo "live=${SWITCHYARD_LIVE_COLOR} port=${SWITCHYARD_LIVE_PORT} url=${SWITCHYARD_LIVE_URL} prev=${SWITCHYARD_PREVIOUS_IMAGE}"'
  run hooks_run read_live post
  [[ "$output" == *"live=none port= url= prev="* ]]
}

@test "the shared hook runs before the env's; another env's and non-executable files do not run" {
  hook smoke_test.post 'echo shared'
  hook prod/smoke_test.post 'echo prod-only'
  hook dev/smoke_test.post 'echo dev-only'
  printf '#!/bin/sh\necho not-executable\n' >"${DEPLOY_HOOKS_DIR}/smoke_test.pre"
  run hooks_run smoke_test post
  [ "$status" -eq 0 ]
  [[ "$output" == *"shared"*"prod-only"* ]]
  [[ "$output" != *"dev-only"* ]]
  run hooks_run smoke_test pre
  [[ "$output" != *"not-executable"* ]]
}

@test "a failing hook stops the others and returns its status, named" {
  hook verify.post 'echo checking; exit 3'
  hook prod/verify.post 'echo never'
  run hooks_run verify post
  [ "$status" -eq 3 ]
  [[ "$output" == *"[verify.post] checking"* ]]
  [[ "$output" == *"hook verify.post failed (exit 3)"* ]]
  [[ "$output" != *"never"* ]]
}

@test "a hook that hangs is cut off at HOOK_TIMEOUT_S (status 124)" {
  HOOK_TIMEOUT_S=1
  hook bake.pre 'sleep 30'
  SECONDS=0
  run hooks_run bake pre
  [ "$status" -eq 124 ]
  ((SECONDS < 10))
  [[ "$output" == *"hook bake.pre did not finish within 1s"* ]]
}

@test "a hook cannot read the deploy's stdin" {
  hook record.post 'if read -r -t 1 line; then echo "read: ${line}"; else echo "no stdin"; fi'
  run hooks_run record post <<<"secret"
  [[ "$output" == *"no stdin"* ]]
}
