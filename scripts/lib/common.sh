# shellcheck shell=bash
# Shared helpers for every Switchyard script: logging, deadlines, prerequisites.
# Sourced, never executed: `source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"`.

# Timestamped messages go to stderr so stdout stays free for data (--json, plans).
log() {
  printf '%s [%s] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${SCRIPT_NAME:-${0##*/}}" "$*" >&2
}

err() {
  log "ERROR: $*"
}

die() {
  err "$*"
  exit "${DIE_EXIT_CODE:-1}"
}

# retry_until <deadline-seconds> <interval-seconds> <command...>
# Runs the command until it succeeds or the deadline passes; returns 1 on timeout.
retry_until() {
  local deadline_s="$1"
  local interval_s="$2"
  shift 2
  local deadline
  deadline=$((SECONDS + deadline_s))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep "${interval_s}"
  done
}

require_cmd() {
  local cmd
  for cmd in "$@"; do
    command -v "${cmd}" >/dev/null 2>&1 || die "required command not found: ${cmd}"
  done
}

is_root() {
  [[ "$(id -u)" -eq 0 ]]
}

# Runs a command as root, through sudo when we are not root already.
as_root() {
  if is_root; then
    "$@"
  else
    sudo "$@"
  fi
}

# ensure_packages <debian-package...>: installs only the packages that are missing.
ensure_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("${pkg}")
    fi
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  log "installing Debian packages: ${missing[*]}"
  # A fresh machine has empty package lists: update once, then install.
  if ! DEBIAN_FRONTEND=noninteractive as_root apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    as_root apt-get -o DPkg::Lock::Timeout=300 update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Starts dockerd when docker is installed but no engine answers (CI sandboxes have no init).
# A dockerd already starting (another script, the package's init script) is waited for, not doubled;
# its log is appended to, so an earlier failed start stays readable.
DOCKERD_LOG=/var/log/switchyard-dockerd.log
ensure_dockerd() {
  if docker info >/dev/null 2>&1; then
    return 0
  fi
  if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
    as_root systemctl start docker || true
  fi
  # A machine may have only the docker client (no engine package): install the engine first.
  if ! command -v dockerd >/dev/null 2>&1; then
    ensure_packages docker.io
  fi
  if ! docker info >/dev/null 2>&1 && ! pgrep -x dockerd >/dev/null; then
    log "starting dockerd (log: ${DOCKERD_LOG})"
    as_root sh -c "nohup dockerd >>${DOCKERD_LOG} 2>&1 &"
  fi
  # The first start on a fresh machine creates its storage and networks: allow it two minutes.
  if ! retry_until 120 1 docker info >/dev/null 2>&1; then
    err "dockerd did not come up within 120s; the end of ${DOCKERD_LOG}:"
    tail -n 15 "${DOCKERD_LOG}" >&2 2>/dev/null || true
    die "docker engine not available"
  fi
}

# Echoes a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      echo "${port}"
      return 0
    fi
  done
  die "no free port found"
}

# The repository root, whichever script sources this file.
repo_root() {
  cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd
}
