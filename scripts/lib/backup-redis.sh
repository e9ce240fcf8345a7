# shellcheck shell=bash
# Redis of a data-store project: the RDB file of a BGSAVE that has finished, its key counts (from
# redis-check-rdb, which also proves the file whole), and a restore that leaves the data in the AOF
# the compose service loads at start. Sourced after common.sh and backup-containers.sh.
# redis-cli inside the container authenticates with the container's REDISCLI_AUTH (compose sets it).

redis_cli() {
  local id="$1"
  shift
  docker exec "${id}" redis-cli --no-auth-warning "$@"
}

# redis_info_field <container> <section> <field>
redis_info_field() {
  redis_cli "$1" INFO "$2" | tr -d '\r' | sed -n "s/^$3://p"
}

redis_lastsave() {
  redis_cli "$1" LASTSAVE | tr -d '\r'
}

# redis_bgsave <container> <timeout-s>: starts a BGSAVE (scheduled after a running AOF rewrite) and
# waits until one has finished after the call and succeeded.
redis_bgsave() {
  local id="$1"
  local timeout_s="$2"
  local before
  local reply
  before="$(redis_lastsave "${id}")" || {
    err "redis: LASTSAVE failed (is the server up?)"
    return 1
  }
  [[ "${before}" =~ ^[0-9]+$ ]] || {
    err "redis: unexpected LASTSAVE reply: ${before}"
    return 1
  }
  # LASTSAVE counts seconds: a save in the same second as the previous one would look old.
  while (($(date +%s) <= before)); do
    sleep 0.2
  done
  local deadline=$((SECONDS + timeout_s))
  until reply="$(redis_cli "${id}" BGSAVE SCHEDULE | tr -d '\r')" && [[ "${reply}" == Background* ]]; do
    # "already in progress": an earlier save still runs; ours starts once it ends.
    if ((SECONDS >= deadline)); then
      err "redis: BGSAVE could not start within ${timeout_s}s: ${reply}"
      return 1
    fi
    sleep 0.5
  done
  until (($(redis_lastsave "${id}") > before)) && [[ "$(redis_info_field "${id}" persistence rdb_bgsave_in_progress)" == 0 ]]; do
    if ((SECONDS >= deadline)); then
      err "redis: BGSAVE did not finish within ${timeout_s}s (BACKUP_REDIS_SAVE_TIMEOUT_S)"
      return 1
    fi
    sleep 0.2
  done
  local status
  status="$(redis_info_field "${id}" persistence rdb_last_bgsave_status)"
  if [[ "${status}" != ok ]]; then
    err "redis: the last BGSAVE failed (rdb_last_bgsave_status:${status}); see the redis log (disk full?)"
    return 1
  fi
}

# redis_dump <container> <out-file>: a fresh BGSAVE, then its RDB file copied out.
redis_dump() {
  local id="$1"
  local out="$2"
  redis_bgsave "${id}" "${BACKUP_REDIS_SAVE_TIMEOUT_S}" || return 1
  local dir
  local file
  dir="$(redis_cli "${id}" CONFIG GET dir | tr -d '\r' | sed -n 2p)"
  file="$(redis_cli "${id}" CONFIG GET dbfilename | tr -d '\r' | sed -n 2p)"
  # cat keeps reading the file it opened even if a later save renames a new one over it.
  # shellcheck disable=SC2016 # expanded inside the container.
  if ! in_container "${id}" 'prio cat "$1"' "${dir}/${file}" >"${out}"; then
    err "redis: could not read ${dir}/${file} from the container"
    return 1
  fi
}

