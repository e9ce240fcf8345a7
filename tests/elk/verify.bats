#!/usr/bin/env bats
# scripts/elk-verify.sh refuses clearly where it cannot work. Its full path (nginx, app, Logstash,
# Elasticsearch, APM server, Kibana) needs the real stack: it is the operator's check on a real host.

setup() {
  REPO_ROOT="$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)"
  source "${REPO_ROOT}/scripts/lib/common.sh"
}

@test "an env without ELK is a usage error, named" {
  run env ELK_HOST= ELK_ES_URL= ELK_SECRETS_FILE=/nonexistent "${REPO_ROOT}/scripts/elk-verify.sh" prod
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"env prod has no ELK"* ]]
}

@test "nginx not answering fails at the first stage" {
  run env ELK_HOST=127.0.0.1 ELK_SECRETS_FILE=/nonexistent NGINX_URL="http://127.0.0.1:$(free_port)" \
    "${REPO_ROOT}/scripts/elk-verify.sh" prod
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"did not answer"* ]]
}

@test "no argument prints the usage" {
  run "${REPO_ROOT}/scripts/elk-verify.sh"
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"Usage: scripts/elk-verify.sh <env>"* ]]
}
