# shellcheck shell=bash
# TLS certificates of an env. nginx serves the *installed* copy, TLS_DIR/{fullchain,privkey}.pem; the
# source is certbot's lineage for TLS_DOMAINS (ACME) or the operator's TLS_CERT_FILE/TLS_KEY_FILE.
# tls_install checks a source completely (file, PEM, dates, key match, names) before it copies anything,
# and puts the previous copy back when nginx -t or the reload fails: a bad certificate never replaces a
# good one. Needs: common.sh, config.sh (settings), nginx.sh (transaction, nginx_test, reload).

tls_installed_cert() {
  printf '%s/fullchain.pem\n' "${TLS_DIR}"
}

tls_installed_key() {
  printf '%s/privkey.pem\n' "${TLS_DIR}"
}

# tls_cert_name: certbot's lineage name (the first of TLS_DOMAINS).
tls_cert_name() {
  local first
  read -r first _ <<<"${TLS_DOMAINS}"
  printf '%s\n' "${first}"
}

# tls_source: "<cert> <key>" the env installs from: the operator's files, else certbot's lineage (the one
# certbot names in RENEWED_LINEAGE when it runs the deploy hook).
tls_source() {
  if [[ -n "${TLS_CERT_FILE}" || -n "${TLS_KEY_FILE}" ]]; then
    printf '%s %s\n' "${TLS_CERT_FILE}" "${TLS_KEY_FILE}"
  elif [[ -n "${RENEWED_LINEAGE:-}" ]]; then
    printf '%s/fullchain.pem %s/privkey.pem\n' "${RENEWED_LINEAGE}" "${RENEWED_LINEAGE}"
  elif [[ -n "${TLS_DOMAINS// /}" ]]; then
    printf '%s/live/%s/fullchain.pem %s/live/%s/privkey.pem\n' "${LETSENCRYPT_DIR}" "$(tls_cert_name)" \
      "${LETSENCRYPT_DIR}" "$(tls_cert_name)"
  else
    return 1
  fi
}

# tls_names: the names the certificate must cover: TLS_DOMAINS, else the site's server_name (not "_").
tls_names() {
  local name
  for name in ${TLS_DOMAINS:-${NGINX_SERVER_NAME}}; do
    [[ "${name}" == _ ]] || printf '%s\n' "${name}"
  done
}

# tls_ocsp_url <cert>: the OCSP responder URL the certificate names (empty: none, or no certificate).
tls_ocsp_url() {
  [[ -r "$1" ]] || return 0
  openssl x509 -in "$1" -noout -ocsp_uri 2>/dev/null | head -n 1 || true
}

# tls_serial <cert>: its serial number (empty when there is no readable certificate).
tls_serial() {
  [[ -r "$1" ]] || return 0
  openssl x509 -in "$1" -noout -serial 2>/dev/null | sed 's/^serial=//' || true
}

# tls_check_pair <cert> <key> [name...]: 0 when nginx can serve this pair for these names now; else one
# line on stderr says exactly what is wrong.
tls_check_pair() {
  local cert="$1"
  local key="$2"
  shift 2
  local what="TLS certificate ${cert}"
  if [[ -z "${cert}" || -z "${key}" ]]; then
    err "TLS_CERT_FILE and TLS_KEY_FILE go together: got cert '${cert}', key '${key}'"
    return 1
  fi
  if [[ ! -e "${cert}" ]]; then
    err "${what}: no such file"
    return 1
  fi
  if [[ ! -e "${key}" ]]; then
    err "TLS key ${key}: no such file"
    return 1
  fi
  if ! openssl x509 -in "${cert}" -noout 2>/dev/null; then
    err "${what}: not a PEM certificate"
    return 1
  fi
  if ! openssl pkey -in "${key}" -noout 2>/dev/null; then
    err "TLS key ${key}: not a PEM private key (or encrypted)"
    return 1
  fi
  local not_after not_before
  not_after="$(openssl x509 -in "${cert}" -noout -enddate | sed 's/^notAfter=//')"
  not_before="$(openssl x509 -in "${cert}" -noout -startdate | sed 's/^notBefore=//')"
  if ! openssl x509 -in "${cert}" -noout -checkend 0 >/dev/null; then
    err "${what}: expired on ${not_after}"
    return 1
  fi
  if (($(date -d "${not_before}" +%s) > $(date +%s))); then
    err "${what}: not valid before ${not_before}"
    return 1
  fi
  if ! cmp -s <(openssl x509 -in "${cert}" -noout -pubkey) <(openssl pkey -in "${key}" -pubout 2>/dev/null); then
    err "${what} and key ${key} do not match (the key belongs to another certificate)"
    return 1
  fi
  local name
  for name in "$@"; do
    if ! openssl x509 -in "${cert}" -noout -checkhost "${name}" 2>/dev/null | grep -q 'does match'; then
      err "${what} does not cover ${name} (it names: $(tls_cert_names "${cert}"))"
      return 1
    fi
  done
}

