# shellcheck shell=bash
# The "hosts" of the fleet e2e: each is an environment of its own on this machine (its own nginx on its
# own port, its own app ports, compose projects, state and app env file, optionally its own docker
# engine) that the deployer reaches only over ssh, through a real sshd of its own on 127.0.0.1. The
# host's settings are that sshd's SetEnv lines: what a session on that host sees, as on a real host
# whose scripts/env files the kit reads. Sourced by tests/fleet/run.sh after scripts/lib/common.sh.

SSH_DIR=""
SSHD_PIDS=()

# hosts_ssh_init <dir>: a client key, a host key, authorized_keys, and an empty ssh config and known_hosts.
hosts_ssh_init() {
  SSH_DIR="$1"
  mkdir -p "${SSH_DIR}"
  chmod 700 "${SSH_DIR}"
  ssh-keygen -q -t ed25519 -N '' -C fleet-e2e-client -f "${SSH_DIR}/id_ed25519"
  ssh-keygen -q -t ed25519 -N '' -C fleet-e2e-host -f "${SSH_DIR}/host_ed25519"
  cp "${SSH_DIR}/id_ed25519.pub" "${SSH_DIR}/authorized_keys"
  : >"${SSH_DIR}/config"
  : >"${SSH_DIR}/known_hosts"
  # sshd's privilege separation directory (the package creates it only when its service starts).
  mkdir -p /run/sshd
  chmod 755 /run/sshd
}

# hosts_start_sshd <name> <port> <NAME=value...>: an sshd for host <name> on 127.0.0.1:<port> whose
# sessions get the given environment (values without spaces); adds <name> to the ssh config and known_hosts.
hosts_start_sshd() {
  local name="$1"
  local port="$2"
  shift 2
  local conf="${SSH_DIR}/sshd-${name}.conf"
  {
    cat <<CONF
Port ${port}
ListenAddress 127.0.0.1
HostKey ${SSH_DIR}/host_ed25519
PidFile ${SSH_DIR}/sshd-${name}.pid
AuthorizedKeysFile ${SSH_DIR}/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
LogLevel ERROR
CONF
    # One SetEnv line: sshd takes only the first occurrence of a keyword.
    if (($# > 0)); then
      printf 'SetEnv %s\n' "$*"
    fi
  } >"${conf}"
  /usr/sbin/sshd -t -f "${conf}" || die "sshd config for ${name} invalid"
  /usr/sbin/sshd -f "${conf}" -E "${SSH_DIR}/sshd-${name}.log"
  retry_until 10 0.1 test -s "${SSH_DIR}/sshd-${name}.pid" || die "sshd for ${name} did not start"
  SSHD_PIDS+=("$(cat "${SSH_DIR}/sshd-${name}.pid")")
  cat >>"${SSH_DIR}/config" <<CONF
Host ${name}
  HostName 127.0.0.1
  Port ${port}
  User root
  IdentityFile ${SSH_DIR}/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile ${SSH_DIR}/known_hosts
  StrictHostKeyChecking yes
  # AES-GCM runs on the CPU's AES instructions: the image (~0.5 GB) crosses ssh several times faster.
  Ciphers aes128-gcm@openssh.com,chacha20-poly1305@openssh.com
CONF
  printf '[127.0.0.1]:%s %s\n' "${port}" "$(cut -d' ' -f1,2 "${SSH_DIR}/host_ed25519.pub")" >>"${SSH_DIR}/known_hosts"
}

hosts_stop_sshd() {
  local pid
  for pid in "${SSHD_PIDS[@]}"; do
    kill "${pid}" 2>/dev/null || true
  done
  SSHD_PIDS=()
}
