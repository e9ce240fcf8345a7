# shellcheck shell=bash
# The balancer topology of the edge suite, as network namespaces (documentation addresses, 192.0.2.0/24,
# on a bridge inside the host namespace; nothing leaves them):
#   client A 192.0.2.21, client B 192.0.2.22 --> balancer 192.0.2.10 --> host 192.0.2.1
#   forger X 192.0.2.99 --------------------------------------------->  host (skipping the balancer)
# The balancer runs its own nginx (HTTP in, HTTPS to the host, X-Forwarded-For appended) and a PROXY
# protocol stand-in for a TCP balancer (tests/edge/proxy_protocol_lb.py). The host runs the deploy kit's
# nginx (scripts/switch.sh --install, two envs sharing it: "edge" with X-Forwarded-For on 80/443 and
# "edgepp" with PROXY protocol on 8080/8443, both trusting only the balancer), an app stand-in that records
# what it is told about the client (tests/edge/echo_upstream.py), and fail2ban with the nginx jails as
# scripts/bootstrap-host.sh installed them (private config dir; firewall ban in the host namespace's own
# nftables, nginx ban through action.d/switchyard-nginx-deny.conf).
# Sourced by tests/edge/run.sh: uses TMP, ROOT, RUN_ID, check helpers; case_balancer is the entry.

TOPO_LB_ADDR=192.0.2.10
TOPO_HOST_ADDR=192.0.2.1
TOPO_A_ADDR=192.0.2.21
TOPO_B_ADDR=192.0.2.22
TOPO_X_ADDR=192.0.2.99
TOPO_NS=()
TOPO_PIDS=()
TOPO_F2B=""
TOPO_NGINX=""
TOPO_ENV=()

topo_ns() {
  printf 'swye%s-%s\n' "$$" "$1"
}

# in_ns <role> <command...>
in_ns() {
  local role="$1"
  shift
  ip netns exec "$(topo_ns "${role}")" "$@"
}

topology_up() {
  local role
  for role in host lb a b x; do
    ip netns add "$(topo_ns "${role}")"
    TOPO_NS+=("$(topo_ns "${role}")")
    in_ns "${role}" ip link set lo up
  done
  in_ns host ip link add br0 type bridge
  in_ns host ip addr add "${TOPO_HOST_ADDR}/24" dev br0
  in_ns host ip link set br0 up
  local addr
  for role in lb a b x; do
    case "${role}" in
      lb) addr="${TOPO_LB_ADDR}" ;;
      a) addr="${TOPO_A_ADDR}" ;;
      b) addr="${TOPO_B_ADDR}" ;;
      x) addr="${TOPO_X_ADDR}" ;;
    esac
    in_ns host ip link add "v${role}" type veth peer name eth0 netns "$(topo_ns "${role}")"
    in_ns host ip link set "v${role}" master br0 up
    in_ns "${role}" ip addr add "${addr}/24" dev eth0
    in_ns "${role}" ip link set eth0 up
  done
}

topology_down() {
  set +e
  if [[ -n "${TOPO_F2B}" ]]; then
    in_ns host fail2ban-client -c "${TOPO_F2B}" -s "${TMP}/topo/f2b.sock" -p "${TMP}/topo/f2b.pid" stop >/dev/null 2>&1
  fi
  local pid
  for pid in "${TOPO_PIDS[@]}"; do
    kill "${pid}" 2>/dev/null
  done
  for pid in "${TMP}/topo/lb/nginx.pid" "${TOPO_NGINX:-/nonexistent}/logs/nginx.pid"; do
    [[ -s "${pid}" ]] && kill -QUIT "$(cat "${pid}")" 2>/dev/null
  done
  for pid in "${TOPO_PIDS[@]}"; do
    wait "${pid}" 2>/dev/null
  done
  TOPO_PIDS=()
  local ns
  for ns in "${TOPO_NS[@]}"; do
    ip netns pids "${ns}" 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del "${ns}" 2>/dev/null
  done
  TOPO_NS=()
}

