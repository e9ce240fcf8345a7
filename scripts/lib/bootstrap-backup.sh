# shellcheck shell=bash
# The backup part of scripts/bootstrap-host.sh (sourced by it; uses its target, install_file, change,
# word, note, have_systemd and its CHECK, ROOT_DIR and REPO):
#   - systemd/switchyard-*.{service,timer} into /etc/systemd/system, with this checkout's path
#   - /etc/switchyard/backup.env skeleton, mode 600, created only when missing (it holds credentials)
#   - on a systemd host (never in a chroot or with --check): daemon-reload after a unit changed, and the
#     backup, age-check and drill timers of each env in SWITCHYARD_BACKUP_ENVS (default "dev prod")
#     enabled once a repository is configured (BACKUP_REPOSITORY in backup.env, a password file).

backup_env_skeleton() {
  cat <<'EOF'
# Switchyard backups (scripts/backup.sh): the restic repository and its backend's credentials.
# Created by scripts/bootstrap-host.sh, never overwritten by it. Root only (mode 600); never in git.
# KEY=VALUE lines, not shell. Then put the repository password in /etc/switchyard/backup.password
# (mode 600; keep a copy off this host: without it no backup can be read), run
# `scripts/backup.sh --init <env>` once and `scripts/bootstrap-host.sh` again to enable the timers.
# BACKUP_REPOSITORY=/srv/backup/switchyard
# BACKUP_REPOSITORY=sftp:backup@backup-host:/srv/switchyard
# BACKUP_REPOSITORY=s3:https://s3.example.com/bucket/switchyard
# AWS_ACCESS_KEY_ID=
# AWS_SECRET_ACCESS_KEY=
EOF
}

install_backup_env_skeleton() {
  local path="/etc/switchyard/backup.env"
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
    backup_env_skeleton >"${dst}.bootstrap-new"
  )
  chmod 600 "${dst}.bootstrap-new"
  mv -f "${dst}.bootstrap-new" "${dst}"
}

# backup_configured: a repository in backup.env (an uncommented line) and a password file.
backup_configured() {
  grep -Eq '^BACKUP_REPOSITORY=.+' /etc/switchyard/backup.env 2>/dev/null && [[ -s /etc/switchyard/backup.password ]]
}

enable_backup_timers() {
  local env
  local timer
  if ! backup_configured; then
    note "backup timers not enabled: set BACKUP_REPOSITORY in /etc/switchyard/backup.env and write /etc/switchyard/backup.password"
    return 0
  fi
  for env in ${SWITCHYARD_BACKUP_ENVS:-dev prod}; do
    for timer in "switchyard-backup@${env}.timer" "switchyard-backup-check@${env}.timer" "switchyard-restore-drill@${env}.timer"; do
      if ! systemctl is-enabled --quiet "${timer}" 2>/dev/null; then
        systemctl enable --now "${timer}" >/dev/null && change "timer ${timer} enabled and started"
      fi
    done
  done
}

install_backup_units() {
  local before="${CHANGES}"
  local tmp
  local unit
  local name
  tmp="$(mktemp -d)"
  for unit in "${REPO}"/systemd/switchyard-*.service "${REPO}"/systemd/switchyard-*.timer; do
    [[ -f "${unit}" ]] || continue
    name="${unit##*/}"
    sed "s#@SWITCHYARD_ROOT@#${REPO}#g" "${unit}" >"${tmp}/${name}"
    install_file "${tmp}/${name}" "/etc/systemd/system/${name}" 644 systemd
  done
  rm -rf "${tmp}"
  install_backup_env_skeleton
  if ((CHECK)) || [[ -n "${ROOT_DIR}" ]] || ! have_systemd; then
    return 0
  fi
  if ((CHANGES > before)); then
    systemctl daemon-reload
  fi
  enable_backup_timers
}
