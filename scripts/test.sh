#!/usr/bin/env bash
# The whole Switchyard test suite: the README's second command, and all that .ci/run runs.
# On a fresh Debian/Ubuntu machine as root it installs what the tests need (only what is missing), starts
# MariaDB and Redis on 127.0.0.1 when they are not running, then runs every suite and prints a summary.
#
# Usage: scripts/test.sh [--only SUITE[,SUITE...]] [--list]
# Environment: SWITCHYARD_TEST_LOG_DIR (/tmp/switchyard-test-logs) keeps each suite's output as <suite>.log;
# the summary quotes the last SWITCHYARD_TEST_DIGEST_LINES (15) failure lines of each failed suite.
set -euo pipefail

SCRIPT_NAME="test.sh"
SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPTS_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/test-stores.sh
source "${SCRIPTS_DIR}/lib/test-stores.sh"

ROOT="$(repo_root)"
ALL_SUITES=(app shell jenkins images deploy compose-v2 engine fleet nginx-hardening fail2ban bootstrap edge elk k8s backup contract)
# Each suite's output is also kept here (one <suite>.log each); the summary quotes the failing ones.
TEST_LOG_DIR="${SWITCHYARD_TEST_LOG_DIR:-/tmp/switchyard-test-logs}"
TEST_DIGEST_LINES="${SWITCHYARD_TEST_DIGEST_LINES:-15}"
BASE_PACKAGES=(openjdk-17-jdk-headless curl jq mariadb-server mariadb-client redis-server redis-sentinel shellcheck bats parallel
  python3-websocket)

usage() {
  cat <<USAGE
Usage: scripts/test.sh [--only SUITE[,SUITE...]] [--list]
Suites, in the order they run: ${ALL_SUITES[*]}
USAGE
}

suite_app() {
  start_test_stores
  (cd "${ROOT}" && ./mvnw -B -ntp verify)
}

suite_shell() {
  local files=()
  mapfile -t files < <(cd "${ROOT}" && git ls-files --cached --others --exclude-standard \
    '*.sh' 'scripts/*' '.ci/run' 'deploy.d/*.pre' 'deploy.d/*.post' | grep -v '\.bats$' | sort -u)
  # Both on two processes: each file is checked on its own, and the bats files share no state (each test
  # works in its own temp dir); a run on two cores takes about half the time.
  log "shellcheck: ${#files[@]} files"
  (cd "${ROOT}" && printf '%s\0' "${files[@]}" | xargs -0 -P 2 -n 8 shellcheck -x)
  if compgen -G "${ROOT}/tests/bats/*.bats" >/dev/null; then
    (cd "${ROOT}" && bats --jobs 2 --no-parallelize-within-files tests/bats)
  fi
}

# The Jenkinsfile under JenkinsPipelineUnit (its own Maven module: Groovy 2.4 stays off the app's
# classpath) and the pipeline's helper scripts under bats (write-env-file.sh: tests/bats, shell suite).
suite_jenkins() {
  (cd "${ROOT}" && ./mvnw -B -ntp -f jenkins/pipeline-tests/pom.xml verify)
  (cd "${ROOT}" && bats jenkins/tests)
}

# Offline stand-in images and the app image, built from Debian packages (cached by content hash).
suite_images() {
  "${ROOT}/tests/images/run.sh"
}

# Blue/green end to end: real dockerd, real nginx, real containers, under load.
suite_deploy() {
  "${ROOT}/tests/deploy/run.sh"
}

# The deploy kit under Docker Compose v2 (the next Debian release's package, for this run only): a good
# deploy and a rollback end to end, every container created by v2.
suite_compose_v2() {
  "${ROOT}/tests/compose-v2/run.sh"
}

# Two hosts behind a balancer nginx, each with its own sshd, nginx and docker engine: fleet deploys over ssh.
suite_fleet() {
  "${ROOT}/tests/fleet/run.sh"
}

# The deploy engine on real hosts' tools: verify with Debian 11's curl (a chroot), drain from another
# network namespace, the rollback-window timer under a real systemd (a privileged container).
suite_engine() {
  "${ROOT}/tests/engine/run.sh"
}

# Host hardening: each runner installs what it needs and removes every process, rule and dir it made.
suite_nginx_hardening() {
  "${ROOT}/tests/nginx-hardening/run.sh"
}

suite_fail2ban() {
  "${ROOT}/tests/fail2ban/run.sh"
}

suite_bootstrap() {
  "${ROOT}/tests/bootstrap/run.sh"
}

# The production edge: real ACME (pebble + certbot), TLS quality, the kit on a system nginx layout over
# HTTPS, and the balancer topology in network namespaces.
suite_edge() {
  "${ROOT}/tests/edge/run.sh"
}

# ELK: index templates, Logstash pipelines, Kibana objects, deploy events, the APM agent on the real jar,
# and the dashboard's queries on a real Elasticsearch node (elk/tests, its own Maven module).
suite_elk() {
  "${ROOT}/tests/elk/run.sh"
}

