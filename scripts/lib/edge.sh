# shellcheck shell=bash
# The edge of an env's nginx site: its listeners (plain, HTTPS, PROXY protocol), the certificate, the
# trusted balancers (the client's real address) and the redirect of plain HTTP to HTTPS. Rendered from the
# env's TLS/EDGE settings (scripts/env/common.env) into <conf-dir>/switchyard/<env>-edge.conf, which the
# site template includes inside its server block. HTTP-level parts shared by every env:
# nginx/conf.d/switchyard-edge.conf.
# Needs: common.sh, config.sh (settings), tls.sh (certificate checks), nginx.sh (transaction, reload).
# A setting that is not loaded (a caller without config_load) counts as its common.env default: plain
# HTTP, no balancer.

edge_defaults() {
  : "${TLS_ENABLED:=0}" "${TLS_LISTEN:=443}" "${TRUSTED_PROXIES:=}" "${PROXY_PROTOCOL:=0}"
  : "${ACME_WEBROOT:=${SWITCHYARD_STATE_DIR:-/var/lib/switchyard}/acme}"
}

# edge_file: where the site includes this env's edge from (the template names the same path).
edge_file() {
  printf '%s/switchyard/%s-edge.conf\n' "${NGINX_CONF_DIR}" "${SWITCHYARD_ENV}"
}

# edge_port <listen>: the port of a listen value ("443", "127.0.0.1:443", "[::]:443").
edge_port() {
  printf '%s\n' "${1##*:}"
}

# edge_check_settings: 0 when the TLS/EDGE settings make sense; each problem named on stderr.
edge_check_settings() {
  edge_defaults
  local ok=0
  local cidr
  local name
  for name in TLS_ENABLED PROXY_PROTOCOL; do
    if [[ "${!name}" != 0 && "${!name}" != 1 ]]; then
      err "${name} must be 0 or 1, got '${!name}'"
      ok=1
    fi
  done
  if [[ ! "$(edge_port "${TLS_LISTEN}")" =~ ^[0-9]{1,5}$ ]]; then
    err "TLS_LISTEN must be a port or address:port, got '${TLS_LISTEN}'"
    ok=1
  fi
  for cidr in ${TRUSTED_PROXIES}; do
    if ! edge_valid_cidr "${cidr}"; then
      err "TRUSTED_PROXIES: '${cidr}' is not an IPv4/IPv6 address or CIDR range"
      ok=1
    fi
  done
  if [[ "${PROXY_PROTOCOL}" == 1 && -z "${TRUSTED_PROXIES// /}" ]]; then
    err "PROXY_PROTOCOL=1 needs TRUSTED_PROXIES (the balancers' addresses): nginx takes the client address from them only"
    ok=1
  fi
  if [[ "${PROXY_PROTOCOL}" == 1 && "${NGINX_LISTEN}" == 127.* ]]; then
    err "PROXY_PROTOCOL=1 with NGINX_LISTEN=${NGINX_LISTEN}: the loopback listener stays plain for the deploy's checks; listen on a public address"
    ok=1
  fi
  return "${ok}"
}

