# shellcheck shell=bash
# A second Docker engine on this machine, for the second "host" of the fleet e2e: its own image store,
# containers and networks, so an image really has to travel to it (docker save | ssh | docker load).
# Sourced by tests/fleet/run.sh after scripts/lib/common.sh.
#
# It shares the machine's network namespace with the main engine, so it keeps out of the main engine's
# way: a default bridge of its own (with --bridge=none dockerd deletes the machine's docker0, the main
# engine's bridge, from under it), no iptables rules of its own (published ports go through docker-proxy on
# 127.0.0.1), address pools of its own. Its containers reach the shared data stores through relays the
# runner binds on the gateway of the data network it creates there (ENGINE_DATA_GATEWAY).

ENGINE_PID=""
ENGINE_DIR=""
ENGINE_RUN_DIR=""
ENGINE_SOCK=""
ENGINE_DATA_SUBNET=""
ENGINE_DATA_GATEWAY=""
ENGINE_BRIDGE=""

# engine_docker <args...>: the docker CLI on the second engine.
engine_docker() {
  docker -H "unix://${ENGINE_SOCK}" "$@"
}

# engine_start <dir> <run-dir>: starts dockerd with its data under <dir> and its sockets under <run-dir>
# (kept short: unix socket paths are limited to 108 bytes).
engine_start() {
  ENGINE_DIR="$1"
  local run_dir="$2"
  ENGINE_RUN_DIR="${run_dir}"
  local octet=$(($$ % 200 + 20))
  ENGINE_DATA_SUBNET="10.213.${octet}.0/24"
  ENGINE_DATA_GATEWAY="10.213.${octet}.1"
  ENGINE_SOCK="${run_dir}/docker.sock"
  ENGINE_BRIDGE="syfleet${octet}"
  ip link del "${ENGINE_BRIDGE}" 2>/dev/null || true # left by a run that was killed
  ip link add "${ENGINE_BRIDGE}" type bridge
  ip addr add "10.215.${octet}.1/24" dev "${ENGINE_BRIDGE}"
  ip link set "${ENGINE_BRIDGE}" up
  mkdir -p "${ENGINE_DIR}/root" "${run_dir}/exec"
  # Its own (empty) config file: the main engine's /etc/docker/daemon.json is not for this one.
  echo '{}' >"${ENGINE_DIR}/daemon.json"
  dockerd --config-file "${ENGINE_DIR}/daemon.json" --data-root "${ENGINE_DIR}/root" --exec-root "${run_dir}/exec" --pidfile "${run_dir}/dockerd.pid" \
    -H "unix://${ENGINE_SOCK}" --bridge="${ENGINE_BRIDGE}" --iptables=false --ip-masq=false --ip-forward=false \
    --host-gateway-ip "${ENGINE_DATA_GATEWAY}" --default-address-pool "base=10.214.0.0/16,size=24" \
    >"${ENGINE_DIR}/dockerd.log" 2>&1 &
  ENGINE_PID=$!
  if ! retry_until 60 0.5 engine_docker info >/dev/null 2>&1; then
    tail -n 20 "${ENGINE_DIR}/dockerd.log" >&2
    die "the second docker engine did not come up"
  fi
  log "second docker engine up (pid ${ENGINE_PID}, ${ENGINE_SOCK})"
}

# engine_data_network <name>: the network the app containers join there (what the data-store network is
# on the main engine), on a subnet whose gateway address is this machine's.
engine_data_network() {
  engine_docker network create --subnet "${ENGINE_DATA_SUBNET}" --gateway "${ENGINE_DATA_GATEWAY}" "$1" >/dev/null
}

# engine_stop: removes every container and network it holds, stops it and removes its data.
engine_stop() {
  if [[ -z "${ENGINE_PID}" ]]; then
    return 0
  fi
  local ids
  ids="$(engine_docker ps -aq 2>/dev/null || true)"
  if [[ -n "${ids}" ]]; then
    # shellcheck disable=SC2086 # one id per word
    engine_docker rm -f -v ${ids} >/dev/null 2>&1 || true
  fi
  engine_docker network prune -f >/dev/null 2>&1 || true
  kill "${ENGINE_PID}" 2>/dev/null || true
  local _
  for _ in $(seq 1 60); do
    kill -0 "${ENGINE_PID}" 2>/dev/null || break
    sleep 0.5
  done
  kill -9 "${ENGINE_PID}" 2>/dev/null || true
  wait "${ENGINE_PID}" 2>/dev/null || true
  ENGINE_PID=""
  if [[ -n "${ENGINE_BRIDGE}" ]]; then
    ip link del "${ENGINE_BRIDGE}" 2>/dev/null || true
  fi
  # Layers are overlay mounts while in use: unmount whatever is left before removing the data.
  if [[ -d "${ENGINE_DIR}/root" ]]; then
    grep -F " ${ENGINE_DIR}/root/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n 1 umount -l 2>/dev/null || true
  fi
  if [[ -n "${ENGINE_RUN_DIR}" ]]; then
    grep -F " ${ENGINE_RUN_DIR}/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n 1 umount -l 2>/dev/null || true
    rm -rf "${ENGINE_RUN_DIR}"
  fi
}
