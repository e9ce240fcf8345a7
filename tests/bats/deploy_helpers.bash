# shellcheck shell=bash
# Shared set-up for the deploy kit's bats tests: sources the libraries and puts a stub directory
# first on PATH. A stub records its arguments in ${STUB_LOG} (one line per call).

deploy_setup() {
  REPO_ROOT="$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)"
  export SWITCHYARD_ROOT="${REPO_ROOT}"
  # shellcheck source=scripts/lib/common.sh
  source "${REPO_ROOT}/scripts/lib/common.sh"
  local lib
  for lib in config color lock history nginx health app detach retire hooks plan drain bake disk preflight notify; do
    # shellcheck source=/dev/null
    source "${REPO_ROOT}/scripts/lib/${lib}.sh"
  done
  STUB_DIR="${BATS_TEST_TMPDIR}/stubs"
  STUB_LOG="${BATS_TEST_TMPDIR}/stub.log"
  mkdir -p "${STUB_DIR}"
  : >"${STUB_LOG}"
  export STUB_LOG
  PATH="${STUB_DIR}:${PATH}"
  BLUE_PORT=8081
  GREEN_PORT=8082
  COMPOSE_PROJECT_BLUE=switchyard-test-blue
  COMPOSE_PROJECT_GREEN=switchyard-test-green
}

# stub <command> <bash body>: a PATH stub that logs "<command> <args>" then runs the body.
stub() {
  local name="$1"
  local body="$2"
  printf '#!/usr/bin/env bash\necho "%s $*" >>"${STUB_LOG}"\n%s\n' "${name}" "${body}" >"${STUB_DIR}/${name}"
  chmod +x "${STUB_DIR}/${name}"
}
