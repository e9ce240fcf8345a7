# shellcheck shell=bash
# A real Elasticsearch node for the ELK suite: Elastic's own integ-test-zip distribution from Maven Central,
# by default the version production pins (ELASTIC_VERSION in elk/.env). It holds the server, security and
# x-pack-core, but not the ILM, painless or ingest modules (no such artifacts on Maven Central).
# Sourced by tests/elk/run.sh; needs scripts/lib/common.sh.
#
#   es_node_start <work-dir>   unpacks (cached by version), starts on a free 127.0.0.1 port as user nobody
#                              with security on; sets ES_NODE_URL, ES_NODE_PASSWORD, ES_NODE_VERSION and
#                              ES_NODE_READER_PASSWORD (the alert runner's user, see es_node_alert_reader)
#   es_node_stop               stops it (also safe when it never started)
#
# Env: ELK_TEST_ES_VERSION (default: ELASTIC_VERSION from elk/.env), ELK_TEST_CACHE (default
#      /var/cache/switchyard-tests), ELK_TEST_ES_HEAP (default 512m), ELK_TEST_JAVA_HOME (default: JDK 17).

ES_NODE_PID=""
ES_NODE_URL=""
ES_NODE_PASSWORD=""
ES_NODE_VERSION=""
ES_NODE_READER_PASSWORD=""
ES_NODE_HOME=""

es_node_version() {
  if [[ -n "${ELK_TEST_ES_VERSION:-}" ]]; then
    echo "${ELK_TEST_ES_VERSION}"
    return 0
  fi
  sed -n 's/^ELASTIC_VERSION=//p' "$(repo_root)/elk/.env" | tail -n 1
}

# es_node_home <version>: the unpacked distribution (downloaded through Maven once, then cached).
es_node_home() {
  local version="$1"
  local cache="${ELK_TEST_CACHE:-/var/cache/switchyard-tests}"
  local home="${cache}/elasticsearch-${version}"
  if [[ -x "${home}/bin/elasticsearch" ]]; then
    echo "${home}"
    return 0
  fi
  mkdir -p "${cache}"
  local tmp
  tmp="$(mktemp -d "${cache}/.es-download.XXXXXX")"
  log "fetching Elasticsearch ${version} (integ-test-zip) through Maven"
  (cd "$(repo_root)" && ./mvnw -B -ntp -q dependency:copy \
    "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:${version}:zip" \
    "-DoutputDirectory=${tmp}") >&2 || {
    rm -rf "${tmp}"
    die "could not fetch org.elasticsearch.distribution.integ-test-zip:elasticsearch:${version}"
  }
  unzip -q "${tmp}/elasticsearch-${version}.zip" -d "${tmp}" || die "could not unpack Elasticsearch ${version}"
  mv "${tmp}/elasticsearch-${version}" "${home}"
  rm -rf "${tmp}"
  chmod -R a+rX "${home}"
  echo "${home}"
}

# es_node_alert_reader <config-dir> <env-command...>: the alert runner's user switchyard_alerts
# with the role setup.sh creates, its JSON taken from setup.sh itself, in the node's file realm. setup.sh's
# own API calls cannot run here: native users live in the .security index, whose mapping needs the
# analysis-common module, which the integ-test-zip does not hold.
es_node_alert_reader() {
  local conf="$1"
  shift
  local role
  role="$(sed -n "/role\/switchyard_alerts_reader '/,/}'\$/p" "$(repo_root)/elk/setup/setup.sh" |
    sed "1s/.*switchyard_alerts_reader '//; \$s/'\$//" | jq -c .)" || die "no switchyard_alerts_reader role in elk/setup/setup.sh"
  [[ -n "${role}" ]] || die "no switchyard_alerts_reader role in elk/setup/setup.sh"
  printf 'switchyard_alerts_reader: %s\n' "${role}" >"${conf}/roles.yml"
  ES_NODE_READER_PASSWORD="reader-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  "$@" "${ES_NODE_HOME}/bin/elasticsearch-users" useradd switchyard_alerts -p "${ES_NODE_READER_PASSWORD}" \
    -r switchyard_alerts_reader >/dev/null || die "could not add the alert reader to the file realm"
}

