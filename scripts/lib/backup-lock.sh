# shellcheck shell=bash
# The env's backup lock: one backup, restore or drill of an env at a time. Not the deploy lock, so a
# backup never makes a deploy wait; a restore takes this one AND the deploy lock (scripts/lib/lock.sh,
# fd 9), so this one lives on a descriptor of its own. flock(1) on the file, released by the kernel
# when the process dies; the holder is written beside it (<lock>.holder), read by lock.sh's lock_holder.
# Sourced after common.sh and lock.sh.

BACKUP_LOCK_FD=""

# backup_lock_acquire <lockfile> <wait-seconds> <holder-description>: 0 taken, 3 held by another.
backup_lock_acquire() {
  local file="$1"
  local wait_s="$2"
  local description="$3"
  mkdir -p "$(dirname "${file}")"
  exec {BACKUP_LOCK_FD}>>"${file}"
  if ! flock -n "${BACKUP_LOCK_FD}"; then
    retry_until 2 0.05 test -s "${file}.holder" || true
    if ((wait_s == 0)); then
      err "another backup, restore or drill of this env runs: $(lock_holder "${file}")"
      backup_lock_close
      return 3
    fi
    log "waiting up to ${wait_s}s for the backup lock held by: $(lock_holder "${file}")"
    if ! flock -w "${wait_s}" "${BACKUP_LOCK_FD}"; then
      err "backup lock ${file} still held after ${wait_s}s by: $(lock_holder "${file}")"
      backup_lock_close
      return 3
    fi
  fi
  printf '%s pid=%s user=%s host=%s since=%s\n' "${description}" "${BASHPID}" "${SWITCHYARD_USER:-${USER:-$(id -un)}}" \
    "$(hostname)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"${file}.holder"
}

backup_lock_close() {
  if [[ -n "${BACKUP_LOCK_FD}" ]]; then
    exec {BACKUP_LOCK_FD}>&-
    BACKUP_LOCK_FD=""
  fi
}

backup_lock_release() {
  local file="$1"
  : >"${file}.holder" 2>/dev/null || true
  backup_lock_close
}
