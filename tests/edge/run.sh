#!/usr/bin/env bash
# Edge suite: HTTPS with real ACME, TLS quality, the deploy kit on a system nginx, and the balancer topology.
# Runs in a private mount namespace: the host's /etc/nginx, /etc/fail2ban, /etc/letsencrypt, /etc/hosts,
# /run, ... are private copies there, so the host stays as it was. Traffic goes to loopback addresses and to
# network namespaces the suite creates. One environment for every case:
#   system    a copy of the distribution's /etc/nginx (sites-enabled, conf.d, modules-enabled, the master
#             reloaded with `nginx -s reload`: pid /run/nginx.pid), provisioned by scripts/bootstrap-host.sh
#             (--no-packages) for env prod: HTTPS on 127.0.0.5:443 for switchyard.test, :80 redirecting
#   acme      Debian's pebble (ACME test server) on 127.0.0.1:14000; bootstrap-host.sh runs real certbot,
#             which proves the name through nginx's challenge location on 127.0.0.5:80; clients trust pebble
#   tls       testssl.sh summary (no SSLv3/TLS 1.0/1.1, no weak ciphers), HTTP/2 by curl, HSTS on 443 only,
#             :80 redirects except ACME challenges and 127.0.0.1 (the deploy's verify path)
#   deploy    a deploy under load over HTTPS with STOMP chat clients on wss:// through 443, and during it
#             `certbot renew --force-renewal`: the deploy hook waits for the deploy's lock, then installs;
#             0 failed requests, no chat message lost, the new certificate served afterwards
#   badcert   missing, garbage, expired, mismatched and wrong-name certificates: scripts/tls-install.sh
#             exits 1 naming the problem, nginx is not reloaded, the old certificate keeps serving
#   badconf   an invalid nginx config at switch time on the system layout: exit 4, no reload, live serving
#   balancer  network namespaces (clients A, B, a forger X, a balancer, the host): tests/edge/topology.sh
#
# Usage: tests/edge/run.sh [case...]    (default: all, in the order above; system and acme always run)
# Environment: SWITCHYARD_EDGE_KEEP=1 keeps the temp dir (logs); SWITCHYARD_EDGE_IMAGE=<ref> uses that
# already-built app image instead of building one.
set -euo pipefail

SCRIPT_NAME="tests/edge"
SUITE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${SUITE_DIR}/../.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${ROOT}/scripts/lib/common.sh"
# shellcheck source=tests/lib/checks.sh
source "${ROOT}/tests/lib/checks.sh"
# shellcheck source=tests/edge/stack.sh
source "${SUITE_DIR}/stack.sh"
# shellcheck source=tests/edge/topology.sh
source "${SUITE_DIR}/topology.sh"

SITE=switchyard.test
SITE_ADDR=127.0.0.5
PEBBLE_DIR_URL="https://127.0.0.1:14000/dir"
# Paths the suite makes private (bind mounts inside the namespace): directories, then files.
PRIVATE_DIRS=(/etc/nginx /var/log/nginx /var/lib/nginx /etc/fail2ban /etc/letsencrypt /etc/switchyard /var/lib/switchyard)
PRIVATE_FILES=(/etc/hosts /var/log/fail2ban.log)

TMP="${SWITCHYARD_EDGE_TMP:-}"
RUN_ID="${RUN_ID:-syedge$$}"
PIDS=()
REPORT=()
CA=""