es_node_up() {
  curl -fsS -o /dev/null --max-time 5 -u "elastic:${ES_NODE_PASSWORD}" \
    "${ES_NODE_URL}/_cluster/health?wait_for_status=yellow&timeout=4s"
}

es_node_start() {
  local work="$1"
  local java_home="${ELK_TEST_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
  local home
  local port
  ES_NODE_VERSION="$(es_node_version)"
  [[ "${ES_NODE_VERSION}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "no Elasticsearch version (elk/.env ELASTIC_VERSION)"
  [[ -x "${java_home}/bin/java" ]] || die "no JDK at ${java_home} (ELK_TEST_JAVA_HOME)"
  home="$(es_node_home "${ES_NODE_VERSION}")"
  ES_NODE_HOME="${home}"
  port="$(free_port)"
  ES_NODE_PASSWORD="es-test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  ES_NODE_URL="http://127.0.0.1:${port}"
  mkdir -p "${work}/config" "${work}/data" "${work}/logs" "${work}/tmp"
  cp -r "${home}/config/." "${work}/config/"
  cat >"${work}/config/elasticsearch.yml" <<YML
cluster.name: switchyard-test
node.name: switchyard-test-es
path.data: ${work}/data
path.logs: ${work}/logs
network.host: 127.0.0.1
http.port: ${port}
transport.port: $(free_port)
discovery.type: single-node
# As in production (elk/elasticsearch/config/elasticsearch.yml): security on, basic licence, plain HTTP.
xpack.security.enabled: true
xpack.license.self_generated.type: basic
xpack.security.http.ssl.enabled: false
xpack.security.transport.ssl.enabled: false
# The test host's disk is not the subject here.
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: true
YML
  # jvm.options writes the GC log, error files and heap dumps relative to the distribution: into the work dir.
  sed -i -e "s#=logs/#=${work}/logs/#g" -e "s#HeapDumpPath=data#HeapDumpPath=${work}/data#" "${work}/config/jvm.options"
  local es_env=(env "ES_PATH_CONF=${work}/config" "ES_JAVA_HOME=${java_home}" "ES_TMPDIR=${work}/tmp"
    "ES_JAVA_OPTS=-Xms${ELK_TEST_ES_HEAP:-512m} -Xmx${ELK_TEST_ES_HEAP:-512m}")
  es_node_alert_reader "${work}/config" "${es_env[@]}"
  chown -R nobody: "${work}"
  printf '%s' "${ES_NODE_PASSWORD}" |
    runuser -u nobody -- "${es_env[@]}" "${home}/bin/elasticsearch-keystore" add -x -f bootstrap.password >/dev/null ||
    die "could not write the test node's keystore"
  log "starting Elasticsearch ${ES_NODE_VERSION} at ${ES_NODE_URL} (log: ${work}/logs)"
  runuser -u nobody -- "${es_env[@]}" "${home}/bin/elasticsearch" -d -p "${work}/es.pid" >/dev/null 2>&1 ||
    die "Elasticsearch did not start: $(tail -n 20 "${work}/logs/switchyard-test.log" 2>/dev/null)"
  ES_NODE_PID="$(cat "${work}/es.pid")"
  retry_until 120 1 es_node_up ||
    die "Elasticsearch not up within 120s: $(tail -n 20 "${work}/logs/switchyard-test.log" 2>/dev/null)"
  export ES_NODE_URL ES_NODE_PASSWORD ES_NODE_VERSION ES_NODE_READER_PASSWORD
}

es_node_stop() {
  [[ -n "${ES_NODE_PID}" ]] || return 0
  kill "${ES_NODE_PID}" 2>/dev/null || true
  local i
  for ((i = 0; i < 30; i++)); do
    kill -0 "${ES_NODE_PID}" 2>/dev/null || break
    sleep 1
  done
  kill -9 "${ES_NODE_PID}" 2>/dev/null || true
  ES_NODE_PID=""
}
