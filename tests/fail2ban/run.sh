#!/usr/bin/env bash
# fail2ban suite.
#  (a) fail2ban-regex: our filters (and the stock sshd filter in the mode our jail uses) over sample
#      log lines in the formats this host writes (Debian 12 OpenSSH 9.2 with PAM; nginx error log;
#      the switchyard_json access log): exact failure counts per address, none on normal traffic.
#  (b) end to end on loopback: a real sshd on a spare 127.0.0.1 port (throwaway user with a password),
#      a real fail2ban-server with our two sshd jails (private config dir, socket, pid file and
#      database) and the nftables action in a private table restricted to the test port. Three failed
#      password logins from 127.0.0.2 => banned (connection refused) while 127.0.0.1 still logs in;
#      fail2ban restart => still banned. Every process, rule, user and file is removed afterwards.
set -euo pipefail

SCRIPT_NAME="tests/fail2ban"
SUITE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SUITE_DIR}/../../scripts/lib/common.sh"
# shellcheck source=tests/lib/checks.sh
source "${SUITE_DIR}/../lib/checks.sh"

# Jails under test end to end (jail.d/switchyard-sshd.local) and every shipped jail, sorted.
SSH_JAILS=(sshd switchyard-sshd-preauth)
ALL_JAILS=(recidive sshd switchyard-nginx-limit-req switchyard-nginx-login switchyard-nginx-scanner
  switchyard-sshd-preauth)

ROOT=""
TMP=""
NFT_TABLE=""
SSH_PORT=""
WEB_PORT=""
SSHD_PID_FILE=""
LOG_PIPE_PID=""
F2B_CONF=""
TEST_USER=""
TEST_PASSWORD=""
CREATED_RUN_SSHD=0

cleanup() {
  local rc=$?
  set +e
  if [[ -n "${F2B_CONF}" && -S "${TMP}/f2b.sock" ]]; then
    f2b stop >/dev/null 2>&1
  fi
  if [[ -n "${TMP}" && -f "${TMP}/f2b.pid" ]]; then
    kill "$(cat "${TMP}/f2b.pid")" 2>/dev/null
  fi
  if [[ -n "${SSHD_PID_FILE}" && -f "${SSHD_PID_FILE}" ]]; then
    kill "$(cat "${SSHD_PID_FILE}")" 2>/dev/null
  fi
  if [[ -n "${LOG_PIPE_PID}" ]]; then
    kill "${LOG_PIPE_PID}" 2>/dev/null
    wait "${LOG_PIPE_PID}" 2>/dev/null
  fi
  if [[ -n "${NFT_TABLE}" ]] && nft list table inet "${NFT_TABLE}" >/dev/null 2>&1; then
    nft delete table inet "${NFT_TABLE}"
  fi
  if [[ -n "${TEST_USER}" ]] && id "${TEST_USER}" >/dev/null 2>&1; then
    userdel "${TEST_USER}"
  fi
  if ((CREATED_RUN_SSHD)); then
    rmdir /run/sshd 2>/dev/null
  fi
  if [[ -n "${TMP}" ]]; then
    rm -rf "${TMP}"
  fi
  exit "${rc}"
}

dump_logs() {
  local f
  for f in "${TMP}/auth.log" "${TMP}/fail2ban.log"; do
    if [[ -f "${f}" ]]; then
      err "--- last lines of ${f##*/}:"
      tail -n 40 "${f}" >&2
    fi
  done
  if [[ -n "${NFT_TABLE}" ]]; then
    nft list table inet "${NFT_TABLE}" >&2 2>/dev/null || true
  fi
}

# fail2ban-client against the private server only.
f2b() {
  fail2ban-client -c "${F2B_CONF}" -s "${TMP}/f2b.sock" -p "${TMP}/f2b.pid" "$@"
}

