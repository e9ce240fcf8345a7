#!/usr/bin/env bash
# nginx hardening suite: a real nginx (Debian package) in a private prefix on a free loopback port,
# running the deploy kit's site (nginx/templates/switchyard-site.conf.template + nginx/nginx.conf, its edge
# file rendered by scripts/lib/edge.sh for plain HTTP) with our limits and hardening snippets, in front
# of a tiny Python upstream stand-in. Checks rate limits (429 JSON), body size (413 JSON), dotfiles
# and scanner paths, headers (no HSTS on plain HTTP), gzip of JSON, 502 JSON, `nginx -t`, and that our
# fail2ban filters match what this nginx really logs.
set -euo pipefail

SCRIPT_NAME="tests/nginx-hardening"
SUITE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SUITE_DIR}/../../scripts/lib/common.sh"
# shellcheck source=tests/lib/checks.sh
source "${SUITE_DIR}/../lib/checks.sh"
# shellcheck source=scripts/lib/config.sh
source "${SUITE_DIR}/../../scripts/lib/config.sh"
# shellcheck source=scripts/lib/tls.sh
source "${SUITE_DIR}/../../scripts/lib/tls.sh"
# shellcheck source=scripts/lib/edge.sh
source "${SUITE_DIR}/../../scripts/lib/edge.sh"

ROOT=""
TMP=""
PREFIX=""
NGINX_PORT=""
PROBE_PORT=""
UPSTREAM_PORT=""
UPSTREAM_PID=""
BASE=""

cleanup() {
  local rc=$?
  set +e
  if [[ -n "${PREFIX}" && -f "${PREFIX}/logs/nginx.pid" ]]; then
    nginx_private -s stop 2>/dev/null
    retry_until 5 0.1 test ! -f "${PREFIX}/logs/nginx.pid"
  fi
  stop_upstream
  if [[ -n "${TMP}" ]]; then
    rm -rf "${TMP}"
  fi
  exit "${rc}"
}

nginx_private() {
  nginx -p "${PREFIX}" -c "${PREFIX}/nginx.conf" "$@"
}

