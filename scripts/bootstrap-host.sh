#!/usr/bin/env bash
# Provisions a Debian/Ubuntu host for Switchyard, idempotently:
#   - Debian packages: docker.io docker-compose nginx fail2ban python3-systemd nftables certbot
#   - our nginx hardening files (conf.d/switchyard-limits.conf, snippets) into /etc/nginx, Debian's
#     default site disabled (the Switchyard site is rendered and installed by the first deploy)
#   - our fail2ban jails, filters and settings into /etc/fail2ban (and its log, which recidive reads)
#   - env file skeletons /etc/switchyard/{dev,prod}.env, mode 600, created only when missing
#     (never overwritten: they hold the secrets)
#   - optionally the operators' addresses for fail2ban's ignoreip (written once, never overwritten)
#   - the ELK host tools: systemd units of the disk reporter and alert runner, /etc/switchyard/elk.env
#     skeleton (scripts/lib/bootstrap-elk.sh)
#   - backup timers and services (systemd/), a backup.env skeleton (scripts/lib/bootstrap-backup.sh)
#   - the edge (scripts/lib/bootstrap-edge.sh): main-context and http-level nginx settings for a
#     distribution nginx, the balancers (TRUSTED_PROXIES) in fail2ban's ignoreip, and for every env with
#     HTTPS the first certificate (ACME or TLS_CERT_FILE/TLS_KEY_FILE) with its renewal hook
# Prints one line per change; `--check` prints the drift instead, changes nothing, exits 1 on drift.
#
# Usage: scripts/bootstrap-host.sh [--check] [--root DIR] [--no-packages] [--packages "P1 P2"]
#                                  [--ignoreip "ADDR ..."]
#   --root DIR      provision the system under DIR (a chroot): files are written below DIR and
#                   packages installed with `chroot DIR apt-get`; no service is started or reloaded
#                   (also env SWITCHYARD_BOOTSTRAP_ROOT)
#   --no-packages   skip the package step (check and install)
#   --packages      override the package list (also env SWITCHYARD_PACKAGES)
#   --ignoreip      addresses fail2ban never bans (also env SWITCHYARD_IGNOREIP); written to
#                   /etc/fail2ban/jail.d/zz-switchyard-ignoreip.local when that file does not exist
# Exit codes: 0 done / no drift, 1 drift found (--check) or a step failed, 2 usage error.
set -euo pipefail

SCRIPT_NAME="bootstrap-host"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/bootstrap-elk.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bootstrap-elk.sh"
# shellcheck source=scripts/lib/bootstrap-backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bootstrap-backup.sh"
# shellcheck source=scripts/lib/config.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/config.sh"
# shellcheck source=scripts/lib/color.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/color.sh"
# shellcheck source=scripts/lib/lock.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/lock.sh"
# shellcheck source=scripts/lib/nginx.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/nginx.sh"
# shellcheck source=scripts/lib/bootstrap-edge.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bootstrap-edge.sh"

DEFAULT_PACKAGES="docker.io docker-compose nginx fail2ban python3-systemd nftables certbot"

CHECK=0
ROOT_DIR="${SWITCHYARD_BOOTSTRAP_ROOT:-}"
WITH_PACKAGES=1
PACKAGES="${SWITCHYARD_PACKAGES:-${DEFAULT_PACKAGES}}"
IGNOREIP="${SWITCHYARD_IGNOREIP:-}"
REPO=""
CHANGES=0
NGINX_CHANGED=0
F2B_CHANGED=0
NGINX_BACKUPS=()
POLICY_RC_CREATED=0