# A private copy of the distribution's fail2ban tree (stock filters and actions) with only our files
# in jail.d / fail2ban.d.
make_private_config() {
  local dir="$1"
  mkdir -p "${dir}"
  cp -a /etc/fail2ban/. "${dir}/"
  rm -rf "${dir}/jail.d" "${dir}/fail2ban.d" "${dir}/jail.local" "${dir}/fail2ban.local"
  mkdir -p "${dir}/jail.d" "${dir}/fail2ban.d"
  cp "${ROOT}"/fail2ban/filter.d/*.conf "${dir}/filter.d/"
  cp "${ROOT}/fail2ban/fail2ban.d/switchyard.local" "${dir}/fail2ban.d/"
}

# regex_case <filter> <sample> <expected failures: "addr:count addr:count ..." or "">
# Exact failure count per address as fail2ban would count them, and nothing else.
regex_case() {
  local filter="$1"
  local sample="$2"
  local want="$3"
  local file="${SUITE_DIR}/samples/${sample}"
  local out
  local got
  local lines
  local total=0
  local pair
  out="$(fail2ban-regex --config "${TMP}/regex-conf" -o ip "${file}" "${filter}")" ||
    { fail "fail2ban-regex failed: ${filter} on ${sample}"; return 0; }
  got="$(grep . <<<"${out}" | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}' | sed 's/ $//')" || true
  want="$(tr ' ' '\n' <<<"${want}" | grep . | sort | tr '\n' ' ' | sed 's/ $//')" || true
  for pair in ${want}; do
    total=$((total + ${pair##*:}))
  done
  lines="$(grep -c . "${file}")"
  if [[ "${got}" == "${want}" ]]; then
    if [[ -z "${want}" ]]; then
      pass "${filter}: 0 failures in ${lines} lines of ${sample}"
    else
      pass "${filter}: ${total} failures in ${lines} lines of ${sample} (${got})"
    fi
  else
    fail "${filter} on ${sample}: failures per address [${got}], want [${want}]"
  fi
}

test_regex() {
  local sshd_mode
  make_private_config "${TMP}/regex-conf"
  sshd_mode="$(sed -nE 's/^mode[[:space:]]*=[[:space:]]*([a-z-]+).*/\1/p' "${ROOT}/fail2ban/jail.d/switchyard-sshd.local")"
  [[ -n "${sshd_mode}" ]] || die "no mode in jail.d/switchyard-sshd.local"
  local sshd="sshd[mode=${sshd_mode}]"
  # sshd-fail.log: .11 two wrong passwords then gave up; .12 invalid user, one password (the stock
  # filter counts "Invalid user" and its "Failed password"); .13 gave up during authentication with no
  # password (key probe); .14 invalid user, no password; .15 MaxAuthTries exceeded; .16 wrong password
  # (traditional syslog timestamp); 2001:db8::7 wrong password over IPv6.
  regex_case "${sshd}" sshd-fail.log \
    "203.0.113.11:2 203.0.113.12:2 203.0.113.14:1 203.0.113.15:1 203.0.113.16:1 2001:db8::7:1"
  regex_case switchyard-sshd-preauth sshd-fail.log \
    "203.0.113.11:1 203.0.113.13:1 203.0.113.16:1 2001:db8::7:1"
  # Logins by key and by password, sessions, port probes that close before authenticating.
  regex_case "${sshd}" sshd-ok.log ""
  regex_case switchyard-sshd-preauth sshd-ok.log ""

  regex_case switchyard-nginx-limit-req nginx-error-fail.log "203.0.113.21:2 203.0.113.22:1 2001:db8::22:1"
  # Delayed (not refused) requests, dry runs, upstream errors, 413s, another site's zone.
  regex_case switchyard-nginx-limit-req nginx-error-ok.log ""

  regex_case switchyard-nginx-scanner nginx-access-scanner-fail.log \
    "203.0.113.31:2 203.0.113.32:1 203.0.113.33:2 203.0.113.34:1 2001:db8::35:1 203.0.113.36:1 203.0.113.37:1 203.0.113.38:1"
  regex_case switchyard-nginx-scanner nginx-access-login-fail.log ""
  # Includes ".env" in a query string, /.well-known/, ".php" in a user agent, a 429 and a 401 off /api/auth/.
  regex_case switchyard-nginx-scanner nginx-access-ok.log ""

  regex_case switchyard-nginx-login nginx-access-login-fail.log "203.0.113.41:2 203.0.113.42:1 2001:db8::43:1"
  regex_case switchyard-nginx-login nginx-access-scanner-fail.log ""
  regex_case switchyard-nginx-login nginx-access-ok.log ""
}