# Upstream stand-in: answers everything with JSON; /api/auth/bad answers 401; records every path.
start_upstream() {
  cat >"${TMP}/upstream.py" <<'EOF'
import http.server, json, sys

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def _answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        with open(sys.argv[2], "a") as f:
            f.write(self.path + "\n")
        status = 401 if self.path.startswith("/api/auth/bad") else 200
        body = json.dumps({"path": self.path, "status": status,
                           "padding": "x" * (4000 if self.path == "/api/big" else 0)}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-App-Color", "blue")
        self.send_header("X-Powered-By", "stand-in")
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = do_PUT = _answer
    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
  : >"${TMP}/upstream-paths.log"
  python3 "${TMP}/upstream.py" "${UPSTREAM_PORT}" "${TMP}/upstream-paths.log" &
  UPSTREAM_PID=$!
  retry_until 10 0.1 curl -fs -o /dev/null "http://127.0.0.1:${UPSTREAM_PORT}/ping" || die "upstream stand-in did not start"
}

stop_upstream() {
  if [[ -n "${UPSTREAM_PID}" ]]; then
    kill "${UPSTREAM_PID}" 2>/dev/null || true
    wait "${UPSTREAM_PID}" 2>/dev/null || true
    UPSTREAM_PID=""
  fi
}

# The private prefix: the deploy kit's nginx.conf and site template (what production runs), its edge file
# for plain HTTP with no balancer.
build_prefix() {
  local template="${ROOT}/nginx/templates/switchyard-site.conf.template"
  mkdir -p "${PREFIX}/logs" "${PREFIX}/tmp" "${PREFIX}/sites-enabled" "${PREFIX}/switchyard"
  local sub
  for sub in conf.d includes snippets; do
    cp -r "${ROOT}/nginx/${sub}" "${PREFIX}/"
  done
  printf 'server 127.0.0.1:%s;\n' "${UPSTREAM_PORT}" >"${PREFIX}/switchyard/test-upstream.conf"
  probe_server >"${PREFIX}/sites-enabled/zz-probe.conf"
  cp "${ROOT}/nginx/nginx.conf" "${PREFIX}/nginx.conf"
  # shellcheck disable=SC2016  # envsubst takes the literal variable names
  SWITCHYARD_ENV=test UPSTREAM_FILE="${PREFIX}/switchyard/test-upstream.conf" \
    NGINX_LISTEN="127.0.0.1:${NGINX_PORT}" NGINX_SERVER_NAME=_ NGINX_LOG_DIR="${PREFIX}/logs" \
    NGINX_CONF_DIR="${PREFIX}" BLUE_PORT="${UPSTREAM_PORT}" GREEN_PORT=1 \
    envsubst '${SWITCHYARD_ENV} ${UPSTREAM_FILE} ${NGINX_LISTEN} ${NGINX_SERVER_NAME} ${NGINX_LOG_DIR} ${NGINX_CONF_DIR} ${BLUE_PORT} ${GREEN_PORT}' \
    <"${template}" >"${PREFIX}/sites-enabled/switchyard-test.conf"
  SWITCHYARD_ENV=test NGINX_CONF_DIR="${PREFIX}" NGINX_LISTEN="127.0.0.1:${NGINX_PORT}" TLS_ENABLED=0 \
    TLS_LISTEN=443 TRUSTED_PROXIES="" PROXY_PROTOCOL=0 ACME_WEBROOT="${PREFIX}/acme" \
    edge_render >"${PREFIX}/switchyard/test-edge.conf"
}

# A second server with only the hardening snippet and locations that make nginx itself answer 503
# and 500 (maintenance, internal error): the snippet must turn those into problem+json too.
probe_server() {
  cat <<EOF
server {
    listen 127.0.0.1:${PROBE_PORT};
    include ${PREFIX}/snippets/switchyard-hardening.conf;
    location = /maintenance { return 503; }
    location = /broken { return 500; }
}
EOF
}

# status_codes <source-address> <method> <path> <n>: one curl, n requests, one status per line.
status_codes() {
  local src="$1"
  local method="$2"
  local path="$3"
  local n="$4"
  local urls=()
  local i
  for ((i = 0; i < n; i++)); do
    urls+=(-o /dev/null "${BASE}${path}")
  done
  curl -s --interface "${src}" -X "${method}" -H 'Content-Type: application/json' -d '{}' \
    -w '%{http_code}\n' "${urls[@]}"
}

count_of() {
  grep -cx "$1" || true
}

# json_status <file>: the "status" member of a JSON body (empty if not JSON).
json_status() {
  jq -r '.status' "$1" 2>/dev/null || true
}

# check_json_error <want-status> <curl args...>: status, problem+json type, JSON body with status.
check_json_error() {
  local want="$1"
  shift
  local body="${TMP}/body.json"
  local code_type
  code_type="$(curl -s -o "${body}" -w '%{http_code} %{content_type}' "$@")" || true
  if [[ "${code_type}" == "${want} application/problem+json" && "$(json_status "${body}")" == "${want}" ]]; then
    pass "${*: -1} -> ${want} application/problem+json $(head -c 80 "${body}")"
  else
    fail "${*: -1} -> '${code_type}' body: $(head -c 200 "${body}" 2>/dev/null)"
  fi
}

# f2b_matches <filter> <log>: how many lines of a real nginx log our fail2ban filter matches.
f2b_matches() {
  fail2ban-regex --config "${TMP}/f2b" "$2" "$1" | sed -nE 's/^Lines: .* ([0-9]+) matched.*/\1/p'
}

test_config_and_headers() {
  if nginx_private -t -q; then
    pass "nginx -t"
  else
    die "nginx -t failed"
  fi
  nginx_private
  retry_until 10 0.1 test -s "${PREFIX}/logs/nginx.pid" || die "nginx did not start"
  retry_until 10 0.1 curl -s -o /dev/null "${BASE}/api/ping" || die "nginx does not answer on ${BASE}"

  local headers="${TMP}/headers.txt"
  local code
  code="$(curl -s -D "${headers}" -o /dev/null -w '%{http_code}' "${BASE}/api/users/me")"
  tr -d '\r' <"${headers}" >"${headers}.clean"
  expect_eq "${code}" 200 "GET /api/users/me proxied to the stand-in"
  local server
  server="$(sed -nE 's/^[Ss]erver: (.*)$/\1/p' "${headers}.clean")"
  if [[ "${server}" == "nginx" ]]; then
    pass "Server header is '${server}' (no version)"
  else
    fail "Server header is '${server}'"
  fi
  local h
  for h in 'X-Content-Type-Options: nosniff' 'X-Frame-Options: DENY' 'Referrer-Policy: no-referrer' \
    'Content-Security-Policy: '; do
    if [[ "$(grep -ci "^${h}" "${headers}.clean")" == 1 ]]; then
      pass "exactly one '${h%: *}' header"
    else
      fail "header '${h}' missing or repeated"
    fi
  done
  if grep -qi '^X-Powered-By' "${headers}.clean"; then
    fail "upstream X-Powered-By leaks"
  else
    pass "upstream X-Powered-By hidden"
  fi
  if grep -qi '^Strict-Transport-Security' "${headers}.clean"; then
    fail "HSTS sent over plain HTTP"
  else
    pass "no HSTS over plain HTTP (it is sent on HTTPS only)"
  fi
}

# JSON answers are compressed for clients that accept gzip (also through a proxy); small ones are not.
test_gzip() {
  local big="${TMP}/big.headers"
  curl -s -D "${big}" -o "${TMP}/big.gz" -H 'Accept-Encoding: gzip' --interface 127.0.0.8 "${BASE}/api/big"
  if grep -qi '^Content-Encoding: gzip' "${big}" && gzip -t "${TMP}/big.gz" 2>/dev/null &&
    [[ "$(gzip -dc "${TMP}/big.gz" | jq -r .path)" == /api/big ]]; then
    pass "a 4 kB JSON answer is gzip-compressed ($(stat -c %s "${TMP}/big.gz") bytes on the wire)"
  else
    fail "no gzip for a 4 kB JSON answer: $(tr -d '\r' <"${big}" | tr '\n' ' ')"
  fi
  curl -s -D "${big}" -o /dev/null -H 'Accept-Encoding: gzip' -H 'Via: 1.1 balancer' --interface 127.0.0.8 "${BASE}/api/big"
  check_true "also when the request came through a proxy (gzip_proxied any)" grep -qi '^Content-Encoding: gzip' "${big}"
  curl -s -D "${big}" -o /dev/null -H 'Accept-Encoding: gzip' --interface 127.0.0.8 "${BASE}/api/users/me"
  if grep -qi '^Content-Encoding' "${big}"; then
    fail "a tiny JSON answer was compressed"
  else
    pass "a tiny JSON answer is sent as it is (gzip_min_length)"
  fi
}

test_rate_limits() {
  local codes
  local ok
  local limited
  # Login: 30 r/m with burst 10 => 11 immediate answers, the rest refused.
  codes="$(status_codes 127.0.0.2 POST /api/auth/kakao 30)"
  ok="$(count_of 200 <<<"${codes}")"
  limited="$(count_of 429 <<<"${codes}")"
  # 1 + burst 10 at once; one more token if the 30 requests take over 2 s.
  if ((ok >= 11 && ok <= 12 && ok + limited == 30)); then
    pass "login burst from 127.0.0.2: ${ok} x 200, ${limited} x 429"
  else
    fail "login burst from 127.0.0.2: $(sort <<<"${codes}" | uniq -c | tr '\n' ' ')"
  fi
  check_json_error 429 --interface 127.0.0.2 -X POST -d '{}' "${BASE}/api/auth/kakao"

  # The API zone is looser: the same 30 requests on /api/ all pass.
  codes="$(status_codes 127.0.0.3 GET /api/home 30)"
  if [[ "$(count_of 200 <<<"${codes}")" == 30 ]]; then
    pass "30 quick API requests from 127.0.0.3 all pass"
  else
    fail "API requests from 127.0.0.3: $(sort <<<"${codes}" | uniq -c | tr '\n' ' ')"
  fi
  # ...but 150 in a row exceed 20 r/s + burst 40.
  codes="$(status_codes 127.0.0.3 GET /api/home 150)"
  limited="$(count_of 429 <<<"${codes}")"
  if ((limited > 0)); then
    pass "API burst of 150 from 127.0.0.3: ${limited} x 429"
  else
    fail "API burst of 150 from 127.0.0.3 never limited"
  fi

  # Loopback is exempt (health checks, deploy verification, load tests).
  codes="$(status_codes 127.0.0.1 POST /api/auth/kakao 30)"
  if [[ "$(count_of 200 <<<"${codes}")" == 30 ]]; then
    pass "login burst from 127.0.0.1 (exempt) is not limited"
  else
    fail "login burst from 127.0.0.1: $(sort <<<"${codes}" | uniq -c | tr '\n' ' ')"
  fi
}

test_body_and_paths() {
  head -c $((10 * 1024 * 1024)) /dev/zero >"${TMP}/10mb.bin"
  check_json_error 413 --interface 127.0.0.4 -X POST -H 'Content-Type: application/octet-stream' \
    --data-binary "@${TMP}/10mb.bin" "${BASE}/api/chat/rooms"

  local path
  for path in /.env /.git/config /api/.env /%2eenv /.aws/credentials /wp-login.php /wp-admin/install.php \
    /phpmyadmin/ /index.php /cgi-bin/luci; do
    check_json_error 404 --interface 127.0.0.5 "${BASE}${path}"
  done
  if grep -qE '(^|/)(\.|%2e)(env|git|aws)|wp-|php|cgi' "${TMP}/upstream-paths.log"; then
    fail "a probe reached the upstream: $(grep -E 'env|git|wp-|php|cgi' "${TMP}/upstream-paths.log" | head -3)"
  else
    pass "no dotfile or scanner probe reached the upstream"
  fi
  # Legitimate paths with dots or such words in the query string are not blocked.
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' "${BASE}/api/rooms/search?q=.env")"
  expect_eq "${code}" 200 "/api/rooms/search?q=.env passes"
  code="$(curl -s -o /dev/null -w '%{http_code}' "${BASE}/.well-known/security.txt")"
  expect_eq "${code}" 200 "/.well-known/security.txt is not blocked"
}

test_login_401s() {
  local codes
  codes="$(status_codes 127.0.0.6 POST /api/auth/bad 5)"
  expect_eq "$(count_of 401 <<<"${codes}")" 5 "failed logins (401) from 127.0.0.6"
}

# Our fail2ban filters against what this nginx really wrote.
test_fail2ban_filters_on_real_logs() {
  mkdir -p "${TMP}/f2b"
  cp -a /etc/fail2ban/. "${TMP}/f2b/"
  cp "${ROOT}"/fail2ban/filter.d/*.conf "${TMP}/f2b/filter.d/"
  local access
  access="$(find "${PREFIX}/logs" -name '*access*.log' | head -n 1)"
  [[ -n "${access}" ]] || { fail "no access log in ${PREFIX}/logs"; return 0; }
  local error_log="${PREFIX}/logs/error.log"
  local want
  local got
  want="$(grep -c '"status":"\?429' "${access}" || true)"
  got="$(f2b_matches switchyard-nginx-limit-req "${error_log}")"
  if ((want > 0)) && [[ "${got}" == "${want}" ]]; then
    pass "limit-req filter: ${got} matches in the real error log = ${want} 429s in the access log"
  else
    fail "limit-req filter: ${got} matches, ${want} 429s logged"
  fi
  # The 10 probes of test_body_and_paths (127.0.0.5) and the one of test_error_page_headers (127.0.0.7).
  want="$(grep -cE '"remote_addr":"127\.0\.0\.[57]"' "${access}" || true)"
  got="$(f2b_matches switchyard-nginx-scanner "${access}")"
  if ((want == 11)) && [[ "${got}" == "${want}" ]]; then
    pass "scanner filter: ${got} matches = the ${want} probes in the real access log"
  else
    fail "scanner filter: ${got} matches, ${want} probes logged"
  fi
  got="$(f2b_matches switchyard-nginx-login "${access}")"
  if [[ "${got}" == 5 ]]; then
    pass "login filter: 5 matches = the 5 failed logins in the real access log"
  else
    fail "login filter: ${got} matches, want 5"
  fi
}

# Security headers and no version also on the error pages nginx itself writes.
test_error_page_headers() {
  local headers="${TMP}/err-headers.txt"
  curl -s -D "${headers}" -o /dev/null --interface 127.0.0.7 "${BASE}/.env" || true
  local missing=()
  local h
  for h in 'X-Content-Type-Options: nosniff' 'X-Frame-Options: DENY' 'Referrer-Policy: no-referrer' \
    'Content-Security-Policy: ' 'Server: nginx'$'\r'; do
    grep -qiF "${h}" "${headers}" || missing+=("${h%$'\r'}")
  done
  if ((${#missing[@]} == 0)); then
    pass "the 404 error page carries the security headers and 'Server: nginx' without version"
  else
    fail "the 404 error page lacks: ${missing[*]}"
  fi
}

test_nginx_generated_errors() {
  check_json_error 503 "http://127.0.0.1:${PROBE_PORT}/maintenance"
  check_json_error 500 "http://127.0.0.1:${PROBE_PORT}/broken"
}

test_upstream_down() {
  stop_upstream
  check_json_error 502 "${BASE}/api/users/me"
}

main() {
  ensure_packages nginx curl jq python3 gettext-base fail2ban
  require_cmd nginx curl jq python3 envsubst fail2ban-regex
  ROOT="$(repo_root)"
  TMP="$(mktemp -d /tmp/switchyard-nginx.XXXXXX)"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  local t0="${SECONDS}"
  # nginx workers run as an unprivileged user: they must reach the prefix.
  chmod 755 "${TMP}"
  PREFIX="${TMP}/prefix"
  NGINX_PORT="$(free_port)"
  UPSTREAM_PORT="$(free_port)"
  PROBE_PORT="$(free_port)"
  BASE="http://127.0.0.1:${NGINX_PORT}"

  start_upstream
  build_prefix
  test_config_and_headers
  test_gzip
  test_rate_limits
  test_body_and_paths
  test_error_page_headers
  test_nginx_generated_errors
  test_login_401s
  test_fail2ban_filters_on_real_logs
  test_upstream_down

  checks_summary "nginx hardening" "${t0}"
}

main "$@"
