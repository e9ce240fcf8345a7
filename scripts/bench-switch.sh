#!/usr/bin/env bash
# Benchmarks blue/green deploys under load: the kit (scripts/deploy.sh) against the blog-style script
# (scripts/bench/naive-deploy.sh: start idle, poll health, sed -i, nginx -s reload, stop old at once) on
# the same environment, images and load, deploys of the two modes interleaved. Then a start-up loop.
#
# Load through nginx during the whole run: wrk with C keep-alive connections and wrk with Cc
# connections sending `Connection: close` (a new connection per request), plus during each deploy a
# small keep-alive wrk (4 connections) that is never cut into windows. wrk never resends a request,
# so every socket error it counts is one a client saw. Each deploy is cut in two windows, each measured
# by its own wrk runs:
#   starting  deploy start -> its switch begins (the idle color's JVM starts and warms up beside the live one)
#   switch    the switch begins -> the deploy ends (reload, verify, drain, old color stopped)
# Prints one line per deploy (mode, wall time, every step, requests, non-2xx, socket errors of the
# keep-alive and the close clients, p50/p99 of both windows) and per mode the medians, the worst p99
# of the switch window / steady p99, and the ratio kit / naive of the median wall time. The start-up
# loop starts the idle color N times on a quiet host (no load) and prints container start -> readiness
# UP, min/median/max.
#
# Usage: scripts/bench-switch.sh [--env ENV] [--deploys K] [--naive | --kit] [--connections C]
#                                [--close-connections Cc] [--threads T] [--steady S] [--startups N]
#                                <image-a> <image-b>
#   --env ENV              environment to deploy to (default demo: run scripts/demo.sh first)
#   --deploys K            deploys per mode, alternating image-a / image-b (default 5)
#   --naive | --kit        one mode only (default: both, interleaved)
#   --connections C        keep-alive wrk connections (default 32); --threads T wrk threads (default 2)
#   --close-connections Cc Connection: close wrk connections (default 4; 0 = none)
#   --steady S             seconds of load before and after the deploys (default 10)
#   --results FILE         also keep the per-deploy figures there (JSON lines)
#   --startups N           quiet container starts of image-a at the end (default 5; 0 = none;
#                          with --deploys 0 only the start-up loop runs)
# Example (after scripts/demo.sh): scripts/bench-switch.sh switchyard:1.0.0-demo.1 switchyard:1.0.0-demo.2
# Exit code: 0 when every deploy succeeded and no request got a non-2xx answer or a connect/timeout error.
set -euo pipefail

SCRIPT_NAME="bench-switch"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"
# shellcheck source=scripts/lib/color.sh
source "${SCRIPT_DIR}/lib/color.sh"
# shellcheck source=scripts/lib/app.sh
source "${SCRIPT_DIR}/lib/app.sh"
# shellcheck source=scripts/lib/health.sh
source "${SCRIPT_DIR}/lib/health.sh"

WORK=""
WRK_PIDS=()

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

cleanup() {
  local pid
  for pid in "${WRK_PIDS[@]}"; do
    kill "${pid}" 2>/dev/null || true
  done
  if [[ -n "${WORK}" ]]; then
    rm -rf "${WORK}"
  fi
}

# --- load ------------------------------------------------------------------------------------
# wrk_start <name> <seconds>: the keep-alive wrk (report <name>.ka.txt) and the close wrk
# (<name>.close.txt) in the background.
wrk_start() {
  local name="$1"
  local seconds="$2"
  local common=(-t "${THREADS}" -d "${seconds}s" --latency --timeout 10s)
  wrk "${common[@]}" -c "${CONNECTIONS}" "${URL}" >"${WORK}/${name}.ka.txt" 2>&1 &
  WRK_PIDS=($!)
  if ((CLOSE_CONNECTIONS > 0)); then
    wrk "${common[@]}" -c "${CLOSE_CONNECTIONS}" -H 'Connection: close' "${URL}" >"${WORK}/${name}.close.txt" 2>&1 &
    WRK_PIDS+=($!)
  fi
}

