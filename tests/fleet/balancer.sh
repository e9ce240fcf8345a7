# shellcheck shell=bash
# The load balancer in front of the fleet e2e's hosts: a private nginx on 127.0.0.1 whose upstream
# lists each host's own nginx, with no retry to another host (proxy_next_upstream off), so a request a
# host fails is a failed request. Its JSON access log records which host served each request and when.
# Sourced by tests/fleet/run.sh after scripts/lib/common.sh.

BALANCER_DIR=""
BALANCER_PORT=""

# balancer_start <dir> <port> <host=port...>
balancer_start() {
  BALANCER_DIR="$1"
  BALANCER_PORT="$2"
  shift 2
  mkdir -p "${BALANCER_DIR}/logs"
  local hp
  {
    echo "upstream fleet {"
    for hp in "$@"; do
      printf '    server 127.0.0.1:%s; # %s\n' "${hp#*=}" "${hp%%=*}"
    done
    echo "    keepalive 16;"
    echo "}"
  } >"${BALANCER_DIR}/upstream.conf"
  cat >"${BALANCER_DIR}/nginx.conf" <<CONF
worker_processes 1;
pid ${BALANCER_DIR}/logs/nginx.pid;
error_log ${BALANCER_DIR}/logs/error.log warn;
events {
    worker_connections 1024;
}
http {
    log_format fleet escape=json '{"msec":\$msec,"request_time":\$request_time,"status":\$status,"upstream":"\$upstream_addr"}';
    access_log ${BALANCER_DIR}/logs/access.log fleet;
    client_body_temp_path ${BALANCER_DIR}/logs/body;
    proxy_temp_path ${BALANCER_DIR}/logs/proxy;
    fastcgi_temp_path ${BALANCER_DIR}/logs/fastcgi;
    uwsgi_temp_path ${BALANCER_DIR}/logs/uwsgi;
    scgi_temp_path ${BALANCER_DIR}/logs/scgi;
    include ${BALANCER_DIR}/upstream.conf;
    server {
        listen 127.0.0.1:${BALANCER_PORT};
        location / {
            proxy_pass http://fleet;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream off;
        }
    }
}
CONF
  balancer_nginx -t -q || die "balancer config invalid"
  balancer_nginx
  log "balancer on 127.0.0.1:${BALANCER_PORT} -> $*"
}

balancer_nginx() {
  nginx -p "${BALANCER_DIR}" -c "${BALANCER_DIR}/nginx.conf" "$@"
}

balancer_stop() {
  if [[ -n "${BALANCER_DIR}" && -r "${BALANCER_DIR}/logs/nginx.pid" ]]; then
    kill -QUIT "$(cat "${BALANCER_DIR}/logs/nginx.pid")" 2>/dev/null || true
  fi
}
