# shellcheck shell=bash
# The edge part of scripts/bootstrap-host.sh: what a distribution nginx needs beyond its own nginx.conf,
# the balancers in fail2ban's ignoreip, and HTTPS (the first certificate, its renewal hook).
# Sourced by bootstrap-host.sh after its helpers (target, change, word, note, install_file,
# remember_nginx_file, CHECK, ROOT_DIR, REPO, NGINX_CHANGED, F2B_CHANGED); each env's settings are read
# in a subshell (config_load), so dev's never leak into prod's.

# worker_connections the site needs per worker (the private nginx/nginx.conf has the same).
BOOTSTRAP_WORKER_CONNECTIONS=8192
BOOTSTRAP_ENVS=(dev prod)

# --- nginx: main context, events, http level ----------------------------------------------------
bootstrap_edge_nginx_files() {
  install_file "${REPO}/nginx/conf.d/switchyard-edge.conf" /etc/nginx/conf.d/switchyard-edge.conf 644 nginx
  local conf="/etc/nginx/nginx.conf"
  if [[ ! -f "$(target "${conf}")" ]]; then
    return 0
  fi
  if grep -qE '^[[:space:]]*include[[:space:]]+/etc/nginx/modules-enabled/\*\.conf;' "$(target "${conf}")"; then
    install_file "${REPO}/nginx/main/switchyard-main.conf" /etc/nginx/modules-enabled/99-switchyard-main.conf 644 nginx
  else
    note "${conf} has no main-context include of modules-enabled/*.conf: add the lines of nginx/main/switchyard-main.conf to its main context"
  fi
  bootstrap_worker_connections "${conf}"
}

# bootstrap_worker_connections <nginx.conf>: raises a lower worker_connections in the events block (Debian
# ships 768: a few hundred WebSockets per worker); a higher value is the operator's and stays.
bootstrap_worker_connections() {
  local conf="$1"
  local current
  current="$(sed -nE 's/^[[:space:]]*worker_connections[[:space:]]+([0-9]+);.*/\1/p' "$(target "${conf}")" | head -n 1)"
  if [[ -z "${current}" || "${current}" -ge "${BOOTSTRAP_WORKER_CONNECTIONS}" ]]; then
    return 0
  fi
  local raised
  raised="$(mktemp)"
  sed -E "s/^([[:space:]]*worker_connections[[:space:]]+)[0-9]+;/\1${BOOTSTRAP_WORKER_CONNECTIONS};/" \
    "$(target "${conf}")" >"${raised}"
  install_file "${raised}" "${conf}" "$(stat -c '%a' "$(target "${conf}")")" nginx
  rm -f "${raised}"
}

