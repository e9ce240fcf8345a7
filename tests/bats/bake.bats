#!/usr/bin/env bats
# The bake window's logic (scripts/lib/bake.sh): access-log lines to per-color records (by upstream port),
# the figures, the verdict and its thresholds, and the watch loop on a log that grows while it reads.

bats_require_minimum_version 1.5.0

setup() {
  load deploy_helpers
  deploy_setup
  SWITCHYARD_ENV=prod
  BAKE_MIN_REQUESTS=20
  BAKE_MAX_5XX_PCT=2
  BAKE_5XX_FACTOR=2
  BAKE_P99_FACTOR=3
  BAKE_P99_MIN_MS=100
  BAKE_BASELINE_LINES=1000
  BAKE_INTERVAL_S=1
  BAKE_P99_CHECKS=3
  BAKE_INTERVAL_MIN_REQUESTS=10
  LOG="${BATS_TEST_TMPDIR}/access.log"
  : >"${LOG}"
  WRITER=""
}

teardown() {
  [[ -z "${WRITER}" ]] || kill "${WRITER}" 2>/dev/null || true
}

# line <port> <status> <seconds> [uri] [env]: one access-log line as nginx/conf.d/switchyard-common.conf writes it.
line() {
  printf '{"time":"2026-01-01T00:00:00+00:00","remote_addr":"10.0.0.1","method":"GET","uri":"%s","status":%s,"body_bytes_sent":10,"request_time":%s,"upstream_addr":"127.0.0.1:%s","upstream_status":"%s","upstream_response_time":"%s","app_color":"x","env":"%s","user_agent":"t","request_id":"r"}\n' \
    "${4:-/api/home}" "$2" "$3" "$1" "$2" "$3" "${5:-prod}"
}

# lines <n> <port> <status> <seconds>
lines() {
  local i
  for ((i = 0; i < $1; i++)); do line "$2" "$3" "$4"; done
}

@test "records: the color is the port of the last upstream tried; WebSockets, other envs and nginx's own answers are left out" {
  {
    line 8081 200 0.004
    line 8082 500 0.120
    line 8081 101 35.000 /ws
    line 8082 200 0.010 /api/home dev
    printf '%s\n' '{"uri":"/x","status":429,"upstream_addr":"-","upstream_response_time":"-","env":"prod"}'
    printf '%s\n' '{"uri":"/y","status":200,"upstream_addr":"127.0.0.1:8081, 127.0.0.1:8082","upstream_response_time":"0.001, 0.030","env":"prod"}'
    echo 'not json at all'
  } | bake_records >"${BATS_TEST_TMPDIR}/records"
  [ "$(cat "${BATS_TEST_TMPDIR}/records")" = "$(printf '8081\t200\t4\n8082\t500\t120\n8082\t200\t30')" ]
}

@test "stats: count, 5xx and the 99th percentile of the upstream time" {
  local i
  for ((i = 1; i <= 200; i++)); do printf '8082\t%s\t%s\n' "$((i % 50 == 0 ? 502 : 200))" "${i}"; done >"${BATS_TEST_TMPDIR}/r"
  printf '8081\t500\t9999\n' >>"${BATS_TEST_TMPDIR}/r"
  [ "$(bake_stats "${BATS_TEST_TMPDIR}/r" 8082)" = "200 4 198" ]
  [ "$(bake_stats "${BATS_TEST_TMPDIR}/r" 8081)" = "1 1 9999" ]
  [ "$(bake_stats "${BATS_TEST_TMPDIR}/r" 9999)" = "0 0 0" ]
}

@test "verdict: too few requests are not judged" {
  run bake_judge 19 19 5000 500 0 10
  [ "$status" -eq 2 ]
  [[ "$output" == *"only 19 request(s) to the new color (20 needed to judge)"* ]]
}

@test "verdict: a 5xx ratio above the floor and above twice the old color's is a breach" {
  run bake_judge 100 10 10 500 0 10
  [ "$status" -eq 1 ]
  [[ "$output" == *"5xx on 10.0% of 100 requests (old color 0.0% of 500; limit 2.0%)"* ]]
  # The old color failed as often: not this release's fault.
  run bake_judge 100 10 10 500 30 10
  [ "$status" -eq 0 ]
  # Under the floor: noise.
  run bake_judge 100 2 10 500 0 10
  [ "$status" -eq 0 ]
}

@test "latency limit: three times the old p99 and 100 ms above it" {
  [ "$(bake_p99_limit 40)" = 140 ]
  [ "$(bake_p99_limit 100)" = 300 ]
}

@test "interval: slow when its p99 is over the limit; not judged with too few requests or no baseline" {
  bake_interval_slow 50 450 500 40
  run bake_interval_slow 50 130 500 40
  [ "$status" -eq 1 ]
  run bake_interval_slow 9 5000 500 40
  [ "$status" -eq 2 ]
  run bake_interval_slow 50 5000 5 40
  [ "$status" -eq 2 ]
}

