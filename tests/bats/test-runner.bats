#!/usr/bin/env bats
# scripts/test.sh's runner: errexit inside a suite, each suite's log kept, the failure digest at the end.

setup() {
  REPO_ROOT="$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)"
  export SWITCHYARD_TEST_LOG_DIR="${BATS_TEST_TMPDIR}/logs"
  # shellcheck source=scripts/test.sh
  source "${REPO_ROOT}/scripts/test.sh"
  # bats runs the test with errexit on, as test.sh's main does.
}

@test "a suite's first failing command fails it: errexit stays on inside the suite" {
  # Its own bash: bats' `run` calls in a context that switches errexit off, which is what is tested here.
  cat >"${BATS_TEST_TMPDIR}/runner.sh" <<SCRIPT
source "${REPO_ROOT}/scripts/test.sh"
suite_stops() {
  echo before
  false
  echo "after the failing command"
}
run_suites stops
SCRIPT
  run bash "${BATS_TEST_TMPDIR}/runner.sh"
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"stops: FAILED after"* ]]
  grep -qx before "${SWITCHYARD_TEST_LOG_DIR}/stops.log"
  run grep -c "after the failing command" "${SWITCHYARD_TEST_LOG_DIR}/stops.log"
  [ "${output}" = 0 ]
}

@test "the summary ends with the failed checks of a failed suite, not its expected failures" {
  suite_checks() {
    echo "2026-12-02T10:00:00Z [deploy-e2e] deploy fail-broken: exit 4 (FAILED at health_check)"
    echo "2026-12-02T10:00:01Z [deploy-e2e] ERROR: FAIL [dryrun] dry-run changed nothing" >&2
    return 1
  }
  suite_fine() { echo "2026-12-02T10:00:02Z [fine] all checks passed"; }
  run run_suites checks fine
  [ "${status}" -eq 1 ]
  local digest="${output#*checks failed; its last failure lines}"
  [[ "${digest}" == *"ERROR: FAIL [dryrun] dry-run changed nothing"* ]]
  [[ "${digest%%-- the log ends:*}" != *"fail-broken"* ]]
  [[ "${output}" == *"1 passed, 1 failed"* ]]
  [[ "${output}" != *"fine failed"* ]]
}

@test "a suite that died before any check: its own error line and how its log ends" {
  suite_died() {
    echo "    2026-12-02T10:00:00Z [deploy] ERROR: an expected refusal, indented"
    echo "2026-12-02T10:00:01Z [compose-v2] ERROR: cannot continue without a first deploy"
    echo "cleanup done"
    return 3
  }
  run run_suites died
  [ "${status}" -eq 1 ]
  local digest="${output#*died failed; its last failure lines}"
  [[ "${digest%%-- the log ends:*}" == *"cannot continue without a first deploy"* ]]
  [[ "${digest%%-- the log ends:*}" != *"an expected refusal"* ]]
  [[ "${digest##*-- the log ends:}" == *"cleanup done"* ]]
}
