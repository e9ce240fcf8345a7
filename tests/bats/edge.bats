#!/usr/bin/env bats
# The site's edge file (scripts/lib/edge.sh) per env setting, the settings' validation, and the
# certificate checks that run before anything reaches nginx (scripts/lib/tls.sh). nginx is a PATH stub
# (its -v decides the HTTP/2 syntax); certificates are made by openssl.

setup() {
  load deploy_helpers
  deploy_setup
  SWITCHYARD_ENV=prod
  NGINX_BIN=nginx
  NGINX_PREFIX=""
  NGINX_CONF=""
  NGINX_CONF_DIR="${BATS_TEST_TMPDIR}/etc-nginx"
  NGINX_LISTEN=80
  TLS_ENABLED=0
  TLS_LISTEN=443
  TLS_DOMAINS=chat.example.com
  TLS_CERT_FILE=""
  TLS_KEY_FILE=""
  TLS_DIR="${BATS_TEST_TMPDIR}/tls"
  TRUSTED_PROXIES=""
  PROXY_PROTOCOL=0
  ACME_WEBROOT=/var/lib/switchyard/acme
  NGINX_SERVER_NAME=_
  stub nginx 'echo "nginx version: nginx/1.22.1" >&2'
}

# cert <name> <dns-name>: a self-signed certificate and key in the test dir.
cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=$2" \
    -addext "subjectAltName=DNS:$2" -keyout "${BATS_TEST_TMPDIR}/$1.key" -out "${BATS_TEST_TMPDIR}/$1.pem" 2>/dev/null
}

install_cert() {
  cert site chat.example.com
  mkdir -p "${TLS_DIR}"
  cp "${BATS_TEST_TMPDIR}/site.pem" "${TLS_DIR}/fullchain.pem"
  cp "${BATS_TEST_TMPDIR}/site.key" "${TLS_DIR}/privkey.pem"
}

@test "plain HTTP, no balancer: one listener, the ACME location, nothing else" {
  run edge_render
  [ "$status" -eq 0 ]
  [[ "$output" == *"listen 80;"* ]]
  [[ "$output" == *"location ^~ /.well-known/acme-challenge/ {"* ]]
  [[ "$output" == *"root /var/lib/switchyard/acme;"* ]]
  [[ "$output" != *ssl* ]]
  [[ "$output" != *real_ip* ]]
  [[ "$output" != *"return 301"* ]]
  [[ "$output" != *127.0.0.1* ]]
}

@test "HTTPS: TLS listener with HTTP/2 (nginx 1.22 syntax), certificate, TLS snippet, redirect, 127.0.0.1 plain" {
  install_cert
  TLS_ENABLED=1
  run edge_render
  [ "$status" -eq 0 ]
  [[ "$output" == *"listen 443 ssl http2;"* ]]
  [[ "$output" == *"listen 127.0.0.1:80;"* ]]
  [[ "$output" == *"ssl_certificate ${TLS_DIR}/fullchain.pem;"* ]]
  [[ "$output" == *"ssl_certificate_key ${TLS_DIR}/privkey.pem;"* ]]
  [[ "$output" == *"include ${NGINX_CONF_DIR}/snippets/switchyard-tls.conf;"* ]]
  [[ "$output" == *'return 301 https://$host$request_uri;'* ]]
  [[ "$output" != *ssl_stapling\ on* ]]
}

@test "HTTPS on another port redirects there; nginx >= 1.25.1 gets the http2 directive" {
  install_cert
  TLS_ENABLED=1
  TLS_LISTEN=192.0.2.1:8443
  stub nginx 'echo "nginx version: nginx/1.26.3" >&2'
  run edge_render
  [ "$status" -eq 0 ]
  [[ "$output" == *"listen 192.0.2.1:8443 ssl;"* ]]
  [[ "$output" == *"http2 on;"* ]]
  [[ "$output" == *'return 301 https://$host:8443$request_uri;'* ]]
}

@test "trusted balancers: realip from X-Forwarded-For, recursive" {
  TRUSTED_PROXIES="192.0.2.10/32 2001:db8::/64"
  run edge_render
  [ "$status" -eq 0 ]
  [[ "$output" == *"set_real_ip_from 192.0.2.10/32;"* ]]
  [[ "$output" == *"set_real_ip_from 2001:db8::/64;"* ]]
  [[ "$output" == *"real_ip_header X-Forwarded-For;"* ]]
  [[ "$output" == *"real_ip_recursive on;"* ]]
}

