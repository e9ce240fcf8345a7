# shellcheck shell=bash
# Disk figures of this host as JSON lines for Elasticsearch (index switchyard-host-metrics-*, through
# Logstash's TCP input on ELK_LOGSTASH_METRICS_PORT). Sourced, never executed; needs common.sh.
#
#   disk_paths                     role=path lines: root, Docker's data root, the Elasticsearch data volume
#                                  when this host runs the ELK stack, and DISK_REPORT_EXTRA_PATHS
#   disk_usage_docs <host> <role=path>...
#                                  one line per file system (df's mount point): the roles and paths on it,
#                                  size, used, available, used_pct (df's Use%: used / (used + available))
#   docker_usage_doc <host>        one line: bytes and counts of images, volumes, containers, build cache
#                                  (Docker's own /system/df figures)

# disk_paths: what to watch on this host.
disk_paths() {
  echo "root=/"
  local dir
  if dir="$(docker info -f '{{.DockerRootDir}}' 2>/dev/null)" && [[ -n "${dir}" ]]; then
    echo "docker=${dir}"
  fi
  if dir="$(docker volume inspect -f '{{.Mountpoint}}' "${ELK_ES_DATA_VOLUME:-switchyard-elk_elasticsearch-data}" 2>/dev/null)" &&
    [[ -n "${dir}" ]]; then
    echo "elasticsearch-data=${dir}"
  fi
  local extra
  for extra in ${DISK_REPORT_EXTRA_PATHS:-}; do
    echo "${extra}"
  done
}

disk_usage_docs() {
  local host="$1"
  shift
  local now
  local pair
  local rows=""
  local row
  now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  for pair in "$@"; do
    if [[ "${pair}" != *=/* ]]; then
      err "disk report: expected role=/path, got '${pair}'"
      continue
    fi
    # --output: one line per file system whatever the length of its name (like -P); bytes, not blocks.
    if ! row="$(df -B1 --output=target,size,used,avail "${pair#*=}" 2>/dev/null | awk 'NR == 2 {print $1, $2, $3, $4}')" ||
      [[ -z "${row}" ]]; then
      err "disk report: df failed for ${pair#*=} (${pair%%=*})"
      continue
    fi
    rows+="${pair%%=*} ${pair#*=} ${row}"$'\n'
  done
  [[ -n "${rows}" ]] || return 1
  jq -cR --arg host "${host}" --arg now "${now}" '
    [inputs | split(" ") | {role: .[0], path: .[1], mount: .[2], size: (.[3] | tonumber),
                            used: (.[4] | tonumber), avail: (.[5] | tonumber)}]
    | group_by(.mount)[]
    | {"@timestamp": $now, event: {kind: "metric", dataset: "switchyard.disk"}, host: {name: $host},
       disk: {mount: .[0].mount, roles: map(.role), paths: map(.path), size_bytes: .[0].size,
              used_bytes: .[0].used, avail_bytes: .[0].avail,
              used_pct: (if (.[0].used + .[0].avail) > 0
                         then (.[0].used * 1000 / (.[0].used + .[0].avail) | round) / 10 else 0 end)}}' \
    <<<"x"$'\n'"${rows%$'\n'}"
}

# docker_usage_doc <host>: Docker's disk usage in bytes, from the engine API (exact, not `docker system
# df`'s rounded text). Fails when the engine does not answer in DISK_REPORT_DOCKER_TIMEOUT_S.
docker_usage_doc() {
  local host="$1"
  local socket="${DOCKER_SOCKET:-/var/run/docker.sock}"
  local df
  df="$(curl -fsS --max-time "${DISK_REPORT_DOCKER_TIMEOUT_S:-60}" --unix-socket "${socket}" http://localhost/system/df)" ||
    return 1
  jq -c --arg host "${host}" --arg now "$(date -u +%Y-%m-%dT%H:%M:%SZ)" '
    {"@timestamp": $now, event: {kind: "metric", dataset: "switchyard.docker"}, host: {name: $host},
     docker: {images_bytes: (.LayersSize // 0), images_count: ((.Images // []) | length),
              volumes_bytes: ([(.Volumes // [])[] | .UsageData.Size // 0 | select(. > 0)] | add // 0),
              volumes_count: ((.Volumes // []) | length),
              containers_bytes: ([(.Containers // [])[] | .SizeRw // 0] | add // 0),
              containers_count: ((.Containers // []) | length),
              build_cache_bytes: ([(.BuildCache // [])[] | .Size // 0] | add // 0)}}' <<<"${df}"
}
