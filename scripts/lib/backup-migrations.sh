# shellcheck shell=bash
# Does an app image carry Flyway migrations the database has not applied yet? Decides whether a
# deploy gets a pre-migration snapshot. Sourced after common.sh, backup-containers.sh and
# backup-mysql.sh.
#
# The image's versions come from the jar's db/migration/V<version>__*.sql entries (read from a
# created, never started, container); the database's from flyway_schema_history (success = 1).
# Versions compare the way Flyway does: 1.01 == 1.1 and 2 == 2.0 (underscores are dots).

# migration_version_normalize: one version per line on stdin -> canonical form per line.
migration_version_normalize() {
  awk '
    NF {
      gsub(/_/, ".", $1); n = split($1, p, ".")
      while (n > 1 && p[n] + 0 == 0) n--
      out = ""
      for (i = 1; i <= n; i++) { v = p[i]; sub(/^0+/, "", v); if (v == "") v = "0"; out = out (i > 1 ? "." : "") v }
      print out
    }'
}

# migration_versions_in_jar_listing: jar entry names on stdin -> their versioned migrations' versions.
migration_versions_in_jar_listing() {
  sed -n -E 's#^(.*/)?db/migration/V([0-9][0-9._]*)__[^/]*\.sql$#\2#p' | migration_version_normalize | sort -u
}

# pending_migrations <image-versions-file> <applied-versions-file>: versions in the image that the
# database has not applied, one per line (both files: raw versions, one per line).
pending_migrations() {
  comm -23 <(migration_version_normalize <"$1" | sort -u) <(migration_version_normalize <"$2" | sort -u)
}

# image_jar_entries <image> <jar-path>: the entry names of the jar in the image (needs python3's
# zipfile: no unzip on the host, no JDK in the image).
image_jar_entries() {
  local image="$1"
  local jar="$2"
  local tmp
  local cid
  tmp="$(mktemp -d)"
  if ! cid="$(docker create "${image}" 2>/dev/null)"; then
    err "before-deploy: image ${image} not found on this host"
    rm -rf "${tmp}"
    return 1
  fi
  if ! docker cp "${cid}:${jar}" - 2>/dev/null | tar -x -C "${tmp}" 2>/dev/null; then
    docker rm -f "${cid}" >/dev/null 2>&1 || true
    rm -rf "${tmp}"
    err "before-deploy: ${image} has no ${jar} (BACKUP_APP_JAR)"
    return 1
  fi
  docker rm -f "${cid}" >/dev/null 2>&1 || true
  local ok=0
  python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' \
    "${tmp}/${jar##*/}" || ok=$?
  rm -rf "${tmp}"
  if ((ok != 0)); then
    err "before-deploy: ${jar} in ${image} is not a readable jar"
    return 1
  fi
}

# applied_migrations <mysql-container> <database>: successful versions in flyway_schema_history
# (nothing when the table does not exist yet: a fresh database).
applied_migrations() {
  local id="$1"
  local db="$2"
  local out
  if ! out="$(mysql_query "${id}" "${db}" "SHOW TABLES LIKE 'flyway_schema_history'" 2>&1)"; then
    err "before-deploy: cannot read the schema of ${db}: ${out}"
    return 1
  fi
  [[ -n "${out}" ]] || return 0
  mysql_query "${id}" "${db}" "SELECT version FROM flyway_schema_history WHERE success = 1 AND version IS NOT NULL"
}
