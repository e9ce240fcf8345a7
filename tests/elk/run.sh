#!/usr/bin/env bash
# ELK suite: everything of elk/ and scripts/lib/events.sh that can run on this host without the
# Elastic images. Installs what it needs, exits non-zero on the first failing part, prints figures.
#
#   1. shellcheck of the ELK scripts
#   2. docker-compose config: the compose file resolves with the example secrets, refuses to resolve
#      without secrets, and every published port binds 127.0.0.1
#   3. bats tests/elk/*.bats: deploy events to a Logstash TCP stub, bounded when Logstash is missing
#   4. the real app jar (root pom, -DskipTests package), a real Elasticsearch node (Elastic's integ-test-zip
#      of the version elk/.env pins, tests/elk/lib/es-node.sh), then the Maven module elk/tests: contract,
#      Logstash pipeline structure + filter code, Kibana saved objects, compose structure (unit tests);
#      APM agent against an intake stub, real nginx access lines, dashboard queries and alerts end to end
#      on the node (ITs)
#   5. the app image as color containers shipping to Logstash/APM stand-ins on the ELK network and in a
#      network namespace (tests/elk/wiring-containers.sh)
#
# Usage: tests/elk/run.sh
# Env:   ELK_SKIP_APP_BUILD=true  reuse an existing target/switchyard.jar (faster local reruns)
#        ELK_ITS=<list>           the elk/tests ITs to run (failsafe's it.test, comma-separated); default below
#        ELK_SKIP_CONTAINERS=true skip step 5
set -euo pipefail

TESTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${TESTS_DIR}/../.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${REPO_ROOT}/scripts/lib/common.sh"
# shellcheck source=tests/elk/lib/es-node.sh
source "${TESTS_DIR}/lib/es-node.sh"
# shellcheck source=tests/lib/app-jar.sh
source "${REPO_ROOT}/tests/lib/app-jar.sh"
SCRIPT_NAME="elk-tests"

WORK_DIR=""
: "${ELK_ITS:=ApmAgentIT,NginxAccessLogIT,DashboardQueriesIT,AlertsIT}"
: "${ELK_SKIP_CONTAINERS:=false}"

cleanup() {
  es_node_stop
  if [[ -n "${WORK_DIR}" ]]; then
    rm -rf "${WORK_DIR}"
  fi
}

seconds_since() {
  echo $(($(date +%s) - $1))
}

run_shellcheck() {
  local files=(
    "${REPO_ROOT}/elk/compose.sh"
    "${REPO_ROOT}/elk/setup/setup.sh"
    "${REPO_ROOT}/elk/kibana/import-saved-objects.sh"
    "${REPO_ROOT}/scripts/lib/events.sh"
    "${REPO_ROOT}/scripts/alerts.sh"
    "${REPO_ROOT}/scripts/disk-report.sh"
    "${REPO_ROOT}/scripts/elk-verify.sh"
    "${REPO_ROOT}/scripts/elk-ship-nginx.sh"
    "${REPO_ROOT}/scripts/lib/elk.sh"
    "${REPO_ROOT}/scripts/lib/apm-annotation.sh"
    "${REPO_ROOT}/scripts/lib/bootstrap-elk.sh"
    "${REPO_ROOT}/tests/elk/run.sh"
    "${REPO_ROOT}/tests/elk/wiring-containers.sh"
  )
  (cd "${REPO_ROOT}" && shellcheck -x "${files[@]}") || die "shellcheck failed"
  log "shellcheck: ${#files[@]} scripts clean"
}

# compose_config <secrets-file>: docker-compose's own parse and interpolation of elk/docker-compose.yml.
compose_config() {
  (
    set -a
    # shellcheck source=/dev/null
    source "$1"
    set +a
    cd "${REPO_ROOT}/elk"
    docker-compose --project-directory . -f docker-compose.yml config
  )
}

check_compose() {
  local resolved="${WORK_DIR}/compose-resolved.yml"
  compose_config "${REPO_ROOT}/elk/secrets.env.example" >"${resolved}" || die "docker-compose config failed"
  # Without secrets the file must refuse to resolve (${VAR:?...}), never start with empty passwords.
  if compose_config /dev/null >/dev/null 2>"${WORK_DIR}/no-secrets.err"; then
    die "docker-compose config resolved without any password set"
  fi
  grep -q 'ELASTIC_PASSWORD' "${WORK_DIR}/no-secrets.err" ||
    die "unexpected error without secrets: $(cat "${WORK_DIR}/no-secrets.err")"
  # python3-yaml comes with Debian's docker-compose package; the resolved file is what Docker would run.
  /usr/bin/python3 - "${resolved}" <<'PY' || die "compose check failed"
import sys
import yaml

config = yaml.safe_load(open(sys.argv[1]))
services = config["services"]
problems, published = [], 0
for name, svc in services.items():
    for port in svc.get("ports", []):
        published += 1
        host_ip = port.get("host_ip") if isinstance(port, dict) else str(port).split(":")[0]
        if host_ip != "127.0.0.1":
            problems.append(f"{name} publishes {port} on {host_ip}")
    for volume in svc.get("volumes", []):
        spec = volume if isinstance(volume, str) else f"{volume.get('source')}:{volume.get('target')}"
        source = spec.split(":")[0]
        if source.startswith("/") and not spec.endswith(":ro") and source != "/var/log/nginx":
            problems.append(f"{name} bind-mounts {source} read-write")
    image = svc.get("image", "")
    if not image.split(":")[-1][:1].isdigit():
        problems.append(f"{name} image {image} has no pinned version")
expected = {"setup", "elasticsearch", "logstash", "kibana", "apm-server"}
if set(services) != expected:
    problems.append(f"services {sorted(services)} != {sorted(expected)}")
if set(config.get("volumes", {})) != {"elasticsearch-data", "logstash-data"}:
    problems.append(f"named volumes: {sorted(config.get('volumes', {}))}")
for problem in problems:
    print(problem, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"compose: {len(services)} services, {published} published ports all on 127.0.0.1, "
      f"images {sorted({s['image'] for s in services.values()})}", file=sys.stderr)
PY
}