# --- outside the namespace -------------------------------------------------------------------------
# Mount points that do not exist on the host are created for the run and removed afterwards.
outer_main() {
  TMP="$(mktemp -d /tmp/switchyard-edge.XXXXXX)"
  chmod 755 "${TMP}"
  local created=()
  local path
  for path in "${PRIVATE_DIRS[@]}"; do
    if [[ ! -e "${path}" ]]; then
      mkdir -p "${path}"
      created+=("${path}")
    fi
  done
  for path in "${PRIVATE_FILES[@]}"; do
    if [[ ! -e "${path}" ]]; then
      touch "${path}"
      created+=("${path}")
    fi
  done
  local rc=0
  local inner
  # Its own session (session id = its pid), so that whatever it might leave running is ended with it.
  SWITCHYARD_EDGE_TMP="${TMP}" RUN_ID="${RUN_ID}" setsid unshare --mount --propagation private \
    "${BASH_SOURCE[0]}" --inside "$@" &
  inner=$!
  trap 'kill -TERM "${inner}" 2>/dev/null' INT TERM
  wait "${inner}" || rc=$?
  pkill -KILL -s "${inner}" 2>/dev/null || true
  kill_private_namespace "${TMP}/inner.mntns"
  STACK_IMAGES=("switchyard-edge:${RUN_ID}-v1" "switchyard-edge:${RUN_ID}-v2")
  stack_down
  for path in "${created[@]}"; do
    if [[ -d "${path}" ]]; then
      rmdir "${path}" 2>/dev/null || err "could not remove the mount point ${path}"
    else
      rm -f "${path}"
    fi
  done
  if [[ "${SWITCHYARD_EDGE_KEEP:-0}" == 1 ]]; then
    log "kept ${TMP}"
  else
    rm -rf "${TMP}"
  fi
  return "${rc}"
}

# kill_private_namespace <marker>: ends whatever still runs in the inner run's mount namespace (a daemonized
# nginx leaves its session). The marker holds that namespace's id, written from inside; never ours.
kill_private_namespace() {
  local marker="$1"
  local ns
  local proc
  [[ -s "${marker}" ]] || return 0
  ns="$(cat "${marker}")"
  [[ -n "${ns}" && "${ns}" != "$(readlink /proc/self/ns/mnt)" ]] || return 0
  for proc in /proc/[0-9]*; do
    if [[ "$(readlink "${proc}/ns/mnt" 2>/dev/null)" == "${ns}" ]]; then
      kill -KILL "${proc#/proc/}" 2>/dev/null || true
    fi
  done
}

# --- inside: the private system --------------------------------------------------------------------
inner_cleanup() {
  local rc=$?
  set +e
  topology_down
  local pid
  for pid in "${PIDS[@]}"; do
    kill "${pid}" 2>/dev/null
  done
  if [[ -s /run/nginx.pid ]]; then
    nginx -s stop 2>/dev/null
  fi
  stack_down
  for pid in "${PIDS[@]}"; do
    wait "${pid}" 2>/dev/null
  done
  exit "${rc}"
}

# The host's files the private system starts from: /etc/nginx and /etc/fail2ban as the packages
# installed them (any Switchyard file removed, Debian's default site enabled), /var/lib/nginx's
# temp dirs; everything else empty.
private_mounts() {
  local path src
  for path in "${PRIVATE_DIRS[@]}"; do
    src="${TMP}/sys${path}"
    mkdir -p "${src}"
    case "${path}" in
      /etc/nginx | /etc/fail2ban | /var/lib/nginx) cp -a "${path}/." "${src}/" ;;
    esac
    chmod 755 "${src}"
    mount --bind "${src}" "${path}"
  done
  find /etc/nginx /etc/fail2ban -name '*switchyard*' -exec rm -rf {} + 2>/dev/null || true
  rm -rf /etc/nginx/switchyard
  if [[ -e /etc/nginx/sites-available/default && ! -e /etc/nginx/sites-enabled/default ]]; then
    ln -s /etc/nginx/sites-available/default /etc/nginx/sites-enabled/default
  fi
  # Debian's default site, but on the test's address only (never on the host's own interfaces).
  sed -i -E "s/^([[:space:]]*)listen 80 default_server;/\1listen ${SITE_ADDR}:80 default_server;/; s/^([[:space:]]*)listen \[::\]:80 default_server;/\1# &/" \
    /etc/nginx/sites-available/default
  printf '127.0.0.1 localhost\n::1 localhost\n%s %s\n' "${SITE_ADDR}" "${SITE}" >"${TMP}/sys-hosts"
  : >"${TMP}/sys-fail2ban.log"
  mount --bind "${TMP}/sys-hosts" /etc/hosts
  mount --bind "${TMP}/sys-fail2ban.log" /var/log/fail2ban.log
  # /run: empty, but for the docker socket (the engine runs outside this namespace).
  mkdir -p "${TMP}/hostrun"
  mount --bind /run "${TMP}/hostrun"
  mount -t tmpfs -o mode=755 tmpfs /run
  touch /run/docker.sock
  mount --bind "${TMP}/hostrun/docker.sock" /run/docker.sock
  umount "${TMP}/hostrun"
  rmdir "${TMP}/hostrun"
  mkdir -p /run/lock
}

