# shellcheck shell=bash
# The manifest every snapshot carries (/manifest.json): what was dumped, from which image, file
# sizes and sha256, and the counts read from the dumps themselves. A restore compares the restored
# stores' counts against it. Sourced; needs jq.
#
#   {"format": 1, "env": "prod", "kind": "scheduled", "host": "...", "created": "<UTC ISO 8601>",
#    "image": "<app image, before-deploy only>",
#    "stores": {
#      "mysql": {"file": "mysql.sql", "database": "switchyard", "image": "mysql:8.4", "bytes": n,
#                "sha256": "...", "tables": {"users": n, ...}},
#      "redis": {"file": "redis.rdb", "image": "redis:7.2", "bytes": n, "sha256": "...",
#                "keys": n, "expires": n, "already_expired": n},
#      "mongo": {"file": "mongo.archive", "database": "switchyard", "image": "mongo:7.0", "bytes": n,
#                "sha256": "...", "collections": {"switchyard.messages": n, ...}}}}
#
# Restored counts: {"mysql": {"tables": {...}}, "redis": {"keys": n}, "mongo": {"collections": {...}}}
# Rules: every manifest table and collection is there with exactly its count; Redis has at least its
# keys without a TTL and at most the keys that had not expired at backup time (keys with a TTL may
# expire in between).

readonly MANIFEST_FORMAT=1

# manifest_file_entry <file> <json-object-of-extra-fields>: {"file", "bytes", "sha256"} + extras.
manifest_file_entry() {
  local file="$1"
  local extra="$2"
  local bytes
  local sum
  bytes="$(stat -c '%s' "${file}")"
  sum="$(sha256sum "${file}" | cut -d' ' -f1)"
  jq -c -n --arg f "${file##*/}" --argjson b "${bytes}" --arg s "${sum}" --argjson x "${extra}" \
    '{file: $f, bytes: $b, sha256: $s} + $x'
}

# manifest_build <env> <kind> <image|""> <stores-json>: the whole manifest.
manifest_build() {
  jq -n --argjson format "${MANIFEST_FORMAT}" --arg env "$1" --arg kind "$2" --arg image "$3" \
    --argjson stores "$4" --arg host "${BACKUP_HOST}" --arg created "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    '{format: $format, env: $env, kind: $kind, host: $host, created: $created}
     + (if $image == "" then {} else {image: $image} end) + {stores: $stores}'
}

# manifest_check <manifest-json-file>: a manifest this code can restore from.
manifest_check() {
  local format
  if ! format="$(jq -er '.format' "$1" 2>/dev/null)"; then
    err "the snapshot's manifest.json is missing or not JSON: not a Switchyard backup"
    return 1
  fi
  if [[ "${format}" != "${MANIFEST_FORMAT}" ]]; then
    err "the snapshot's manifest has format ${format}; this restore.sh reads format ${MANIFEST_FORMAT}"
    return 1
  fi
}

# manifest_stores <manifest-json-file>: the stores it holds, one per line.
manifest_stores() {
  jq -r '.stores | keys[]' "$1"
}

# manifest_compare <manifest-json-file> <restored-json-file>: prints one line per table, collection
# and key count (store, object, manifest, restored, ok|MISMATCH); returns 1 on any mismatch.
manifest_compare() {
  local rows
  rows="$(jq -r --slurpfile r "$2" '
    ($r[0]) as $got
    | [ (.stores.mysql.tables // {} | to_entries[]
          | {store: "mysql", object: .key, want: (.value | tostring), got: ($got.mysql.tables[.key] // -1),
             ok: (($got.mysql.tables[.key] // -1) == .value)}),
        (.stores.mongo.collections // {} | to_entries[]
          | {store: "mongo", object: .key, want: (.value | tostring), got: ($got.mongo.collections[.key] // -1),
             ok: (($got.mongo.collections[.key] // -1) == .value)}),
        (.stores.redis // empty
          | (.keys - .expires) as $min | (.keys - .already_expired) as $max | ($got.redis.keys // -1) as $n
          | {store: "redis", object: "keys",
             want: (if $min == $max then ($max | tostring) else "\($min)-\($max)" end), got: $n,
             ok: ($n >= $min and $n <= $max)}) ]
    | .[] | [.store, .object, .want, (.got | tostring), (if .ok then "ok" else "MISMATCH" end)] | @tsv
  ' "$1")" || return 1
  printf '%-6s %-32s %12s %12s  %s\n' store object manifest restored result
  local store object want got result
  local bad=0
  local n=0
  while IFS=$'\t' read -r store object want got result; do
    [[ -n "${store}" ]] || continue
    n=$((n + 1))
    printf '%-6s %-32s %12s %12s  %s\n' "${store}" "${object}" "${want}" "${got}" "${result}"
    [[ "${result}" == ok ]] || bad=$((bad + 1))
  done <<<"${rows}"
  if ((n == 0)); then
    err "the manifest lists no table, collection or key count to compare"
    return 1
  fi
  if ((bad > 0)); then
    err "${bad} of ${n} count(s) differ from the snapshot's manifest"
    return 1
  fi
  log "all ${n} count(s) match the snapshot's manifest"
}
