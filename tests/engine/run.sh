#!/usr/bin/env bash
# Engine suite: the deploy engine's pieces that depend on the host, on real hosts' tools.
#   1 old curl    verify (nginx_verify_color) run with Debian 11's real curl 7.74 (a bullseye debootstrap
#                 chroot) against a real nginx: passes; that curl prints %header{} verbatim (the previous
#                 verify failed there); preflight_versions accepts that host's bash, curl and jq
#   2 drain       a real nginx with two envs and requests in flight in its old workers after a reload;
#                 drain_wait for one env, run from another network namespace (as a containerised agent):
#                 waits for that env's request only, neither returning at once nor waiting for the other's
#   3 systemd     a real systemd as PID 1 (a bookworm debootstrap imported as a docker image, all caps):
#                 retire_schedule creates the transient timer switchyard-retire-<env>-<color>, a Jenkins-style
#                 kill of the build's processes does not matter, the timer fires and stops the color (docker
#                 is a stub inside), status sees it; a cancelled one never fires
# The roots are cached as tarballs (and the systemd image by a hash of its package list) under
# SWITCHYARD_CACHE_DIR (/var/cache/switchyard/engine), from this machine's Debian mirror.
#
# Usage: tests/engine/run.sh [case...]   (default: curl drain systemd)
# Environment: SWITCHYARD_E2E_KEEP=1 keeps the temp dir.
set -euo pipefail

SCRIPT_NAME="tests/engine"
SUITE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${SUITE_DIR}/../.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${ROOT}/scripts/lib/common.sh"
# shellcheck source=tests/lib/checks.sh
source "${ROOT}/tests/lib/checks.sh"
# shellcheck source=tests/lib/compose-v2.sh
source "${ROOT}/tests/lib/compose-v2.sh"

CACHE_DIR="${SWITCHYARD_CACHE_DIR:-/var/cache/switchyard}/engine"
TMP=""
MOUNTS=()
PIDS=()
NETNS=""
SYSTEMD_CID=""
NGINX_PID_FILE=""

cleanup() {
  local rc=$?
  set +e
  local pid i
  for pid in "${PIDS[@]}"; do
    kill "${pid}" 2>/dev/null
  done
  if [[ -n "${NGINX_PID_FILE}" && -r "${NGINX_PID_FILE}" ]]; then
    kill -QUIT "$(cat "${NGINX_PID_FILE}")" 2>/dev/null
  fi
  [[ -z "${SYSTEMD_CID}" ]] || docker rm -f "${SYSTEMD_CID}" >/dev/null 2>&1
  [[ -z "${NETNS}" ]] || ip netns delete "${NETNS}" 2>/dev/null
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}"
  done
  if [[ -n "${TMP}" ]]; then
    if grep -qF " ${TMP}/" /proc/mounts; then
      err "mounts left under ${TMP}; not deleting it"
    elif [[ "${SWITCHYARD_E2E_KEEP:-0}" == 1 ]]; then
      log "kept ${TMP}"
    else
      rm -rf "${TMP}"
    fi
  fi
  exit "${rc}"
}

# cached_root <suite> <packages,comma,separated>: a debootstrap minbase root with those packages, as a
# tarball in the cache (built once).
cached_root() {
  local suite="$1"
  local packages="$2"
  local tarball
  tarball="${CACHE_DIR}/${suite}-$(printf '%s' "${packages}" | sha256sum | cut -c1-12).tar"
  if [[ ! -s "${tarball}" ]]; then
    local mirror build="${TMP}/build-${suite}"
    mirror="$(compose_v2_mirror)"
    log "building a ${suite} root with ${packages} (debootstrap from ${mirror}; cached in ${CACHE_DIR})"
    mkdir -p "${CACHE_DIR}/apt-archives-${suite}"
    debootstrap --variant=minbase --include="${packages}" --cache-dir="${CACHE_DIR}/apt-archives-${suite}" \
      "${suite}" "${build}" "${mirror}" >"${TMP}/debootstrap-${suite}.log" 2>&1 ||
      die "debootstrap ${suite} failed: $(tail -n 5 "${TMP}/debootstrap-${suite}.log")"
    tar -C "${build}" -cf "${tarball}.part" .
    mv -f "${tarball}.part" "${tarball}"
    rm -rf "${build}"
  fi
  echo "${tarball}"
}

# start_nginx <http-level config> [main-level config]: a private real nginx (the host's binary).
start_nginx() {
  local prefix="${TMP}/nginx"
  mkdir -p "${prefix}/logs"
  NGINX_PID_FILE="${prefix}/logs/nginx.pid"
  cat >"${prefix}/nginx.conf" <<CONF
worker_processes 1;
${2:-}
pid ${NGINX_PID_FILE};
error_log ${prefix}/logs/error.log;
events { worker_connections 64; }
http {
  access_log off;
  $1
}
CONF
  nginx -p "${prefix}" -c "${prefix}/nginx.conf" || die "nginx did not start"
  retry_until 10 0.1 test -s "${NGINX_PID_FILE}"
}

