# shellcheck shell=bash
# Per-environment deploy lock: flock(1) on a lock file, held on file descriptor LOCK_FD for the life
# of the process (fd 9). The kernel releases it when the process dies (even SIGKILL), so a dead deploy never
# leaves a stale lock. Who holds it is written next to it (<lock>.holder) for error messages and status.
# Children that may outlive the holder must be started with "9>&-" (see drain.sh).

# lock_holder <lockfile>: one line describing the holder, or nothing.
lock_holder() {
  local holder_file="$1.holder"
  local info pid
  if [[ ! -s "${holder_file}" ]]; then
    echo "unknown (no holder recorded)"
    return 0
  fi
  info="$(head -n 1 "${holder_file}")"
  pid="$(sed -n -E 's/.*pid=([0-9]+).*/\1/p' <<<"${info}")"
  if [[ -n "${pid}" ]] && ! kill -0 "${pid}" 2>/dev/null; then
    info="${info} (process gone)"
  fi
  echo "${info}"
}

# lock_is_held <lockfile>: true when some process holds the lock right now (does not take it).
lock_is_held() {
  local file="$1"
  [[ -e "${file}" ]] || return 1
  ! flock -n -s "${file}" true 2>/dev/null
}

# lock_wait_for_holder <lockfile> <wait-seconds>: the wait a deploy uses given who holds the lock now.
# A rollback-window retirement holds it only to decide whether to stop the old color: at least
# RETIRE_LOCK_WAIT_S. A restore (scripts/restore.sh, holder "restore ...") is an operator's planned
# work the deploy must follow, not race: at least LOCK_WAIT_S. Anyone else: <wait-seconds> as given.
lock_wait_for_holder() {
  local file="$1"
  local wait_s="$2"
  local holder
  if lock_is_held "${file}"; then
    holder="$(lock_holder "${file}")"
    case "${holder}" in
      retire*) ((wait_s >= RETIRE_LOCK_WAIT_S)) || wait_s="${RETIRE_LOCK_WAIT_S}" ;;
      "restore "*) ((wait_s >= LOCK_WAIT_S)) || wait_s="${LOCK_WAIT_S}" ;;
    esac
  fi
  echo "${wait_s}"
}

# lock_acquire <lockfile> <wait-seconds> <holder-description>
# wait 0 = fail at once. Returns 0 when taken, 3 when another process holds it (holder logged).
lock_acquire() {
  local file="$1"
  local wait_s="$2"
  local description="$3"
  mkdir -p "$(dirname "${file}")"
  exec 9>>"${file}"
  if ! flock -n 9; then
    # The holder writes its name right after taking the lock: give a racing winner a moment.
    retry_until 2 0.05 test -s "${file}.holder" || true
    if ((wait_s == 0)); then
      err "another deploy holds the lock ${file}: $(lock_holder "${file}")"
      exec 9>&-
      return 3
    fi
    log "waiting up to ${wait_s}s for the lock held by: $(lock_holder "${file}")"
    if ! flock -w "${wait_s}" 9; then
      err "lock ${file} still held after ${wait_s}s by: $(lock_holder "${file}")"
      exec 9>&-
      return 3
    fi
  fi
  printf '%s pid=%s user=%s host=%s since=%s\n' "${description}" "${BASHPID}" "${SWITCHYARD_USER:-${BUILD_USER_ID:-${USER:-$(id -un)}}}" \
    "$(hostname)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"${file}.holder"
}

lock_release() {
  local file="$1"
  : >"${file}.holder" 2>/dev/null || true
  exec 9>&-
}
