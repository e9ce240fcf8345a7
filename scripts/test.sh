#!/usr/bin/env bash
# The whole Switchyard test suite: the README's second command, and all that .ci/run runs.
# On a fresh Debian/Ubuntu machine as root it installs what the tests need (only what is missing), starts
# MariaDB and Redis on 127.0.0.1 when they are not running, then runs every suite and prints a summary.
#
# Usage: scripts/test.sh [--only SUITE[,SUITE...]] [--list]
set -euo pipefail

SCRIPT_NAME="test.sh"
SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPTS_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/test-stores.sh
source "${SCRIPTS_DIR}/lib/test-stores.sh"

ROOT="$(repo_root)"
ALL_SUITES=(app shell jenkins images deploy compose-v2 nginx-hardening fail2ban bootstrap elk)
BASE_PACKAGES=(openjdk-17-jdk-headless curl jq mariadb-server mariadb-client redis-server shellcheck bats)

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
    '*.sh' 'scripts/*' '.ci/run' | grep -v '\.bats$' | sort -u)
  log "shellcheck: ${#files[@]} files"
  (cd "${ROOT}" && shellcheck -x "${files[@]}")
  if compgen -G "${ROOT}/tests/bats/*.bats" >/dev/null; then
    (cd "${ROOT}" && bats tests/bats)
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

# ELK: index templates, Logstash pipelines, Kibana objects, deploy events, the APM agent on the real jar,
# and the dashboard's queries on a real Elasticsearch node (elk/tests, its own Maven module).
suite_elk() {
  "${ROOT}/tests/elk/run.sh"
}

run_suites() {
  local suites=("$@")
  local passed=()
  local failed=()
  local timings=()
  local suite
  local started
  local status
  for suite in "${suites[@]}"; do
    log "=== suite ${suite} ==="
    started=${SECONDS}
    # A subshell outside any `if`, so errexit stays on inside the suite: its first failing command fails it.
    set +e
    (
      set -e
      "suite_${suite//-/_}"
    )
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

main "$@"