wrk_wait() {
  local pid
  for pid in "${WRK_PIDS[@]}"; do
    wait "${pid}" || true
  done
  WRK_PIDS=()
}

# wrk_stop: SIGINT makes wrk print its report.
wrk_stop() {
  local pid
  for pid in "${WRK_PIDS[@]}"; do
    kill -INT "${pid}" 2>/dev/null || true
  done
  wrk_wait
}

# wrk_json <file>: the figures of one wrk report as JSON.
wrk_json() {
  awk '
    function ms(v) {
      if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
      if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
      if (v ~ /s$/) { sub(/s$/, "", v); return v * 1000 }
      return v + 0
    }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    / requests in / { requests = $1 }
    /Socket errors:/ { gsub(/,/, ""); connect = $4; read = $6; write = $8; timeout = $10 }
    /Non-2xx or 3xx responses:/ { non2xx = $5 }
    END {
      printf "{\"requests\":%d,\"non2xx\":%d,\"connect\":%d,\"read\":%d,\"write\":%d,\"timeout\":%d,\"p50_ms\":%.2f,\"p99_ms\":%.2f}\n",
        requests, non2xx, connect, read, write, timeout, p50, p99
    }' "$1"
}

# window_json <name>: {"ka": <wrk json>, "close": <wrk json or null>} of one window.
window_json() {
  local close=null
  if [[ -s "${WORK}/$1.close.txt" ]]; then
    close="$(wrk_json "${WORK}/$1.close.txt")"
  fi
  jq -cn --argjson ka "$(wrk_json "${WORK}/$1.ka.txt")" --argjson close "${close}" '{ka: $ka, close: $close}'
}

