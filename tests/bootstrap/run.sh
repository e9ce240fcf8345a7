#!/usr/bin/env bash
# bootstrap-host suite: runs scripts/bootstrap-host.sh in a throwaway Debian bookworm root (a
# debootstrap --variant=minbase chroot, cached as a tarball under $SWITCHYARD_CACHE_DIR, default
# /var/cache/switchyard, together with the downloaded .debs so later runs need no download).
#   run 1 installs the packages and files; run 2 reports no changes; --check is clean;
#   a drifted file and a drifted env-file mode are reported by --check (exit 1) and left alone;
#   a re-run repairs them without touching the secrets in the env files.
# debootstrap uses this machine's configured Debian mirror (apt sources); nothing is hard-coded.
set -euo pipefail

SCRIPT_NAME="tests/bootstrap"
SUITE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SUITE_DIR}/../../scripts/lib/common.sh"
# shellcheck source=tests/lib/checks.sh
source "${SUITE_DIR}/../lib/checks.sh"

SUITE="bookworm"
CACHE_DIR="${SWITCHYARD_CACHE_DIR:-/var/cache/switchyard}/bootstrap-test"
ROOT=""
TMP=""
R=""
MOUNTS=()
OUT=""
RC=0

cleanup() {
  local rc=$?
  set +e
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTS[i]}" || umount -l "${MOUNTS[i]}"
  done
  if [[ -n "${TMP}" ]]; then
    # Never delete through a mount point (the .deb cache is bind-mounted into the root).
    if grep -qF " ${TMP}/" /proc/mounts; then
      err "mounts left under ${TMP}; not deleting it"
    else
      rm -rf "${TMP}"
    fi
  fi
  exit "${rc}"
}

# The Debian mirror this machine's apt uses for <suite> (deb822 .sources first, then .list files).
debian_mirror() {
  local suite="$1"
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "${f}" ]] || continue
    awk -v suite="${suite}" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && enabled != "no" && uris != "") {
          split(uris, u, " "); print u[1]; found = 1; exit
        }
        types = ""; suites = ""; uris = ""; enabled = ""
      }
      /^[[:space:]]*$/ { flush(); next }
      /^#/ { next }
      tolower($1) == "types:"   { $1 = ""; types = $0 }
      tolower($1) == "suites:"  { $1 = ""; suites = $0 }
      tolower($1) == "uris:"    { $1 = ""; uris = $0; sub(/^ +/, "", uris) }
      tolower($1) == "enabled:" { enabled = tolower($2) }
      END { if (!found) flush() }
    ' "${f}"
  done | head -n 1 | grep . && return 0
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "${f}" ]] || continue
    sed -nE "s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([a-z]+:[^[:space:]]+)[[:space:]]+${suite}[[:space:]].*/\2/p" "${f}"
  done | head -n 1 | grep .
}

# The cached minbase root: debootstrap once, then a tarball (with apt lists) for every later run.
cached_root_tarball() {
  local tarball="${CACHE_DIR}/${SUITE}-minbase.tar"
  if [[ -s "${tarball}" ]]; then
    echo "${tarball}"
    return 0
  fi
  local mirror
  mirror="$(debian_mirror "${SUITE}")" || die "no Debian mirror for ${SUITE} in the apt sources of this machine"
  log "building the ${SUITE} minbase root with debootstrap from ${mirror} (cached in ${CACHE_DIR})"
  mkdir -p "${CACHE_DIR}/apt-archives"
  local build="${TMP}/build"
  debootstrap --variant=minbase --cache-dir="${CACHE_DIR}/apt-archives" "${SUITE}" "${build}" "${mirror}" >&2 ||
    die "debootstrap failed"
  cp -L /etc/resolv.conf "${build}/etc/resolv.conf"
  chroot "${build}" apt-get update -q >&2 || die "apt-get update in the new root failed"
  tar -C "${build}" -cf "${tarball}.part" .
  mv -f "${tarball}.part" "${tarball}"
  rm -rf "${build}"
  echo "${tarball}"
}

prepare_root() {
  local tarball
  tarball="$(cached_root_tarball)"
  R="${TMP}/root"
  mkdir -p "${R}"
  tar -C "${R}" -xf "${tarball}"
  cp -L /etc/resolv.conf "${R}/etc/resolv.conf"
  mount -t proc proc "${R}/proc"
  MOUNTS+=("${R}/proc")
  # Downloaded .debs survive the throwaway root, so a warm run installs without downloading.
  mkdir -p "${CACHE_DIR}/apt-archives/partial"
  mount --bind "${CACHE_DIR}/apt-archives" "${R}/var/cache/apt/archives"
  MOUNTS+=("${R}/var/cache/apt/archives")
}

# bootstrap <args...>: runs the script against the root; sets OUT (stdout) and RC.
bootstrap() {
  RC=0
  OUT="$("${ROOT}/scripts/bootstrap-host.sh" --root "${R}" "$@" 2>"${TMP}/stderr.log")" || RC=$?
  printf '%s\n' "${OUT}" | sed 's/^/    | /' >&2
}