# Settings of the env under test (prod, on 127.0.0.5) - what an operator would set in scripts/env/prod.env.
export_prod_settings() {
  export SWITCHYARD_ROOT="${ROOT}"
  export NGINX_LISTEN="${SITE_ADDR}:80" TLS_LISTEN="${SITE_ADDR}:443" NGINX_SERVER_NAME="${SITE}"
  export TLS_DOMAINS="${SITE}" ACME_SERVER="${PEBBLE_DIR_URL}" ACME_EMAIL="ops@${SITE}"
  export TRUSTED_PROXIES="${TOPO_LB_ADDR}/32"
  export BLUE_PORT GREEN_PORT
  BLUE_PORT="$(free_port)"
  GREEN_PORT="$(free_port)"
  while [[ "${GREEN_PORT}" == "${BLUE_PORT}" ]]; do
    GREEN_PORT="$(free_port)"
  done
  export COMPOSE_PROJECT_BLUE="${RUN_ID}-blue" COMPOSE_PROJECT_GREEN="${RUN_ID}-green"
  export SWITCHYARD_DATA_NETWORK="${RUN_ID}-data"
  export ROLLBACK_WINDOW_S=0 STOP_GRACE_S=30 DRAIN_TIMEOUT_S=15 READY_DEADLINE_S=120 WARMUP_REQUESTS=300
  # certbot: its state in the private /etc/letsencrypt, work and logs under TMP; it trusts pebble's API.
  export XDG_CONFIG_HOME="${TMP}/xdg"
  mkdir -p "${XDG_CONFIG_HOME}/letsencrypt"
  printf 'work-dir = %s\nlogs-dir = %s\n' "${TMP}/certbot-work" "${TMP}/certbot-logs" \
    >"${XDG_CONFIG_HOME}/letsencrypt/cli.ini"
  export REQUESTS_CA_BUNDLE="${TMP}/pebble/ca.pem"
}

# --- pebble ------------------------------------------------------------------------------------------
start_pebble() {
  local dir="${TMP}/pebble"
  mkdir -p "${dir}"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=edge test pebble CA" \
    -keyout "${dir}/ca.key" -out "${dir}/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
    -keyout "${dir}/api.key" -out "${dir}/api.csr" 2>/dev/null
  openssl x509 -req -in "${dir}/api.csr" -CA "${dir}/ca.pem" -CAkey "${dir}/ca.key" -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n') -out "${dir}/api.pem" 2>/dev/null
  cat >"${dir}/pebble.json" <<EOF
{"pebble": {"listenAddress": "127.0.0.1:14000", "managementListenAddress": "127.0.0.1:15000",
  "certificate": "${dir}/api.pem", "privateKey": "${dir}/api.key",
  "httpPort": 80, "tlsPort": 5001, "ocspResponderURL": "", "externalAccountBindingRequired": false}}
EOF
  PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 pebble -config "${dir}/pebble.json" >"${dir}/pebble.log" 2>&1 &
  PIDS+=($!)
  retry_until 20 0.2 curl -sf --cacert "${dir}/ca.pem" -o /dev/null "${PEBBLE_DIR_URL}" ||
    die "pebble did not start (${dir}/pebble.log)"
  # The root pebble issues under (made at its start): what the suite's clients trust.
  CA="${TMP}/pebble-root.pem"
  curl -sf --cacert "${dir}/ca.pem" "https://127.0.0.1:15000/roots/0" >"${CA}" || die "no root from pebble"
  log "pebble up: ${PEBBLE_DIR_URL}, issuing under $(openssl x509 -in "${CA}" -noout -subject)"
}

# --- helpers -----------------------------------------------------------------------------------------
# served_serial: the serial of the certificate nginx presents for the site right now.
served_serial() {
  openssl s_client -connect "${SITE_ADDR}:443" -servername "${SITE}" </dev/null 2>/dev/null |
    openssl x509 -noout -serial 2>/dev/null | sed 's/^serial=//'
}

nginx_workers() {
  ps -o pid= --ppid "$(cat /run/nginx.pid)" | tr -d ' ' | sort | tr '\n' ' '
}