tls_cert_names() {
  openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | sed -n 's/^ *//; s/DNS://gp' | tr -d ',' |
    tr '\n' ' ' | sed 's/ *$//'
}

# tls_check_installed: the installed copy is there and usable (what the edge file points nginx at).
tls_check_installed() {
  local names=()
  mapfile -t names < <(tls_names)
  if [[ ! -e "$(tls_installed_cert)" ]]; then
    err "${SWITCHYARD_ENV}: HTTPS is on (TLS_ENABLED=1) but no certificate is installed at $(tls_installed_cert): run scripts/bootstrap-host.sh (ACME with TLS_DOMAINS, or TLS_CERT_FILE/TLS_KEY_FILE)"
    return 1
  fi
  tls_check_pair "$(tls_installed_cert)" "$(tls_installed_key)" "${names[@]}"
}

# tls_install: copies the env's source certificate to TLS_DIR when it differs, then nginx -t and reload
# (when nginx runs). 0 = installed or unchanged; 1 = source refused or nginx refused it (previous kept).
# The caller holds the env's deploy lock.
tls_install() {
  local source cert key
  local names=()
  source="$(tls_source)" || {
    err "${SWITCHYARD_ENV}: no certificate source: set TLS_DOMAINS (ACME) or TLS_CERT_FILE and TLS_KEY_FILE"
    return 1
  }
  read -r cert key <<<"${source}"
  mapfile -t names < <(tls_names)
  if ! tls_check_pair "${cert}" "${key}" "${names[@]}"; then
    err "${SWITCHYARD_ENV}: certificate refused: the installed one is kept, nginx untouched"
    return 1
  fi
  if cmp -s "${cert}" "$(tls_installed_cert)" && cmp -s "${key}" "$(tls_installed_key)"; then
    log "${SWITCHYARD_ENV}: certificate unchanged (serial $(tls_serial "${cert}"))"
    return 0
  fi
  local old_serial
  old_serial="$(tls_serial "$(tls_installed_cert)")"
  mkdir -p "${TLS_DIR}"
  chmod 700 "${TLS_DIR}"
  nginx_tx_begin
  (
    umask 077
    cat "${cert}" >"${NGINX_TX_DIR}/fullchain.pem"
    cat "${key}" >"${NGINX_TX_DIR}/privkey.pem"
  )
  nginx_tx_put "${NGINX_TX_DIR}/fullchain.pem" "$(tls_installed_cert)"
  nginx_tx_put "${NGINX_TX_DIR}/privkey.pem" "$(tls_installed_key)"
  # No nginx configured yet (a private prefix before its first deploy): the site's install validates it.
  if [[ -e "${NGINX_CONF:-${NGINX_CONF_DIR}/nginx.conf}" ]] && ! nginx_test; then
    nginx_tx_rollback
    err "${SWITCHYARD_ENV}: nginx -t failed with the new certificate: previous one restored, nginx not reloaded"
    return 1
  fi
  if nginx_running && ! nginx_reload_or_start; then
    nginx_tx_rollback
    err "${SWITCHYARD_ENV}: nginx reload failed: previous certificate restored"
    return 1
  fi
  nginx_tx_end
  log "${SWITCHYARD_ENV}: certificate installed in ${TLS_DIR}: serial ${old_serial:-none} -> $(tls_serial "$(tls_installed_cert)"), valid until $(openssl x509 -in "$(tls_installed_cert)" -noout -enddate | sed 's/^notAfter=//')"
}

# tls_acme_issue <deploy-hook-command>: certbot certonly through nginx's challenge location (webroot)
# for TLS_DOMAINS; the hook (scripts/tls-install.sh <env>) installs each issued or renewed certificate.
tls_acme_issue() {
  local hook="$1"
  local args=(certonly --non-interactive --agree-tos --webroot -w "${ACME_WEBROOT}"
    --cert-name "$(tls_cert_name)" --config-dir "${LETSENCRYPT_DIR}" --deploy-hook "${hook}" --keep-until-expiring)
  local name
  for name in ${TLS_DOMAINS}; do
    args+=(-d "${name}")
  done
  if [[ -n "${ACME_EMAIL}" ]]; then
    args+=(-m "${ACME_EMAIL}")
  else
    args+=(--register-unsafely-without-email)
  fi
  if [[ -n "${ACME_SERVER}" ]]; then
    args+=(--server "${ACME_SERVER}")
  fi
  mkdir -p "${ACME_WEBROOT}"
  log "${SWITCHYARD_ENV}: requesting a certificate for ${TLS_DOMAINS} (http-01 via ${ACME_WEBROOT})"
  certbot "${args[@]}"
}
