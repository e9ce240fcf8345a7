#!/usr/bin/env bash
# fail2ban suite.
#  (a) fail2ban-regex: our filters over sample log lines in the formats hosts write (Debian 12 OpenSSH 9.2
#      with PAM; real OpenSSH 10 lines of Debian 13, identifier sshd-session, captured from its sshd in a
#      trixie chroot; an attack log; nginx error log; the switchyard_json access log): exact failure counts
#      per address (each attempt once), none on normal traffic. The sshd samples again as journal entries
#      (written into a journal file by systemd-journal-remote) through fail2ban's systemd backend and the
#      filters' journalmatch.
#  (b) end to end on loopback, in a private mount namespace: a real systemd-journald (run by hand: this
#      machine has no systemd as PID 1) on a private /run, a real sshd on a spare 127.0.0.1 port whose log
#      lines go to that journal under the identifier sshd (systemd-cat, as journald stores a service's
#      output; throwaway user with a password), a real fail2ban-server with every
#      shipped jail (private config dir, socket, pid file and database; the sshd jails on the shipped
#      `backend = systemd`, reading that journal) and the nftables action in a private table restricted to
#      the test ports. Three failed password logins from 127.0.0.2 => banned (connection refused) while
#      127.0.0.1 still logs in; three invalid-user probes from 127.0.0.3 => counted exactly three times,
#      banned; the nginx jails ban in nftables and in nginx's deny map; recidive; fail2ban restart =>
#      still banned. Every process, rule, user, mount and file is removed afterwards.
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
JOURNALD_PID=""
SSHD_PID=""
F2B_CONF=""
TEST_USER=""
TEST_PASSWORD=""

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
  local pid
  for pid in "${SSHD_PID}" "${JOURNALD_PID}"; do
    if [[ -n "${pid}" ]]; then
      kill "${pid}" 2>/dev/null
      wait "${pid}" 2>/dev/null
    fi
  done
  if [[ -n "${NFT_TABLE}" ]] && nft list table inet "${NFT_TABLE}" >/dev/null 2>&1; then
    nft delete table inet "${NFT_TABLE}"
  fi
  if [[ -n "${TEST_USER}" ]] && id "${TEST_USER}" >/dev/null 2>&1; then
    userdel "${TEST_USER}"
  fi
  # Never delete through a mount.
  if [[ -n "${TMP}" ]] && ! grep -qF " ${TMP}/" /proc/mounts; then
    rm -rf "${TMP}"
  fi
  exit "${rc}"
}