@test "PROXY protocol: on the public listeners, never on 127.0.0.1; the address from its header" {
  install_cert
  TLS_ENABLED=1
  TRUSTED_PROXIES=192.0.2.10
  PROXY_PROTOCOL=1
  run edge_render
  [ "$status" -eq 0 ]
  [[ "$output" == *"listen 80 proxy_protocol;"* ]]
  [[ "$output" == *"listen 443 ssl http2 proxy_protocol;"* ]]
  [[ "$output" == *"listen 127.0.0.1:80;"* ]]
  [[ "$output" == *"real_ip_header proxy_protocol;"* ]]
}

@test "settings are checked, each problem named" {
  TLS_ENABLED=yes
  TRUSTED_PROXIES="192.0.2.300 10.0.0.0/33 balancer.example.com 192.0.2.10/32 2001:db8::1"
  run edge_check_settings
  [ "$status" -eq 1 ]
  [[ "$output" == *"TLS_ENABLED must be 0 or 1, got 'yes'"* ]]
  [[ "$output" == *"'192.0.2.300' is not an IPv4/IPv6 address or CIDR range"* ]]
  [[ "$output" == *"'10.0.0.0/33' is not"* ]]
  [[ "$output" == *"'balancer.example.com' is not"* ]]
  [[ "$output" != *"'192.0.2.10/32'"* ]]
  [[ "$output" != *"'2001:db8::1'"* ]]
  TLS_ENABLED=0
  TRUSTED_PROXIES=""
  PROXY_PROTOCOL=1
  run edge_check_settings
  [ "$status" -eq 1 ]
  [[ "$output" == *"PROXY_PROTOCOL=1 needs TRUSTED_PROXIES"* ]]
}

@test "HTTPS without an installed certificate is refused before nginx sees anything" {
  TLS_ENABLED=1
  nginx_tx_begin() { NGINX_TX_DIR="${BATS_TEST_TMPDIR}/tx"; mkdir -p "${NGINX_TX_DIR}"; NGINX_TX_DST=(); }
  nginx_tx_begin
  run edge_stage
  [ "$status" -eq 1 ]
  [[ "$output" == *"HTTPS is on (TLS_ENABLED=1) but no certificate is installed at ${TLS_DIR}/fullchain.pem"* ]]
  [ ! -e "$(edge_file)" ]
}

@test "certificate checks: missing, garbage, key mismatch, wrong name, and a good pair" {
  cert good chat.example.com
  cert other other.example.com
  echo garbage >"${BATS_TEST_TMPDIR}/garbage.pem"
  run tls_check_pair "${BATS_TEST_TMPDIR}/none.pem" "${BATS_TEST_TMPDIR}/good.key" chat.example.com
  [ "$status" -eq 1 ]
  [[ "$output" == *"none.pem: no such file"* ]]
  run tls_check_pair "${BATS_TEST_TMPDIR}/garbage.pem" "${BATS_TEST_TMPDIR}/good.key" chat.example.com
  [ "$status" -eq 1 ]
  [[ "$output" == *"garbage.pem: not a PEM certificate"* ]]
  run tls_check_pair "${BATS_TEST_TMPDIR}/good.pem" "${BATS_TEST_TMPDIR}/other.key" chat.example.com
  [ "$status" -eq 1 ]
  [[ "$output" == *"do not match"* ]]
  run tls_check_pair "${BATS_TEST_TMPDIR}/other.pem" "${BATS_TEST_TMPDIR}/other.key" chat.example.com
  [ "$status" -eq 1 ]
  [[ "$output" == *"does not cover chat.example.com (it names: other.example.com)"* ]]
  run tls_check_pair "${BATS_TEST_TMPDIR}/good.pem" "${BATS_TEST_TMPDIR}/good.key" chat.example.com
  [ "$status" -eq 0 ]
}

