#!/usr/bin/env bash
# Benchmarks the blue/green switch: wrk through nginx at a fixed connection count before, during K
# consecutive deploys, and after. Each deploy is cut in two windows, each measured by its own wrk run:
#   starting  deploy start -> the switch step begins (the idle color's JVM starts and warms up beside
#             the live color, on the same CPUs)
#   switch    the switch step begins -> the deploy ends (nginx reload, verify, drain, old color stopped)
# Prints per phase: requests, non-2xx, socket errors, p50/p99 (per deploy and the worst); the p99 ratio
# switch/steady; per deploy the time from "idle color ready" to "switched and verified" (smoke test +
# warm-up + switch + verify), the switch itself (switch.sh start -> verified) and every step's duration.
#
# Usage: scripts/bench-switch.sh [--env ENV] [--deploys K] [--connections C] [--threads T]
#                                [--steady S] [--close] <image-a> <image-b>
#   --env ENV          environment to deploy to (default demo: run scripts/demo.sh first)
#   --deploys K        consecutive deploys, alternating image-a / image-b (default 5)
#   --connections C    wrk connections (default 32); --threads T wrk threads (default 2)
#   --steady S         seconds of load before and after the deploys (default 10)
#   --close            a new connection per request (Connection: close) instead of keep-alive
# Example (after scripts/demo.sh): scripts/bench-switch.sh switchyard:1.0.0-demo.1 switchyard:1.0.0-demo.2
#
# wrk does not resend a request whose keep-alive connection the server closed (nginx's old workers
# close theirs on reload), so with keep-alive a few "read" socket errors per reload are counted here
# and reported apart from non-2xx answers; see nginx/README.md. Exit code: 0 when every deploy
# succeeded and no request got a non-2xx answer or a connect/timeout error.
set -euo pipefail

SCRIPT_NAME="bench-switch"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"
# shellcheck source=scripts/lib/color.sh
source "${SCRIPT_DIR}/lib/color.sh"

WORK=""
WRK_PID=""

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

cleanup() {
  if [[ -n "${WRK_PID}" ]]; then
    kill "${WRK_PID}" 2>/dev/null || true
  fi
  if [[ -n "${WORK}" ]]; then
    rm -rf "${WORK}"
  fi
}

# wrk_start <name> <seconds>: wrk in the background, its report in ${WORK}/<name>.txt.
wrk_start() {
  local name="$1"
  local seconds="$2"
  local args=(-t "${THREADS}" -c "${CONNECTIONS}" -d "${seconds}s" --latency --timeout 10s)
  if ((CLOSE)); then
    args+=(-H 'Connection: close')
  fi
  wrk "${args[@]}" "${URL}" >"${WORK}/${name}.txt" 2>&1 &
  WRK_PID=$!
}

wrk_wait() {
  wait "${WRK_PID}" || true
  WRK_PID=""
}

# wrk_json <name>: the figures of one wrk report as JSON.
wrk_json() {
  local f="${WORK}/$1.txt"
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
    }' "${f}"
}

