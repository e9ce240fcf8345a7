#!/usr/bin/env bats
# deploy.sh's command line: usage and configuration errors exit 2 before anything is touched, and
# --dry-run prints the plan and the nginx diff without changing anything.

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
  ! grep -v -E '^docker image inspect' "${STUB_LOG}" | grep -q '^docker'
  ! grep -q '^nginx' "${STUB_LOG}"
}