nginx_reload() {
  nginx -p "${TMP}/nginx" -c "${TMP}/nginx/nginx.conf" -s reload
}

# --- 1: verify with Debian 11's curl -----------------------------------------------------------
case_curl() {
  local tarball r port version
  tarball="$(cached_root bullseye curl,jq,ca-certificates)"
  r="${TMP}/bullseye"
  mkdir -p "${r}/repo"
  tar -C "${r}" -xf "${tarball}"
  mount --bind "${ROOT}" "${r}/repo"
  MOUNTS+=("${r}/repo")
  mount -o remount,bind,ro "${r}/repo"
  mount -t proc proc "${r}/proc"
  MOUNTS+=("${r}/proc")
  port="$(free_port)"
  start_nginx "server {
    listen 127.0.0.1:${port};
    location ~ ^/actuator/health/(liveness|readiness)$ {
      add_header X-App-Color green always;
      default_type application/json;
      return 200 '{\"status\":\"UP\"}';
    }
  }"
  version="$(chroot "${r}" curl --version | sed -n '1s/^curl \([0-9.]*\).*/\1/p')"
  expect_eq "${version}" 7.74.0 "the bullseye root's curl (Debian 11)"
  # shellcheck disable=SC2016 # expanded inside the chroot
  expect_eq "$(chroot "${r}" curl -s -o /dev/null -w '%header{x-app-color}' "http://127.0.0.1:${port}/actuator/health/readiness")" \
    '%header{x-app-color}' "curl 7.74 prints %header{} verbatim (so the previous verify never saw a color)"
  # shellcheck disable=SC2016 # expanded inside the chroot
  check_true "nginx_verify_color with curl 7.74: 10 consecutive answers from green" \
    chroot "${r}" /bin/bash -c 'set -euo pipefail
      cd /repo; source scripts/lib/common.sh; source scripts/lib/color.sh; source scripts/lib/nginx.sh
      NGINX_URL="$1" nginx_verify_color green 10 5' _ "http://127.0.0.1:${port}"
  # shellcheck disable=SC2016 # expanded inside the chroot
  check_true "... and a wrong color is seen as such (it fails)" \
    bash -c '! chroot "$1" /bin/bash -c "cd /repo; source scripts/lib/common.sh; source scripts/lib/color.sh; source scripts/lib/nginx.sh
      NGINX_URL=$2 nginx_verify_color blue 3 1" 2>/dev/null' _ "${r}" "http://127.0.0.1:${port}"
  check_true "preflight_versions accepts Debian 11's bash, curl and jq" \
    chroot "${r}" /bin/bash -c 'cd /repo; source scripts/lib/common.sh; source scripts/lib/preflight.sh; preflight_versions'
  # shellcheck disable=SC2016 # expanded inside the chroot
  FIGURES+=("old curl: $(chroot "${r}" curl --version | head -n 1 | cut -c1-40); $(chroot "${r}" jq --version); bash $(chroot "${r}" bash -c 'echo ${BASH_VERSION}')")
  local nginx_pid
  nginx_pid="$(cat "${NGINX_PID_FILE}")"
  kill -QUIT "${nginx_pid}"
  retry_until 10 0.1 bash -c "! kill -0 ${nginx_pid} 2>/dev/null"
  NGINX_PID_FILE=""
  umount "${r}/proc" "${r}/repo"
  MOUNTS=()
}

# --- 2: drain per env, from another network namespace ------------------------------------------
# slow_backend <port> <seconds>: an HTTP server on 127.0.0.1 answering every request after <seconds>.
slow_backend() {
  python3 - "$1" "$2" <<'PY' &
import sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, delay = int(sys.argv[1]), float(sys.argv[2])
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(delay)
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *_): pass
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
  PIDS+=($!)
  retry_until 10 0.1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