@test "the certificate source: the operator's files, else certbot's lineage for the first name" {
  TLS_DOMAINS="chat.example.com www.example.com"
  LETSENCRYPT_DIR=/etc/letsencrypt
  run tls_source
  [ "$output" = "/etc/letsencrypt/live/chat.example.com/fullchain.pem /etc/letsencrypt/live/chat.example.com/privkey.pem" ]
  TLS_CERT_FILE=/srv/tls/chain.pem
  TLS_KEY_FILE=/srv/tls/key.pem
  run tls_source
  [ "$output" = "/srv/tls/chain.pem /srv/tls/key.pem" ]
  TLS_CERT_FILE=""
  TLS_KEY_FILE=""
  TLS_DOMAINS=""
  run tls_source
  [ "$status" -eq 1 ]
}

@test "OCSP stapling only for a certificate that names an OCSP responder" {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=chat.example.com" \
    -addext "subjectAltName=DNS:chat.example.com" -addext "authorityInfoAccess=OCSP;URI:http://ocsp.example.com" \
    -keyout "${BATS_TEST_TMPDIR}/ocsp.key" -out "${BATS_TEST_TMPDIR}/ocsp.pem" 2>/dev/null
  mkdir -p "${TLS_DIR}"
  cp "${BATS_TEST_TMPDIR}/ocsp.pem" "${TLS_DIR}/fullchain.pem"
  cp "${BATS_TEST_TMPDIR}/ocsp.key" "${TLS_DIR}/privkey.pem"
  TLS_ENABLED=1
  run edge_render
  [ "$status" -eq 0 ]
  [[ "$output" == *"ssl_stapling on;"* ]]
  [[ "$output" == *"ssl_stapling_verify on;"* ]]
  [[ "$output" == *"ssl_trusted_certificate ${TLS_DIR}/fullchain.pem;"* ]]
}

@test "tls_install copies a good pair; nginx -t refusing the next one puts the previous one back" {
  NGINX_PID_FILE="${BATS_TEST_TMPDIR}/no-nginx.pid"
  UPSTREAM_FILE="${NGINX_CONF_DIR}/switchyard/prod-upstream.conf"
  mkdir -p "${NGINX_CONF_DIR}"
  : >"${NGINX_CONF_DIR}/nginx.conf"
  cert first chat.example.com
  cert second chat.example.com
  TLS_CERT_FILE="${BATS_TEST_TMPDIR}/first.pem"
  TLS_KEY_FILE="${BATS_TEST_TMPDIR}/first.key"
  stub nginx 'case " $* " in *" -v "*) echo "nginx version: nginx/1.22.1" >&2 ;; esac; exit 0'
  run tls_install
  [ "$status" -eq 0 ]
  cmp "${TLS_DIR}/fullchain.pem" "${BATS_TEST_TMPDIR}/first.pem"
  [ "$(stat -c %a "${TLS_DIR}/privkey.pem")" = 600 ]
  grep -q -- "nginx -t" "${STUB_LOG}"
  TLS_CERT_FILE="${BATS_TEST_TMPDIR}/second.pem"
  TLS_KEY_FILE="${BATS_TEST_TMPDIR}/second.key"
  stub nginx 'case " $* " in *" -t "*) exit 1 ;; esac; exit 0'
  run tls_install
  [ "$status" -eq 1 ]
  [[ "$output" == *"nginx -t failed with the new certificate: previous one restored"* ]]
  cmp "${TLS_DIR}/fullchain.pem" "${BATS_TEST_TMPDIR}/first.pem"
  cmp "${TLS_DIR}/privkey.pem" "${BATS_TEST_TMPDIR}/first.key"
  ! grep -q -- "-s reload" "${STUB_LOG}"
}

@test "tls_install refuses a bad source before touching anything" {
  mkdir -p "${TLS_DIR}"
  echo "installed" >"${TLS_DIR}/fullchain.pem"
  cert other other.example.com
  TLS_CERT_FILE="${BATS_TEST_TMPDIR}/other.pem"
  TLS_KEY_FILE="${BATS_TEST_TMPDIR}/other.key"
  run tls_install
  [ "$status" -eq 1 ]
  [[ "$output" == *"does not cover chat.example.com"* ]]
  [[ "$output" == *"certificate refused: the installed one is kept, nginx untouched"* ]]
  [ "$(cat "${TLS_DIR}/fullchain.pem")" = installed ]
  [ ! -s "${STUB_LOG}" ]
}
