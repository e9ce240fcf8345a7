#!/usr/bin/env bats
# scripts/lib/apm-annotation.sh against a stub of Kibana's annotation API (the real contract: method,
# path, headers, body); a dead or hanging Kibana never slows the deploy that calls it.

setup() {
  REPO_ROOT="$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)"
  load lib/stubs
  unset KIBANA_URL KIBANA_SPACE KIBANA_API_KEY KIBANA_USER KIBANA_PASSWORD APM_SERVICE_NAME
  export APM_ANNOTATION_TIMEOUT_S=2
  STUB_PID=""
  # shellcheck source=scripts/lib/common.sh
  source "${REPO_ROOT}/scripts/lib/common.sh"
  # shellcheck source=scripts/lib/apm-annotation.sh
  source "${REPO_ROOT}/scripts/lib/apm-annotation.sh"
}

teardown() {
  stop_stub
}

@test "a switch creates one APM annotation: POST, path, kbn-xsrf, API key, service/environment/version" {
  got="${BATS_TEST_TMPDIR}/kibana.jsonl"
  start_stub http_stub.py record "${got}"
  export KIBANA_URL="http://127.0.0.1:${STUB_PORT}/" KIBANA_API_KEY="aWQ6a2V5"
  apm_annotate prod 1.0.2-abc1234 "switched blue -> green: switchyard:1.0.2-abc1234"
  wait_for_lines "${got}" 1
  [ "$(wc -l <"${got}")" -eq 1 ]
  run jq -r '.method, .path, .headers["kbn-xsrf"], .headers.authorization, .headers["content-type"],
    .headers["elastic-api-version"]' "${got}"
  [ "${lines[0]}" = POST ]
  [ "${lines[1]}" = /api/apm/services/switchyard/annotation ]
  [ -n "${lines[2]}" ]
  [ "${lines[3]}" = "ApiKey aWQ6a2V5" ]
  [ "${lines[4]}" = application/json ]
  [ "${lines[5]}" = 2023-10-31 ]
  run jq -r '.body | fromjson | .service.version, .service.environment, .message, (.tags | index("apm") != null),
    (.["@timestamp"] | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$"))' "${got}"
  [ "${lines[0]}" = 1.0.2-abc1234 ]
  [ "${lines[1]}" = prod ]
  [ "${lines[2]}" = "switched blue -> green: switchyard:1.0.2-abc1234" ]
  [ "${lines[3]}" = true ]
  [ "${lines[4]}" = true ]
}

@test "a Kibana space, a service name and basic auth are honoured; the secret is not on curl's command line" {
  got="${BATS_TEST_TMPDIR}/kibana.jsonl"
  start_stub http_stub.py record "${got}"
  export KIBANA_URL="http://127.0.0.1:${STUB_PORT}" KIBANA_SPACE=ops APM_SERVICE_NAME=chat-api
  export KIBANA_USER=deployer KIBANA_PASSWORD=s3cret-pass
  # A curl wrapper on PATH records its arguments: the password must not be among them.
  mkdir -p "${BATS_TEST_TMPDIR}/bin"
  printf '#!/usr/bin/env bash\nprintf "%%s\\n" "$@" >>"%s"\nexec /usr/bin/curl "$@"\n' "${BATS_TEST_TMPDIR}/curl-args" \
    >"${BATS_TEST_TMPDIR}/bin/curl"
  chmod +x "${BATS_TEST_TMPDIR}/bin/curl"
  PATH="${BATS_TEST_TMPDIR}/bin:${PATH}" run apm_annotation_send dev 2.0.0 "rolled back green -> blue"
  [ "${status}" -eq 0 ]
  run jq -r '.path, .headers.authorization' "${got}"
  [ "${lines[0]}" = /s/ops/api/apm/services/chat-api/annotation ]
  [ "${lines[1]}" = "Basic $(printf 'deployer:s3cret-pass' | base64)" ]
  ! grep -q 's3cret-pass' "${BATS_TEST_TMPDIR}/curl-args"
}

@test "Kibana answering an error is logged, not fatal" {
  got="${BATS_TEST_TMPDIR}/kibana.jsonl"
  start_stub http_stub.py record "${got}" 403
  export KIBANA_URL="http://127.0.0.1:${STUB_PORT}"
  run apm_annotation_send prod 1.0.0 "switched"
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"HTTP 403"* ]]
  run apm_annotate prod 1.0.0 "switched"
  [ "${status}" -eq 0 ]
}

@test "without KIBANA_URL nothing is sent and nothing waits" {
  mkdir -p "${BATS_TEST_TMPDIR}/bin"
  printf '#!/usr/bin/env bash\ntouch "%s"\n' "${BATS_TEST_TMPDIR}/curl-called" >"${BATS_TEST_TMPDIR}/bin/curl"
  chmod +x "${BATS_TEST_TMPDIR}/bin/curl"
  PATH="${BATS_TEST_TMPDIR}/bin:${PATH}" apm_annotate prod 1.0.0 "switched"
  sleep 0.3
  [ ! -e "${BATS_TEST_TMPDIR}/curl-called" ]
}

@test "a dead or hanging Kibana never slows the deploy: the call returns at once, the request ends within its bound" {
  # Refused: nothing listens on that port.
  export KIBANA_URL="http://127.0.0.1:$(free_port)"
  t0="$(now_ms)"
  apm_annotate prod 1.0.0 "switched" 2>"${BATS_TEST_TMPDIR}/refused.err"
  refused_ms=$(($(now_ms) - t0))
  # Hanging: connect() never completes (accept queue full), like a firewalled host.
  start_stub tcp_stub.py hang
  export KIBANA_URL="http://127.0.0.1:${STUB_PORT}"
  t0="$(now_ms)"
  apm_annotate prod 1.0.0 "switched" 2>"${BATS_TEST_TMPDIR}/hang.err"
  hang_ms=$(($(now_ms) - t0))
  bg_pid=$!
  echo "# apm_annotate returned after ${refused_ms} ms (refused) and ${hang_ms} ms (hanging Kibana)" >&3
  ((refused_ms < 500))
  ((hang_ms < 500))
  # The background request gives up after APM_ANNOTATION_TIMEOUT_S (2 s), and says so.
  t0="$(now_ms)"
  while kill -0 "${bg_pid}" 2>/dev/null; do
    (($(now_ms) - t0 < 5000))
    sleep 0.1
  done
  echo "# the background request against the hanging Kibana ended $(($(now_ms) - t0)) ms later" >&3
  grep -q 'HTTP 000' "${BATS_TEST_TMPDIR}/hang.err"
}