# redis_rdb_counts <rdb-file> <image>: {"keys": n, "expires": n, "already_expired": n}, checked by
# the image's own redis-check-rdb (in a throwaway container without network). Fails on a bad file.
redis_rdb_counts() {
  local file="$1"
  local image="$2"
  local dir
  local out
  dir="$(cd "$(dirname "${file}")" && pwd)"
  if ! out="$(docker run --rm --network none -v "${dir}:/backup:ro" --entrypoint redis-check-rdb "${image}" \
    "/backup/$(basename "${file}")" 2>&1)" || ! grep -q 'RDB looks OK' <<<"${out}"; then
    err "redis: redis-check-rdb rejects the RDB file: $(tail -n 3 <<<"${out}" | tr '\n' ' ')"
    return 1
  fi
  local keys
  local expires
  local expired
  keys="$(sed -n 's/^\[info\] \([0-9]*\) keys read.*/\1/p' <<<"${out}")"
  expires="$(sed -n 's/^\[info\] \([0-9]*\) expires.*/\1/p' <<<"${out}")"
  expired="$(sed -n 's/^\[info\] \([0-9]*\) already expired.*/\1/p' <<<"${out}")"
  jq -n --argjson k "${keys:-0}" --argjson e "${expires:-0}" --argjson x "${expired:-0}" \
    '{keys: $k, expires: $e, already_expired: $x}'
}

# redis_keys <container>: the number of keys over all databases (INFO keyspace).
redis_keys() {
  redis_cli "$1" INFO keyspace | tr -d '\r' | sed -n 's/^db[0-9]*:keys=\([0-9]*\),.*/\1/p' |
    awk '{ n += $1 } END { print n + 0 }'
}

redis_loaded() {
  [[ "$(redis_cli "$1" PING 2>/dev/null | tr -d '\r')" == PONG ]] &&
    [[ "$(redis_info_field "$1" persistence loading)" == 0 ]]
}

# redis_restore <container> <deadline-s>: stops the service's container, replaces the data in its
# volume with the RDB read from stdin, loads it once with the AOF off, turns the AOF on (Redis
# rewrites it from memory) and starts the container again, which then loads that AOF.
redis_restore() {
  local id="$1"
  local deadline_s="$2"
  local volume
  local image
  volume="$(container_volume "${id}" /data)"
  image="$(container_image "${id}")"
  if [[ -z "${volume}" ]]; then
    err "redis: container ${id:0:12} has no volume at /data"
    return 1
  fi
  docker stop -t 30 "${id}" >/dev/null || return 1
  # shellcheck disable=SC2016 # expanded inside the container.
  if ! docker run --rm -i --network none -v "${volume}:/data" --entrypoint sh "${image}" -c \
    'rm -rf /data/appendonlydir /data/appendonly.aof* /data/*.rdb && cat >/data/dump.rdb && chown -R redis:redis /data'; then
    err "redis: could not write the RDB into volume ${volume}"
    return 1
  fi
  local loader="${volume}-restore-$$"
  docker run -d --name "${loader}" --network none -v "${volume}:/data" "${image}" \
    redis-server --appendonly no --dir /data --dbfilename dump.rdb >/dev/null || return 1
  local ok=0
  if retry_until "${deadline_s}" 0.5 redis_loaded "${loader}" &&
    [[ "$(redis_cli "${loader}" CONFIG SET appendonly yes | tr -d '\r')" == OK ]] &&
    retry_until "${deadline_s}" 0.5 redis_aof_written "${loader}"; then
    ok=1
  fi
  redis_cli "${loader}" SHUTDOWN >/dev/null 2>&1 || true
  docker wait "${loader}" >/dev/null 2>&1 || true
  if ((!ok)); then
    err "redis: loading the RDB or writing the AOF failed: $(docker logs --tail 5 "${loader}" 2>&1 | tr '\n' ' ')"
    docker rm -f "${loader}" >/dev/null 2>&1 || true
    return 1
  fi
  docker rm -f "${loader}" >/dev/null 2>&1 || true
  docker start "${id}" >/dev/null || return 1
  retry_until "${deadline_s}" 0.5 redis_loaded "${id}" || {
    err "redis: the restored server did not come up"
    return 1
  }
}

redis_aof_written() {
  local id="$1"
  [[ "$(redis_info_field "${id}" persistence aof_enabled)" == 1 ]] &&
    [[ "$(redis_info_field "${id}" persistence aof_rewrite_in_progress)" == 0 ]] &&
    [[ "$(redis_info_field "${id}" persistence aof_rewrite_scheduled)" == 0 ]] &&
    [[ "$(redis_info_field "${id}" persistence aof_last_bgrewrite_status)" == ok ]]
}