main() {
  local env=demo
  DEPLOYS=5
  CONNECTIONS=32
  THREADS=2
  STEADY=10
  CLOSE=0
  while (($# > 0)); do
    case "$1" in
      --env) env="${2:?--env needs a value}"; shift ;;
      --deploys) DEPLOYS="${2:?}"; shift ;;
      --connections) CONNECTIONS="${2:?}"; shift ;;
      --threads) THREADS="${2:?}"; shift ;;
      --steady) STEADY="${2:?}"; shift ;;
      --close) CLOSE=1 ;;
      -h | --help) usage; return 0 ;;
      -*) usage >&2; exit 2 ;;
      *) break ;;
    esac
    shift
  done
  if (($# != 2)) || [[ ! "${DEPLOYS}${CONNECTIONS}${THREADS}${STEADY}" =~ ^[0-9]+$ ]]; then
    usage >&2
    exit 2
  fi
  local images=("$1" "$2")
  config_load "${env}" || exit 2
  ensure_packages wrk jq
  require_cmd wrk jq curl
  URL="${NGINX_URL}/actuator/health/liveness"
  curl -fs --max-time 3 -o /dev/null "${URL}" || die "nothing answers at ${URL}: bring the environment up first (scripts/demo.sh)"
  WORK="$(mktemp -d /tmp/switchyard-bench.XXXXXX)"
  trap cleanup EXIT

  local live
  live="$(live_color "${UPSTREAM_FILE}")"
  # Start with the image that is not live, so every deploy is a real switch.
  local current
  current="$(docker ps -q --filter "label=com.docker.compose.project=switchyard-${env}-${live}" | head -n 1 |
    xargs -r docker inspect -f '{{.Config.Image}}')"
  local first=0
  [[ "${current}" == "${images[0]}" ]] && first=1
  log "wrk -c ${CONNECTIONS} -t ${THREADS}$( ((CLOSE)) && echo ' (Connection: close)') through ${URL}; ${DEPLOYS} deploys; live ${live} (${current:-?})"

  wrk_start before "${STEADY}"
  wrk_wait
  local i rc failed_deploys=0 image deploy_pid
  local histories=()
  for ((i = 0; i < DEPLOYS; i++)); do
    image="${images[$(((first + i) % 2))]}"
    wrk_start "starting-${i}" 3600
    rc=0
    "${SCRIPT_DIR}/deploy.sh" --wait "${env}" "${image}" >"${WORK}/deploy-${i}.log" 2>&1 &
    deploy_pid=$!
    # Cut to the switch window the moment the deploy announces its switch step.
    while kill -0 "${deploy_pid}" 2>/dev/null && ! grep -qs '==> \[6/9\] switch' "${WORK}/deploy-${i}.log"; do
      sleep 0.05
    done
    wrk_stop
    wrk_start "switch-${i}" 3600
    wait "${deploy_pid}" || rc=$?
    wrk_stop
    if ((rc != 0)); then
      failed_deploys=$((failed_deploys + 1))
      err "deploy $((i + 1)) (${image}) exited ${rc}; log:"
      tail -n 15 "${WORK}/deploy-${i}.log" >&2
    fi
    histories+=("$(tail -n 1 "${HISTORY_FILE}")")
    log "deploy $((i + 1))/${DEPLOYS}: ${image} -> $(jq -r .to_color <<<"${histories[-1]}") exit ${rc}, switch $(jq -r '.switch_ms // "-"' <<<"${histories[-1]}") ms"
  done
  wrk_start after "${STEADY}"
  wrk_wait
  report "${histories[@]}"
  ((failed_deploys == 0)) && all_clean
}

# wrk_stop: ends the running wrk with SIGINT, which makes it print its report.
wrk_stop() {
  kill -INT "${WRK_PID}" 2>/dev/null || true
  wrk_wait
}

# phase_json <prefix>: every wrk report of a phase (before, starting-*, switch-*, after) as a JSON array.
phase_json() {
  local f
  for f in "${WORK}/$1"*.txt; do
    wrk_json "$(basename "${f}" .txt)"
  done | jq -s .
}

report() {
  local phase json steady_p99
  echo "==== bench-switch: ${DEPLOYS} deploys, wrk -c ${CONNECTIONS} -t ${THREADS}$( ((CLOSE)) && echo ', Connection: close') ===="
  steady_p99="$(phase_json before | jq '.[0].p99_ms')"
  for phase in before starting switch after; do
    json="$(phase_json "${phase}")"
    jq -r --arg p "${phase}" '
      def total(k): map(.[k]) | add;
      "\($p | . + "         " | .[0:9]) \(total("requests")) requests, \(total("non2xx")) non-2xx, socket errors connect \(total("connect")) read \(total("read")) write \(total("write")) timeout \(total("timeout")), p50 \(map(.p50_ms) | max) ms, p99 \(map(.p99_ms) | max) ms" +
      (if length > 1 then " (worst of \(length); p99 each: \(map(.p99_ms | tostring) | join(" ")))" else "" end)' <<<"${json}"
  done
  jq -r --argjson s "${steady_p99}" '"p99 switch / steady: \(map(.p99_ms) | max / $s * 100 | round / 100) (worst window)"' <<<"$(phase_json switch)"
  echo "per deploy: ready -> switched and verified (smoke + warm-up + switch + verify) | switch.sh start -> verified | steps (ms)"
  local h
  for h in "$@"; do
    jq -r '"  \(.from_color)->\(.to_color) \(.result): \(.steps.smoke_test + .steps.switch + .steps.verify) ms | \(.switch_ms) ms | " + (.steps // {} | to_entries | map("\(.key) \(.value)") | join(", "))' <<<"${h}"
  done
}

# all_clean: no non-2xx answer and no connect/timeout error in any window.
all_clean() {
  local phase
  for phase in before starting switch after; do
    phase_json "${phase}"
  done | jq -s -e 'add | all(.non2xx == 0 and .connect == 0 and .timeout == 0)' >/dev/null
}

main "$@"