# https_color: X-App-Color of one answer over HTTPS through the system nginx.
https_color() {
  curl -s -o /dev/null -D - --max-time 5 --cacert "${CA}" "https://${SITE}/actuator/health/readiness" | tr -d '\r' |
    awk 'NR == 1 && $2 !~ /^2/ { exit } tolower($1) == "x-app-color:" { print $2 }'
}

serving() {
  local want="$1"
  for _ in 1 2 3; do
    [[ "$(https_color)" == "${want}" ]] || return 1
  done
}

live_file_color() {
  local port
  port="$(sed -nE 's/^[[:space:]]*server[[:space:]]+127\.0\.0\.1:([0-9]+);.*/\1/p' /etc/nginx/switchyard/prod-upstream.conf)"
  if [[ "${port}" == "${BLUE_PORT}" ]]; then echo blue; elif [[ "${port}" == "${GREEN_PORT}" ]]; then echo green; else echo "?"; fi
}

run_deploy() {
  local name="$1"
  local image="$2"
  local rc=0
  "${ROOT}/scripts/deploy.sh" prod "${image}" >"${TMP}/${name}.log" 2>&1 || rc=$?
  log "deploy ${name}: exit ${rc} ($(grep -E 'done:|FAILED' "${TMP}/${name}.log" | tail -n 1 | sed 's/^.*\] //'))"
  return "${rc}"
}

start_load() {
  local name="$1"
  rm -f "${TMP}/load-${name}.stop"
  local mode conc
  for mode in keepalive close; do
    conc=4
    [[ "${mode}" == close ]] && conc=2
    python3 "${ROOT}/tests/deploy/load.py" --url "https://${SITE}/actuator/health/liveness" --cafile "${CA}" --expect-up \
      --mode "${mode}" --concurrency "${conc}" --pause 0.02 --duration 300 --stop-file "${TMP}/load-${name}.stop" \
      --out "${TMP}/load-${name}-${mode}.json" >/dev/null 2>&1 &
    LOAD_PIDS+=($!)
  done
}

stop_load() {
  local name="$1"
  local pid mode summary
  touch "${TMP}/load-${name}.stop"
  for pid in "${LOAD_PIDS[@]}"; do
    wait "${pid}" 2>/dev/null || true
  done
  LOAD_PIDS=()
  for mode in keepalive close; do
    summary="$(cat "${TMP}/load-${name}-${mode}.json" 2>/dev/null || echo '{}')"
    REPORT+=("load ${name}/${mode} over HTTPS: $(jq -r '"\(.requests) requests, \(.failed) failed, \(.stale_retries) keep-alive resends, p99 \(.p99_ms) ms, colors \(.colors | tostring)"' <<<"${summary}" 2>/dev/null)")
    check_true "load ${name}/${mode} over HTTPS: requests flowed and none failed ($(jq -c '{requests, failed, errors}' <<<"${summary}" 2>/dev/null))" \
      jq -e '.requests > 0 and .failed == 0' <<<"${summary}" >/dev/null
  done
}

# api <token> <method> <path> [json]: one REST call over HTTPS; prints the body, fails on non-2xx.
api() {
  curl -sS --fail-with-body --max-time 10 --cacert "${CA}" -X "$2" -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/json' ${4:+--data "$4"} "https://${SITE}$3"
}