@test "verdict: latency is a breach only after BAKE_P99_CHECKS slow intervals in a row" {
  run bake_judge 100 0 450 500 0 40 2
  [ "$status" -eq 0 ]
  run bake_judge 100 0 450 500 0 40 3
  [ "$status" -eq 1 ]
  [[ "$output" == *"p99 over 140 ms in 3 intervals in a row (p99 450 ms over 100 requests; old color 40 ms over 500)"* ]]
  # No baseline worth the name: latency is not judged.
  run bake_judge 100 0 5000 5 0 10 9
  [ "$status" -eq 0 ]
}

@test "watch: a new color answering 500 is found as soon as it has enough requests, not at the end" {
  lines 300 8081 200 0.005 >>"${LOG}"
  local offset
  offset="$(bake_log_size "${LOG}")"
  (
    for _ in $(seq 1 30); do
      lines 10 8082 500 0.005 >>"${LOG}"
      sleep 0.2
    done
  ) &
  WRITER=$!
  SECONDS=0
  run bake_watch green blue "${LOG}" "${offset}" 30
  [ "$status" -eq 1 ]
  ((SECONDS < 10))
  [[ "$output" == *"baseline of blue: 300 request(s), 0 5xx"* ]]
  [ "${BAKE_VERDICT:-unset}" = unset ] # set inside `run`'s subshell only
  bake_watch green blue "${LOG}" "${offset}" 30 || true
  [ "${BAKE_VERDICT}" = breach ]
  [[ "${BAKE_REASON}" == "5xx on 100.0% of"* ]]
  [ "$(jq -r '.baseline.requests' <<<"${BAKE_FIGURES}")" = 300 ]
}

@test "watch: a healthy new color passes at the end of the window; the old color's lines after the switch do not count" {
  lines 300 8081 200 0.005 >>"${LOG}"
  local offset
  offset="$(bake_log_size "${LOG}")"
  lines 50 8082 200 0.006 >>"${LOG}"
  lines 50 8081 500 0.006 >>"${LOG}"
  bake_watch green blue "${LOG}" "${offset}" 2
  [ "${BAKE_VERDICT}" = ok ]
  [ "$(jq -r '.requests' <<<"${BAKE_FIGURES}")" = 50 ]
}

@test "watch: a quiet site is not judged, and passes" {
  lines 5 8082 500 0.005 >>"${LOG}"
  bake_watch green blue "${LOG}" 0 2
  [ "${BAKE_VERDICT}" = unjudged ]
  [[ "${BAKE_REASON}" == "only 5 request(s)"* ]]
}

@test "watch: a line half-written when read is read whole the next time" {
  local offset full
  offset="$(bake_log_size "${LOG}")"
  full="$(line 8082 500 0.005)"
  lines 19 8082 500 0.005 >>"${LOG}"
  printf '%s' "${full:0:40}" >>"${LOG}"
  ( sleep 1.5; printf '%s\n' "${full:40}" >>"${LOG}" ) &
  WRITER=$!
  bake_watch green blue "${LOG}" "${offset}" 3 || true
  [ "${BAKE_VERDICT}" = breach ]
  [ "$(jq -r '.requests' <<<"${BAKE_FIGURES}")" = 20 ]
}

@test "watch: a log rotated during the bake is read from the start of the new file" {
  lines 300 8081 200 0.005 >>"${LOG}"
  local offset
  offset="$(bake_log_size "${LOG}")"
  ( sleep 1.2; mv "${LOG}" "${LOG}.1"; lines 30 8082 500 0.005 >"${LOG}" ) &
  WRITER=$!
  bake_watch green blue "${LOG}" "${offset}" 4 || true
  [ "${BAKE_VERDICT}" = breach ]
}

# feed <n> <port> <seconds> <times> <pause>: n lines per <pause> seconds, <times> times, in the background.
feed() {
  (
    for _ in $(seq 1 "$4"); do
      lines "$1" "$2" 200 "$3" >>"${LOG}"
      sleep "$5"
    done
  ) &
  WRITER=$!
}

@test "watch: a new JVM slow for its first second, then fast, is not a breach" {
  lines 300 8081 200 0.020 >>"${LOG}"
  local offset
  offset="$(bake_log_size "${LOG}")"
  lines 40 8082 200 0.900 >>"${LOG}"
  feed 40 8082 0.020 20 0.2
  bake_watch green blue "${LOG}" "${offset}" 4 || true
  [ "${BAKE_VERDICT}" = ok ]
}

@test "watch: a new color slow in every interval is a breach after three of them" {
  lines 300 8081 200 0.020 >>"${LOG}"
  local offset
  offset="$(bake_log_size "${LOG}")"
  feed 40 8082 0.400 40 0.2
  SECONDS=0
  bake_watch green blue "${LOG}" "${offset}" 20 2>"${BATS_TEST_TMPDIR}/watch.log" || true
  [ "${BAKE_VERDICT}" = breach ]
  [[ "${BAKE_REASON}" == "p99 over 120 ms in 3 intervals in a row"* ]]
  ((SECONDS < 8))
  # Each slow interval is logged, with the limit it broke.
  grep -q 'bake: slow interval 1 of 3: p99 400 ms over 120 ms' "${BATS_TEST_TMPDIR}/watch.log"
  grep -q 'bake: slow interval 3 of 3: p99 400 ms over 120 ms' "${BATS_TEST_TMPDIR}/watch.log"
}
