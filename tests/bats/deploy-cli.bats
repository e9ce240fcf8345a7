#!/usr/bin/env bats
# deploy.sh's command line: usage and configuration errors exit 2 before anything is touched, and
# --dry-run prints the plan and the nginx diff without changing anything.

bats_require_minimum_version 1.5.0

setup() {
  load deploy_helpers
  deploy_setup
  export SWITCHYARD_STATE_DIR="${BATS_TEST_TMPDIR}/state"
  export NGINX_PREFIX="${BATS_TEST_TMPDIR}/nginx"
  export NGINX_CONF="${NGINX_PREFIX}/nginx.conf"
  export NGINX_CONF_DIR="${NGINX_PREFIX}"
  export UPSTREAM_FILE="${NGINX_PREFIX}/switchyard/dev-upstream.conf"
  export BLUE_PORT=9081 GREEN_PORT=9082
  # docker knows exactly one image, labelled with its version.
  stub docker '
case "$*" in
  "image inspect -f"*) echo 2.0.0 ;;
  "image inspect switchyard:2.0.0") exit 0 ;;
  "image inspect"*) exit 1 ;;
  *) exit 0 ;;
esac'
  stub nginx 'exit 0'
}

@test "no arguments, unknown options, unknown env, unpinned or missing image: exit 2" {
  run "${REPO_ROOT}/scripts/deploy.sh"
  [ "$status" -eq 2 ]
  run "${REPO_ROOT}/scripts/deploy.sh" --fast dev switchyard:2.0.0
  [ "$status" -eq 2 ]
  run "${REPO_ROOT}/scripts/deploy.sh" staging switchyard:2.0.0
  [ "$status" -eq 2 ]
  run "${REPO_ROOT}/scripts/deploy.sh" dev switchyard:latest
  [ "$status" -eq 2 ]
  run "${REPO_ROOT}/scripts/deploy.sh" dev switchyard:9.9.9
  [ "$status" -eq 2 ]
  [[ "$output" == *"not found on this host"* ]]
  [ ! -e "${SWITCHYARD_STATE_DIR}" ]
}

@test "a non-numeric deadline is a configuration error" {
  READY_DEADLINE_S=soon run "${REPO_ROOT}/scripts/deploy.sh" dev switchyard:2.0.0
  [ "$status" -eq 2 ]
}

@test "a warm-up without concurrency or time is a configuration error, named" {
  WARMUP_CONCURRENCY=0 run "${REPO_ROOT}/scripts/deploy.sh" dev switchyard:2.0.0
  [ "$status" -eq 2 ]
  [[ "$output" == *"WARMUP_CONCURRENCY, WARMUP_MAX_S and VERIFY_REQUESTS must be at least 1"* ]]
  WARMUP_MAX_S=0 run "${REPO_ROOT}/scripts/deploy.sh" dev switchyard:2.0.0
  [ "$status" -eq 2 ]
  WARMUP_REQUESTS=50 WARMUP_CONCURRENCY=2 run "${REPO_ROOT}/scripts/deploy.sh" --dry-run dev switchyard:2.0.0
  [ "$status" -eq 0 ]
  [[ "$output" == *"50 warm-up requests (2 at a time"* ]]
}

@test "--dry-run prints the plan and the nginx diff and changes nothing" {
  mkdir -p "$(dirname "${UPSTREAM_FILE}")"
  echo 'server 127.0.0.1:9081;' >"${UPSTREAM_FILE}"
  cp "${UPSTREAM_FILE}" "${BATS_TEST_TMPDIR}/before"
  run "${REPO_ROOT}/scripts/deploy.sh" --dry-run dev switchyard:2.0.0
  [ "$status" -eq 0 ]
  [[ "$output" == *"live color       blue (:9081)"* ]]
  [[ "$output" == *"new color        green (:9082"* ]]
  [[ "$output" == *"expects version 2.0.0"* ]]
  [[ "$output" == *"-server 127.0.0.1:9081;"* ]]
  [[ "$output" == *"+server 127.0.0.1:9082;"* ]]
  cmp "${UPSTREAM_FILE}" "${BATS_TEST_TMPDIR}/before"
  [ ! -e "${SWITCHYARD_STATE_DIR}" ]
  # docker was only asked about the image, never to run anything.
  run ! grep -q -v -E '^docker image inspect' "${STUB_LOG}"
  run ! grep -q '^nginx' "${STUB_LOG}"
}

@test "a deploy without --wait arriving while a retirement holds the lock waits for it instead of exiting 3" {
  local lock="${SWITCHYARD_STATE_DIR}/dev/deploy.lock"
  (
    lock_acquire "${lock}" 0 "retire dev blue after the rollback window"
    exec sleep 2
  ) &
  local holder=$!
  retry_until 5 0.1 test -s "${lock}.holder"
  SWITCHYARD_TEST_STOP_AT=read_live "${REPO_ROOT}/scripts/deploy.sh" dev switchyard:2.0.0 >"${BATS_TEST_TMPDIR}/deploy.log" 2>&1 &
  local pid=$! state=""
  local i
  for i in $(seq 1 100); do
    state="$(awk '{print $3}' "/proc/${pid}/stat" 2>/dev/null || echo gone)"
    [[ "${state}" == T || "${state}" == gone ]] && break
    sleep 0.1
  done
  kill -9 "${pid}" 2>/dev/null || true
  kill "${holder}" 2>/dev/null || true
  cat "${BATS_TEST_TMPDIR}/deploy.log"
  # It reached the step after the lock (stopped there by the test hook), holding the lock itself.
  [ "${state}" = T ]
  grep -q 'the lock is held by: retire dev blue after the rollback window pid=.*: waiting up to 30s for it' "${BATS_TEST_TMPDIR}/deploy.log"
  grep -q '^deploy dev-' "${lock}.holder"
}

@test "a host whose curl is older than the oldest tested refuses to deploy, naming it" {
  stub curl '[[ "$1" == --version ]] && echo "curl 7.68.0 (x86_64-pc-linux-gnu) libcurl/7.68.0"'
  run "${REPO_ROOT}/scripts/deploy.sh" dev switchyard:2.0.0
  [ "$status" -eq 2 ]
  [[ "$output" == *"curl 7.68.0 is too old: curl 7.74.0 or newer is needed (supported hosts: Debian 12/13, Ubuntu 22.04/24.04)"* ]]
  [ ! -e "${SWITCHYARD_STATE_DIR}/dev" ]
}