run_bats() {
  local tap="${WORK_DIR}/bats.tap"
  bats --tap "${TESTS_DIR}"/*.bats | tee "${tap}" >&2 || die "bats tests failed"
  log "bats: $(grep -c '^ok ' "${tap}") passed, $(grep -c '^not ok ' "${tap}" || true) failed"
}

build_app() {
  if [[ "${ELK_SKIP_APP_BUILD:-false}" == true && -f "${REPO_ROOT}/target/switchyard.jar" ]]; then
    log "reusing target/switchyard.jar (ELK_SKIP_APP_BUILD=true)"
    return 0
  fi
  app_jar_ensure "${REPO_ROOT}"
}

# report_figures <reports-dir>: tests, failures, errors, skipped and time per test class.
report_figures() {
  local dir="$1"
  [[ -d "${dir}" ]] || return 0
  /usr/bin/python3 - "${dir}" <<'PY' >&2
import glob
import sys
import xml.etree.ElementTree as ET

total = [0, 0, 0, 0, 0.0]
for path in sorted(glob.glob(sys.argv[1] + "/TEST-*.xml")):
    suite = ET.parse(path).getroot()
    row = [int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")] + [float(suite.get("time", 0))]
    total = [a + b for a, b in zip(total, row)]
    print(f"  {suite.get('name').rsplit('.', 1)[-1]:<28} tests={row[0]:<3} failures={row[1]} errors={row[2]} "
          f"skipped={row[3]} time={row[4]:.1f}s")
print(f"  {'total':<28} tests={total[0]:<3} failures={total[1]} errors={total[2]} skipped={total[3]} "
      f"time={total[4]:.1f}s")
PY
}

run_maven_module() {
  local module="${REPO_ROOT}/elk/tests"
  local rc=0
  (cd "${REPO_ROOT}" && ./mvnw -B -ntp -q -f elk/tests/pom.xml clean verify -Delk.requireNginx=true "-Dit.test=${ELK_ITS}" \
    "-Delk.es.url=${ES_NODE_URL}" "-Delk.es.password=${ES_NODE_PASSWORD}" "-Delk.es.readerPassword=${ES_NODE_READER_PASSWORD}") || rc=$?
  log "unit tests (surefire):"
  report_figures "${module}/target/surefire-reports"
  log "integration tests (failsafe):"
  report_figures "${module}/target/failsafe-reports"
  grep -h '^\[\(ApmAgentIT\|NginxAccessLogIT\|DashboardQueriesIT\|AlertsIT\)\]' \
    "${module}"/target/failsafe-reports/*-output.txt >&2 2>/dev/null || true
  ((rc == 0)) || die "elk/tests failed (reports in elk/tests/target/*-reports)"
}

# The app image, built as the deploy suite builds it (scripts/build-image.sh caches it by content).
app_image() {
  # shellcheck source=scripts/lib/images.sh
  source "${REPO_ROOT}/scripts/lib/images.sh"
  if ! docker image inspect "${SWITCHYARD_JRE_IMAGE}" >/dev/null 2>&1; then
    log "image ${SWITCHYARD_JRE_IMAGE} missing: building the offline images"
    "${REPO_ROOT}/scripts/offline-images.sh" >&2
  fi
  "${REPO_ROOT}/scripts/build-image.sh" --app-version 1.0.0-e2e switchyard:1.0.0-e2e | tail -n 1
}

run_containers() {
  if [[ "${ELK_SKIP_CONTAINERS}" == true ]]; then
    log "SKIPPED: app containers shipping to ELK stand-ins (ELK_SKIP_CONTAINERS=true)"
    return 0
  fi
  ensure_dockerd
  local image
  image="$(app_image)" || die "could not build the app image"
  "${TESTS_DIR}/wiring-containers.sh" "${image}" || die "ELK wiring of the app containers failed"
}

main() {
  (($# == 0)) || die "usage: tests/elk/run.sh (no arguments)"
  trap cleanup EXIT
  WORK_DIR="$(mktemp -d)"
  # The Elasticsearch node runs as nobody below it.
  chmod 755 "${WORK_DIR}"
  local start
  start="$(date +%s)"
  ensure_packages bats jq curl shellcheck nginx docker-compose python3 python3-yaml coreutils unzip iproute2 rsyslog \
    openjdk-17-jdk-headless docker.io

  local t
  t="$(date +%s)"
  run_shellcheck
  check_compose
  log "static checks: $(seconds_since "${t}")s"

  t="$(date +%s)"
  run_bats
  log "bats: $(seconds_since "${t}")s"

  t="$(date +%s)"
  build_app
  log "app build: $(seconds_since "${t}")s"

  t="$(date +%s)"
  es_node_start "${WORK_DIR}/es"
  log "Elasticsearch ${ES_NODE_VERSION} up: $(seconds_since "${t}")s"

  t="$(date +%s)"
  run_maven_module
  log "elk/tests Maven module: $(seconds_since "${t}")s"
  es_node_stop

  t="$(date +%s)"
  run_containers
  log "app containers to ELK stand-ins: $(seconds_since "${t}")s"

  log "ELK suite passed in $(seconds_since "${start}")s"
}

main "$@"