# The host's certificate: a private CA and a leaf for switchyard.test (the balancer verifies it).
topo_certs() {
  local d="${TMP}/topo/pki"
  mkdir -p "${d}"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=edge topology CA" \
    -keyout "${d}/ca.key" -out "${d}/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=${SITE}" \
    -keyout "${d}/site.key" -out "${d}/site.csr" 2>/dev/null
  openssl x509 -req -in "${d}/site.csr" -CA "${d}/ca.pem" -CAkey "${d}/ca.key" -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=DNS:%s\n' "${SITE}") -out "${d}/site.pem" 2>/dev/null
  cat "${d}/site.pem" "${d}/ca.pem" >"${d}/fullchain.pem"
}

# topo_env: the `env` command line with the settings of the host's envs (a private env dir: the repo's
# common.env plus <env>.env) and none of the system part's prod settings, into TOPO_ENV.
topo_env() {
  TOPO_ENV=(env -u NGINX_LISTEN -u TLS_LISTEN -u BLUE_PORT -u GREEN_PORT -u NGINX_URL -u COMPOSE_PROJECT_BLUE
    -u COMPOSE_PROJECT_GREEN SWITCHYARD_ENV_DIR="${TMP}/topo/envs" NGINX_PREFIX="${TOPO_NGINX}"
    NGINX_CONF="${TOPO_NGINX}/nginx.conf" NGINX_CONF_DIR="${TOPO_NGINX}" NGINX_INSTALL_MAIN_CONF=1
    SWITCHYARD_STATE_DIR="${TMP}/topo/state" NGINX_SERVER_NAME="${SITE}" TLS_DOMAINS="${SITE}"
    TLS_CERT_FILE="${TMP}/topo/pki/fullchain.pem" TLS_KEY_FILE="${TMP}/topo/pki/site.key" TLS_DIR="${TMP}/topo/tls"
    TRUSTED_PROXIES="${TOPO_LB_ADDR}/32")
}

topo_host_nginx() {
  TOPO_NGINX="${TMP}/topo/nginx"
  mkdir -p "${TMP}/topo/envs" "${TOPO_NGINX}"
  cp "${ROOT}/scripts/env/common.env" "${TMP}/topo/envs/"
  local up="$1"
  # shellcheck disable=SC2016  # env files: the ${...} are for config_load
  printf ': "${NGINX_LISTEN:=%s:80}"\n: "${TLS_LISTEN:=%s:443}"\n: "${TLS_ENABLED:=1}"\n: "${BLUE_PORT:=%s}"\n: "${GREEN_PORT:=%s}"\n' \
    "${TOPO_HOST_ADDR}" "${TOPO_HOST_ADDR}" "${up}" "$((up + 1))" >"${TMP}/topo/envs/edge.env"
  # shellcheck disable=SC2016  # as above
  printf ': "${NGINX_LISTEN:=%s:8080}"\n: "${TLS_LISTEN:=%s:8443}"\n: "${TLS_ENABLED:=1}"\n: "${PROXY_PROTOCOL:=1}"\n: "${BLUE_PORT:=%s}"\n: "${GREEN_PORT:=%s}"\n' \
    "${TOPO_HOST_ADDR}" "${TOPO_HOST_ADDR}" "${up}" "$((up + 1))" >"${TMP}/topo/envs/edgepp.env"
  local env
  topo_env
  for env in edge edgepp; do
    in_ns host "${TOPO_ENV[@]}" "${ROOT}/scripts/tls-install.sh" "${env}" >>"${TMP}/topo/install.log" 2>&1 ||
      die "tls-install.sh ${env} failed in the host namespace (${TMP}/topo/install.log)"
    in_ns host "${TOPO_ENV[@]}" "${ROOT}/scripts/switch.sh" --install --force "${env}" blue >>"${TMP}/topo/install.log" 2>&1 ||
      die "switch.sh --install ${env} failed in the host namespace (${TMP}/topo/install.log)"
  done
}

topo_balancer() {
  local d="${TMP}/topo/lb"
  mkdir -p "${d}/logs"
  cat >"${d}/nginx.conf" <<EOF
pid ${d}/nginx.pid;
error_log ${d}/logs/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    upstream host_https { server ${TOPO_HOST_ADDR}:443; }
    server {
        listen ${TOPO_LB_ADDR}:80;
        location / {
            proxy_pass https://host_https;
            proxy_http_version 1.1;
            proxy_ssl_server_name on;
            proxy_ssl_name ${SITE};
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate ${TMP}/topo/pki/ca.pem;
            proxy_set_header Host ${SITE};
            # What an application load balancer sends: the chain so far plus the peer it saw.
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
        }
    }
}
EOF
  in_ns lb nginx -p "${d}" -c "${d}/nginx.conf" || die "balancer nginx did not start"
  in_ns lb python3 "${SUITE_DIR}/proxy_protocol_lb.py" "${TOPO_LB_ADDR}" 8443 "${TOPO_HOST_ADDR}" 8443 &
  TOPO_PIDS+=($!)
}

