#!/usr/bin/env bats
# Warm-up: batches of direct requests to the idle color until their latency has settled, bounded in
# requests and time.

setup() {
  load deploy_helpers
  deploy_setup
  BATCH_COUNT="${BATCH_COUNT:-${BATS_TEST_TMPDIR}/batches}"
  echo 0 >"${BATCH_COUNT}"
}

# curl_batches <median-s...>: a curl stub whose k-th call answers every request of the batch (one
# '%{time_total}' line per url of its -K config) in the k-th given time (the last one repeats).
curl_batches() {
  local times="$*"
  stub curl "k=\$(cat '${BATCH_COUNT}'); echo \$((k + 1)) >'${BATCH_COUNT}'
t=(${times}); ((k < \${#t[@]})) || k=\$((\${#t[@]} - 1))
cfg=''; while ((\$#)); do [[ \"\$1\" == -K ]] && cfg=\"\$2\"; shift; done
grep -c '^url' \"\${cfg}\" | xargs seq | while read -r _; do echo \"\${t[k]}\"; done"
}

@test "settled: latency that stops improving ends the warm-up early" {
  curl_batches 0.050 0.020 0.0095 0.0090
  run app_warm_up http://127.0.0.1:9082 2000 4 15 100 20
  [ "$status" -eq 0 ]
  read -r sent ms batches median <<<"${output}"
  [ "${batches}" -eq 4 ]
  [ "${sent}" -eq 400 ]
  [ "${median}" = 9.000 ]
  grep -q 'curl .*--parallel-max 4' "${STUB_LOG}"
}

@test "below 2 ms it stops after the second batch" {
  curl_batches 0.0015
  run app_warm_up http://127.0.0.1:9082 2000 4 15 50 20
  read -r sent _ batches _ <<<"${output}"
  [ "${batches}" -eq 2 ]
  [ "${sent}" -eq 100 ]
}

@test "latency that never settles is bounded by the request count" {
  curl_batches 0.050 0.010 0.050 0.010 0.050 0.010 0.050 0.010
  run app_warm_up http://127.0.0.1:9082 500 4 15 100 20
  read -r sent _ batches _ <<<"${output}"
  [ "${sent}" -eq 500 ]
  [ "${batches}" -eq 5 ]
}

@test "a color that answers nothing ends the warm-up at once, without failing the deploy" {
  stub curl 'exit 7'
  run app_warm_up http://127.0.0.1:9082 2000 4 15 100 20
  [ "$status" -eq 0 ]
  read -r sent _ batches _ <<<"${output}"
  [ "${sent}" -eq 0 ]
  [ "${batches}" -eq 1 ]
}

@test "warm_up_settled: within the band either way, or under 2 ms; never on the first batch" {
  ! warm_up_settled "" 1.0 20
  warm_up_settled 10 9 20
  warm_up_settled 10 11.5 20
  ! warm_up_settled 50 10 20
  ! warm_up_settled 10 30 20
  warm_up_settled 40 1.5 20
}