# --- cases -------------------------------------------------------------------------------------------
case_system() {
  log "--- case system"
  # The distribution's nginx as its package leaves it: running, default site on :80 (not on our address).
  nginx -t -q || die "the private copy of /etc/nginx does not pass nginx -t"
  nginx
  retry_until 10 0.1 test -s /run/nginx.pid || die "system nginx did not start"
  local out rc=0
  out="$("${ROOT}/scripts/bootstrap-host.sh" --no-packages 2>"${TMP}/bootstrap.err")" || rc=$?
  printf '%s\n' "${out}" | sed 's/^/    | /' >&2
  expect_eq "${rc}" 0 "bootstrap-host.sh on the system layout exits 0"
  [[ "${rc}" == 0 ]] || { tail -n 30 "${TMP}/bootstrap.err" >&2; die "cannot go on without the bootstrap"; }
  check_true "bootstrap disabled Debian's default site" test ! -e /etc/nginx/sites-enabled/default
  check_true "bootstrap put the main-context settings in modules-enabled" \
    test -f /etc/nginx/modules-enabled/99-switchyard-main.conf
  local effective
  effective="$(nginx -T 2>/dev/null)"
  check_true "the system nginx runs worker_shutdown_timeout 120s (main context, via modules-enabled)" \
    grep -q '^worker_shutdown_timeout 120s;' <<<"${effective}"
  check_true "worker_connections raised to 8192 in the distribution's nginx.conf" \
    grep -qE '^[[:space:]]*worker_connections 8192;' <<<"${effective}"
  check_true "conf.d/switchyard-edge.conf (HSTS, redirect, bans) is loaded" grep -q 'switchyard_redirect_to_https' <<<"${effective}"
  check_true "the balancer is in every jail's ignoreip (jail.d/zzz-switchyard-trusted-proxies.local)" \
    grep -q "ignoreip = %(known/ignoreip)s ${TOPO_LB_ADDR}/32" /etc/fail2ban/jail.d/zzz-switchyard-trusted-proxies.local
  check_true "fail2ban accepts the installed configuration" bash -c 'fail2ban-client --test >/dev/null 2>&1'
  CERT_SERIAL_ISSUED="$(tls_serial_of /etc/switchyard/tls/prod/fullchain.pem)"
  check_true "bootstrap got a certificate by ACME and installed it (serial ${CERT_SERIAL_ISSUED})" test -n "${CERT_SERIAL_ISSUED}"
  check_true "the certificate chains to pebble's root and names ${SITE}" \
    openssl verify -CAfile "${CA}" -untrusted /etc/switchyard/tls/prod/fullchain.pem /etc/switchyard/tls/prod/fullchain.pem
  check_true "certbot recorded the deploy hook for renewals" \
    grep -q "renew_hook = ${ROOT}/scripts/tls-install.sh prod" "/etc/letsencrypt/renewal/${SITE}.conf"
  check_true "the temporary ACME server is gone" test ! -e /etc/nginx/sites-enabled/switchyard-prod-acme.conf
  log "OCSP responder URL in the issued certificate: '$(openssl x509 -in /etc/switchyard/tls/prod/fullchain.pem -noout -ocsp_uri)' (none: no stapling)"
  out="$("${ROOT}/scripts/bootstrap-host.sh" --no-packages --check 2>&1)" || rc=$?
  check_true "bootstrap --check right after: no drift" grep -qx 'no drift' <<<"${out}"

  # The app: data stores, two releases, the first deploy through the system nginx.
  stack_up /etc/switchyard/prod.env
  stack_images
  rc=0
  run_deploy initial "${IMG_V1}" || rc=$?
  expect_eq "${rc}" 0 "first deploy to prod on the system nginx"
  [[ "${rc}" == 0 ]] || { tail -n 30 "${TMP}/initial.log" >&2; die "cannot go on without a first deploy"; }
  check_true "blue serves over HTTPS (https://${SITE})" serving blue
  check_true "the site's edge file has the HTTPS listener and the certificate" \
    grep -q "listen ${SITE_ADDR}:443 ssl" /etc/nginx/switchyard/prod-edge.conf
}

tls_serial_of() {
  openssl x509 -in "$1" -noout -serial 2>/dev/null | sed 's/^serial=//'
}

