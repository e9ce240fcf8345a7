#!/usr/bin/env bash
# k8s suite: everything of deploy/k8s that can be checked without a cluster (none can run on this host).
# Installs what it needs, exits non-zero on the first failing part, prints figures.
#
#   0. bats tests/k8s: which kubectl renders (lib/kubectl.sh), with PATH stubs
#   1. render every overlay with Debian 12's kubectl (kustomize v2.0.3, the oldest we claim), from a copy
#      of deploy/k8s with the secret inputs taken from their .example files; an overlay without its secret
#      input must refuse to render. With a newer kubectl on PATH, render again with it (compared in 2).
#   2. node --test tests/k8s: every object against the Kubernetes and Argo Rollouts schemas
#      (@kubernetes-models, runtime validators + TypeScript's exact types: a wrong field name or type
#      fails), the validator's own negative controls, and the policy checks on the rendered objects
#   3. elk/tests RolloutAnalysisIT: the rendered analyses run for real - the smoke Job's script against
#      the real app jar, the bake's Elasticsearch queries on the elk suite's real Elasticsearch node
#      (tests/elk/lib/es-node.sh: 8.17, security on) with a good release and bad ones, as the read-only user
#      whose Authorization the staged analysis.env holds - and their success and failure conditions
#      decide as Argo would; a user without the read role gets Error, never Successful
#
# Usage: tests/k8s/run.sh
# Env:   K8S_TEST_CACHE   where Debian's kubectl is unpacked when another package owns /usr/bin/kubectl
#                         (default /var/cache/switchyard-tests)
#        ELK_TEST_*       the Elasticsearch node's settings (tests/elk/lib/es-node.sh)
set -euo pipefail

TESTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${TESTS_DIR}/../.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${REPO_ROOT}/scripts/lib/common.sh"
# shellcheck source=tests/k8s/lib/kubectl.sh
source "${TESTS_DIR}/lib/kubectl.sh"
# shellcheck source=tests/elk/lib/es-node.sh
source "${REPO_ROOT}/tests/elk/lib/es-node.sh"
# shellcheck source=tests/lib/app-jar.sh
source "${REPO_ROOT}/tests/lib/app-jar.sh"
SCRIPT_NAME="k8s-tests"

readonly OVERLAYS=(dev prod)
readonly SECRET_INPUTS=(secrets.env analysis.env)
# The bake's Elasticsearch users, added to the node's file realm (the node cannot hold native users or API
# keys): the reader has only the role the overlays' analysis.env.example names; the other has no role.
readonly BAKE_READER=switchyard_bake
readonly BAKE_READER_ROLE=switchyard_bake_reader
readonly BAKE_DENIED=switchyard_norole
BAKE_READER_PASSWORD=""
BAKE_DENIED_PASSWORD=""
WORK_DIR=""

cleanup() {
  es_node_stop
  if [[ -n "${WORK_DIR}" ]]; then
    rm -rf "${WORK_DIR}"
  fi
}

seconds_since() {
  echo $(($(date +%s) - $1))
}

basic_authorization() {
  printf 'Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w 0)"
}

# stage: a copy of deploy/k8s whose secret inputs are their .example files (keys, no values), except
# analysis.env's es-authorization: the bake reader's, as an operator would write it (step 3 runs the bake
# with the Secret kustomize makes of it).
stage() {
  local stage_dir="${WORK_DIR}/k8s"
  cp -r "${REPO_ROOT}/deploy/k8s" "${stage_dir}"
  local env file
  for env in "${OVERLAYS[@]}"; do
    for file in "${SECRET_INPUTS[@]}"; do
      [[ -f "${stage_dir}/overlays/${env}/${file}.example" ]] || die "overlays/${env}/${file}.example missing"
      cp "${stage_dir}/overlays/${env}/${file}.example" "${stage_dir}/overlays/${env}/${file}"
    done
    file="${stage_dir}/overlays/${env}/analysis.env"
    grep -q '^es-authorization=$' "${file}" || die "overlays/${env}/analysis.env.example has no es-authorization= line"
    sed -i "s#^es-authorization=\$#es-authorization=$(basic_authorization "${BAKE_READER}" "${BAKE_READER_PASSWORD}")#" "${file}"
  done
}

