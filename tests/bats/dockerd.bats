#!/usr/bin/env bats
# ensure_dockerd on a machine that has the docker client but no engine (a fresh CI machine):
# it installs the engine package before starting dockerd, instead of failing with "dockerd: not found".

setup() {
  load deploy_helpers
  deploy_setup
  # Only the stubs and the base system: the host's own dockerd (in /usr/sbin) stays out of sight.
  PATH="${STUB_DIR}:/usr/bin:/bin"
  DOCKERD_LOG="${BATS_TEST_TMPDIR}/dockerd.log"
  ENGINE_UP="${BATS_TEST_TMPDIR}/engine-up"
  export ENGINE_UP
  stub docker '[[ "$1" == info && -e "${ENGINE_UP}" ]]'
  # No engine process on this "machine" (the host's own dockerd must not count).
  stub pgrep 'exit 1'
  # After deploy_setup: common.sh defines the real one.
  ensure_packages() { fake_ensure_packages "$@"; }
}

# The package step: it "installs" a dockerd stub that brings the engine up.
fake_ensure_packages() {
  echo "ensure_packages $*" >>"${STUB_LOG}"
  stub dockerd 'touch "${ENGINE_UP}"'
}

@test "no dockerd binary: docker.io is installed, then dockerd started" {
  ensure_dockerd
  grep -qx 'ensure_packages docker.io' "${STUB_LOG}"
  grep -q '^dockerd' "${STUB_LOG}"
}

@test "an engine that already answers: nothing installed, nothing started" {
  touch "${ENGINE_UP}"
  ensure_dockerd
  ! grep -q 'ensure_packages' "${STUB_LOG}"
  ! grep -q '^dockerd' "${STUB_LOG}"
}