# fail2ban in the host namespace with the nginx jails (and recidive) from the bootstrapped /etc/fail2ban.
topo_fail2ban() {
  TOPO_F2B="${TMP}/topo/f2b-conf"
  mkdir -p "${TOPO_F2B}"
  cp -a /etc/fail2ban/. "${TOPO_F2B}/"
  printf '[Init]\ntable = swye%s\n' "$$" >"${TOPO_F2B}/action.d/nftables-common.local"
  printf '[Init]\nnginx_conf_dir = %s\nnginx = nginx -p %s -c %s/nginx.conf\nnginx_pid = %s/logs/nginx.pid\n' \
    "${TOPO_NGINX}" "${TOPO_NGINX}" "${TOPO_NGINX}" "${TOPO_NGINX}" >"${TOPO_F2B}/action.d/switchyard-nginx-deny.local"
  cat >"${TOPO_F2B}/fail2ban.d/zz-test.local" <<EOF
[Definition]
logtarget = ${TMP}/topo/fail2ban.log
socket = ${TMP}/topo/f2b.sock
pidfile = ${TMP}/topo/f2b.pid
dbfile = ${TMP}/topo/fail2ban.sqlite3
EOF
  : >"${TMP}/topo/fail2ban.log"
  # The operators' override, as jail.d/zz-switchyard-ignoreip.local would be: this host's log paths and
  # ports; no SSH here.
  cat >"${TOPO_F2B}/jail.d/zz-switchyard-ignoreip.local" <<EOF
[DEFAULT]
switchyard_nginx_access_log = ${TOPO_NGINX}/logs/*access*.log
switchyard_nginx_error_log = ${TOPO_NGINX}/logs/error.log
switchyard_nginx_ports = 80,443,8080,8443

[sshd]
enabled = false

[switchyard-sshd-preauth]
enabled = false

[recidive]
logpath = ${TMP}/topo/fail2ban.log
backend = polling
EOF
  in_ns host fail2ban-client -c "${TOPO_F2B}" -s "${TMP}/topo/f2b.sock" -p "${TMP}/topo/f2b.pid" -x start >/dev/null ||
    die "fail2ban did not start in the host namespace (${TMP}/topo/fail2ban.log)"
  retry_until 20 0.5 topo_f2b ping >/dev/null 2>&1 || die "fail2ban does not answer (${TMP}/topo/fail2ban.log)"
}

topo_f2b() {
  in_ns host fail2ban-client -c "${TOPO_F2B}" -s "${TMP}/topo/f2b.sock" -p "${TMP}/topo/f2b.pid" "$@"
}

topo_banned() {
  topo_f2b status "$1" | grep -q "Banned IP list:.*\\b${2//./\\.}\\b"
}

# via_lb <role> <method> <path> [curl args...]: status code of one request from a client through the balancer.
via_lb() {
  local role="$1"
  local method="$2"
  local path="$3"
  shift 3
  in_ns "${role}" curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X "${method}" "$@" "http://${TOPO_LB_ADDR}${path}" || true
}

# burst <role> <n> <path> <url-base> [curl args...]: n POSTs in one curl; prints the status counts.
burst() {
  local role="$1"
  local n="$2"
  local path="$3"
  local base="$4"
  shift 4
  local urls=()
  local i
  for ((i = 0; i < n; i++)); do
    urls+=(-o /dev/null "${base}${path}")
  done
  in_ns "${role}" curl -s -X POST -H 'Content-Type: application/json' -d '{}' --max-time 20 "$@" -w '%{http_code}\n' "${urls[@]}" |
    sort | uniq -c | awk '{printf "%s:%s ", $2, $1}'
}

# last_seen <field> <path>: what the app stand-in was told in the last request for that path.
last_seen() {
  grep -F "\"path\": \"$2\"" "${TMP}/topo/app-seen.jsonl" | tail -n 1 | jq -r ".$1"
}

# last_logged <log> <uri>: remote_addr of the last access-log line for that uri.
last_logged() {
  grep -F "\"uri\":\"$2\"" "$1" | tail -n 1 | jq -r .remote_addr
}

case_balancer() {
  log "--- case balancer: network namespaces"
  mkdir -p "${TMP}/topo"
  topology_up
  topo_certs
  local up
  up="$(free_port)"
  : >"${TMP}/topo/app-seen.jsonl"
  in_ns host python3 "${SUITE_DIR}/echo_upstream.py" 127.0.0.1 "${up}" "${TMP}/topo/app-seen.jsonl" &
  TOPO_PIDS+=($!)
  retry_until 10 0.1 in_ns host curl -sf -o /dev/null "http://127.0.0.1:${up}/ping" || die "app stand-in did not start"
  topo_host_nginx "${up}"
  topo_balancer
  topo_fail2ban
  local access="${TOPO_NGINX}/logs/switchyard-edge.access.log"
  local access_pp="${TOPO_NGINX}/logs/switchyard-edgepp.access.log"
  local cacert=(--cacert "${TMP}/topo/pki/ca.pem")

  # Real addresses: B plain; A forging X-Forwarded-For through the balancer; X forging it directly.
  expect_eq "$(via_lb b GET /api/who-b)" 200 "B through the balancer"
  expect_eq "$(last_logged "${access}" /api/who-b)" "${TOPO_B_ADDR}" "access log: B's request under B's address"
  expect_eq "$(last_seen xff /api/who-b)/$(last_seen xfp /api/who-b)" "${TOPO_B_ADDR}/https" \
    "the app is told X-Forwarded-For B, X-Forwarded-Proto https"
  via_lb a GET /api/who-a -H "X-Forwarded-For: ${TOPO_B_ADDR}" >/dev/null
  expect_eq "$(last_logged "${access}" /api/who-a)" "${TOPO_A_ADDR}" "A forging X-Forwarded-For: ${TOPO_B_ADDR} through the balancer is logged as A"
  expect_eq "$(last_seen xff /api/who-a)" "${TOPO_A_ADDR}" "... and the app is told A, not the forged address"
  in_ns x curl -s -o /dev/null "${cacert[@]}" --resolve "${SITE}:443:${TOPO_HOST_ADDR}" -H "X-Forwarded-For: ${TOPO_B_ADDR}" \
    "https://${SITE}/api/who-x" || true
  expect_eq "$(last_logged "${access}" /api/who-x)" "${TOPO_X_ADDR}" "X (not a trusted balancer) forging X-Forwarded-For directly is logged as X"
  expect_eq "$(last_seen xff /api/who-x)" "${TOPO_X_ADDR}" "... and the app is told X"
  local codes
  codes="$(burst x 15 /api/auth/kakao "https://${SITE}" "${cacert[@]}" --resolve "${SITE}:443:${TOPO_HOST_ADDR}" \
    -H 'X-Forwarded-For: 127.0.0.1')"
  check_true "X claiming to be 127.0.0.1 (the exempt loopback) is still limited: ${codes}" grep -q '429:' <<<"${codes}"
  local plain
  plain="$(in_ns x curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://${TOPO_HOST_ADDR}/api/home")"
  expect_eq "${plain}" "301 https://${TOPO_HOST_ADDR}/api/home" "plain HTTP from outside redirects to HTTPS"

  # PROXY protocol: B through the TCP balancer; a client skipping it gets nothing.
  local pp
  pp="$(in_ns b curl -s -o /dev/null -w '%{http_code}' "${cacert[@]}" --resolve "${SITE}:8443:${TOPO_LB_ADDR}" "https://${SITE}:8443/api/who-pp")"
  expect_eq "${pp}" 200 "B through the PROXY protocol balancer (TLS passed through)"
  expect_eq "$(last_logged "${access_pp}" /api/who-pp)" "${TOPO_B_ADDR}" "access log of the PROXY protocol env: B's address"
  expect_eq "$(last_seen xff /api/who-pp)" "${TOPO_B_ADDR}" "... and the app is told B"
  pp="$(in_ns x curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${cacert[@]}" --resolve "${SITE}:8443:${TOPO_HOST_ADDR}" "https://${SITE}:8443/api/who-x" || true)"
  expect_eq "${pp}" 000 "X connecting to the PROXY protocol listener directly (no PROXY header) is refused"

  # A's login burst through the balancer: 429s, then the nginx limit-req jail bans A; B goes on.
  local t0="${SECONDS}"
  codes="$(burst a 60 /api/auth/kakao "http://${TOPO_LB_ADDR}")"
  REPORT+=("balancer: A's login burst of 60: ${codes}")
  check_true "A's login burst through the balancer: ${codes}" grep -qE '429:(4[0-9]|5[0-9])' <<<"${codes}"
  expect_eq "$(via_lb b POST /api/auth/kakao)" 200 "B's login through the same balancer right after A's burst"
  # Usually 1 s. A loaded host can be slower to start the jails; a jail reads its log from the head.
  if retry_until 60 0.5 topo_banned switchyard-nginx-limit-req "${TOPO_A_ADDR}"; then
    pass "jail switchyard-nginx-limit-req banned A (${TOPO_A_ADDR}) $((SECONDS - t0))s after its burst"
  else
    # What fail2ban was given and what it said: this line may be all a CI page shows of the run.
    fail "A not banned: $(topo_f2b status switchyard-nginx-limit-req | tr '\n' ' '); error-log lines limiting A: $(grep -c "limiting requests.*client: ${TOPO_A_ADDR}," "${TOPO_NGINX}/logs/error.log" || true); fail2ban's last words: $(grep -v ' INFO ' "${TMP}/topo/fail2ban.log" | tail -n 3 | tr '\n' ' ')"
  fi
  local a_codes b_codes
  retry_until 10 0.5 bash -c "[[ \"\$(ip netns exec $(topo_ns a) curl -s -o /dev/null -w '%{http_code}' http://${TOPO_LB_ADDR}/api/home)\" == 403 ]]" || true
  a_codes="$(for _ in 1 2 3; do via_lb a GET /api/home; echo; done | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')"
  b_codes="$(for _ in 1 2 3 4 5; do via_lb b GET /api/home; echo; done | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')"
  REPORT+=("balancer: after the ban, A through the balancer ${a_codes}, B ${b_codes}")
  expect_eq "${a_codes}" "403:3 " "banned A through the balancer gets 403 (nginx deny map by real address)"
  expect_eq "${b_codes}" "200:5 " "B through the same balancer keeps getting 200"
  pp="$(in_ns a curl -s -o /dev/null -w '%{http_code}' "${cacert[@]}" --resolve "${SITE}:8443:${TOPO_LB_ADDR}" "https://${SITE}:8443/api/home")"
  expect_eq "${pp}" 403 "banned A through the PROXY protocol balancer gets 403 too"
  pp="$(in_ns a curl -s -o /dev/null -w '%{http_code}' --max-time 3 "${cacert[@]}" --resolve "${SITE}:443:${TOPO_HOST_ADDR}" "https://${SITE}/api/home" || true)"
  expect_eq "${pp}" 000 "banned A connecting to the host directly is refused by the firewall (nftables)"
  local jail banned_lb=""
  for jail in switchyard-nginx-limit-req switchyard-nginx-login switchyard-nginx-scanner recidive; do
    topo_banned "${jail}" "${TOPO_LB_ADDR}" && banned_lb+=" ${jail}"
  done
  expect_eq "${banned_lb:-none}" none "the balancer ${TOPO_LB_ADDR} is banned by no jail"
  check_true "the balancer is in the jails' ignoreip" bash -c "ip netns exec $(topo_ns host) fail2ban-client -c '${TOPO_F2B}' -s '${TMP}/topo/f2b.sock' get switchyard-nginx-limit-req ignoreip | grep -qF '${TOPO_LB_ADDR}'"
  check_true "the limit-req lines in nginx's error log name A, never the balancer" \
    bash -c "grep -q 'client: ${TOPO_A_ADDR},' '${TOPO_NGINX}/logs/error.log' && ! grep -q 'client: ${TOPO_LB_ADDR},' '${TOPO_NGINX}/logs/error.log'"
  # In a subshell: its `set +e` stays there (the EXIT trap calls it again, harmlessly).
  (topology_down)
}