edge_valid_cidr() {
  local addr="${1%/*}"
  local bits=""
  [[ "$1" == */* ]] && bits="${1##*/}"
  if [[ "${addr}" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]]; then
    local octet
    for octet in "${BASH_REMATCH[@]:1}"; do
      ((10#${octet} <= 255)) || return 1
    done
    [[ -z "${bits}" ]] || { [[ "${bits}" =~ ^[0-9]{1,2}$ ]] && ((10#${bits} <= 32)); }
    return
  fi
  [[ "${addr}" =~ ^[0-9A-Fa-f:]+$ && "${addr}" == *:*:* ]] || return 1
  [[ -z "${bits}" ]] || { [[ "${bits}" =~ ^[0-9]{1,3}$ ]] && ((10#${bits} <= 128)); }
}

# edge_http2_style: "directive" for nginx >= 1.25.1 (`http2 on;`), else "listen" (`listen ... http2`).
edge_http2_style() {
  local version
  version="$(nginx_cmd -v 2>&1 | sed -nE 's|.*nginx/([0-9]+)\.([0-9]+)\.([0-9]+).*|\1 \2 \3|p')"
  local major minor patch
  read -r major minor patch <<<"${version:-1 22 0}"
  if ((major > 1 || (major == 1 && (minor > 25 || (minor == 25 && patch >= 1))))); then
    echo directive
  else
    echo listen
  fi
}

# edge_render: prints this env's edge file. With HTTPS on, the installed certificate must be there
# (tls_check_installed): a missing or broken one never reaches nginx.
edge_render() {
  edge_defaults
  local pp=""
  local plain_port
  local tls_port
  local redirect_port=""
  plain_port="$(edge_port "${NGINX_LISTEN}")"
  tls_port="$(edge_port "${TLS_LISTEN}")"
  if [[ "${PROXY_PROTOCOL}" == 1 ]]; then
    pp=" proxy_protocol"
  fi
  printf '# Switchyard %s: the edge of the site. Rendered by scripts/lib/edge.sh from the TLS/EDGE settings\n' "${SWITCHYARD_ENV}"
  printf '# (scripts/env, the host env): edit those, then scripts/bootstrap-host.sh. Never edit this file.\n'
  printf 'listen %s%s;\n' "${NGINX_LISTEN}" "${pp}"
  if [[ ("${TLS_ENABLED}" == 1 || -n "${pp}") && "${NGINX_LISTEN}" != 127.0.0.1:* ]]; then
    printf '# 127.0.0.1 stays plain HTTP (no redirect, no PROXY header): the deploy verify step and on-host\n'
    printf '# checks (NGINX_URL). Nothing from outside reaches 127.0.0.1.\n'
    printf 'listen 127.0.0.1:%s;\n' "${plain_port}"
  fi
  if [[ "${TLS_ENABLED}" == 1 ]]; then
    if [[ "$(edge_http2_style)" == directive ]]; then
      printf 'listen %s ssl%s;\nhttp2 on;\n' "${TLS_LISTEN}" "${pp}"
    else
      printf 'listen %s ssl http2%s;\n' "${TLS_LISTEN}" "${pp}"
    fi
    printf 'ssl_certificate %s;\nssl_certificate_key %s;\n' "$(tls_installed_cert)" "$(tls_installed_key)"
    printf 'include %s/snippets/switchyard-tls.conf;\n' "${NGINX_CONF_DIR}"
    if [[ -n "$(tls_ocsp_url "$(tls_installed_cert)")" ]]; then
      printf '# The certificate names an OCSP responder: staple its answers.\n'
      printf 'ssl_stapling on;\nssl_stapling_verify on;\nssl_trusted_certificate %s;\n' "$(tls_installed_cert)"
    else
      printf '# No OCSP responder URL in the certificate: no stapling (nginx would only warn).\n'
    fi
  fi
  printf '# ACME http-01 challenges (certbot --webroot %s), on plain HTTP even when the rest redirects.\n' "${ACME_WEBROOT}"
  # shellcheck disable=SC2016  # $uri is nginx's
  printf 'location ^~ /.well-known/acme-challenge/ {\n    root %s;\n    default_type text/plain;\n    try_files $uri =404;\n}\n' "${ACME_WEBROOT}"
  if [[ -n "${TRUSTED_PROXIES// /}" ]]; then
    printf '# Balancers: the client address is the last untrusted one they report; anyone else is the client.\n'
    local cidr
    for cidr in ${TRUSTED_PROXIES}; do
      printf 'set_real_ip_from %s;\n' "${cidr}"
    done
    if [[ -n "${pp}" ]]; then
      printf 'real_ip_header proxy_protocol;\n'
    else
      printf 'real_ip_header X-Forwarded-For;\nreal_ip_recursive on;\n'
    fi
  fi
  if [[ "${TLS_ENABLED}" == 1 ]]; then
    if [[ "${tls_port}" != 443 ]]; then
      redirect_port=":${tls_port}"
    fi
    printf '# Plain HTTP from outside goes to HTTPS (conf.d/switchyard-edge.conf says what stays plain).\n'
    # shellcheck disable=SC2016  # nginx variables, printed as they are
    printf 'if ($switchyard_redirect_to_https) {\n    return 301 https://$host%s$request_uri;\n}\n' "${redirect_port}"
  fi
}

# edge_stage: renders the edge file into the current nginx transaction (nginx_tx_begin ... nginx_tx_end).
# Called by nginx_stage_site whenever the site is installed, and by edge_apply.
edge_stage() {
  edge_check_settings || return 1
  if [[ "${TLS_ENABLED}" == 1 ]]; then
    tls_check_installed || return 1
  fi
  edge_render >"${NGINX_TX_DIR}/edge.conf" || return 1
  if ! cmp -s "${NGINX_TX_DIR}/edge.conf" "$(edge_file)"; then
    nginx_tx_put "${NGINX_TX_DIR}/edge.conf" "$(edge_file)"
  fi
}

# edge_apply: re-renders the edge file of an installed site; when it changed, nginx -t and reload, restoring
# the previous file on any failure. 0 = unchanged or applied, 1 = refused or failed (old file serving).
# Caller holds the env's deploy lock.
edge_apply() {
  nginx_tx_begin
  if ! edge_stage; then
    nginx_tx_end
    err "${SWITCHYARD_ENV}: edge settings refused; nginx untouched"
    return 1
  fi
  if ((${#NGINX_TX_DST[@]} == 0)); then
    nginx_tx_end
    return 0
  fi
  if ! nginx_test; then
    nginx_tx_rollback
    err "${SWITCHYARD_ENV}: nginx -t failed with the new edge file: previous file restored, nginx not reloaded"
    return 1
  fi
  if nginx_running && ! nginx_reload_or_start; then
    nginx_tx_rollback
    err "${SWITCHYARD_ENV}: nginx reload failed: previous edge file restored"
    return 1
  fi
  nginx_tx_end
  log "${SWITCHYARD_ENV}: edge file $(edge_file) updated"
}