case_tls() {
  log "--- case tls"
  local headers="${TMP}/tls-headers"
  local code
  code="$(curl -s --http2 --cacert "${CA}" -o /dev/null -D "${headers}" -w '%{http_version} %{http_code}' "https://${SITE}/actuator/health")"
  expect_eq "${code}" "2 200" "HTTPS answers over HTTP/2 (curl --http2: version, status)"
  check_true "HSTS on 443: $(grep -i '^strict-transport-security' "${headers}" | tr -d '\r')" grep -qi '^strict-transport-security: max-age=31536000' "${headers}"
  curl -s -o /dev/null -D "${headers}" "http://${SITE}/api/home"
  check_true "no HSTS on :80" bash -c "! grep -qi '^strict-transport-security' '${headers}'"
  check_true "plain http://${SITE}/api/home redirects: $(head -n 1 "${headers}" | tr -d '\r'), $(grep -i '^location' "${headers}" | tr -d '\r')" \
    grep -qi "^location: https://${SITE}/api/home" "${headers}"
  mkdir -p /var/lib/switchyard/acme/.well-known/acme-challenge
  echo edge-token >/var/lib/switchyard/acme/.well-known/acme-challenge/edge-token
  expect_eq "$(curl -s "http://${SITE}/.well-known/acme-challenge/edge-token")" edge-token \
    "ACME challenges stay on plain :80 (no redirect)"
  rm -f /var/lib/switchyard/acme/.well-known/acme-challenge/edge-token
  code="$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:80/actuator/health/readiness)"
  expect_eq "${code}" 200 "127.0.0.1:80 (the deploy's verify path, NGINX_URL) is served plain"

  local json="${TMP}/testssl.json"
  local t0="${SECONDS}"
  testssl --quiet --color 0 --warnings off --ip "${SITE_ADDR}" --add-ca "${CA}" -p -s -f --jsonfile "${json}" "https://${SITE}/" \
    >"${TMP}/testssl.txt" 2>&1 || true
  log "testssl.sh took $((SECONDS - t0))s"
  local summary
  summary="$(jq -r '.[] | select(.id | test("^(SSLv2|SSLv3|TLS1|TLS1_1|TLS1_2|TLS1_3|ALPN_HTTP2|cipherlist_.*|FS)$")) | "\(.id): \(.finding)"' "${json}" 2>/dev/null)"
  printf '%s\n' "---- testssl.sh summary (${SITE} on ${SITE_ADDR}:443) ----" "${summary}" >&2
  REPORT+=("testssl: $(tr '\n' ';' <<<"${summary}")")
  local id
  # shellcheck disable=SC2016  # jq programs below
  for id in SSLv2 SSLv3 TLS1 TLS1_1; do
    check_true "testssl: ${id} not offered" jq -e --arg id "${id}" 'any(.[]; .id == $id and (.finding | test("^not offered")))' "${json}"
  done
  # shellcheck disable=SC2016
  for id in TLS1_2 TLS1_3; do
    check_true "testssl: ${id} offered" jq -e --arg id "${id}" 'any(.[]; .id == $id and (.finding | test("^offered")))' "${json}"
  done
  # shellcheck disable=SC2016
  for id in cipherlist_NULL cipherlist_aNULL cipherlist_EXPORT cipherlist_LOW cipherlist_3DES_IDEA; do
    check_true "testssl: ${id#cipherlist_} ciphers not offered" jq -e --arg id "${id}" 'any(.[]; .id == $id and (.finding | test("^not offered")))' "${json}"
  done
  # testssl 3.0 calls the obsolete CBC ciphers "AVERAGE", 3.2 "OBSOLETED".
  check_true "testssl: no obsolete CBC ciphers" jq -e '[.[] | select(.id | test("^cipherlist_(AVERAGE|OBSOLETED)$"))] |
    length > 0 and all(.finding | test("^not offered"))' "${json}"
}