# --- fail2ban: never ban the balancers ----------------------------------------------------------
# Every env's TRUSTED_PROXIES, one list.
bootstrap_trusted_proxies() {
  local env
  for env in "${BOOTSTRAP_ENVS[@]}"; do
    (
      config_load "${env}" >/dev/null 2>&1 || exit 0
      read -r -a proxies <<<"${TRUSTED_PROXIES}"
      if ((${#proxies[@]} > 0)); then
        printf '%s\n' "${proxies[@]}"
      fi
    )
  done | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# jail.d/zzz-switchyard-trusted-proxies.local: the balancers added to every jail's ignoreip, after the
# operators' zz-switchyard-ignoreip.local (whatever it says, the balancers stay exempt).
bootstrap_fail2ban_trusted_proxies() {
  local path="/etc/fail2ban/jail.d/zzz-switchyard-trusted-proxies.local"
  local proxies
  local cidr
  proxies="$(bootstrap_trusted_proxies)"
  for cidr in ${proxies}; do
    edge_valid_cidr "${cidr}" || DIE_EXIT_CODE=2 die "TRUSTED_PROXIES: '${cidr}' is not an address or CIDR range"
  done
  if [[ -z "${proxies}" ]]; then
    if [[ -e "$(target "${path}")" ]]; then
      change "${path} $(word removed 'present, no TRUSTED_PROXIES') (no balancers)"
      ((CHECK)) || rm -f "$(target "${path}")"
      # shellcheck disable=SC2034  # bootstrap-host.sh's: fail2ban is validated and reloaded
      F2B_CHANGED=1
    fi
    return 0
  fi
  local rendered
  local jail
  rendered="$(mktemp)"
  {
    printf '# The balancers in front of nginx (TRUSTED_PROXIES of the envs): never banned. Written by\n'
    printf '# scripts/bootstrap-host.sh from scripts/env; do not edit (operators: zz-switchyard-ignoreip.local).\n'
    for jail in sshd switchyard-sshd-preauth switchyard-nginx-limit-req switchyard-nginx-scanner \
      switchyard-nginx-login recidive; do
      printf '\n[%s]\nignoreip = %%(known/ignoreip)s %s\n' "${jail}" "${proxies}"
    done
  } >"${rendered}"
  install_file "${rendered}" "${path}" 644 fail2ban
  rm -f "${rendered}"
}

# --- HTTPS ----------------------------------------------------------------------------------------
# bootstrap_edge_tls: for every env with HTTPS on, the first certificate (ACME or the operator's files)
# and its installation; then, for every env whose site is installed, its edge file from the current
# settings (HTTPS turned on, balancers changed). Host only (not with --root).
bootstrap_edge_tls() {
  local env
  local rc
  for env in "${BOOTSTRAP_ENVS[@]}"; do
    rc=0
    (bootstrap_edge_tls_env "${env}") || rc=$?
    # The subshell reports its changes in its exit status: 100 + count; anything else failed.
    if ((rc >= 100)); then
      CHANGES=$((CHANGES + rc - 100))
    else
      die "${env}: HTTPS setup failed (see above); nginx keeps its previous configuration"
    fi
  done
}

# Runs in a subshell: exits 100 + the number of changes, or non-100 on failure.
bootstrap_edge_tls_env() {
  local env="$1"
  CHANGES=0
  config_load "${env}" || exit 2
  edge_check_settings || exit 2
  # A chroot (--root) gets the files only: certificates and running sites are the host's own business.
  if [[ -n "${ROOT_DIR}" ]]; then
    exit 100
  fi
  if [[ "${TLS_ENABLED}" == 1 ]] && ! tls_source >/dev/null; then
    note "${env}: HTTPS is on (TLS_ENABLED=1) but neither TLS_DOMAINS (ACME) nor TLS_CERT_FILE/TLS_KEY_FILE is set: no certificate; set them in scripts/env/${env}.env and rerun"
    exit 100
  fi
  if ((CHECK)); then
    if [[ "${TLS_ENABLED}" == 1 ]]; then
      bootstrap_edge_tls_check
    fi
    bootstrap_edge_refresh
    exit $((100 + CHANGES))
  fi
  if [[ "${TLS_ENABLED}" != 1 ]]; then
    bootstrap_edge_refresh || exit 1
    exit $((100 + CHANGES))
  fi
  if [[ -z "${TLS_CERT_FILE}" ]] && ! bootstrap_acme_has_lineage; then
    bootstrap_acme_first_certificate || exit 1
    change "${env}: certificate for ${TLS_DOMAINS} issued by ACME (renewed by certbot's timer, installed by its deploy hook)"
  fi
  local before
  before="$(tls_serial "$(tls_installed_cert)")"
  "${REPO}/scripts/tls-install.sh" "${env}" || exit 1
  if [[ "$(tls_serial "$(tls_installed_cert)")" != "${before}" ]]; then
    change "${env}: certificate installed in ${TLS_DIR} (serial $(tls_serial "$(tls_installed_cert)"))"
  fi
  bootstrap_renewal_timer
  bootstrap_edge_refresh || exit 1
  exit $((100 + CHANGES))
}

# bootstrap_edge_refresh: the installed site's edge file rendered from the current settings; applied
# under the env's lock (nginx -t, reload, restored on failure), or reported as drift with --check.
bootstrap_edge_refresh() {
  [[ -e "${NGINX_SITE_FILE}" ]] || return 0
  local rendered
  rendered="$(mktemp)"
  if ! edge_render >"${rendered}" || cmp -s "${rendered}" "$(edge_file)"; then
    rm -f "${rendered}"
    return 0
  fi
  rm -f "${rendered}"
  change "$(edge_file) $(word 're-rendered from the TLS/EDGE settings' 'differs from the TLS/EDGE settings')"
  ((CHECK)) && return 0
  lock_acquire "${LOCK_FILE}" "${LOCK_WAIT_S}" "bootstrap-host ${SWITCHYARD_ENV} (edge)" || return 1
  local rc=0
  edge_apply || rc=1
  lock_release "${LOCK_FILE}"
  return "${rc}"
}

bootstrap_edge_tls_check() {
  local cert key
  read -r cert key <<<"$(tls_source)"
  if [[ -z "${TLS_CERT_FILE}" ]] && ! bootstrap_acme_has_lineage; then
    change "${SWITCHYARD_ENV}: no ACME certificate for ${TLS_DOMAINS} yet"
  elif ! cmp -s "${cert}" "$(tls_installed_cert)" || ! cmp -s "${key}" "$(tls_installed_key)"; then
    change "${SWITCHYARD_ENV}: the installed certificate ${TLS_DIR} differs from ${cert}"
  elif ! tls_check_installed 2>/dev/null; then
    change "${SWITCHYARD_ENV}: the installed certificate is not usable: $(tls_check_installed 2>&1 | sed 's/^.*ERROR: //')"
  fi
}

bootstrap_acme_has_lineage() {
  local cert
  cert="${LETSENCRYPT_DIR}/live/$(tls_cert_name)/fullchain.pem"
  [[ -e "${cert}" ]] || return 1
  local name
  for name in ${TLS_DOMAINS}; do
    openssl x509 -in "${cert}" -noout -checkhost "${name}" 2>/dev/null | grep -q 'does match' || return 1
  done
}

# The first certificate, before any site may serve the env (or while its site has no HTTPS yet): a
# temporary server answers the http-01 challenge for TLS_DOMAINS on the plain listener, under the env's
# lock, validated like every nginx change; certbot runs without the lock (its deploy hook takes it).
bootstrap_acme_first_certificate() {
  require_cmd certbot
  if ! nginx_running; then
    err "${SWITCHYARD_ENV}: nginx is not running, so nothing answers the ACME challenge: start it, then rerun"
    return 1
  fi
  local acme_site="${NGINX_CONF_DIR}/sites-enabled/switchyard-${SWITCHYARD_ENV}-acme.conf"
  local rendered
  rendered="$(mktemp)"
  {
    printf '# Temporary (scripts/bootstrap-host.sh): ACME http-01 for the first certificate of %s.\n' "${SWITCHYARD_ENV}"
    printf 'server {\n    listen %s;\n    server_name %s;\n' "${NGINX_LISTEN}" "${TLS_DOMAINS}"
    printf '    location ^~ /.well-known/acme-challenge/ {\n        root %s;\n        default_type text/plain;\n    }\n' "${ACME_WEBROOT}"
    printf '    location / {\n        return 404;\n    }\n}\n'
  } >"${rendered}"
  mkdir -p "${ACME_WEBROOT}"
  bootstrap_nginx_change put "${rendered}" "${acme_site}" || {
    rm -f "${rendered}"
    return 1
  }
  rm -f "${rendered}"
  local rc=0
  tls_acme_issue "${REPO}/scripts/tls-install.sh ${SWITCHYARD_ENV}" >&2 || rc=$?
  bootstrap_nginx_change remove "" "${acme_site}" || rc=1
  if ((rc != 0)); then
    err "${SWITCHYARD_ENV}: certbot could not get a certificate for ${TLS_DOMAINS} (see /var/log/letsencrypt/letsencrypt.log)"
    return 1
  fi
}

# bootstrap_nginx_change put <file> <dst> | remove "" <dst>: one validated nginx change under the env's
# lock (nginx -t, reload; the previous state restored on failure).
bootstrap_nginx_change() {
  local what="$1"
  local src="$2"
  local dst="$3"
  lock_acquire "${LOCK_FILE}" "${LOCK_WAIT_S}" "bootstrap-host ${SWITCHYARD_ENV} (ACME)" || return 1
  nginx_tx_begin
  if [[ "${what}" == put ]]; then
    nginx_tx_put "${src}" "${dst}"
  else
    bootstrap_tx_remove "${dst}"
  fi
  local rc=0
  if ! nginx_test || ! nginx_reload_or_start; then
    nginx_tx_rollback
    rc=1
  else
    nginx_tx_end
  fi
  lock_release "${LOCK_FILE}"
  return "${rc}"
}

# bootstrap_tx_remove <dst>: removes a file inside the current nginx transaction (restored on rollback).
bootstrap_tx_remove() {
  local dst="$1"
  # shellcheck disable=SC2153  # NGINX_TX_DIR is set by nginx_tx_begin (nginx.sh)
  local bak="${NGINX_TX_DIR}/${#NGINX_TX_DST[@]}.bak"
  [[ -e "${dst}" ]] || return 0
  cp -p "${dst}" "${bak}"
  NGINX_TX_DST+=("${dst}")
  NGINX_TX_BAK+=("${bak}")
  rm -f "${dst}"
}

# Renewal: Debian's certbot package ships certbot.timer (systemd) and /etc/cron.d/certbot (without
# systemd); both run `certbot renew`, which runs each lineage's deploy hook.
bootstrap_renewal_timer() {
  if have_systemd; then
    if ! systemctl is-enabled --quiet certbot.timer 2>/dev/null; then
      systemctl enable --now certbot.timer && change "certbot.timer enabled (certificate renewal)"
    fi
  elif [[ ! -e /etc/cron.d/certbot ]]; then
    note "no systemd and no /etc/cron.d/certbot: run 'certbot renew' twice a day (it runs the deploy hook)"
  fi
}