# --- deploys ---------------------------------------------------------------------------------
# deploy_one <mode> <image> <index>: one deploy under load; appends its result (JSON) to ${WORK}/results.jsonl.
deploy_one() {
  local mode="$1"
  local image="$2"
  local i="$3"
  local log_file="${WORK}/deploy-${i}.log"
  local out_file="${WORK}/deploy-${i}.out"
  local marker='==> \[[0-9]*/[0-9]*\] switch'
  local cmd=("${SCRIPT_DIR}/deploy.sh" --wait "${ENV_NAME}" "${image}")
  if [[ "${mode}" == naive ]]; then
    marker='==> switch'
    cmd=("${SCRIPT_DIR}/bench/naive-deploy.sh" "${ENV_NAME}" "${image}")
  fi
  local rc=0 pid t0 wall record counter
  # One more keep-alive client across the whole deploy, never cut: its socket errors do not depend on
  # where the windows are cut (a window's fresh connections may all land on the new nginx workers).
  wrk -t 1 -c "${COUNTER_CONNECTIONS}" -d 3600s --timeout 10s "${URL}" >"${WORK}/deploy-${i}.counter.txt" 2>&1 &
  counter=$!
  wrk_start "starting-${i}" 3600
  t0="$(date +%s%3N)"
  "${cmd[@]}" >"${out_file}" 2>"${log_file}" &
  pid=$!
  while kill -0 "${pid}" 2>/dev/null && ! grep -qs -- "${marker}" "${log_file}"; do
    sleep 0.05
  done
  wrk_stop
  wrk_start "switch-${i}" 3600
  wait "${pid}" || rc=$?
  wall=$(($(date +%s%3N) - t0))
  wrk_stop
  kill -INT "${counter}" 2>/dev/null || true
  wait "${counter}" || true
  if ((rc != 0)); then
    err "${mode} deploy ${i} (${image}) exited ${rc}; log:"
    tail -n 15 "${log_file}" >&2
  fi
  if [[ "${mode}" == naive ]]; then
    record="$(tail -n 1 "${out_file}")"
  else
    record="$(tail -n 1 "${HISTORY_FILE}")"
  fi
  jq -c '.' <<<"${record}" >/dev/null 2>&1 || record='{}'
  jq -cn --arg mode "${mode}" --argjson i "${i}" --argjson rc "${rc}" --argjson wall "${wall}" \
    --argjson rec "${record}" --argjson starting "$(window_json "starting-${i}")" \
    --argjson switch "$(window_json "switch-${i}")" --argjson counter "$(wrk_json "${WORK}/deploy-${i}.counter.txt")" \
    '{mode: $mode, i: $i, exit: $rc, wall_ms: $wall, counter: $counter, to_color: ($rec.to_color // "?"), switch_ms: ($rec.switch_ms // null | if type == "string" then tonumber? // null else . end),
      steps: ($rec.steps // {}), starting: $starting, switch: $switch}' >>"${WORK}/results.jsonl"
  log "${mode} deploy ${i}: ${image} -> $(jq -r '.to_color // "?"' <<<"${record}") exit ${rc}, wall $((wall / 1000)).$(printf '%03d' $((wall % 1000))) s"
}

# --- start-up loop -----------------------------------------------------------------------------
# container_started_ms <cid>: when docker started the container's process (ms since the epoch).
container_started_ms() {
  local started
  started="$(docker inspect -f '{{.State.StartedAt}}' "$1")"
  date -d "${started}" +%s%3N
}

# startup_loop <image> <n>: starts the idle color n times with no load; prints one figure per start:
# ms from the container's start to readiness UP. The live color keeps serving; the idle one is removed.
startup_loop() {
  local image="$1"
  local n="$2"
  local idle url i cid up
  idle="$(color_other "$(live_color "${UPSTREAM_FILE}")")"
  url="$(app_url "${idle}")/actuator/health/readiness"
  for ((i = 1; i <= n; i++)); do
    app_remove "${idle}"
    app_start "${idle}" "${image}" >/dev/null 2>&1 || die "could not start ${idle} with ${image}"
    cid="$(app_container "${idle}")"
    wait_ready "${url}" "${cid}" 180 0.05 || die "start-up ${i}: ${idle} not ready"
    up="$(health_now_ms)"
    echo "$((up - $(container_started_ms "${cid}")))"
    app_remove "${idle}"
    sleep 2
  done
}

# --- report ----------------------------------------------------------------------------------
report() {
  local steady_before steady_after
  steady_before="$(window_json before)"
  steady_after="$(window_json after)"
  echo "==== bench-switch: wrk -c ${CONNECTIONS} keep-alive + -c ${CLOSE_CONNECTIONS} Connection: close, -t ${THREADS}, ${URL} ===="
  jq -r --argjson b "${steady_before}" --argjson a "${steady_after}" -n '
    def fig(w): "\(w.requests) req, \(w.non2xx) non-2xx, errors c\(w.connect)/r\(w.read)/w\(w.write)/t\(w.timeout), p50 \(w.p50_ms) p99 \(w.p99_ms) ms";
    "steady before  keep-alive: \(fig($b.ka))" + (if $b.close then "\n               close:      \(fig($b.close))" else "" end),
    "steady after   keep-alive: \(fig($a.ka))" + (if $a.close then "\n               close:      \(fig($a.close))" else "" end)'
  echo
  printf '%-5s %2s %4s %7s  %-100s %8s %6s %-13s %-13s %-17s %-17s %s\n' mode '#' exit 'wall s' 'steps (s)' 'requests' non2xx \
    'ka err c/r/w/t' 'cl err c/r/w/t' 'starting p50/p99' 'switch p50/p99' 'uncut ka client err c/r/w/t'
  jq -r '
    def both(w; k): (w.ka[k] + (if w.close then w.close[k] else 0 end));
    def errs(x): if x == null then "-" else "\(x.connect)/\(x.read)/\(x.write)/\(x.timeout)" end;
    def s(ms): (ms / 1000 * 100 | round / 100 | tostring);
    [.mode, (.i | tostring), (.exit | tostring), s(.wall_ms),
     (.steps | to_entries | map("\(.key | {lock: "lk", read_live: "rl", start_idle: "start", health_check: "health",
        smoke_test: "smoke", record: "rec", stop_old: "stop"}[.] // .)=\(s(.value))") | join(" ")),
     (both(.starting; "requests") + both(.switch; "requests") | tostring),
     (both(.starting; "non2xx") + both(.switch; "non2xx") | tostring),
     errs({connect: (.starting.ka.connect + .switch.ka.connect), read: (.starting.ka.read + .switch.ka.read),
           write: (.starting.ka.write + .switch.ka.write), timeout: (.starting.ka.timeout + .switch.ka.timeout)}),
     (if .switch.close then errs({connect: (.starting.close.connect + .switch.close.connect), read: (.starting.close.read + .switch.close.read),
           write: (.starting.close.write + .switch.close.write), timeout: (.starting.close.timeout + .switch.close.timeout)}) else "-" end),
     "\(.starting.ka.p50_ms)/\(.starting.ka.p99_ms)", "\(.switch.ka.p50_ms)/\(.switch.ka.p99_ms)", errs(.counter)] |
    "\(.[0] | . + "     " | .[0:5]) \(.[1] | "  " + . | .[-2:]) \(.[2] | "    " + . | .[-4:]) \(.[3] | "       " + . | .[-7:])  \(.[4] | . + (" " * 100) | .[0:100]) \(.[5] | "        " + . | .[-8:]) \(.[6] | "      " + . | .[-6:]) \(.[7] | . + (" " * 13) | .[0:13]) \(.[8] | . + (" " * 13) | .[0:13]) \(.[9] | . + (" " * 17) | .[0:17]) \(.[10] | . + (" " * 17) | .[0:17]) \(.[11])"' \
    "${WORK}/results.jsonl"
  echo
  jq -rs --argjson steady "$(jq '.ka.p99_ms' <<<"${steady_before}")" '
    def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    def r2: if . == null then "-" else (. * 100 | round / 100 | tostring) end;
    group_by(.mode) | map({mode: .[0].mode, n: length, wall: (map(.wall_ms) | median),
      switch_ms: (map(.switch_ms | select(. != null and . != "") | tonumber) | median),
      p99: (map(.switch.ka.p99_ms) | max),
      fails: (map(([.starting, .switch][] | [.ka, .close][]), .counter | select(. != null) | .non2xx + .connect + .timeout) | add),
      ka_rw: (map([.starting, .switch][] | .ka | .read + .write) | add),
      close_rw: (map([.starting, .switch][] | .close | select(. != null) | .read + .write) | add // 0),
      counter_rw: (map(.counter | select(. != null) | .read + .write) | add // 0)}) as $m |
    ($m[] | "\(.mode): \(.n) deploys, median wall \(.wall / 1000 | r2) s, median switch.sh->verified \(if .switch_ms then (.switch_ms / 1000 | r2) + " s" else "-" end), worst switch-window p99 \(.p99) ms = \(.p99 / $steady | r2) x steady; non-2xx/connect/timeout \(.fails), keep-alive read/write errors \(.ka_rw) (uncut client \(.counter_rw)), close-client read/write errors \(.close_rw)"),
    (($m | map(select(.mode == "kit"))[0]) as $k | ($m | map(select(.mode == "naive"))[0]) as $n |
      if $k and $n then "wall time kit / naive (medians): \($k.wall / $n.wall | r2)" else empty end)' "${WORK}/results.jsonl"
}

# startup_report <file>: min/median/max of the start-up figures (ms, one per line).
startup_report() {
  sort -n "$1" | awk '{ v[NR] = $1 } END {
    if (NR == 0) exit
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "start-up (quiet, container start -> readiness UP, %d starts): min %.2f s, median %.2f s, max %.2f s (each: %s)\n",
      NR, v[1] / 1000, m / 1000, v[NR] / 1000, all }
    { all = all (NR > 1 ? " " : "") sprintf("%.2f", $1 / 1000) }'
}

# all_clean: every deploy exited 0; no non-2xx, connect or timeout error in any window.
all_clean() {
  jq -se 'all(.exit == 0 and (([.starting, .switch][] | [.ka, .close][]), .counter | select(. != null) |
    (.non2xx == 0 and .connect == 0 and .timeout == 0)))' "${WORK}/results.jsonl" >/dev/null &&
    jq -s -e 'all(.[] | [.ka, .close][] | select(. != null); .non2xx == 0 and .connect == 0 and .timeout == 0)' \
      <(window_json before) <(window_json after) >/dev/null
}

main() {
  ENV_NAME=demo
  local deploys=5 modes=(kit naive) startups=5
  CONNECTIONS=32
  CLOSE_CONNECTIONS=4
  COUNTER_CONNECTIONS=4
  THREADS=2
  local steady=10 results=""
  while (($# > 0)); do
    case "$1" in
      --env) ENV_NAME="${2:?--env needs a value}"; shift ;;
      --deploys) deploys="${2:?}"; shift ;;
      --naive) modes=(naive) ;;
      --kit) modes=(kit) ;;
      --connections) CONNECTIONS="${2:?}"; shift ;;
      --close-connections) CLOSE_CONNECTIONS="${2:?}"; shift ;;
      --threads) THREADS="${2:?}"; shift ;;
      --steady) steady="${2:?}"; shift ;;
      --startups) startups="${2:?}"; shift ;;
      --results) results="${2:?}"; shift ;;
      -h | --help) usage; return 0 ;;
      -*) usage >&2; exit 2 ;;
      *) break ;;
    esac
    shift
  done
  if (($# != 2)) || [[ ! "${deploys}${CONNECTIONS}${CLOSE_CONNECTIONS}${THREADS}${steady}${startups}" =~ ^[0-9]+$ ]]; then
    usage >&2
    exit 2
  fi
  local images=("$1" "$2")
  # Both modes stop the old color at once (the naive script cannot do otherwise): no rollback window.
  export ROLLBACK_WINDOW_S="${ROLLBACK_WINDOW_S:-0}"
  config_load "${ENV_NAME}" || exit 2
  ensure_packages wrk jq
  require_cmd wrk jq curl docker
  URL="${NGINX_URL}/actuator/health/liveness"
  curl -fs --max-time 3 -o /dev/null "${URL}" || die "nothing answers at ${URL}: bring the environment up first (scripts/demo.sh)"
  WORK="$(mktemp -d /tmp/switchyard-bench.XXXXXX)"
  trap cleanup EXIT
  : >"${WORK}/results.jsonl"

  local live current first=0
  live="$(live_color "${UPSTREAM_FILE}")"
  current="$(app_image "${live}")"
  # Start with the image that is not live, so every deploy is a real switch.
  [[ "${current}" == "${images[0]}" ]] && first=1
  log "${deploys} deploys per mode (${modes[*]}); live ${live} (${current:-?})"

  if ((deploys > 0)); then
    wrk_start before "${steady}"
    wrk_wait
    local i k=0 mode
    for ((i = 0; i < deploys; i++)); do
      for mode in "${modes[@]}"; do
        deploy_one "${mode}" "${images[$(((first + k) % 2))]}" "${k}"
        k=$((k + 1))
      done
    done
    wrk_start after "${steady}"
    wrk_wait
    [[ -z "${results}" ]] || cp "${WORK}/results.jsonl" "${results}"
    report
  fi
  if ((startups > 0)); then
    log "start-up loop: ${startups} quiet starts of ${images[0]}"
    startup_loop "${images[0]}" "${startups}" >"${WORK}/startups.txt"
    startup_report "${WORK}/startups.txt"
  fi
  ((deploys == 0)) || all_clean
}

main "$@"
