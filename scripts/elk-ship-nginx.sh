#!/usr/bin/env bash
# Ships this host's nginx access logs to a remote ELK host: renders rsyslog's file input and TCP output
# (elk/host/rsyslog/30-switchyard-nginx.conf.template) for the env's ELK_HOST, validates it with
# `rsyslogd -N1`, installs it and restarts rsyslog. With ELK_HOST=local (Logstash reads the files) or
# empty, the file is removed. Why rsyslog: it is the distribution's own log shipper, keeps its position in
# the file across restarts and queues on disk while Logstash is down (nginx's `access_log syslog:` is UDP).
#
# Usage: scripts/elk-ship-nginx.sh [--print] <env>
#   --print  print the rendered config, change nothing
# Settings: ELK_HOST, ELK_LOGSTASH_NGINX_PORT (5003), NGINX_LOG_DIR, ELK_RSYSLOG_FILE
# (/etc/rsyslog.d/30-switchyard-nginx.conf). Needs rsyslog (apt-get install rsyslog) and root.
set -euo pipefail

SCRIPT_NAME="elk-ship-nginx"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"

render() {
  # shellcheck disable=SC2016 # envsubst takes the literal variable names
  ELK_SHIP_TARGET="${ELK_HOST}" ELK_LOGSTASH_NGINX_PORT="${ELK_LOGSTASH_NGINX_PORT}" NGINX_LOG_DIR="${NGINX_LOG_DIR}" \
    envsubst '${ELK_SHIP_TARGET} ${ELK_LOGSTASH_NGINX_PORT} ${NGINX_LOG_DIR}' \
    <"${SWITCHYARD_ROOT}/elk/host/rsyslog/30-switchyard-nginx.conf.template"
}

# validate <file>: rsyslogd's own config check of the file alone.
validate() {
  local dir
  dir="$(mktemp -d)"
  printf 'global(workDirectory="%s")\ninclude(file="%s")\n' "${dir}" "$1" >"${dir}/rsyslog.conf"
  local rc=0
  rsyslogd -N1 -f "${dir}/rsyslog.conf" >"${dir}/check.log" 2>&1 || rc=$?
  ((rc == 0)) || err "rsyslogd -N1: $(cat "${dir}/check.log")"
  rm -rf "${dir}"
  return "${rc}"
}

restart_rsyslog() {
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    systemctl restart rsyslog && log "rsyslog restarted"
  else
    log "no running systemd: restart rsyslog yourself to apply ${ELK_RSYSLOG_FILE}"
  fi
}

main() {
  local print=0
  if [[ "${1:-}" == --print ]]; then
    print=1
    shift
  fi
  if (($# != 1)) || [[ "$1" == -* ]]; then
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
  fi
  config_load "$1" || exit 2
  if [[ -z "${ELK_HOST}" || "${ELK_HOST}" == local ]]; then
    if ((!print)) && [[ -e "${ELK_RSYSLOG_FILE}" ]]; then
      rm -f "${ELK_RSYSLOG_FILE}"
      log "ELK_HOST='${ELK_HOST}': removed ${ELK_RSYSLOG_FILE} (nothing to ship to another host)"
      restart_rsyslog
    else
      log "ELK_HOST='${ELK_HOST}': nothing to ship to another host"
    fi
    return 0
  fi
  if ((print)); then
    render
    return 0
  fi
  is_root || die "run as root (writes ${ELK_RSYSLOG_FILE})"
  require_cmd rsyslogd envsubst
  local new="${ELK_RSYSLOG_FILE}.switchyard-new"
  mkdir -p "$(dirname "${ELK_RSYSLOG_FILE}")"
  render >"${new}"
  if ! validate "${new}"; then
    rm -f "${new}"
    die "the rendered rsyslog config does not validate; ${ELK_RSYSLOG_FILE} left as it was"
  fi
  if [[ -f "${ELK_RSYSLOG_FILE}" ]] && cmp -s "${new}" "${ELK_RSYSLOG_FILE}"; then
    rm -f "${new}"
    log "${ELK_RSYSLOG_FILE} is up to date (to ${ELK_HOST}:${ELK_LOGSTASH_NGINX_PORT})"
    return 0
  fi
  chmod 644 "${new}"
  mv -f "${new}" "${ELK_RSYSLOG_FILE}"
  log "installed ${ELK_RSYSLOG_FILE}: ${NGINX_LOG_DIR}/switchyard-*.access.log to ${ELK_HOST}:${ELK_LOGSTASH_NGINX_PORT}"
  restart_rsyslog
}

main "$@"