# Writes sshd's stderr lines as syslog would ("Nov 21 21:30:01 host sshd[pid]: ..."), so fail2ban
# parses them with the stock prefix and date rules. sshd -e carries no pid; the client port stands in
# for it, so lines of one connection share an id and different connections never do (as with the
# real per-connection sshd pid fail2ban uses to tie multi-line failures together).
syslog_writer() {
  local out="$1"
  local host
  local line
  local id
  host="$(hostname -s 2>/dev/null || echo localhost)"
  while IFS= read -r line; do
    line="${line%$'\r'}"
    id="${BASHPID}"
    if [[ "${line}" =~ [[:space:]]port[[:space:]]([0-9]+) ]]; then
      id="${BASH_REMATCH[1]}"
    fi
    printf '%(%b %e %H:%M:%S)T %s sshd[%d]: %s\n' -1 "${host}" "${id}" "${line}" >>"${out}"
  done
}

create_test_user() {
  TEST_USER="swyf2b$$"
  TEST_PASSWORD="Pw-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
  useradd --no-create-home --home-dir /nonexistent --shell /bin/sh "${TEST_USER}"
  printf '%s:%s\n' "${TEST_USER}" "${TEST_PASSWORD}" | chpasswd
}

start_sshd() {
  local port="$1"
  local dir="${TMP}/sshd"
  mkdir -p "${dir}"
  ssh-keygen -q -t ed25519 -N '' -f "${dir}/host_ed25519_key"
  SSHD_PID_FILE="${dir}/sshd.pid"
  # Password logins for the throwaway user only; shadow passwords without PAM (PAM would log its
  # own lines to a syslog this machine may not run).
  cat >"${dir}/sshd_config" <<EOF
Port ${port}
ListenAddress 127.0.0.1
HostKey ${dir}/host_ed25519_key
PidFile ${SSHD_PID_FILE}
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication no
PermitRootLogin no
AllowUsers ${TEST_USER}
MaxAuthTries 6
LogLevel INFO
EOF
  if [[ ! -d /run/sshd ]]; then
    mkdir -p /run/sshd
    CREATED_RUN_SSHD=1
  fi
  /usr/sbin/sshd -t -f "${dir}/sshd_config"
  : >"${TMP}/auth.log"
  /usr/sbin/sshd -D -e -f "${dir}/sshd_config" 2>&1 </dev/null | syslog_writer "${TMP}/auth.log" &
  LOG_PIPE_PID=$!
  retry_until 10 0.2 banner_from 127.0.0.1 "${port}" || die "sshd did not come up on 127.0.0.1:${port}"
}

# banner_from <source-address> <port>: a new TCP connection from that source gets the SSH banner.
banner_from() {
  python3 - "$1" "$2" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(3)
try:
    s.bind((sys.argv[1], 0))
    s.connect(("127.0.0.1", int(sys.argv[2])))
    sys.exit(0 if s.recv(64).startswith(b"SSH-") else 1)
except OSError:
    sys.exit(1)
EOF
}

refused_from() {
  ! banner_from "$1" "$2"
}

# ssh_login <source> <password>: one password login as the test user; exit status of ssh.
ssh_login() {
  local src="$1"
  local password="$2"
  sshpass -p "${password}" ssh -F /dev/null -o BindAddress="${src}" \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
    -o PubkeyAuthentication=no -o PreferredAuthentications=password -o NumberOfPasswordPrompts=1 \
    -o ConnectTimeout=5 -p "${SSH_PORT}" "${TEST_USER}@127.0.0.1" true </dev/null >/dev/null 2>&1
}

# failed_login_from <source>: one login with a wrong password; waits until sshd logged it.
failed_login_from() {
  local src="$1"
  local before
  before="$(count_log "Failed password for ${TEST_USER} from ${src} ")"
  if ssh_login "${src}" "wrong-${RANDOM}"; then
    die "ssh login with a wrong password succeeded?"
  fi
  retry_until 5 0.1 log_count_above "Failed password for ${TEST_USER} from ${src} " "${before}" ||
    die "sshd did not log a failed password from ${src} (see ${TMP}/auth.log)"
}

