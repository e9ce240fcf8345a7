#!/usr/bin/env bash
# Training run of the image build (Dockerfile, APP_CDS=true): starts the app on its embedded defaults (no
# profile, no network), sends it the requests a new color gets first (the deploy's warm-up paths: health
# probes, an API call answered 401, /actuator/info), then stops it with SIGTERM. The JVM writes its
# class-data archive as it exits (entrypoint.sh, APP_CDS_TRAINING): on JDK 25+ the AOT cache, which then
# holds the classes of serving those requests and their method profiles too (JEP 515), so that a new
# container reaches readiness and compiles its hot paths sooner than from a context refresh alone.
#
# Usage (image build only): train.sh [requests]   (default 2000)
# Exit 0 when the app became ready, served the requests and wrote its archive; 1 otherwise (the Dockerfile
# then builds the image without an archive: slower start-up, never a broken image).
set -euo pipefail

readonly PORT="${SERVER_PORT:-8080}"
readonly READY_DEADLINE_S=180
readonly BATCH=100
readonly PARALLEL=4
readonly PATHS=(/actuator/health/readiness /actuator/health/liveness /api/users/me /actuator/health /actuator/info)
readonly ARCHIVES=(/app/app.aot /app/app.jsa)

log() {
  echo "train: $*" >&2
}

# get <path>: the HTTP status of one GET, one line (curl where the base image has it, else bash's /dev/tcp).
get() {
  if command -v curl >/dev/null 2>&1; then
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 "http://127.0.0.1:${PORT}$1" || true
    return 0
  fi
  local status=""
  if exec 3<>"/dev/tcp/127.0.0.1/${PORT}" 2>/dev/null; then
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&3
    read -r -t 5 _ status _ <&3 || true
    exec 3<&-
  fi
  echo "${status:-000}"
}

# wait_ready: the image's own HEALTHCHECK (readiness UP) passes.
wait_ready() {
  local deadline=$((SECONDS + READY_DEADLINE_S))
  until /usr/local/bin/switchyard-healthcheck 2>/dev/null; do
    kill -0 "${APP_PID}" 2>/dev/null || return 1
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# exercise <requests>: the warm-up paths round robin, PARALLEL at a time; prints how many answered.
exercise() {
  local total="$1"
  local sent=0 answered=0 i job status
  local dir
  dir="$(mktemp -d)"
  while ((sent < total)); do
    for ((job = 0; job < PARALLEL; job++)); do
      (
        for ((i = job; i < BATCH; i += PARALLEL)); do
          get "${PATHS[(sent + i) % ${#PATHS[@]}]}"
        done >"${dir}/${job}"
      ) &
    done
    wait
    for ((job = 0; job < PARALLEL; job++)); do
      while read -r status; do
        [[ "${status}" == 000 ]] || answered=$((answered + 1))
      done <"${dir}/${job}"
    done
    sent=$((sent + BATCH))
  done
  rm -rf "${dir}"
  echo "${answered}"
}

main() {
  local requests="${1:-2000}"
  local answered rc=0 archive
  [[ "${requests}" =~ ^[0-9]+$ ]] || {
    log "requests must be a number, got '${requests}'"
    exit 1
  }
  APP_CDS_TRAINING=true /usr/local/bin/switchyard-entrypoint &
  APP_PID=$!
  if ! wait_ready; then
    log "the app did not become ready within ${READY_DEADLINE_S}s"
    kill -TERM "${APP_PID}" 2>/dev/null || true
    wait "${APP_PID}" || true
    exit 1
  fi
  answered="$(exercise "${requests}")"
  log "${answered} of ${requests} requests answered; stopping the app (SIGTERM) to write the archive"
  kill -TERM "${APP_PID}"
  wait "${APP_PID}" || rc=$?
  # 143: the JVM ended on the SIGTERM, after its shutdown hooks and the archive dump.
  if ((rc != 0 && rc != 143)); then
    log "the app exited with ${rc}"
    exit 1
  fi
  for archive in "${ARCHIVES[@]}"; do
    if [[ -s "${archive}" ]]; then
      log "wrote ${archive} ($(du -h "${archive}" | cut -f1))"
      exit 0
    fi
  done
  log "no archive was written"
  exit 1
}

main "$@"
