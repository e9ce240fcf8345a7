#!/usr/bin/env bats
# nginx's access lines from a host without the ELK stack: scripts/elk-ship-nginx.sh renders rsyslog's
# file input and TCP output; a real rsyslogd ships the lines to a Logstash TCP stand-in exactly as nginx
# wrote them, keeps its place across its own restart and holds lines while Logstash is away.

setup() {
  REPO_ROOT="$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)"
  load lib/stubs
  source "${REPO_ROOT}/scripts/lib/common.sh"
  STUB_PID=""
  RSYSLOG_PID=""
  W="${BATS_TEST_TMPDIR}"
  mkdir -p "${W}/logs" "${W}/spool" "${W}/rsyslog.d"
  LOG="${W}/logs/switchyard-prod.access.log"
  : >"${LOG}"
  GOT="${W}/received.jsonl"
}

teardown() {
  stop_rsyslog
  stop_stub
}

start_rsyslog() {
  printf 'global(workDirectory="%s")\ninclude(file="%s")\n' "${W}/spool" "${W}/rsyslog.d/30-switchyard-nginx.conf" >"${W}/main.conf"
  rsyslogd -n -f "${W}/main.conf" -i "${W}/rsyslogd.pid" >"${W}/rsyslogd.out" 2>&1 &
  RSYSLOG_PID=$!
  sleep 1.5
}

stop_rsyslog() {
  if [[ -n "${RSYSLOG_PID}" ]]; then
    kill "${RSYSLOG_PID}" 2>/dev/null || true
    wait "${RSYSLOG_PID}" 2>/dev/null || true
    RSYSLOG_PID=""
  fi
}

# line <n>: an access line as nginx writes it (escape=json: quotes and non-ASCII escaped).
line() {
  printf '{"time":"2026-12-01T10:00:0%s+00:00","remote_addr":"203.0.113.%s","method":"GET","uri":"/api/home","status":502,"upstream_addr":"127.0.0.1:8081","upstream_color":"blue","app_color":"","env":"prod","user_agent":"Mozilla/5.0 \\"q\\" \\u00e9","request_id":"r%s"}\n' "$1" "$1" "$1"
}

@test "elk-ship-nginx.sh renders a config rsyslogd accepts, only for a remote ELK" {
  run env ELK_HOST=local ELK_RSYSLOG_FILE="${W}/rsyslog.d/30-switchyard-nginx.conf" "${REPO_ROOT}/scripts/elk-ship-nginx.sh" prod
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"nothing to ship to another host"* ]]
  [ ! -e "${W}/rsyslog.d/30-switchyard-nginx.conf" ]
  run env ELK_HOST=10.20.30.40 NGINX_LOG_DIR="${W}/logs" ELK_RSYSLOG_FILE="${W}/rsyslog.d/30-switchyard-nginx.conf" \
    "${REPO_ROOT}/scripts/elk-ship-nginx.sh" prod
  [ "${status}" -eq 0 ]
  grep -q 'target="10.20.30.40" port="5003"' "${W}/rsyslog.d/30-switchyard-nginx.conf"
  run env ELK_HOST=10.20.30.40 NGINX_LOG_DIR="${W}/logs" ELK_RSYSLOG_FILE="${W}/rsyslog.d/30-switchyard-nginx.conf" \
    "${REPO_ROOT}/scripts/elk-ship-nginx.sh" prod
  [[ "${output}" == *"is up to date"* ]]
}

@test "rsyslog ships every line unchanged, none lost or doubled across its restart and a Logstash outage" {
  port="$(free_port)"
  env ELK_HOST=127.0.0.1 ELK_LOGSTASH_NGINX_PORT="${port}" NGINX_LOG_DIR="${W}/logs" \
    ELK_RSYSLOG_FILE="${W}/rsyslog.d/30-switchyard-nginx.conf" "${REPO_ROOT}/scripts/elk-ship-nginx.sh" prod
  start_stub tcp_stub.py collect "${GOT}" "${port}"
  start_rsyslog
  for i in 1 2 3; do line "${i}" >>"${LOG}"; done
  wait_for_lines "${GOT}" 3 100
  # Exactly what nginx wrote, line by line.
  diff <(cat "${LOG}") "${GOT}"
  # rsyslog restarts: it goes on where it was.
  stop_rsyslog
  for i in 4 5; do line "${i}" >>"${LOG}"; done
  start_rsyslog
  wait_for_lines "${GOT}" 5 100
  # Logstash away: lines wait in rsyslog's queue and arrive when it is back.
  stop_stub
  for i in 6 7; do line "${i}" >>"${LOG}"; done
  sleep 2
  start_stub tcp_stub.py collect "${GOT}" "${port}"
  wait_for_lines "${GOT}" 7 150
  sleep 1
  diff <(cat "${LOG}") "${GOT}"
  [ "$(jq -r .request_id "${GOT}" | sort | uniq -d | wc -l)" -eq 0 ]
}
