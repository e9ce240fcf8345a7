#!/usr/bin/env bats
# switch.sh: never points nginx at a color that is not running and ready, and always takes the env's
# lock (no environment variable bypasses it). docker, curl and nginx are PATH stubs.

bats_require_minimum_version 1.5.0

setup() {
  load deploy_helpers
  deploy_setup
  export SWITCHYARD_STATE_DIR="${BATS_TEST_TMPDIR}/state"
  export NGINX_PREFIX="${BATS_TEST_TMPDIR}/nginx"
  export NGINX_CONF="${NGINX_PREFIX}/nginx.conf"
  export NGINX_CONF_DIR="${NGINX_PREFIX}"
  export UPSTREAM_FILE="${NGINX_PREFIX}/switchyard/dev-upstream.conf"
  export BLUE_PORT=9081 GREEN_PORT=9082 SWITCH_READY_WAIT_S=0
  mkdir -p "$(dirname "${UPSTREAM_FILE}")"
  echo 'server 127.0.0.1:9081;' >"${UPSTREAM_FILE}"
  cp "${UPSTREAM_FILE}" "${BATS_TEST_TMPDIR}/before"
  stub nginx 'exit 0'
  HOLDER=""
}

teardown() {
  [[ -z "${HOLDER}" ]] || kill "${HOLDER}" 2>/dev/null || true
}

@test "a color with no container is refused (exit 4): nginx untouched" {
  stub docker 'true'
  run "${REPO_ROOT}/scripts/switch.sh" dev green
  [ "$status" -eq 4 ]
  [[ "$output" == *"dev green is not running and ready"* ]]
  cmp "${UPSTREAM_FILE}" "${BATS_TEST_TMPDIR}/before"
  run ! grep -q '^nginx' "${STUB_LOG}"
}

@test "a running color that is not ready is refused too" {
  stub docker 'case "$1" in ps) echo abc123 ;; inspect) echo true ;; esac'
  stub curl 'printf "{\"status\":\"DOWN\"}\n503"'
  run "${REPO_ROOT}/scripts/switch.sh" dev green
  [ "$status" -eq 4 ]
  grep -q 'curl .*http://127.0.0.1:9082/actuator/health/readiness' "${STUB_LOG}"
  run ! grep -q '^nginx' "${STUB_LOG}"
}

@test "the lock is always taken: SWITCHYARD_LOCK_HELD does not bypass it" {
  stub docker 'case "$1" in ps) echo abc123 ;; inspect) echo true ;; esac'
  stub curl 'printf "{\"status\":\"UP\"}\n200"'
  local lock="${SWITCHYARD_STATE_DIR}/dev/deploy.lock"
  (
    lock_acquire "${lock}" 0 "deploy dev-1 image=switchyard:1.0.0"
    exec sleep 30
  ) &
  HOLDER=$!
  retry_until 5 0.1 test -s "${lock}.holder"
  SWITCHYARD_LOCK_HELD=dev-1 run "${REPO_ROOT}/scripts/switch.sh" dev green
  [ "$status" -eq 3 ]
  [[ "$output" == *"deploy dev-1 image=switchyard:1.0.0"* ]]
  cmp "${UPSTREAM_FILE}" "${BATS_TEST_TMPDIR}/before"
}

@test "--force skips the running-and-ready check, and says so" {
  stub docker 'true'
  run "${REPO_ROOT}/scripts/switch.sh" --install --force dev green
  [ "$status" -ne 4 ]
  [[ "$output" == *"WARNING: --force: switching dev to green without checking that it runs and is ready"* ]]
  run ! grep -q 'readiness' "${STUB_LOG}"
}