case_deploy() {
  log "--- case deploy"
  local live next img rc=0 crc=0 ids tokens room token summary pid cpid
  live="$(live_file_color)"
  if [[ "${live}" == blue ]]; then next=green img="${IMG_V2}"; else next=blue img="${IMG_V1}"; fi
  mapfile -t ids < <(stack_users 4)
  /usr/bin/python3 "${ROOT}/tests/deploy/mint_tokens.py" /etc/switchyard/prod.env "${ids[@]}" >"${TMP}/chat-tokens.txt"
  mapfile -t tokens <"${TMP}/chat-tokens.txt"
  room="$(api "${tokens[0]}" POST /api/rooms '{"name": "edge switch"}' | jq -r .id)"
  for token in "${tokens[@]:1}"; do
    api "${token}" POST "/api/rooms/${room}/join" >/dev/null
  done
  local before_serial
  before_serial="$(served_serial)"
  start_load deploy
  /usr/bin/python3 "${ROOT}/tests/deploy/chat_clients.py" --nginx "${SITE}:443" --cafile "${CA}" --tokens "${TMP}/chat-tokens.txt" \
    --room "${room}" --stop-file "${TMP}/chat.stop" --ready-file "${TMP}/chat.ready" --out "${TMP}/chat.json" \
    >/dev/null 2>"${TMP}/chat-clients.log" &
  pid=$!
  check_true "every wss:// chat client is live on ${live} through 443" retry_until 60 0.2 test -e "${TMP}/chat.ready"
  sleep 1
  "${ROOT}/scripts/deploy.sh" prod "${img}" >"${TMP}/deploy-good.log" 2>&1 &
  local dpid=$!
  retry_until 60 0.1 test -s /var/lib/switchyard/prod/deploy.lock.holder || true
  # The renewal while the deploy holds the lock: certbot renews, its deploy hook waits, then installs.
  certbot renew --force-renewal --cert-name "${SITE}" --no-random-sleep-on-renew >"${TMP}/renew.log" 2>&1 &
  cpid=$!
  wait "${dpid}" || rc=$?
  wait "${cpid}" || crc=$?
  sleep 2
  touch "${TMP}/chat.stop"
  wait "${pid}" || true
  stop_load deploy
  expect_eq "${rc}" 0 "deploy ${live} -> ${next} under load over HTTPS"
  check_true "${next} serves over HTTPS" serving "${next}"
  expect_eq "${crc}" 0 "certbot renew --force-renewal during the deploy"
  check_true "the renewal's deploy hook waited for the deploy's lock" \
    grep -q 'waiting up to .* for the lock held by: deploy prod-' "${TMP}/renew.log"
  local after_serial lineage_serial
  after_serial="$(served_serial)"
  lineage_serial="$(tls_serial_of "/etc/letsencrypt/live/${SITE}/fullchain.pem")"
  REPORT+=("renewal during the deploy: served serial ${before_serial} -> ${after_serial}")
  check_true "the renewed certificate is served (serial ${before_serial} -> ${after_serial})" \
    test -n "${after_serial}" -a "${after_serial}" != "${before_serial}" -a "${after_serial}" == "${lineage_serial}"
  summary="$(cat "${TMP}/chat.json" 2>/dev/null || echo '{}')"
  REPORT+=("chat over wss: $(jq -r '"\(.clients) clients, \(.messages) messages, \(.acked) acknowledged, \(.resent) resent, reconnects \(.reconnects | tostring), colors \(.colors | tostring)"' <<<"${summary}" 2>/dev/null)")
  check_true "chat: messages flowed" jq -e '.messages > 0 and .acked > 0' <<<"${summary}"
  check_true "chat: no acknowledged message missing from the room" jq -e '.lost_acked == [] and .unsent == []' <<<"${summary}"
  check_true "chat: every client received every message" jq -e '(.missing | all(. == 0)) and (.unknown_received | all(. == 0))' <<<"${summary}"
  # shellcheck disable=SC2016  # a jq program
  check_true "chat: every client was on ${live}, then on ${next}" \
    jq -e --arg a "${live}" --arg b "${next}" '.colors | all(.[0] == $a and .[-1] == $b)' <<<"${summary}"
  check_true "chat: no client error ($(jq -c .errors <<<"${summary}"))" jq -e '.errors == []' <<<"${summary}"
}

# bad_cert_case <what> <expected message> <cert> <key>
bad_cert_case() {
  local what="$1"
  local want="$2"
  local rc=0
  local workers serial
  workers="$(nginx_workers)"
  serial="$(served_serial)"
  TLS_CERT_FILE="$3" TLS_KEY_FILE="$4" "${ROOT}/scripts/tls-install.sh" prod >"${TMP}/badcert.log" 2>&1 || rc=$?
  if [[ "${rc}" == 1 ]] && grep -qE "${want}" "${TMP}/badcert.log"; then
    pass "${what}: refused (exit 1): $(grep -E "${want}" "${TMP}/badcert.log" | head -n 1 | sed 's/^.*ERROR: //')"
  else
    fail "${what}: exit ${rc}, want 1 with '${want}': $(tail -n 3 "${TMP}/badcert.log")"
  fi
  expect_eq "$(nginx_workers)" "${workers}" "${what}: nginx not reloaded (same workers)"
  expect_eq "$(served_serial)" "${serial}" "${what}: the installed certificate keeps serving"
}