expect_rc() {
  if [[ "${RC}" == "$1" ]]; then
    pass "$2 (exit ${RC})"
  else
    fail "$2: exit ${RC}, want $1; stderr: $(tail -n 5 "${TMP}/stderr.log")"
  fi
}

expect_out() {
  if grep -qE -- "$1" <<<"${OUT}"; then
    pass "$2"
  else
    fail "$2: no line matching '$1'"
  fi
}

mode_of() {
  stat -c '%a' "$1"
}

# Every repository file is on the target, identical.
check_installed_files() {
  local pair
  local src
  local dst
  local bad=0
  local count=0
  for pair in nginx/conf.d/switchyard-limits.conf:/etc/nginx/conf.d nginx/snippets/*:/etc/nginx/snippets \
    fail2ban/jail.d/*:/etc/fail2ban/jail.d fail2ban/filter.d/*:/etc/fail2ban/filter.d \
    fail2ban/fail2ban.d/*:/etc/fail2ban/fail2ban.d; do
    for src in "${ROOT}"/${pair%%:*}; do
      dst="${R}${pair#*:}/${src##*/}"
      count=$((count + 1))
      if ! cmp -s "${src}" "${dst}"; then
        fail "${dst#"${R}"} missing or different"
        bad=1
      fi
    done
  done
  ((bad)) || pass "all ${count} nginx and fail2ban files installed, identical to the repository"
}

test_first_run() {
  local had_host_env=0
  [[ -e /etc/switchyard ]] && had_host_env=1
  local t0=${SECONDS}
  bootstrap --ignoreip "192.0.2.10 198.51.100.0/24"
  expect_rc 0 "first run ($((SECONDS - t0))s)"
  local pkg
  for pkg in docker.io docker-compose nginx fail2ban python3-systemd nftables; do
    # shellcheck disable=SC2016  # ${Status} is a dpkg-query field
    if chroot "${R}" dpkg-query -W -f='${Status}\n' "${pkg}" 2>/dev/null | grep -q 'install ok installed'; then
      pass "package ${pkg} installed in the root"
    else
      fail "package ${pkg} not installed in the root"
    fi
  done
  expect_out '^changed: installed package nginx$' "first run reports the installed packages"
  expect_out '^changed: /etc/fail2ban/jail.d/switchyard-sshd.local created$' "first run reports the files it created"
  if [[ -f "${R}/var/log/fail2ban.log" ]]; then
    pass "/var/log/fail2ban.log (read by recidive) exists"
  else
    fail "/var/log/fail2ban.log missing: recidive would keep fail2ban from starting"
  fi
  check_installed_files
  local env
  for env in dev prod; do
    if [[ "$(mode_of "${R}/etc/switchyard/${env}.env")" == 600 ]]; then
      pass "/etc/switchyard/${env}.env created with mode 600"
    else
      fail "/etc/switchyard/${env}.env mode $(mode_of "${R}/etc/switchyard/${env}.env" 2>/dev/null)"
    fi
  done
  if [[ "$(mode_of "${R}/etc/switchyard")" == 700 ]]; then
    pass "/etc/switchyard is mode 700"
  else
    fail "/etc/switchyard mode $(mode_of "${R}/etc/switchyard")"
  fi
  if grep -qx 'ignoreip = 127.0.0.1/8 ::1 192.0.2.10 198.51.100.0/24' \
    "${R}/etc/fail2ban/jail.d/zz-switchyard-ignoreip.local" 2>/dev/null; then
    pass "operators' ignoreip written to jail.d/zz-switchyard-ignoreip.local"
  else
    fail "ignoreip override missing or wrong"
  fi
  if [[ ! -e "${R}/etc/nginx/sites-enabled/default" ]]; then
    pass "Debian's default nginx site disabled"
  else
    fail "Debian's default nginx site still enabled"
  fi
  # The installed configuration is valid where it was installed.
  if chroot "${R}" nginx -t >/dev/null 2>&1; then
    pass "nginx -t passes inside the root"
  else
    fail "nginx -t inside the root: $(chroot "${R}" nginx -t 2>&1 | tail -n 2)"
  fi
  local jails
  jails="$(chroot "${R}" fail2ban-client -d 2>/dev/null | grep -oE "\['add', '[^']+'" | cut -d"'" -f4 | sort | tr '\n' ' ')"
  if [[ "${jails}" == *"recidive sshd switchyard-nginx-limit-req switchyard-nginx-login switchyard-nginx-scanner"* ]]; then
    pass "fail2ban inside the root loads jails: ${jails}"
  else
    fail "fail2ban jails inside the root: '${jails}'"
  fi
  if ((!had_host_env)) && [[ -e /etc/switchyard ]]; then
    fail "--root wrote /etc/switchyard on the host"
  fi
}

# What the bootstrap manages on the target, with content, mode and modification time.
managed_state() {
  find "${R}/etc/nginx" "${R}/etc/fail2ban" "${R}/etc/switchyard" -printf '%p %m %T@ %s\n' | sort
  # shellcheck disable=SC2016  # ${Package} is a dpkg-query field
  chroot "${R}" dpkg-query -W -f='${Package} ${Version} ${Status}\n' | sort
}