# good_login_from <source> <what>: a login with the right password succeeds (and is logged).
good_login_from() {
  local src="$1"
  local before
  before="$(count_log "Accepted password for ${TEST_USER} from ${src} ")"
  if ssh_login "${src}" "${TEST_PASSWORD}" &&
    retry_until 5 0.1 log_count_above "Accepted password for ${TEST_USER} from ${src} " "${before}"; then
    pass "$2: ${src} logs in with the right password"
  else
    fail "$2: ${src} cannot log in with the right password"
  fi
}

count_log() {
  grep -cF "$1" "${TMP}/auth.log" || true
}

# Predicates for retry_until (evaluated on every try).
log_count_above() {
  (($(count_log "$1") > $2))
}

jail_field() {
  f2b status "$1" | sed -nE "s/.*$2:[[:space:]]*(.*)$/\1/p"
}

jail_failed_at_least() {
  local n
  n="$(jail_field "$1" 'Total failed')"
  [[ "${n}" =~ ^[0-9]+$ ]] && ((n >= $2))
}

is_banned() {
  [[ " $(jail_field "$1" 'Banned IP list') " == *" $2 "* ]]
}

f2b_stopped() {
  [[ ! -S "${TMP}/f2b.sock" ]] && ! { [[ -f "${TMP}/f2b.pid" ]] && kill -0 "$(cat "${TMP}/f2b.pid")" 2>/dev/null; }
}

nft_has_element() {
  local ruleset
  ruleset="$(nft list table inet "${NFT_TABLE}" 2>/dev/null)" || return 1
  grep -qw "$1" <<<"${ruleset}"
}

# expect_failed_counts <when> <sshd-count> <preauth-count>: exact "Total failed" of both jails.
expect_failed_counts() {
  local got
  got="$(jail_field sshd 'Total failed')/$(jail_field switchyard-sshd-preauth 'Total failed')"
  if [[ "${got}" == "$2/$3" ]]; then
    pass "$1: failures counted sshd/preauth = ${got}"
  else
    fail "$1: failures counted sshd/preauth = ${got}, want $2/$3"
  fi
}

assert_banned_state() {
  local when="$1"
  local jail
  for jail in "${SSH_JAILS[@]}"; do
    if is_banned "${jail}" 127.0.0.2; then
      pass "${when}: jail ${jail} lists 127.0.0.2 as banned"
    else
      fail "${when}: 127.0.0.2 not in the ${jail} banned list: $(jail_field "${jail}" 'Banned IP list')"
    fi
  done
  if nft_has_element 127.0.0.2; then
    pass "${when}: nftables table inet ${NFT_TABLE} holds 127.0.0.2"
  else
    fail "${when}: no nftables element for 127.0.0.2"
  fi
  if banner_from 127.0.0.2 "${SSH_PORT}"; then
    fail "${when}: 127.0.0.2 can still connect to sshd"
  else
    pass "${when}: a new connection from 127.0.0.2 is refused"
  fi
  good_login_from 127.0.0.1 "${when}"
}