# deploy/k8s without a cluster: render the overlays, schema and policy checks, the analyses run for real.
suite_k8s() {
  "${ROOT}/tests/k8s/run.sh"
}

# Backups: real MariaDB, Redis and restic; back up, destroy, restore, drill, retention, failure cases.
suite_backup() {
  "${ROOT}/tests/backup/run.sh"
}

# The client contract: the API gate's fixtures, the AsyncAPI document (npm), CORS through a real nginx, and a
# deploy the gate refuses before any container starts.
suite_contract() {
  "${ROOT}/tests/contract/run.sh"
}

# run_suite <suite> <log>: runs the suite with its output both shown and kept in <log>. A file and a
# follower rather than a pipe to tee: a daemon a suite starts may keep its stdout open, and a pipe would
# wait for it. The follower ends once the sentinel does, after printing what is left.
run_suite() {
  local suite="$1"
  local log_file="$2"
  local sentinel follower status
  : >"${log_file}" || return 1
  sleep infinity &
  sentinel=$!
  # Interrupted: the follower must not outlive this script.
  trap 'kill "${sentinel}" 2>/dev/null' EXIT
  tail -n +1 -f -s 0.2 --pid="${sentinel}" "${log_file}" &
  follower=$!
  # errexit on inside the suite: its first failing command fails it (the caller keeps this call out of
  # any `if` or `||`, which would switch it off).
  (
    set -e
    "suite_${suite//-/_}"
  ) >>"${log_file}" 2>&1
  status=$?
  kill "${sentinel}" 2>/dev/null
  wait "${sentinel}" "${follower}" 2>/dev/null || true
  trap - EXIT
  return "${status}"
}

# failure_digest <log>: why a suite failed, from its log: its failed checks (the last ones, shortened), else -
# when it died before any verdict - its own error lines, then how the log ends. So that the end of the output,
# often all a CI page shows, says why.
failure_digest() {
  local log_file="$1"
  local lines
  lines="$(grep -a -E '(ERROR: FAIL|^not ok [0-9]|BUILD FAILURE|<<< (FAILURE|ERROR)!|Tests run: .*(Failures|Errors): [1-9])' "${log_file}" |
    tail -n "${TEST_DIGEST_LINES}" || true)"
  if [[ -z "${lines}" ]]; then
    # Not indented: the suite's own lines, not the output of the commands it ran (expected failures among them).
    lines="$(grep -a -E '^[^[:space:]].*(ERROR|FAILED)' "${log_file}" | tail -n "${TEST_DIGEST_LINES}" || true)"
  fi
  {
    [[ -z "${lines}" ]] || printf '%s\n' "${lines}"
    echo "-- the log ends:"
    grep -a -v '^[[:space:]]*$' "${log_file}" | tail -n 3
  } | cut -c 1-400 | sed 's/^/    /'
}

run_suites() {
  local suites=("$@")
  local passed=()
  local failed=()
  local timings=()
  local suite
  local started
  local status
  mkdir -p "${TEST_LOG_DIR}"
  for suite in "${suites[@]}"; do
    log "=== suite ${suite} ==="
    started=${SECONDS}
    # Not in an `||` or `if`: that would switch errexit off inside the suite too.
    set +e
    run_suite "${suite}" "${TEST_LOG_DIR}/${suite}.log"
    status=$?
    set -e
    if ((status == 0)); then
      passed+=("${suite}")
      timings+=("${suite}: passed in $((SECONDS - started))s")
    else
      failed+=("${suite}")
      timings+=("${suite}: FAILED after $((SECONDS - started))s")
    fi
  done
  printf '\n== Switchyard test summary ==\n'
  printf '  %s\n' "${timings[@]}"
  for suite in "${failed[@]}"; do
    printf '%s failed; its last failure lines (whole log: %s):\n' "${suite}" "${TEST_LOG_DIR}/${suite}.log"
    failure_digest "${TEST_LOG_DIR}/${suite}.log"
  done
  printf '%d passed, %d failed\n' "${#passed[@]}" "${#failed[@]}"
  ((${#failed[@]} == 0))
}

main() {
  local selected=("${ALL_SUITES[@]}")
  while (($#)); do
    case "$1" in
      --only)
        [[ $# -ge 2 ]] || die "--only needs a suite list"
        IFS=',' read -r -a selected <<<"$2"
        shift 2
        ;;
      --list)
        printf '%s\n' "${ALL_SUITES[@]}"
        return 0
        ;;
      -h | --help)
        usage
        return 0
        ;;
      *)
        usage >&2
        die "unknown argument: $1"
        ;;
    esac
  done
  local suite
  for suite in "${selected[@]}"; do
    declare -F "suite_${suite//-/_}" >/dev/null || die "unknown suite: ${suite} (known: ${ALL_SUITES[*]})"
  done
  ensure_packages "${BASE_PACKAGES[@]}"
  run_suites "${selected[@]}"
}

# Sourced (tests/bats/test-runner.bats): the functions only.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