test_second_run() {
  local t0=${SECONDS}
  local before
  local count
  before="$(managed_state)"
  bootstrap --ignoreip "192.0.2.10 198.51.100.0/24"
  expect_rc 0 "second run ($((SECONDS - t0))s)"
  if [[ "${OUT}" == "no changes" ]]; then
    pass "second run reports no changes"
  else
    fail "second run reported changes: ${OUT}"
  fi
  count="$(wc -l <<<"${before}")"
  if [[ "$(managed_state)" == "${before}" ]]; then
    pass "second run touched nothing: ${count} files and packages with the same mode, mtime, size and version"
  else
    fail "second run modified the root: $(diff <(printf '%s\n' "${before}") <(managed_state) | head -n 5)"
  fi
  bootstrap --check
  expect_rc 0 "--check right after a run"
  expect_out '^no drift$' "--check reports no drift"
  # The root can also come from the environment.
  RC=0
  OUT="$(SWITCHYARD_BOOTSTRAP_ROOT="${R}" "${ROOT}/scripts/bootstrap-host.sh" --check 2>"${TMP}/stderr.log")" || RC=$?
  expect_rc 0 "--check with SWITCHYARD_BOOTSTRAP_ROOT instead of --root"
  expect_out '^no drift$' "SWITCHYARD_BOOTSTRAP_ROOT targets the same root"
}

test_drift() {
  local jail="${R}/etc/fail2ban/jail.d/switchyard-sshd.local"
  local prod_env="${R}/etc/switchyard/prod.env"
  local dev_env="${R}/etc/switchyard/dev.env"
  printf 'JWT_SECRET=do-not-lose-me-0123456789abcdef0123\n' >>"${dev_env}"
  printf 'maxretry = 10\n' >>"${jail}"
  chmod 644 "${prod_env}"
  local before
  before="$(sha256sum "${jail}" "${dev_env}" "${prod_env}") $(mode_of "${prod_env}")"

  bootstrap --check
  expect_rc 1 "--check with a drifted jail file and env-file mode exits non-zero"
  expect_out '^drift: /etc/fail2ban/jail.d/switchyard-sshd.local differs from the repository$' "--check names the drifted jail file"
  expect_out '^drift: /etc/switchyard/prod.env mode 644 -> 600$' "--check names the env file with the wrong mode"
  if [[ "$(grep -c '^drift: /' <<<"${OUT}")" == 2 ]]; then
    pass "--check reports exactly the 2 drifted items"
  else
    fail "--check reports other drift too: ${OUT}"
  fi
  if [[ "$(sha256sum "${jail}" "${dev_env}" "${prod_env}") $(mode_of "${prod_env}")" == "${before}" ]]; then
    pass "--check changed nothing"
  else
    fail "--check modified files"
  fi

  bootstrap --check --no-packages --packages "nginx hello"
  expect_rc 1 "--check --no-packages still checks files"
  if grep -q 'package hello' <<<"${OUT}"; then
    fail "--no-packages still checked packages"
  else
    pass "--no-packages skips the package check"
  fi
  bootstrap --check --packages "nginx hello"
  expect_out '^drift: package hello not installed$' "--check reports a missing package"

  bootstrap
  expect_rc 0 "a run repairs the drift"
  expect_out '^changed: /etc/fail2ban/jail.d/switchyard-sshd.local differs from the repository$' "the run reports the repaired file"
  if cmp -s "${ROOT}/fail2ban/jail.d/switchyard-sshd.local" "${jail}" && [[ "$(mode_of "${prod_env}")" == 600 ]]; then
    pass "jail file restored and prod.env back to mode 600"
  else
    fail "drift not repaired"
  fi
  if grep -qx 'JWT_SECRET=do-not-lose-me-0123456789abcdef0123' "${dev_env}"; then
    pass "the secret in dev.env survived (env files are never overwritten)"
  else
    fail "dev.env content was overwritten"
  fi
  bootstrap --check
  expect_rc 0 "--check after the repair"
}

test_usage() {
  bootstrap --bogus
  expect_rc 2 "unknown option is a usage error"
}

main() {
  is_root || die "run as root (debootstrap, chroot, mount)"
  ensure_packages debootstrap debian-archive-keyring tar
  require_cmd debootstrap chroot mount umount tar flock
  ROOT="$(repo_root)"
  mkdir -p "${CACHE_DIR}"
  # One run at a time per cache: the root tarball and the bind-mounted .deb cache are shared, and a
  # second apt in the same archive directory would fail on its lock.
  local lock_fd
  exec {lock_fd}>"${CACHE_DIR}/.lock"
  if ! flock -n "${lock_fd}"; then
    log "waiting for another run holding ${CACHE_DIR}/.lock"
    flock -w 900 "${lock_fd}" || die "${CACHE_DIR}/.lock still held after 900s"
  fi
  TMP="$(mktemp -d /tmp/switchyard-bootstrap.XXXXXX)"
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  local t0="${SECONDS}"
  prepare_root
  test_first_run
  test_second_run
  test_drift
  test_usage

  checks_summary "bootstrap" "${t0}"
}

main "$@"
