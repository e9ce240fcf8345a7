#!/usr/bin/env bats
# scripts/lib/disk-usage.sh and scripts/disk-report.sh with PATH stubs for df and docker: one figure per
# file system (paths on one file system share it), df's Use%, Docker's byte counts, bad input reported.

setup() {
  REPO_ROOT="$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)"
  load lib/stubs
  STUB_PID=""
  BIN="${BATS_TEST_TMPDIR}/bin"
  mkdir -p "${BIN}"
  # df: / and /var/lib/docker on one file system (91 % used), /srv/es on another (40 %).
  cat >"${BIN}/df" <<'STUB'
#!/usr/bin/env bash
echo "Mounted on 1B-blocks Used Avail"
case "${!#}" in
  /srv/es*) echo "/srv 1000 400 600" ;;
  /missing) echo "df: /missing: No such file or directory" >&2; exit 1 ;;
  *) echo "/ 1000 910 90" ;;
esac
STUB
  cat >"${BIN}/docker" <<'STUB'
#!/usr/bin/env bash
case "$1 $2" in
  "info -f") echo /var/lib/docker ;;
  "volume inspect") echo /srv/es/volumes/switchyard-elk_elasticsearch-data/_data ;;
  *) exit 1 ;;
esac
STUB
  chmod +x "${BIN}/df" "${BIN}/docker"
  export PATH="${BIN}:${PATH}"
  # shellcheck source=scripts/lib/common.sh
  source "${REPO_ROOT}/scripts/lib/common.sh"
  # shellcheck source=scripts/lib/disk-usage.sh
  source "${REPO_ROOT}/scripts/lib/disk-usage.sh"
}

teardown() {
  stop_stub
}

@test "disk_paths: root, Docker's data root and the Elasticsearch data volume" {
  run disk_paths
  [ "${output}" = $'root=/\ndocker=/var/lib/docker\nelasticsearch-data=/srv/es/volumes/switchyard-elk_elasticsearch-data/_data' ]
}

@test "one figure per file system, with every role on it and df's Use%" {
  run disk_usage_docs h1 root=/ docker=/var/lib/docker elasticsearch-data=/srv/es/data
  [ "${status}" -eq 0 ]
  [ "${#lines[@]}" -eq 2 ]
  run jq -sc 'map({m: .disk.mount, r: .disk.roles, p: .disk.used_pct, a: .disk.avail_bytes, h: .host.name,
    d: .event.dataset})' <<<"${output}"
  [ "${output}" = '[{"m":"/","r":["root","docker"],"p":91,"a":90,"h":"h1","d":"switchyard.disk"},{"m":"/srv","r":["elasticsearch-data"],"p":40,"a":600,"h":"h1","d":"switchyard.disk"}]' ]
}

@test "a path df cannot measure is reported and skipped; none at all fails" {
  run disk_usage_docs h1 root=/ extra=/missing
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"df failed for /missing"* ]]
  run disk_usage_docs h1 extra=/missing not-a-pair
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"expected role=/path, got 'not-a-pair'"* ]]
}

@test "docker_usage_doc: byte counts from the engine's /system/df" {
  mkdir -p "${BIN}"
  cat >"${BIN}/curl" <<'STUB'
#!/usr/bin/env bash
echo '{"LayersSize":5000,"Images":[{"Size":3000},{"Size":2000}],"Volumes":[{"UsageData":{"Size":700}},{"UsageData":{"Size":-1}}],"Containers":[{"SizeRw":30}],"BuildCache":[{"Size":9}]}'
STUB
  chmod +x "${BIN}/curl"
  run docker_usage_doc h1
  [ "$(jq -c '.docker' <<<"${output}")" = '{"images_bytes":5000,"images_count":2,"volumes_bytes":700,"volumes_count":2,"containers_bytes":30,"containers_count":1,"build_cache_bytes":9}' ]
}

@test "disk-report.sh sends every figure to Logstash's metrics port in one connection" {
  got="${BATS_TEST_TMPDIR}/received.jsonl"
  start_stub tcp_stub.py collect "${got}"
  run env ELK_HOST=127.0.0.1 ELK_LOGSTASH_METRICS_PORT="${STUB_PORT}" DISK_REPORT_HOST_NAME=h1 \
    DOCKER_SOCKET=/nonexistent "${REPO_ROOT}/scripts/disk-report.sh" prod
  [ "${status}" -eq 0 ]
  wait_for_lines "${got}" 2
  [ "$(jq -r '.disk.mount' "${got}" | sort | tr '\n' ' ')" = "/ /srv " ]
  run env ELK_HOST= "${REPO_ROOT}/scripts/disk-report.sh" prod
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"no ELK for env prod"* ]]
}
