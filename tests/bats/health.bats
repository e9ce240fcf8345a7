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

@test "wait_ready polls below a second, keeps a sub-second deadline and reads the container state once a second" {
  curl_answers 503 '{"status":"DOWN"}'
  stub docker 'echo "running 0 0"'
  local t0 t1
  t0="$(health_now_ms)"
  run wait_ready http://x cid123 1 0.1
  t1="$(health_now_ms)"
  [ "$status" -eq 1 ]
  # Ends at the deadline (1 s), not at the next whole second after it.
  [ $((t1 - t0)) -ge 1000 ]
  [ $((t1 - t0)) -lt 1900 ]
  [ "$(grep -c '^curl ' "${STUB_LOG}")" -ge 5 ]
  [ "$(grep -c '^docker ' "${STUB_LOG}")" -le 2 ]
}

@test "a probe never outlasts the deadline: its curl --max-time is the time left, at most 2 s" {
  [ "$(health_probe_timeout 60000)" = 2.000 ]
  [ "$(health_probe_timeout 350)" = 0.350 ]
  [ "$(health_probe_timeout 5)" = 0.100 ]
  curl_answers 503 '{"status":"DOWN"}'
  stub docker 'echo "running 0 0"'
  run wait_ready http://x cid123 1 0.2
  [ "$status" -eq 1 ]
  grep -q -- '--max-time 0\.[0-9]\{3\} ' "${STUB_LOG}"
  ! grep -q -- '--max-time [3-9]' "${STUB_LOG}"
}

@test "READY_INTERVAL_S accepts fractions of a second and refuses anything else" {
  config_load dev
  READY_INTERVAL_S=0.2 config_check
  READY_INTERVAL_S=1 config_check
  run env READY_INTERVAL_S=soon bash -c "source '${REPO_ROOT}/scripts/lib/common.sh'; source '${REPO_ROOT}/scripts/lib/config.sh'; config_load dev"
  [ "$status" -eq 2 ]
  [[ "$output" == *"READY_INTERVAL_S must be seconds"* ]]
}

@test "the bake, drain and handover must end before nginx's worker_shutdown_timeout cuts WebSockets" {
  config_load prod
  BAKE_S=60 DRAIN_TIMEOUT_S=30 HANDOVER_TIMEOUT_S=15 config_check
  run env BAKE_S=100 bash -c "source '${REPO_ROOT}/scripts/lib/common.sh'; source '${REPO_ROOT}/scripts/lib/config.sh'; config_load prod"
  [ "$status" -eq 2 ]
  [[ "$output" == *"(145s) must stay below nginx's worker_shutdown_timeout (NGINX_WORKER_SHUTDOWN_TIMEOUT_S=120)"* ]]
  BAKE_S=100 NGINX_WORKER_SHUTDOWN_TIMEOUT_S=300 config_check
}

@test "NGINX_WORKER_SHUTDOWN_TIMEOUT_S is the value the shipped nginx configs set" {
  grep -qx 'worker_shutdown_timeout 120s;' "${REPO_ROOT}/nginx/nginx.conf"
  grep -qx 'worker_shutdown_timeout 120s;' "${REPO_ROOT}/nginx/main/switchyard-main.conf"
  run bash -c "source '${REPO_ROOT}/scripts/lib/common.sh'; source '${REPO_ROOT}/scripts/lib/config.sh'; config_load prod; echo \${NGINX_WORKER_SHUTDOWN_TIMEOUT_S}"
  [ "$output" = 120 ]
}
