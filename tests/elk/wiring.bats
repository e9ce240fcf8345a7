#!/usr/bin/env bats
# The ELK wiring of one env (scripts/env/common.env ELK section, scripts/lib/elk.sh, docker-compose.elk*.yml):
# one setting, ELK_HOST, decides where the app containers and the host tools send; the compose files
# resolve with and without ELK (docker-compose's own `config`, no engine needed).

setup() {
  REPO_ROOT="$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)"
  BIN="${BATS_TEST_TMPDIR}/bin"
  mkdir -p "${BIN}"
  # docker: `network inspect` succeeds only when DOCKER_NETWORKS names the network.
  cat >"${BIN}/docker" <<'STUB'
#!/usr/bin/env bash
[[ "$1 $2" == "network inspect" && " ${DOCKER_NETWORKS:-} " == *" $3 "* ]]
STUB
  chmod +x "${BIN}/docker"
  export PATH="${BIN}:${PATH}"
  unset ELK_HOST LOGSTASH_HOST LOGSTASH_DEPLOY_PORT ELK_ES_URL KIBANA_URL ELK_APP_LOGSTASH_HOST ELK_APP_APM_SERVER_URL
}

# settings <ELK_HOST>: the derived settings of env prod, one NAME=value per line.
settings() {
  ELK_HOST="$1" bash -c 'source scripts/lib/common.sh; source scripts/lib/config.sh; source scripts/lib/elk.sh
    config_load prod >/dev/null
    for v in LOGSTASH_HOST LOGSTASH_DEPLOY_PORT ELK_ES_URL KIBANA_URL ELK_APP_LOGSTASH_HOST ELK_APP_APM_SERVER_URL; do
      echo "${v}=${!v}"; done
    elk_compose_args | sed "s|${PWD}/||" | tr "\n" " "; echo' 2>&1
}

@test "ELK_HOST empty: nothing is shipped, no override joins the app's compose" {
  cd "${REPO_ROOT}"
  run settings ""
  [ "${lines[0]}" = "LOGSTASH_HOST=" ]
  [ "${lines[2]}" = "ELK_ES_URL=" ]
  [ "${lines[3]}" = "KIBANA_URL=" ]
  [ "${lines[6]}" = "" ]
}

@test "ELK_HOST=local: containers use the stack's service names on its network, host tools its loopback ports" {
  cd "${REPO_ROOT}"
  DOCKER_NETWORKS=switchyard-elk run settings local
  [ "${lines[0]}" = "LOGSTASH_HOST=127.0.0.1" ]
  [ "${lines[1]}" = "LOGSTASH_DEPLOY_PORT=5001" ]
  [ "${lines[2]}" = "ELK_ES_URL=http://127.0.0.1:9200" ]
  [ "${lines[3]}" = "KIBANA_URL=http://127.0.0.1:5601" ]
  [ "${lines[4]}" = "ELK_APP_LOGSTASH_HOST=logstash" ]
  [ "${lines[5]}" = "ELK_APP_APM_SERVER_URL=http://apm-server:8200" ]
  [ "${lines[6]}" = "-f docker-compose.elk.yml -f docker-compose.elk-network.yml " ]
}

@test "ELK_HOST=local with the stack down: the app starts unjoined, with a warning (a deploy never waits on ELK)" {
  cd "${REPO_ROOT}"
  run settings local
  [[ "${output}" == *"no docker network switchyard-elk"* ]]
  [ "${lines[-1]}" = "-f docker-compose.elk.yml " ]
}

@test "ELK_HOST=<address>: everything goes to that host" {
  cd "${REPO_ROOT}"
  run settings 10.20.30.40
  [ "${lines[0]}" = "LOGSTASH_HOST=10.20.30.40" ]
  [ "${lines[2]}" = "ELK_ES_URL=http://10.20.30.40:9200" ]
  [ "${lines[4]}" = "ELK_APP_LOGSTASH_HOST=10.20.30.40" ]
  [ "${lines[5]}" = "ELK_APP_APM_SERVER_URL=http://10.20.30.40:8200" ]
  [ "${lines[6]}" = "-f docker-compose.elk.yml " ]
}

# resolved <compose args...>: the app service as docker-compose resolves it, as JSON.
resolved() {
  set -o pipefail
  (cd "${REPO_ROOT}" && APP_IMAGE=switchyard:1.0.0 APP_ENV_FILE=docker/app/env-file-not-set.env \
    /usr/bin/docker-compose -p t "$@" config) | python3 -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'
}

@test "compose: the color file alone resolves without any ELK variable (a host without ELK)" {
  run resolved -f docker-compose.green.yml
  [ "${status}" -eq 0 ]
  [ "$(jq -c '.services.app.networks | keys' <<<"${output}")" = '["data","default"]' ]
  [ "$(jq -r '.services.app.environment.LOGSTASH_HOST // "unset"' <<<"${output}")" = unset ]
}

@test "compose: the overrides add Logstash, the APM server and the stack's fixed network to the color's app" {
  export ELK_APP_LOGSTASH_HOST=logstash ELK_APP_APM_SERVER_URL=http://apm-server:8200
  run resolved -f docker-compose.blue.yml -f docker-compose.elk.yml -f docker-compose.elk-network.yml
  [ "${status}" -eq 0 ]
  [ "$(jq -c '.services.app.networks | keys' <<<"${output}")" = '["data","default","elk"]' ]
  [ "$(jq -r '.networks.elk.name, .networks.elk.external' <<<"${output}" | tr '\n' ' ')" = "switchyard-elk true " ]
  [ "$(jq -r '.services.app.environment | .LOGSTASH_HOST, .LOGSTASH_PORT, .ELASTIC_APM_SERVER_URL, .APP_COLOR' \
    <<<"${output}" | tr '\n' ' ')" = "logstash 5000 http://apm-server:8200 blue " ]
  # The ELK compose file names its network the same.
  [ "$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["networks"]["elk"]["name"])' \
    "${REPO_ROOT}/elk/docker-compose.yml")" = switchyard-elk ]
}

@test "compose: the ELK override refuses to resolve without its addresses" {
  cd "${REPO_ROOT}"
  run env APP_IMAGE=switchyard:1.0.0 APP_ENV_FILE=docker/app/env-file-not-set.env \
    /usr/bin/docker-compose -p t -f docker-compose.blue.yml -f docker-compose.elk.yml config
  [ "${status}" -ne 0 ]
  [[ "${output}" == *"ELK_APP_LOGSTASH_HOST"* ]]
}