usage() {
  sed -n '/^# Usage:/,/^# Exit codes:/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

# Path on the target system.
target() {
  printf '%s%s' "${ROOT_DIR}" "$1"
}

# Runs a command on the target system (inside the chroot with --root).
in_target() {
  if [[ -n "${ROOT_DIR}" ]]; then
    chroot "${ROOT_DIR}" "$@"
  else
    "$@"
  fi
}

# change <description>: in --check mode a drift report, otherwise a change report.
change() {
  CHANGES=$((CHANGES + 1))
  if ((CHECK)); then
    printf 'drift: %s\n' "$1"
  else
    printf 'changed: %s\n' "$1"
  fi
}

# word <when-applying> <when-checking>
word() {
  if ((CHECK)); then
    printf '%s' "$2"
  else
    printf '%s' "$1"
  fi
}

note() {
  printf 'note: %s\n' "$1"
}

# --- packages --------------------------------------------------------------------------------
package_installed() {
  # shellcheck disable=SC2016  # ${Status} is a dpkg-query field, not a shell expansion
  in_target dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# In a chroot nothing may start a daemon (it would bind the host's ports): policy-rc.d says no.
policy_rc_begin() {
  local f
  f="$(target /usr/sbin/policy-rc.d)"
  if [[ -n "${ROOT_DIR}" && ! -e "${f}" ]]; then
    printf '#!/bin/sh\n# bootstrap-host.sh: no service starts in a chroot\nexit 101\n' >"${f}"
    chmod 755 "${f}"
    POLICY_RC_CREATED=1
  fi
}

policy_rc_end() {
  if ((POLICY_RC_CREATED)); then
    rm -f "$(target /usr/sbin/policy-rc.d)"
    POLICY_RC_CREATED=0
  fi
}

apt_install() {
  local apt_env=(env DEBIAN_FRONTEND=noninteractive)
  local opts=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold --no-install-recommends)
  if in_target "${apt_env[@]}" apt-get install "${opts[@]}" "$@"; then
    return 0
  fi
  log "apt-get install failed; updating the package lists and retrying"
  in_target "${apt_env[@]}" apt-get update -q
  in_target "${apt_env[@]}" apt-get install "${opts[@]}" "$@"
}

ensure_host_packages() {
  local missing=()
  local wanted=()
  local pkg
  read -r -a wanted <<<"${PACKAGES}"
  for pkg in "${wanted[@]}"; do
    if ! package_installed "${pkg}"; then
      missing+=("${pkg}")
    fi
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  if ((CHECK)); then
    for pkg in "${missing[@]}"; do
      change "package ${pkg} not installed"
    done
    return 0
  fi
  log "installing ${missing[*]}"
  policy_rc_begin
  if ! apt_install "${missing[@]}" >&2; then
    policy_rc_end
    die "package installation failed: ${missing[*]}"
  fi
  policy_rc_end
  for pkg in "${missing[@]}"; do
    package_installed "${pkg}" || die "package ${pkg} still not installed"
    change "installed package ${pkg}"
  done
}

# --- files -----------------------------------------------------------------------------------
file_mode() {
  stat -c '%a' "$1"
}

# install_file <source> <target-path> <mode> <kind: nginx|fail2ban|other>
install_file() {
  local src="$1"
  local dst
  local mode="$3"
  local kind="$4"
  dst="$(target "$2")"
  if [[ -f "${dst}" ]] && cmp -s "${src}" "${dst}"; then
    if [[ "$(file_mode "${dst}")" != "${mode}" ]]; then
      change "$2 mode $(file_mode "${dst}") -> ${mode}"
      ((CHECK)) || chmod "${mode}" "${dst}"
    fi
    return 0
  fi
  if [[ -e "${dst}" ]]; then
    change "$2 differs from the repository"
  else
    change "$2 $(word created missing)"
  fi
  ((CHECK)) && return 0
  mkdir -p "$(dirname "${dst}")"
  if [[ "${kind}" == nginx ]]; then
    remember_nginx_file "${dst}"
    NGINX_CHANGED=1
  elif [[ "${kind}" == fail2ban ]]; then
    F2B_CHANGED=1
  fi
  cp "${src}" "${dst}.bootstrap-new"
  chmod "${mode}" "${dst}.bootstrap-new"
  mv -f "${dst}.bootstrap-new" "${dst}"
}

# Backups so a config that fails `nginx -t` can be put back.
remember_nginx_file() {
  local dst="$1"
  if [[ -e "${dst}" || -L "${dst}" ]]; then
    cp -a "${dst}" "${dst}.bootstrap-bak"
    NGINX_BACKUPS+=("${dst}")
  else
    NGINX_BACKUPS+=("${dst}:new")
  fi
}

restore_nginx_files() {
  local entry
  for entry in "${NGINX_BACKUPS[@]}"; do
    if [[ "${entry}" == *:new ]]; then
      rm -f "${entry%:new}"
    else
      mv -f "${entry}.bootstrap-bak" "${entry}"
    fi
  done
  NGINX_BACKUPS=()
}

drop_nginx_backups() {
  local entry
  for entry in "${NGINX_BACKUPS[@]}"; do
    [[ "${entry}" == *:new ]] || rm -f "${entry}.bootstrap-bak"
  done
  NGINX_BACKUPS=()
}

# install_tree <repo-subdir> <target-dir> <glob> <kind>
install_tree() {
  local src_dir="${REPO}/$1"
  local dst_dir="$2"
  local glob="$3"
  local kind="$4"
  local f
  [[ -d "${src_dir}" ]] || return 0
  for f in "${src_dir}"/${glob}; do
    [[ -f "${f}" ]] || continue
    install_file "${f}" "${dst_dir}/${f##*/}" 644 "${kind}"
  done
}

# The hardening kit's nginx files: rate-limit zones (http level, picked up by Debian's
# `include /etc/nginx/conf.d/*.conf`) and the snippets the site includes. The site itself, its
# http-level conf.d/switchyard-common.conf (which needs the site's `set $switchyard_env`) and the
# upstream include are installed by the first deploy (scripts/lib/nginx.sh, nginx_stage_site).
install_nginx_files() {
  install_tree nginx/conf.d /etc/nginx/conf.d 'switchyard-limits.conf' nginx
  install_tree nginx/snippets /etc/nginx/snippets 'switchyard-*.conf' nginx
  # Debian's default site is the default_server on :80, where the prod site listens.
  local default_site="/etc/nginx/sites-enabled/default"
  if [[ -e "$(target "${default_site}")" || -L "$(target "${default_site}")" ]]; then
    change "${default_site} (Debian's default site) $(word disabled 'enabled, should be disabled')"
    if ((!CHECK)); then
      remember_nginx_file "$(target "${default_site}")"
      NGINX_CHANGED=1
      rm -f "$(target "${default_site}")"
    fi
  fi
}

install_fail2ban_files() {
  install_tree fail2ban/jail.d /etc/fail2ban/jail.d '*.local' fail2ban
  install_tree fail2ban/filter.d /etc/fail2ban/filter.d '*.conf' fail2ban
  install_tree fail2ban/fail2ban.d /etc/fail2ban/fail2ban.d '*.local' fail2ban
  install_tree fail2ban/action.d /etc/fail2ban/action.d '*.conf' fail2ban
}

# recidive reads fail2ban's own log, and fail2ban refuses to start a jail whose log file is missing;
# that file only appears once fail2ban has run, not after an install that started nothing.
ensure_fail2ban_log() {
  local path="/var/log/fail2ban.log"
  local dst
  dst="$(target "${path}")"
  [[ ! -e "${dst}" ]] || return 0
  change "${path} $(word created missing) (read by the recidive jail)"
  ((CHECK)) && return 0
  mkdir -p "$(dirname "${dst}")"
  install -m 640 /dev/null "${dst}"
  F2B_CHANGED=1
}

# The operators' addresses: written once, then owned by the operators.
install_ignoreip() {
  local path="/etc/fail2ban/jail.d/zz-switchyard-ignoreip.local"
  local dst
  dst="$(target "${path}")"
  [[ -n "${IGNOREIP}" ]] || return 0
  if [[ -e "${dst}" ]]; then
    if ! grep -qxF "ignoreip = 127.0.0.1/8 ::1 ${IGNOREIP}" "${dst}"; then
      note "${path} exists and is not rewritten; edit it to change ignoreip"
    fi
    return 0
  fi
  change "${path} $(word created missing) (ignoreip: ${IGNOREIP})"
  ((CHECK)) && return 0
  mkdir -p "$(dirname "${dst}")"
  printf '%s\n' "# Operators' addresses: fail2ban never bans these. Created by bootstrap-host.sh, never" \
    "# overwritten by it: edit here. Read after jail.d/switchyard-*.local." \
    "[DEFAULT]" "ignoreip = 127.0.0.1/8 ::1 ${IGNOREIP}" >"${dst}"
  chmod 644 "${dst}"
  F2B_CHANGED=1
}

env_skeleton() {
  local name="$1"
  cat <<EOF
# Switchyard ${name}: settings and secrets of the app containers (docker compose env_file).
# Created by scripts/bootstrap-host.sh, never overwritten by it. Root only (mode 600); never in git.
SPRING_PROFILES_ACTIVE=prod
LOG_FORMAT=json
# Fill in, then uncomment. The app refuses to start while a required value is missing.
# MYSQL_URL=jdbc:mysql://<host>:3306/switchyard
# MYSQL_USERNAME=
# MYSQL_PASSWORD=
# REDIS_HOST=
# REDIS_PORT=6379
# REDIS_PASSWORD=
# MONGODB_URI=mongodb://<host>:27017/switchyard
# JWT_SECRET=<at least 32 random bytes>
# LOGSTASH_HOST=
# LOGSTASH_PORT=
# ELASTIC_APM_SERVER_URL=
EOF
}

install_env_files() {
  local dir="/etc/switchyard"
  local env
  local path
  local dst
  if [[ ! -d "$(target "${dir}")" ]]; then
    change "${dir} $(word created missing) (mode 700)"
    ((CHECK)) || install -d -m 700 "$(target "${dir}")"
  fi
  for env in dev prod; do
    path="${dir}/${env}.env"
    dst="$(target "${path}")"
    if [[ -e "${dst}" ]]; then
      # Content is the operators' (secrets): only the mode is ours.
      if [[ "$(file_mode "${dst}")" != 600 ]]; then
        change "${path} mode $(file_mode "${dst}") -> 600"
        ((CHECK)) || chmod 600 "${dst}"
      fi
      continue
    fi
    change "${path} $(word created missing) (skeleton, mode 600)"
    ((CHECK)) && continue
    (
      umask 077
      env_skeleton "${env}" >"${dst}.bootstrap-new"
    )
    chmod 600 "${dst}.bootstrap-new"
    mv -f "${dst}.bootstrap-new" "${dst}"
  done
}

# --- validate and apply --------------------------------------------------------------------------
validate_nginx() {
  ((NGINX_CHANGED)) || return 0
  if ! package_installed nginx; then
    drop_nginx_backups
    return 0
  fi
  local out
  if ! out="$(in_target nginx -t 2>&1)"; then
    restore_nginx_files
    printf '%s\n' "${out}" >&2
    die "nginx -t failed with the new files: previous files restored"
  fi
  drop_nginx_backups
}

validate_fail2ban() {
  ((F2B_CHANGED)) || return 0
  package_installed fail2ban || return 0
  local out
  if ! out="$(in_target fail2ban-client --test 2>&1)"; then
    printf '%s\n' "${out}" >&2
    die "fail2ban-client --test failed with the new configuration"
  fi
}

have_systemd() {
  [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1
}

# Reload running services; on a systemd host also enable and start them. Never in a chroot.
apply_services() {
  [[ -z "${ROOT_DIR}" ]] || return 0
  if have_systemd; then
    local unit
    for unit in docker nginx fail2ban; do
      if systemctl list-unit-files "${unit}.service" >/dev/null 2>&1 && ! systemctl is-enabled --quiet "${unit}"; then
        systemctl enable --now "${unit}" && change "service ${unit} enabled and started"
      fi
    done
    ((NGINX_CHANGED)) && systemctl reload-or-restart nginx && log "nginx reloaded"
    ((F2B_CHANGED)) && systemctl reload-or-restart fail2ban && log "fail2ban reloaded"
    return 0
  fi
  if ((NGINX_CHANGED)) && [[ -s /run/nginx.pid ]] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
    nginx -s reload && log "nginx reloaded"
  fi
  if ((F2B_CHANGED)) && fail2ban-client ping >/dev/null 2>&1; then
    fail2ban-client reload >/dev/null && log "fail2ban reloaded"
  fi
}

parse_args() {
  while (($# > 0)); do
    case "$1" in
      --check) CHECK=1 ;;
      --root)
        [[ $# -ge 2 && -n "$2" ]] || usage
        ROOT_DIR="$2"
        shift
        ;;
      --no-packages) WITH_PACKAGES=0 ;;
      --packages)
        [[ $# -ge 2 ]] || usage
        PACKAGES="$2"
        shift
        ;;
      --ignoreip)
        [[ $# -ge 2 ]] || usage
        IGNOREIP="$2"
        shift
        ;;
      -h | --help) usage ;;
      *)
        err "unknown argument: $1"
        usage
        ;;
    esac
    shift
  done
  if [[ -n "${ROOT_DIR}" ]]; then
    [[ -d "${ROOT_DIR}" ]] || DIE_EXIT_CODE=2 die "--root ${ROOT_DIR}: no such directory"
    ROOT_DIR="$(cd "${ROOT_DIR}" && pwd)"
    [[ "${ROOT_DIR}" != / ]] || ROOT_DIR=""
  fi
  if [[ -n "${IGNOREIP}" && ! "${IGNOREIP}" =~ ^[0-9A-Fa-f.:/[:space:]]+$ ]]; then
    DIE_EXIT_CODE=2 die "--ignoreip: addresses and CIDR ranges only, got '${IGNOREIP}'"
  fi
}

main() {
  parse_args "$@"
  is_root || die "run as root"
  if [[ -n "${ROOT_DIR}" ]]; then
    require_cmd chroot
  fi
  REPO="$(repo_root)"
  trap policy_rc_end EXIT

  if ((WITH_PACKAGES)); then
    ensure_host_packages
  fi
  install_nginx_files
  install_fail2ban_files
  ensure_fail2ban_log
  install_ignoreip
  install_env_files
  install_elk_units
  install_backup_units
  bootstrap_edge_nginx_files
  bootstrap_fail2ban_trusted_proxies

  if ((CHECK)); then
    bootstrap_edge_tls
    if ((CHANGES > 0)); then
      printf 'drift: %d item(s) differ from the repository\n' "${CHANGES}"
      exit 1
    fi
    printf 'no drift\n'
    exit 0
  fi
  validate_nginx
  validate_fail2ban
  apply_services
  bootstrap_edge_tls
  if ((CHANGES > 0)); then
    printf '%d change(s)\n' "${CHANGES}"
  else
    printf 'no changes\n'
  fi
}

main "$@"
