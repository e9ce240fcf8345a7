# shellcheck shell=bash
# Helpers shared by the ELK bats tests: start a stub from tests/elk and wait for what it writes.

# start_stub <script> <mode> [args]: starts tests/elk/<script> in the background; sets STUB_PORT, STUB_PID.
start_stub() {
  local port_file="${BATS_TEST_TMPDIR}/stub-$$-${RANDOM}.port"
  python3 "${BATS_TEST_DIRNAME}/$1" "${@:2}" >"${port_file}" &
  STUB_PID=$!
  local i
  for i in $(seq 50); do
    if [[ -s "${port_file}" ]]; then
      STUB_PORT="$(head -n 1 "${port_file}")"
      return 0
    fi
    sleep 0.1
  done
  echo "stub $1 did not start" >&2
  return 1
}

stop_stub() {
  if [[ -n "${STUB_PID:-}" ]]; then
    kill "${STUB_PID}" 2>/dev/null || true
    wait "${STUB_PID}" 2>/dev/null || true
    STUB_PID=""
  fi
}

# wait_for_lines <file> <count> [tenths-of-seconds]
wait_for_lines() {
  local i
  for i in $(seq "${3:-50}"); do
    if [[ -f "$1" ]] && (($(wc -l <"$1") >= $2)); then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

now_ms() {
  date +%s%3N
}
