#!/usr/bin/env bats
# Disk space before a new color starts, and pruning old images after a successful deploy
# (scripts/lib/disk.sh). docker and df are PATH stubs.

bats_require_minimum_version 1.5.0

setup() {
  load deploy_helpers
  deploy_setup
  SWITCHYARD_ENV=prod
  DISK_MIN_FREE_MB=2048
  IMAGES_PRUNE=1
  IMAGES_KEEP=2
  STATE_ROOT="${BATS_TEST_TMPDIR}/state"
  HISTORY_FILE="${STATE_ROOT}/prod/history.jsonl"
  mkdir -p "${BATS_TEST_TMPDIR}/docker-root"
  export DOCKER_ROOT="${BATS_TEST_TMPDIR}/docker-root"
}

# df_free <MB>: df reports that much available on every file system.
df_free() {
  stub df "printf 'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/x 100000000 1 $(($1 * 1024)) 1%% /\n'"
}

@test "enough space on Docker's data root: go" {
  # shellcheck disable=SC2016 # expanded by the stub
  stub docker 'echo "${DOCKER_ROOT}"'
  df_free 5000
  run disk_check
  [ "$status" -eq 0 ]
  [[ "$output" == *"5000 MB free on ${DOCKER_ROOT} (at least 2048 MB needed)"* ]]
  grep -q "^docker info -f {{.DockerRootDir}}" "${STUB_LOG}"
  grep -q "^df -Pk ${DOCKER_ROOT}" "${STUB_LOG}"
}

@test "too little: refused, naming the numbers and what to do" {
  # shellcheck disable=SC2016 # expanded by the stub
  stub docker 'echo "${DOCKER_ROOT}"'
  df_free 900
  run disk_check
  [ "$status" -eq 1 ]
  [[ "$output" == *"only 900 MB free on Docker's data root ${DOCKER_ROOT}; DISK_MIN_FREE_MB=2048 needed"* ]]
  [[ "$output" == *"docker image prune"* ]]
}

@test "a data root this host cannot see (remote engine) is not checked, with a warning; 0 disables" {
  stub docker 'echo /var/lib/docker-on-another-host'
  run disk_check
  [ "$status" -eq 0 ]
  [[ "$output" == *"WARNING: cannot see Docker's data root"* ]]
  DISK_MIN_FREE_MB=0
  : >"${STUB_LOG}"
  run disk_check
  [ "$status" -eq 0 ]
  [ ! -s "${STUB_LOG}" ]
}

# deployed <env> <image> <result>
deployed() {
  history_append "${STATE_ROOT}/$1/history.jsonl" "$(history_entry action=deploy image="$2" result="$3")"
}

@test "prune candidates: this env's images but the live, the previous, the last N ok, and other envs' last N" {
  deployed prod s:1 ok
  deployed prod s:2 ok
  deployed prod s:broken failed
  deployed prod s:3 ok
  deployed prod s:4 ok
  deployed dev s:1 ok
  run images_prune_candidates "${HISTORY_FILE}" 2 s:4 s:3
  [ "$status" -eq 0 ]
  # Kept: s:4 (live), s:3 (previous, also among the last 2), s:1 (dev's last 2). Removed: s:2, s:broken.
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "s:2 s:broken " ]
}

@test "prune removes the candidates the engine has, and says so; a refusal (image in use) is no failure" {
  deployed prod s:0 ok
  deployed prod s:1 ok
  deployed prod s:2 ok
  deployed prod s:3 ok
  deployed prod s:4 ok
  # s:0 is no longer on this host; s:1 is used by a container (docker refuses); s:2 goes.
  stub docker '
case "$1 $2" in
  "image inspect") [[ "$3" != s:0 ]] ;;
  "image rm") [[ "$3" != s:1 ]] ;;
esac'
  IMAGES_KEEP=1
  run images_prune s:4 s:3
  [ "$status" -eq 0 ]
  [[ "$output" == *"removed 1 old image(s) of prod: s:2"* ]]
  run ! grep -q '^docker image rm s:0' "${STUB_LOG}"
  grep -q '^docker image rm s:1' "${STUB_LOG}"
  grep -q '^docker image rm s:2' "${STUB_LOG}"
  run ! grep -q '^docker image rm s:[34]' "${STUB_LOG}"
}

@test "IMAGES_PRUNE=0 removes nothing" {
  deployed prod s:1 ok
  deployed prod s:2 ok
  stub docker 'true'
  IMAGES_PRUNE=0 IMAGES_KEEP=0
  run images_prune s:2 ""
  [ ! -s "${STUB_LOG}" ]
}
