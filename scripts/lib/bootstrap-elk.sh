# shellcheck shell=bash
# bootstrap-host.sh's ELK part: the systemd units of the disk reporter and the alert runner, rendered
# for the checkout bootstrap runs from, and the host tools' secrets file skeleton. Sourced by
# scripts/bootstrap-host.sh (uses its target, change, word, install_file, CHECK, ROOT_DIR, REPO).
#
# Alert timers are enabled for the envs in SWITCHYARD_ELK_ENVS (default "prod dev"; empty = none), the
# disk reporter for the first of them (disk figures are per host); each is a no-op while its env has no
# ELK_HOST. Only on a running systemd, never in a chroot or with --check.

ELK_UNITS_DIR="/etc/systemd/system"
ELK_UNITS_CHANGED=0

elk_secrets_skeleton() {
  cat <<'SKELETON'
# Switchyard host tools' secrets (scripts/alerts.sh, scripts/disk-report.sh, the deploy's APM annotations).
# Created by scripts/bootstrap-host.sh, never overwritten by it. Root only (mode 600); never in git.
# Fill in, then uncomment.
# The deploy's and the alerts' chat webhook (Slack-compatible):
# NOTIFY_WEBHOOK_URL=https://hooks.slack.com/services/...
# Read-only Elasticsearch user of the alert runner (ALERTS_READER_PASSWORD in elk/secrets.env):
# ELK_ES_PASSWORD=
# Kibana API key for APM annotations (base64 of id:api_key), or KIBANA_USER/KIBANA_PASSWORD:
# KIBANA_API_KEY=
SKELETON
}

install_elk_units() {
  local tmp
  local unit
  tmp="$(mktemp -d)"
  for unit in "${REPO}"/elk/host/systemd/*; do
    [[ -f "${unit}" ]] || continue
    sed "s|@SWITCHYARD_ROOT@|${REPO}|g" "${unit}" >"${tmp}/${unit##*/}"
    if ! { [[ -f "$(target "${ELK_UNITS_DIR}/${unit##*/}")" ]] &&
      cmp -s "${tmp}/${unit##*/}" "$(target "${ELK_UNITS_DIR}/${unit##*/}")"; }; then
      ELK_UNITS_CHANGED=1
    fi
    install_file "${tmp}/${unit##*/}" "${ELK_UNITS_DIR}/${unit##*/}" 644 other
  done
  rm -rf "${tmp}"
  install_elk_secrets_file
  enable_elk_timers
}

install_elk_secrets_file() {
  local path="/etc/switchyard/elk.env"
  local dst
  dst="$(target "${path}")"
  if [[ -e "${dst}" ]]; then
    if [[ "$(stat -c '%a' "${dst}")" != 600 ]]; then
      change "${path} mode $(stat -c '%a' "${dst}") -> 600"
      ((CHECK)) || chmod 600 "${dst}"
    fi
    return 0
  fi
  change "${path} $(word created missing) (skeleton, mode 600)"
  ((CHECK)) && return 0
  install -d -m 700 "$(dirname "${dst}")"
  (
    umask 077
    elk_secrets_skeleton >"${dst}.bootstrap-new"
  )
  mv -f "${dst}.bootstrap-new" "${dst}"
}

# On a running systemd: reload units when they changed, enable the timers of SWITCHYARD_ELK_ENVS.
enable_elk_timers() {
  [[ -z "${ROOT_DIR}" ]] || return 0
  ((!CHECK)) || return 0
  [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1 || return 0
  ((ELK_UNITS_CHANGED)) && systemctl daemon-reload
  local env
  local timer
  local timers=()
  for env in ${SWITCHYARD_ELK_ENVS-prod dev}; do
    ((${#timers[@]} > 0)) || timers+=("switchyard-disk-report@${env}.timer")
    timers+=("switchyard-alerts@${env}.timer")
  done
  for timer in "${timers[@]}"; do
    if ! systemctl is-enabled --quiet "${timer}" 2>/dev/null; then
      systemctl enable --now "${timer}" && change "timer ${timer} enabled and started"
    fi
  done
}
