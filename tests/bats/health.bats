#!/usr/bin/env bats
# Health: only 2xx with a JSON body whose status is UP is healthy; a dying container fails fast.

setup() {
  load deploy_helpers
  deploy_setup
}

# curl_answers <code> <body>: a curl stub printing the body then the status code (as -w does).
curl_answers() {
  stub curl "printf '%s\n%s' '$2' '$1'"
}

@test "200 with status UP is healthy" {
  curl_answers 200 '{"status":"UP"}'
  probe_up http://127.0.0.1:8081/actuator/health/readiness
  grep -q 'curl .*--max-time .*http://127.0.0.1:8081/actuator/health/readiness' "${STUB_LOG}"
}

@test "200 with another status, 503 with UP, non-JSON and empty bodies are not healthy" {
  curl_answers 200 '{"status":"DOWN"}'
  run probe_up http://x
  [ "$status" -ne 0 ]
  curl_answers 503 '{"status":"UP"}'
  run probe_up http://x
  [ "$status" -ne 0 ]
  curl_answers 200 'UP'
  run probe_up http://x
  [ "$status" -ne 0 ]
  curl_answers 200 ''
  run probe_up http://x
  [ "$status" -ne 0 ]
  stub curl 'exit 7'
  run probe_up http://x
  [ "$status" -ne 0 ]
}

@test "wait_ready fails fast (status 2) when the container exits" {
  curl_answers 503 '{"status":"DOWN"}'
  stub docker 'echo "exited 0 1"'
  SECONDS=0
  run wait_ready http://x cid123 60 1
  [ "$status" -eq 2 ]
  [ "${SECONDS}" -lt 5 ]
}

@test "wait_ready fails fast when the container restarts" {
  curl_answers 503 '{"status":"DOWN"}'
  local count="${BATS_TEST_TMPDIR}/n"
  echo 0 >"${count}"
  stub docker "n=\$(cat '${count}'); echo \$((n + 1)) >'${count}'; echo \"running \$n 0\""
  run wait_ready http://x cid123 60 0.1
  [ "$status" -eq 2 ]
}

@test "wait_ready times out (status 1) at its deadline" {
  curl_answers 503 '{"status":"DOWN"}'
  stub docker 'echo "running 0 0"'
  SECONDS=0
  run wait_ready http://x cid123 2 0.2
  [ "$status" -eq 1 ]
  [ "${SECONDS}" -ge 2 ]
}

@test "wait_ready returns 0 once the probe is UP" {
  curl_answers 200 '{"status":"UP"}'
  stub docker 'echo "running 0 0"'
  run wait_ready http://x cid123 5 0.1
  [ "$status" -eq 0 ]
}

@test "health-check.sh: usage errors exit 2, unhealthy exits 1" {
  run "${REPO_ROOT}/scripts/health-check.sh"
  [ "$status" -eq 2 ]
  run "${REPO_ROOT}/scripts/health-check.sh" --deadline soon http://x
  [ "$status" -eq 2 ]
  curl_answers 200 '{"status":"DOWN"}'
  run "${REPO_ROOT}/scripts/health-check.sh" --deadline 1 --interval 0.2 http://x
  [ "$status" -eq 1 ]
  curl_answers 200 '{"status":"UP","components":{}}'
  run "${REPO_ROOT}/scripts/health-check.sh" http://x
  [ "$status" -eq 0 ]
}