write_private_jails() {
  F2B_CONF="${TMP}/f2b-conf"
  make_private_config "${F2B_CONF}"
  # Every jail file as shipped, plus a test override read last (the same mechanism operators use for
  # their addresses, jail.d/zz-switchyard-ignoreip.local) that points the jails at the test's logs
  # and ports. ignoreip must not cover 127.0.0.0/8 here, which the shipped default exempts.
  cp "${ROOT}"/fail2ban/jail.d/*.local "${F2B_CONF}/jail.d/"
  # The shipped ban actions (nftables-multiport / -allports) in a private table.
  printf '[Init]\ntable = %s\n' "${NFT_TABLE}" >"${F2B_CONF}/action.d/nftables-common.local"
  cat >"${F2B_CONF}/fail2ban.d/zz-test.local" <<EOF
[Definition]
logtarget = ${TMP}/fail2ban.log
socket = ${TMP}/f2b.sock
pidfile = ${TMP}/f2b.pid
dbfile = ${TMP}/fail2ban.sqlite3
EOF
  # fail2ban-client refuses a jail whose log file does not exist yet (recidive reads fail2ban's own).
  : >"${TMP}/nginx-access.log"
  : >"${TMP}/nginx-error.log"
  : >"${TMP}/fail2ban.log"
  {
    printf '[DEFAULT]\nignoreip = 192.0.2.10\nignoreself = false\n'
    printf 'switchyard_nginx_access_log = %s\n' "${TMP}/nginx-access.log"
    printf 'switchyard_nginx_error_log = %s\n' "${TMP}/nginx-error.log"
    printf 'switchyard_nginx_ports = %s\n' "${WEB_PORT}"
    local jail
    for jail in "${SSH_JAILS[@]}"; do
      printf '\n[%s]\nbackend = polling\nlogpath = %s\nport = %s\n' "${jail}" "${TMP}/auth.log" "${SSH_PORT}"
    done
    printf '\n[recidive]\nbackend = polling\nlogpath = %s\n' "${TMP}/fail2ban.log"
  } >"${F2B_CONF}/jail.d/zz-test.local"
}

# nginx_lines <n> <kind: scanner|login|limit-req> <address>: n fresh log lines of that kind.
nginx_lines() {
  local n="$1"
  local kind="$2"
  local addr="$3"
  local now_iso
  local now_err
  local i
  now_iso="$(date +%Y-%m-%dT%H:%M:%S%:z)"
  now_err="$(date '+%Y/%m/%d %H:%M:%S')"
  local rest='"body_bytes_sent":150,"request_time":0.000,"upstream_addr":"","upstream_status":"","upstream_response_time":"","app_color":"","env":"test","user_agent":"test"'
  for ((i = 0; i < n; i++)); do
    case "${kind}" in
      scanner)
        printf '{"time":"%s","remote_addr":"%s","method":"GET","uri":"/.git/config","status":404,%s,"request_id":"s%d"}\n' \
          "${now_iso}" "${addr}" "${rest}" "${i}" >>"${TMP}/nginx-access.log"
        ;;
      login)
        printf '{"time":"%s","remote_addr":"%s","method":"POST","uri":"/api/auth/kakao","status":401,%s,"request_id":"l%d"}\n' \
          "${now_iso}" "${addr}" "${rest}" "${i}" >>"${TMP}/nginx-access.log"
        ;;
      limit-req)
        printf '%s [error] 812#812: *%d limiting requests, excess: 10.960 by zone "switchyard_login", client: %s, server: _, request: "POST /api/auth/kakao HTTP/1.1", host: "127.0.0.1"\n' \
          "${now_err}" "$((100 + i))" "${addr}" >>"${TMP}/nginx-error.log"
        ;;
    esac
  done
}

# The nginx jails ban on fresh lines of our log formats, and recidive bans an address that three
# jails banned on every port (here: sshd's port, which no sshd jail banned it for).
test_nginx_jails_and_recidive() {
  local addr=127.0.0.9
  local jail
  local n
  local kind
  if banner_from "${addr}" "${SSH_PORT}"; then
    pass "before: ${addr} connects to sshd"
  else
    fail "before: ${addr} cannot connect to sshd"
  fi
  for jail in switchyard-nginx-scanner switchyard-nginx-login switchyard-nginx-limit-req; do
    n="$(f2b get "${jail}" maxretry)"
    kind="${jail#switchyard-nginx-}"
    nginx_lines "${n}" "${kind}" "${addr}"
    if retry_until 15 0.5 is_banned "${jail}" "${addr}"; then
      pass "jail ${jail}: ${n} fresh ${kind} lines => ${addr} banned for $(f2b get "${jail}" bantime)s"
    else
      fail "jail ${jail}: ${addr} not banned after ${n} lines (total failed $(jail_field "${jail}" 'Total failed'))"
    fi
  done
  if retry_until 20 0.5 is_banned recidive "${addr}"; then
    pass "recidive: 3 bans within a day => ${addr} banned on all ports for $(f2b get recidive bantime)s"
  else
    fail "recidive did not ban ${addr} (total failed $(jail_field recidive 'Total failed'))"
  fi
  if retry_until 5 0.5 refused_from "${addr}" "${SSH_PORT}"; then
    pass "recidive's all-ports ban refuses ${addr} on the sshd port too"
  else
    fail "${addr} still connects to sshd after the recidive ban"
  fi
}

start_f2b() {
  f2b -x start >/dev/null || die "fail2ban-client start failed (see ${TMP}/fail2ban.log)"
  retry_until 20 0.5 f2b ping >/dev/null 2>&1 || die "fail2ban-server did not start (see ${TMP}/fail2ban.log)"
}

test_end_to_end() {
  SSH_PORT="$(free_port)"
  WEB_PORT="$(free_port)"
  NFT_TABLE="swy-f2b-test-$$"
  create_test_user
  start_sshd "${SSH_PORT}"
  log "sshd on 127.0.0.1:${SSH_PORT} for user ${TEST_USER}, log ${TMP}/auth.log"
  write_private_jails
  start_f2b

  local jails
  jails="$(f2b status | sed -nE 's/.*Jail list:[[:space:]]*(.*)$/\1/p')"
  jails="$(tr -d ' ' <<<"${jails}" | tr ',' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
  if [[ "${jails}" == "${ALL_JAILS[*]}" ]]; then
    pass "private fail2ban runs the shipped jails: ${jails}"
  else
    fail "private fail2ban runs jails [${jails}], want [${ALL_JAILS[*]}]"
  fi
  local jail
  for jail in "${SSH_JAILS[@]}"; do
    if [[ "$(f2b get "${jail}" bantime)/$(f2b get "${jail}" maxretry)" == "-1/3" ]]; then
      pass "jail ${jail}: bantime -1 (permanent), maxretry 3"
    else
      fail "jail ${jail}: bantime $(f2b get "${jail}" bantime), maxretry $(f2b get "${jail}" maxretry)"
    fi
  done

  # A good login first: it must not count as a failure.
  good_login_from 127.0.0.1 "before any failure"
  failed_login_from 127.0.0.2
  retry_until 10 0.5 jail_failed_at_least sshd 1 || true
  retry_until 5 0.5 jail_failed_at_least switchyard-sshd-preauth 1 || true
  expect_failed_counts "after a good login from 127.0.0.1 and 1 failed login from 127.0.0.2" 1 1

  failed_login_from 127.0.0.2
  retry_until 10 0.5 jail_failed_at_least sshd 2 || true
  retry_until 5 0.5 jail_failed_at_least switchyard-sshd-preauth 2 || true
  expect_failed_counts "after 2 failed logins" 2 2
  if is_banned sshd 127.0.0.2 || ! banner_from 127.0.0.2 "${SSH_PORT}"; then
    fail "127.0.0.2 banned after only 2 failed logins"
  else
    pass "after 2 failed logins 127.0.0.2 still connects (not banned yet)"
  fi

  local t0="${SECONDS}"
  failed_login_from 127.0.0.2
  retry_until 15 0.5 is_banned sshd 127.0.0.2 || true
  retry_until 10 0.5 is_banned switchyard-sshd-preauth 127.0.0.2 || true
  log "banned $((SECONDS - t0))s after the 3rd failed login"
  assert_banned_state "after 3 failed logins"
  if is_banned sshd 127.0.0.1; then
    fail "127.0.0.1 banned"
  fi

  test_nginx_jails_and_recidive

  log "restarting fail2ban"
  f2b stop >/dev/null
  retry_until 20 0.5 f2b_stopped || die "fail2ban did not stop"
  if banner_from 127.0.0.2 "${SSH_PORT}"; then
    pass "while fail2ban is stopped its firewall rule is gone (so the next check proves a restore)"
  else
    fail "127.0.0.2 still blocked while fail2ban is stopped"
  fi
  start_f2b
  retry_until 15 0.5 is_banned sshd 127.0.0.2 || true
  retry_until 10 0.5 nft_has_element 127.0.0.2 || true
  assert_banned_state "after a fail2ban restart"
  if grep -q 'Restore Ban.*127\.0\.0\.2' "${TMP}/fail2ban.log"; then
    pass "fail2ban.log shows the ban restored from the database"
  else
    fail "no 'Restore Ban' for 127.0.0.2 in fail2ban.log"
  fi
}

main() {
  is_root || die "run as root (the end-to-end test drives nftables, sshd and a throwaway user)"
  ensure_packages fail2ban openssh-server openssh-client sshpass nftables python3 passwd
  require_cmd fail2ban-regex fail2ban-client nft sshpass ssh ssh-keygen python3 useradd chpasswd
  ROOT="$(repo_root)"
  TMP="$(mktemp -d /tmp/switchyard-f2b.XXXXXX)"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  local t0="${SECONDS}"

  test_regex
  test_end_to_end

  if ((FAILURES > 0)); then
    dump_logs
  fi
  checks_summary fail2ban "${t0}"
}

main "$@"