dump_logs() {
  local f
  if [[ -n "${JOURNALD_PID}" ]]; then
    err "--- last sshd lines in the journal:"
    journalctl --no-pager -o short -t sshd | tail -n 40 >&2
  fi
  f="${TMP}/fail2ban.log"
  if [[ -f "${f}" ]]; then
    err "--- last lines of ${f##*/}:"
    tail -n 40 "${f}" >&2
  fi
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
  cp "${ROOT}"/fail2ban/action.d/*.conf "${dir}/action.d/"
  cp "${ROOT}/fail2ban/fail2ban.d/switchyard.local" "${dir}/fail2ban.d/"
}

# regex_case <filter> <sample> <expected failures: "addr:count addr:count ..." or "">
# Exact failure count per address as fail2ban would count them, and nothing else.
regex_case() {
  regex_source_case "$1" "${SUITE_DIR}/samples/$2" "$2" "$3"
}

# regex_journal_case <filter> <journal-file> <what> <expected failures>: the same through the systemd
# backend (fail2ban-regex reads the journal file with the filter's journalmatch).
regex_journal_case() {
  regex_source_case "$1" "systemd-journal[journalfiles=$2]" "$3" "$4"
}

regex_source_case() {
  local filter="$1"
  local source="$2"
  local sample="$3"
  local want="$4"
  local file="${source}"
  local out
  local got
  local lines
  local total=0
  local pair
  out="$(fail2ban-regex --config "${TMP}/regex-conf" -o ip "${source}" "${filter}")" ||
    { fail "fail2ban-regex failed: ${filter} on ${sample}"; return 0; }
  got="$(grep . <<<"${out}" | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}' | sed 's/ $//')" || true
  want="$(tr ' ' '\n' <<<"${want}" | grep . | sort | tr '\n' ' ' | sed 's/ $//')" || true
  for pair in ${want}; do
    total=$((total + ${pair##*:}))
  done
  if [[ -f "${file}" ]]; then
    lines="$(grep -c . "${file}")"
  else
    lines="the entries"
  fi
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

# The sshd expectations, per sample: [sample]="<sshd jail> | <preauth jail>".
declare -A SSHD_WANT=(
  # .11 two wrong passwords, then gave up; .12 invalid user, one password (one attempt: its "Failed
  # password for invalid user" is not counted again); .13 gave up during authentication with no password
  # (key probe); .14 invalid user, no password; .15 MaxAuthTries exceeded; .16 wrong password (traditional
  # syslog timestamp); 2001:db8::7 wrong password over IPv6.
  [sshd-fail.log]="203.0.113.11:2 203.0.113.12:1 203.0.113.14:1 203.0.113.16:1 2001:db8::7:1 | 203.0.113.11:1 203.0.113.13:1 203.0.113.15:1 203.0.113.16:1 2001:db8::7:1"
  # Each attacker makes three attempts: .31 invalid-user probes closed at preauth; .32 invalid users (and
  # a user AllowUsers refuses) with a password each; .33 three wrong answers in one connection; .34 key
  # probes of an existing user, the last cut off at MaxAuthTries.
  [sshd-attack.log]="198.51.100.31:3 198.51.100.32:3 198.51.100.33:3 | 198.51.100.33:1 198.51.100.34:3"
  # Real OpenSSH 10.0 lines (Debian 13, identifier sshd-session, PAM): .51 wrong password then gave up,
  # .52 invalid user without a password, .53 invalid user with one, .54 key probe, .55 refused by
  # AllowUsers, .56 a successful login (never counted), .57 wrong password.
  [sshd-session.log]="203.0.113.51:1 203.0.113.52:1 203.0.113.53:1 203.0.113.55:1 203.0.113.57:1 | 203.0.113.51:1 203.0.113.54:1 203.0.113.57:1"
  # Logins by key and by password, sessions, port probes that close before authenticating.
  [sshd-ok.log]=" | "
)

# to_journal_export <sample>...: the samples' lines as journal export entries, with the fields journald
# gives a daemon's syslog(3) lines (_COMM and SYSLOG_IDENTIFIER from the tag, _PID, the message). A
# connection's last line ("Connection closed by ...") comes without _COMM, as journald writes it when the
# process has exited before it could read /proc (sshd's connection processes do).
to_journal_export() {
  python3 - "$@" <<'PY'
import re, sys, time
from datetime import datetime, timezone
for path in sys.argv[1:]:
    for line in open(path):
        m = re.match(r"(\S+T\S+|\w{3} [ \d]\d \d\d:\d\d:\d\d) (\S+) ([\w-]+)\[(\d+)\]: (.*)$", line.rstrip("\n"))
        if not m:
            continue
        stamp, host, ident, pid, msg = m.groups()
        if "T" in stamp:
            ts = datetime.fromisoformat(stamp)
        else:
            ts = datetime.strptime(f"{datetime.now().year} {stamp}", "%Y %b %d %H:%M:%S").replace(tzinfo=timezone.utc)
        comm = "" if msg.startswith("Connection closed by") else f"_COMM={ident[:15]}\n"
        print(f"__REALTIME_TIMESTAMP={int(ts.timestamp() * 1e6)}\n_HOSTNAME={host}\n{comm}"
              f"SYSLOG_IDENTIFIER={ident}\n_PID={pid}\n_TRANSPORT=syslog\nMESSAGE={msg}\n")
# Another program writing the same words: journalmatch (_COMM=sshd / sshd-session) must leave it out.
print(f"__REALTIME_TIMESTAMP={int(time.time() * 1e6)}\n_COMM=cron\nSYSLOG_IDENTIFIER=cron\n_PID=7\n"
      "MESSAGE=Invalid user mallory from 192.0.2.99 port 22\n")
PY
}

test_regex() {
  make_private_config "${TMP}/regex-conf"
  local sample want
  for sample in sshd-fail.log sshd-attack.log sshd-session.log sshd-ok.log; do
    want="${SSHD_WANT[${sample}]}"
    regex_case switchyard-sshd "${sample}" "${want%% | *}"
    regex_case switchyard-sshd-preauth "${sample}" "${want##* | }"
  done
  # The same lines as journal entries, through the systemd backend: the same counts.
  local journal="${TMP}/samples.journal"
  to_journal_export "${SUITE_DIR}"/samples/sshd-{fail,attack,session,ok}.log |
    /lib/systemd/systemd-journal-remote --output="${journal}" - 2>/dev/null ||
    die "systemd-journal-remote could not write ${journal}"
  local all_sshd="" all_preauth=""
  for sample in sshd-fail.log sshd-attack.log sshd-session.log; do
    want="${SSHD_WANT[${sample}]}"
    all_sshd+=" ${want%% | *}"
    all_preauth+=" ${want##* | }"
  done
  regex_journal_case switchyard-sshd "${journal}" "the sshd samples as a journal" "${all_sshd}"
  regex_journal_case switchyard-sshd-preauth "${journal}" "the sshd samples as a journal" "${all_preauth}"

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

# A private systemd-journald, the one sshd and fail2ban talk to: in this mount namespace /run is an empty
# tmpfs, so journald's sockets and its volatile journal (/run/log/journal, where fail2ban's systemd backend
# and journalctl look by default; never the host's /var/log/journal) are the test's own.
start_private_journal() {
  mount -t tmpfs -o mode=755 tmpfs /run
  mkdir -p /run/systemd/journal /run/systemd/journald.conf.d
  printf '[Journal]\nStorage=volatile\n' >/run/systemd/journald.conf.d/zz-switchyard-test.conf
  /lib/systemd/systemd-journald </dev/null >"${TMP}/journald.log" 2>&1 &
  JOURNALD_PID=$!
  retry_until 10 0.1 test -S /run/systemd/journal/stdout || die "systemd-journald did not start (${TMP}/journald.log)"
  echo "private journal up" | systemd-cat -t switchyard-f2b-test
  retry_until 10 0.1 journal_has switchyard-f2b-test "private journal up" || die "nothing reaches the private journal"
}

# journal_has <identifier> <text>: the private journal holds a line with that text from that identifier.
journal_has() {
  journalctl --no-pager -o cat -t "$1" 2>/dev/null | grep -qF "$2"
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
  # Password logins for the throwaway user only; shadow passwords without PAM. sshd's log lines (-e) go
  # to the private journal under its identifier (systemd-cat -t sshd), as journald stores a unit's output.
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
  # sshd's privilege-separation dir, in the private /run.
  mkdir -p /run/sshd
  /usr/sbin/sshd -t -f "${dir}/sshd_config"
  /usr/sbin/sshd -D -e -f "${dir}/sshd_config" </dev/null 2>&1 | systemd-cat -t sshd &
  SSHD_PID=$!
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
    die "sshd did not log a failed password from ${src} (journalctl -t sshd)"
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

# By syslog identifier: journald records no _COMM for a connection process that exited before it read /proc.
count_log() {
  journalctl --no-pager -o cat -t sshd 2>/dev/null | grep -cF "$1" || true
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
  # The nginx deny maps in the test's dir; no nginx runs here (its pid file is absent: no reload).
  printf '[Init]\nnginx_conf_dir = %s\nnginx_pid = %s\n' "${TMP}/nginx" "${TMP}/nginx/no-nginx.pid" \
    >"${F2B_CONF}/action.d/switchyard-nginx-deny.local"
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
    # The sshd jails keep the shipped backend (systemd): they read the private journal.
    local jail
    for jail in "${SSH_JAILS[@]}"; do
      printf '\n[%s]\nport = %s\n' "${jail}" "${SSH_PORT}"
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
    check_true "jail ${jail}: nginx deny map banned-${jail}.map holds \"${addr}\" (the ban behind a balancer)" \
      grep -qxF "\"${addr}\" 1;" "${TMP}/nginx/switchyard/banned-${jail}.map"
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

# invalid_probe_from <source>: one connection as a user that does not exist, giving up without a password
# (BatchMode: no prompt): sshd logs "Invalid user" and "Connection closed by invalid user ... [preauth]".
invalid_probe_from() {
  local src="$1"
  local user="nosuch$$"
  local before
  before="$(count_log "Connection closed by invalid user ${user} ${src} ")"
  ssh -F /dev/null -o BindAddress="${src}" -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o PubkeyAuthentication=no -o ConnectTimeout=5 \
    -p "${SSH_PORT}" "${user}@127.0.0.1" true </dev/null >/dev/null 2>&1 && die "login as ${user} succeeded?"
  retry_until 5 0.1 log_count_above "Connection closed by invalid user ${user} ${src} " "${before}" ||
    die "sshd did not log the invalid-user probe from ${src}"
}

# Three invalid-user probes closed at preauth: three counted failures in the sshd jail, none in the
# preauth jail, and a ban.
test_invalid_user_probes() {
  local sshd0 pre0 i
  sshd0="$(jail_field sshd 'Total failed')"
  pre0="$(jail_field switchyard-sshd-preauth 'Total failed')"
  for i in 1 2 3; do
    invalid_probe_from 127.0.0.3
  done
  retry_until 15 0.5 is_banned sshd 127.0.0.3 || true
  expect_failed_counts "after 3 invalid-user probes from 127.0.0.3" "$((sshd0 + 3))" "${pre0}"
  check_true "3 invalid-user probes from 127.0.0.3 => banned by the sshd jail" is_banned sshd 127.0.0.3
  if retry_until 5 0.5 refused_from 127.0.0.3 "${SSH_PORT}"; then
    pass "a new connection from 127.0.0.3 is refused"
  else
    fail "127.0.0.3 still connects after its ban"
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
  start_private_journal
  start_sshd "${SSH_PORT}"
  log "sshd on 127.0.0.1:${SSH_PORT} for user ${TEST_USER}, logging to the private journal"
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

  test_invalid_user_probes
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
  ensure_packages fail2ban openssh-server openssh-client sshpass nftables python3 passwd systemd \
    systemd-journal-remote python3-systemd bsdutils util-linux
  require_cmd fail2ban-regex fail2ban-client nft sshpass ssh ssh-keygen python3 useradd chpasswd unshare \
    journalctl logger /lib/systemd/systemd-journald /lib/systemd/systemd-journal-remote
  # Everything below runs in a private mount namespace (the private /dev and journal): the host never sees them.
  if [[ "${SWITCHYARD_F2B_PRIVATE_NS:-}" != 1 ]]; then
    SWITCHYARD_F2B_PRIVATE_NS=1 exec unshare --mount --propagation private "${BASH_SOURCE[0]}" "$@"
  fi
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