case_drain() {
  local front_a front_b back_a back_b t0 ms conns
  front_a="$(free_port)"
  front_b="$(free_port)"
  back_a="$(free_port)"
  back_b="$(free_port)"
  # env a's old color answers in 3 s, env b's (another env on the same nginx) in 8 s.
  slow_backend "${back_a}" 3
  slow_backend "${back_b}" 8
  start_nginx "server { listen 127.0.0.1:${front_a}; location / { proxy_pass http://127.0.0.1:${back_a}; } }
    server { listen 127.0.0.1:${front_b}; location / { proxy_pass http://127.0.0.1:${back_b}; } }" \
    "worker_shutdown_timeout 30s;"
  curl -s -o /dev/null --max-time 20 "http://127.0.0.1:${front_a}/" &
  PIDS+=($!)
  curl -s -o /dev/null --max-time 20 "http://127.0.0.1:${front_b}/" &
  PIDS+=($!)
  sleep 0.5
  # The switch's reload: both requests finish in the old worker, which shuts down after them.
  nginx_reload
  sleep 0.5
  NETNS="syengine$$"
  ip netns add "${NETNS}"
  ip -n "${NETNS}" link set lo up
  # Run as the deploy would in a containerised agent: another network namespace, the host's pid
  # namespace and files.
  # shellcheck disable=SC2016 # expanded by the shell in the namespace
  conns="$(ip netns exec "${NETNS}" bash -c 'cd "$1"; source scripts/lib/common.sh; source scripts/lib/nginx.sh; source scripts/lib/drain.sh
    NGINX_PID_FILE="$2" port_connections "$3"' _ "${ROOT}" "${NGINX_PID_FILE}" "${back_a}")"
  expect_eq "${conns}" 1 "connections from nginx to env a's old color, counted from another network namespace"
  expect_eq "$(ip netns exec "${NETNS}" ss -Htn state established "( dport = :${back_a} )" | wc -l)" 0 \
    "what ss sees from that namespace (why the previous drain returned at once)"
  t0="$(date +%s%3N)"
  # shellcheck disable=SC2016 # expanded by the shell in the namespace
  ip netns exec "${NETNS}" bash -c 'cd "$1"; source scripts/lib/common.sh; source scripts/lib/nginx.sh; source scripts/lib/drain.sh
    NGINX_PID_FILE="$2" drain_wait "$3" 20' _ "${ROOT}" "${NGINX_PID_FILE}" "${back_a}" >&2
  ms=$(($(date +%s%3N) - t0))
  FIGURES+=("drain of env a from another netns: ${ms} ms (its request had ~2 s left; env b's ~7 s)")
  check_true "the drain waited for env a's request in flight (${ms} ms >= 1500)" test "${ms}" -ge 1500
  check_true "... and not for env b's, still running in the same old worker (${ms} ms < 5000)" test "${ms}" -lt 5000
  ip netns delete "${NETNS}"
  NETNS=""
}

# --- 3: retirement under a real systemd ---------------------------------------------------------
systemd_exec() {
  docker exec "${SYSTEMD_CID}" "$@"
}

case_systemd() {
  local tarball image packages="systemd,systemd-sysv,dbus,jq,procps"
  tarball="$(cached_root bookworm "${packages}")"
  image="switchyard-test-systemd:$(basename "${tarball}" .tar)"
  if ! docker image inspect "${image}" >/dev/null 2>&1; then
    log "importing ${tarball} as ${image}"
    docker import - "${image}" <"${tarball}" >/dev/null
  fi
  # What systemd as PID 1 needs: the host's cgroups writable, every capability the engine may grant (not
  # --privileged: it asks for all, and a sandboxed engine may lack some, e.g. CAP_SYS_RESOURCE), no seccomp.
  SYSTEMD_CID="$(docker run -d --cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined \
    --security-opt apparmor=unconfined --cgroupns=host --network none -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    --tmpfs /run --tmpfs /run/lock --tmpfs /tmp -v "${ROOT}:/repo:ro" "${image}" /lib/systemd/systemd)"
  local state=""
  for _ in $(seq 1 60); do
    state="$(systemd_exec systemctl is-system-running 2>/dev/null || true)"
    [[ "${state}" == running || "${state}" == degraded ]] && break
    sleep 0.5
  done
  check_true "systemd runs as PID 1 in the container (${state:-no answer})" test "${state}" = running -o "${state}" = degraded
  # docker inside: a stub that knows one container and records what it is asked to stop.
  # shellcheck disable=SC2016 # expanded inside the container
  systemd_exec bash -c 'cat >/usr/local/bin/docker <<"STUB"
#!/bin/bash
echo "docker $*" >>/var/log/docker-stub.log
case "$1" in ps) echo 0123456789abcdef0123 ;; esac
STUB
chmod +x /usr/local/bin/docker; mkdir -p /var/lib/switchyard/prod; echo "server 127.0.0.1:8082;" >/var/lib/switchyard/prod-upstream.conf'
  local driver='cd /repo; source scripts/lib/common.sh; source scripts/lib/color.sh; source scripts/lib/lock.sh
    source scripts/lib/detach.sh; source scripts/lib/app.sh; source scripts/lib/retire.sh
    SWITCHYARD_ENV=prod SWITCHYARD_ROOT=/repo STATE_DIR=/var/lib/switchyard/prod LOCK_FILE=/var/lib/switchyard/prod/deploy.lock
    UPSTREAM_FILE=/var/lib/switchyard/prod-upstream.conf BLUE_PORT=8081 GREEN_PORT=8082 STOP_GRACE_S=45 LOCK_WAIT_S=30
    COMPOSE_PROJECT_BLUE=switchyard-prod-blue COMPOSE_PROJECT_GREEN=switchyard-prod-green RETIRE_SCHEDULER=auto'
  # Scheduled from a "build step" carrying Jenkins' cookie; then every process with the cookie is killed.
  systemd_exec env JENKINS_NODE_COOKIE=engine-cookie BUILD_ID=engine-cookie bash -c "${driver}
    retire_schedule blue 0123456789ab 4" >&2
  # shellcheck disable=SC2016 # expanded inside the container
  systemd_exec bash -c 'for e in /proc/[0-9]*/environ; do
      if grep -q -z -x JENKINS_NODE_COOKIE=engine-cookie "$e" 2>/dev/null; then p=${e#/proc/}; kill -9 "${p%/environ}"; echo killed; fi
    done' >"${TMP}/killed" || true
  expect_eq "$(systemd_exec jq -r .mechanism /var/lib/switchyard/prod/retire-blue.json)" systemd "the retirement's mechanism"
  check_true "the transient timer switchyard-retire-prod-blue.timer is active" \
    systemd_exec systemctl is-active --quiet switchyard-retire-prod-blue.timer
  expect_eq "$(systemd_exec bash -c "${driver}; retire_pending_json" | jq -r '.[0] | "\(.state) \(.unit)"')" \
    "pending switchyard-retire-prod-blue" "status sees it pending, by its unit"
  local stopped=""
  for _ in $(seq 1 40); do
    if systemd_exec grep -q '^docker stop -t 45 0123456789ab' /var/log/docker-stub.log 2>/dev/null; then
      stopped=yes
      break
    fi
    sleep 0.25
  done
  check_true "the timer fired after the window and stopped the color ($(wc -l <"${TMP}/killed") build process(es) killed meanwhile)" test -n "${stopped}"
  check_true "its state file is gone" systemd_exec test ! -e /var/lib/switchyard/prod/retire-blue.json
  sleep 1
  check_true "the units are collected (the name is free for the next deploy)" \
    bash -c "! docker exec '${SYSTEMD_CID}' systemctl is-active --quiet switchyard-retire-prod-blue.timer"
  systemd_exec journalctl -u switchyard-retire-prod-blue.service --no-pager -q 2>/dev/null | tail -n 3 >&2 || true
  # Cancelled before it is due: it never fires.
  systemd_exec bash -c ': >/var/log/docker-stub.log'
  systemd_exec bash -c "${driver}
    retire_schedule green 0123456789ab 3; retire_cancel green" >&2
  check_true "a cancelled timer is gone at once" \
    bash -c "! docker exec '${SYSTEMD_CID}' systemctl is-active --quiet switchyard-retire-prod-green.timer"
  sleep 4
  check_true "... and nothing was stopped" bash -c "! docker exec '${SYSTEMD_CID}' grep -q '^docker stop' /var/log/docker-stub.log"
  FIGURES+=("systemd: $(systemd_exec systemctl --version | head -n 1) as PID 1 in a privileged container")
  docker rm -f "${SYSTEMD_CID}" >/dev/null
  SYSTEMD_CID=""
}

main() {
  local cases=("$@")
  ((${#cases[@]} > 0)) || cases=(curl drain systemd)
  is_root || die "run as root (debootstrap, chroot, mount, network namespaces, docker)"
  ensure_packages debootstrap debian-archive-keyring nginx curl jq python3 iproute2 procps docker.io tar
  ensure_dockerd
  mkdir -p "${CACHE_DIR}"
  local lock_fd
  exec {lock_fd}>"${CACHE_DIR}/.lock"
  flock -w 900 "${lock_fd}" || die "${CACHE_DIR}/.lock still held after 900s"
  TMP="$(mktemp -d /tmp/switchyard-engine.XXXXXX)"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  FIGURES=()
  local t0="${SECONDS}" c tc
  for c in "${cases[@]}"; do
    tc="${SECONDS}"
    "case_${c}"
    log "case ${c} took $((SECONDS - tc))s"
  done
  printf '%s\n' "---- engine summary ----" "${FIGURES[@]}" "checks: $((CHECKS - FAILURES)) of ${CHECKS} passed, $((SECONDS - t0))s" >&2
  checks_summary engine "${t0}"
}

main "$@"