# kustomize_label <kubectl>: its kustomize version; kubectl 1.20 (Debian 12) prints none: it embeds v2.0.3.
kustomize_label() {
  local version
  version="$(kustomize_version "$1")"
  echo "kustomize ${version:-v2.0.3, built into kubectl $("$1" version --client 2>/dev/null | grep -o 'GitVersion:"[^"]*"' | cut -d'"' -f2)}"
}

# render <kubectl> <out-dir>: every overlay of the staged tree into <out-dir>/<env>.yaml.
render() {
  local kubectl="$1"
  local out="$2"
  mkdir -p "${out}"
  local env
  for env in "${OVERLAYS[@]}"; do
    if ! "${kubectl}" kustomize "${WORK_DIR}/k8s/overlays/${env}" >"${out}/${env}.yaml" 2>"${out}/${env}.err"; then
      cat "${out}/${env}.err" >&2
      die "kustomize (${kubectl}) failed on overlays/${env}"
    fi
    log "rendered overlays/${env}: $(grep -c '^kind: ' "${out}/${env}.yaml") objects ($(kustomize_label "${kubectl}"))"
  done
}

# An overlay whose secret input is missing must not render (and so never applies without its Secret).
check_missing_secret_refuses() {
  local broken="${WORK_DIR}/k8s-no-secrets"
  cp -r "${WORK_DIR}/k8s" "${broken}"
  rm "${broken}/overlays/prod/secrets.env"
  if "$1" kustomize "${broken}/overlays/prod" >/dev/null 2>"${WORK_DIR}/no-secrets.err"; then
    die "overlays/prod rendered without secrets.env"
  fi
  grep -q 'secrets.env' "${WORK_DIR}/no-secrets.err" ||
    die "unexpected error without secrets.env: $(cat "${WORK_DIR}/no-secrets.err")"
  log "overlays/prod without secrets.env: refused ($(head -n 1 "${WORK_DIR}/no-secrets.err"))"
}

# npm ci only when the lockfile changed since the last install (node_modules is git-ignored).
install_node_modules() {
  local stamp="${TESTS_DIR}/node_modules/.switchyard-lock.sha256"
  local want
  want="$(sha256sum "${TESTS_DIR}/package-lock.json" | cut -d' ' -f1)"
  if [[ -f "${stamp}" && "$(cat "${stamp}")" == "${want}" ]]; then
    log "node_modules up to date with package-lock.json"
    return 0
  fi
  log "npm ci (tests/k8s/package-lock.json)"
  (cd "${TESTS_DIR}" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  echo "${want}" >"${stamp}"
}

run_node_tests() {
  (cd "${TESTS_DIR}" && K8S_RENDERED_DIR="${WORK_DIR}/rendered" K8S_RENDERED_NEWER_DIR="${WORK_DIR}/rendered-newer" \
    node --test --test-reporter=spec ./*.test.mjs) || die "schema or policy checks failed"
}

es_user_up() {
  curl -fs -o /dev/null --max-time 5 -u "$1:$2" "${ES_NODE_URL}/_security/_authenticate"
}

# The bake's users, into the running node's file realm (Elasticsearch reloads roles.yml, users and
# users_roles when they change), as nobody like the node's own files.
add_bake_users() {
  local conf="${WORK_DIR}/es/config"
  local users=(runuser -u nobody -- env "ES_PATH_CONF=${conf}"
    "ES_JAVA_HOME=${ELK_TEST_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}" "${ES_NODE_HOME}/bin/elasticsearch-users")
  printf '%s:\n  indices:\n  - names: ["switchyard-nginx-access-*"]\n    privileges: ["read"]\n' "${BAKE_READER_ROLE}" |
    runuser -u nobody -- tee -a "${conf}/roles.yml" >/dev/null || die "could not add ${BAKE_READER_ROLE} to roles.yml"
  "${users[@]}" useradd "${BAKE_READER}" -p "${BAKE_READER_PASSWORD}" -r "${BAKE_READER_ROLE}" >/dev/null ||
    die "could not add ${BAKE_READER} to the file realm"
  "${users[@]}" useradd "${BAKE_DENIED}" -p "${BAKE_DENIED_PASSWORD}" >/dev/null ||
    die "could not add ${BAKE_DENIED} to the file realm"
  retry_until 60 1 es_user_up "${BAKE_READER}" "${BAKE_READER_PASSWORD}" || die "${BAKE_READER} cannot log in within 60s"
  retry_until 60 1 es_user_up "${BAKE_DENIED}" "${BAKE_DENIED_PASSWORD}" || die "${BAKE_DENIED} cannot log in within 60s"
  log "file realm: ${BAKE_READER} (${BAKE_READER_ROLE}: read on switchyard-nginx-access-*), ${BAKE_DENIED} (no role)"
}

# analysis_it_figures <report.xml>: its counts; fails when it ran no test or skipped one (the IT skips without
# SWITCHYARD_K8S_RENDERED_DIR: here that would hide the whole step).
analysis_it_figures() {
  local suite name
  local -A n=()
  suite="$(grep -o '<testsuite [^>]*>' "$1" 2>/dev/null | head -n 1)" || true
  [[ -n "${suite}" ]] || die "RolloutAnalysisIT left no report ($1)"
  for name in tests failures errors skipped time; do
    [[ "${suite}" =~ [[:space:]]${name}=\"([0-9.]+)\" ]] || die "no ${name} in ${suite}"
    n[${name}]="${BASH_REMATCH[1]}"
  done
  log "RolloutAnalysisIT: tests=${n[tests]} failures=${n[failures]} errors=${n[errors]} skipped=${n[skipped]} time=${n[time]}s"
  ((n[tests] > 0 && n[skipped] == 0)) || die "RolloutAnalysisIT ran ${n[tests]} tests and skipped ${n[skipped]}"
}

run_analysis_it() {
  local rc=0
  local reports="${REPO_ROOT}/elk/tests/target/failsafe-reports"
  rm -f "${reports}"/*RolloutAnalysisIT*
  (cd "${REPO_ROOT}" && SWITCHYARD_K8S_RENDERED_DIR="${WORK_DIR}/rendered" ./mvnw -B -ntp -q -f elk/tests/pom.xml \
    test-compile failsafe:integration-test failsafe:verify -Dit.test=RolloutAnalysisIT \
    "-Delk.es.url=${ES_NODE_URL}" "-Delk.es.password=${ES_NODE_PASSWORD}" \
    "-Drollout.es.deniedAuthorization=$(basic_authorization "${BAKE_DENIED}" "${BAKE_DENIED_PASSWORD}")") || rc=$?
  grep -h '^\[RolloutAnalysisIT\]' "${reports}"/*RolloutAnalysisIT-output.txt >&2 2>/dev/null || true
  ((rc == 0)) || die "RolloutAnalysisIT failed (reports in elk/tests/target/failsafe-reports)"
  analysis_it_figures "${reports}/TEST-io.switchyard.elk.RolloutAnalysisIT.xml"
}

main() {
  (($# == 0)) || die "usage: tests/k8s/run.sh (no arguments)"
  trap cleanup EXIT
  WORK_DIR="$(mktemp -d)"
  # The Elasticsearch node runs as nobody below it.
  chmod 755 "${WORK_DIR}"
  BAKE_READER_PASSWORD="bake-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  BAKE_DENIED_PASSWORD="denied-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  local start
  start="$(date +%s)"
  ensure_packages curl coreutils jq unzip util-linux openjdk-17-jdk-headless
  if ! command -v node >/dev/null 2>&1; then
    ensure_packages nodejs npm
  fi
  require_cmd node npm

  local t kubectl newer
  t="$(date +%s)"
  ensure_packages bats
  bats "${TESTS_DIR}" || die "bats tests/k8s failed"
  kubectl="$(debian_kubectl "${WORK_DIR}")"
  stage
  render "${kubectl}" "${WORK_DIR}/rendered"
  check_missing_secret_refuses "${kubectl}"
  newer="$(newer_kubectl "${kubectl}")"
  if [[ -n "${newer}" ]]; then
    render "${newer}" "${WORK_DIR}/rendered-newer"
  else
    log "no kubectl with kustomize v4+ on PATH: rendered with Debian's only"
  fi
  log "render: $(seconds_since "${t}")s"

  t="$(date +%s)"
  install_node_modules
  run_node_tests
  log "schema and policy checks: $(seconds_since "${t}")s"

  t="$(date +%s)"
  es_node_start "${WORK_DIR}/es"
  add_bake_users
  app_jar_ensure "${REPO_ROOT}"
  run_analysis_it
  es_node_stop
  log "analyses on a real Elasticsearch ${ES_NODE_VERSION} node and the real app: $(seconds_since "${t}")s"

  log "k8s suite passed in $(seconds_since "${start}")s"
}

main "$@"