case_badcert() {
  log "--- case badcert"
  local d="${TMP}/badcerts"
  mkdir -p "${d}"
  echo "not a certificate" >"${d}/garbage.pem"
  # Debian's python3-cryptography (the system interpreter, whatever python3 is first on PATH).
  /usr/bin/python3 - "${d}" "${SITE}" <<'PY'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
d, site = sys.argv[1], sys.argv[2]
now = datetime.datetime.now(datetime.timezone.utc)
def make(name, names, start, end):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
            .sign(key, hashes.SHA256()))
    open(f"{d}/{name}.pem", "wb").write(cert.public_bytes(serialization.Encoding.PEM))
    open(f"{d}/{name}.key", "wb").write(key.private_bytes(serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
make("expired", [site], now - datetime.timedelta(days=30), now - datetime.timedelta(days=1))
make("other", ["other.test"], now - datetime.timedelta(hours=1), now + datetime.timedelta(days=30))
make("good", [site], now - datetime.timedelta(hours=1), now + datetime.timedelta(days=30))
PY
  bad_cert_case "missing certificate file" "TLS certificate ${d}/missing.pem: no such file" "${d}/missing.pem" "${d}/good.key"
  bad_cert_case "garbage certificate file" "not a PEM certificate" "${d}/garbage.pem" "${d}/good.key"
  bad_cert_case "expired certificate" "expired on" "${d}/expired.pem" "${d}/expired.key"
  bad_cert_case "certificate and key mismatch" "do not match" "${d}/good.pem" "${d}/other.key"
  bad_cert_case "certificate for another name" "does not cover ${SITE} \(it names: other.test\)" "${d}/other.pem" "${d}/other.key"
  # The renewal path: a lineage whose new files are broken is refused the same way.
  local live="/etc/letsencrypt/live/${SITE}/fullchain.pem"
  local target
  target="$(readlink -f "${live}")"
  cp -p "${target}" "${d}/lineage-backup.pem"
  echo "truncated" >"${target}"
  bad_cert_case "certbot lineage with a broken fullchain.pem (the deploy hook)" "not a PEM certificate" "" ""
  cp -p "${d}/lineage-backup.pem" "${target}"
}

case_badconf() {
  log "--- case badconf"
  local live before workers rc=0 img
  live="$(live_file_color)"
  if [[ "${live}" == blue ]]; then img="${IMG_V2}"; else img="${IMG_V1}"; fi
  before="$(cat /etc/nginx/switchyard/prod-upstream.conf)"
  workers="$(nginx_workers)"
  echo 'this_is_not_a_directive on;' >/etc/nginx/conf.d/zz-broken.conf
  run_deploy badconf "${img}" || rc=$?
  rm -f /etc/nginx/conf.d/zz-broken.conf
  expect_eq "${rc}" 4 "deploy with an invalid /etc/nginx/conf.d file"
  check_true "nginx -t failure reported, files restored" grep -q 'nginx config invalid: files restored' "${TMP}/badconf.log"
  check_true "upstream include restored" test "$(cat /etc/nginx/switchyard/prod-upstream.conf)" = "${before}"
  expect_eq "$(nginx_workers)" "${workers}" "the system nginx was not reloaded (same workers)"
  check_true "${live} still serves over HTTPS" serving "${live}"
}

inner_main() {
  trap inner_cleanup EXIT
  trap 'exit 130' INT TERM
  local cases=("$@")
  if ((${#cases[@]} == 0)); then
    cases=(tls deploy badcert badconf balancer)
  fi
  local t0="${SECONDS}"
  LOAD_PIDS=()
  readlink /proc/self/ns/mnt >"${TMP}/inner.mntns"
  private_mounts
  export_prod_settings
  start_pebble
  case_system
  log "system layout, ACME and first deploy: $((SECONDS - t0))s"
  local c tc
  for c in "${cases[@]}"; do
    tc="${SECONDS}"
    "case_${c}"
    log "case ${c} took $((SECONDS - tc))s"
  done
  printf '%s\n' "---- edge summary ----" "${REPORT[@]}" >&2
  checks_summary edge "${t0}"
}

main() {
  if [[ "${1:-}" == --inside ]]; then
    shift
    inner_main "$@"
    return
  fi
  is_root || die "run as root (mount namespace, system nginx layout, network namespaces, nftables)"
  ensure_packages nginx certbot pebble testssl.sh openssl curl jq python3 python3-websocket python3-jwt \
    python3-cryptography mariadb-client docker.io docker-compose gettext-base iproute2 procps util-linux \
    fail2ban nftables
  require_cmd nginx certbot pebble testssl openssl curl jq python3 unshare setsid ip nft fail2ban-client docker
  ensure_dockerd
  outer_main "$@"
}

main "$@"
