#!/usr/bin/env bats
# Pre-migration snapshots: which Flyway versions an image brings that the database lacks.

setup() {
  load backup_helpers
  backup_setup
}

@test "versions are compared the way Flyway does" {
  run migration_version_normalize <<<$'1\n01\n1.0\n1_1\n2.10\n2.1.0\n0.5'
  [ "${output}" = $'1\n1\n1\n1.1\n2.10\n2.1\n0.5' ]
}

@test "versioned migrations are read from a jar listing; repeatable ones and other files are not" {
  run migration_versions_in_jar_listing <<<$'META-INF/MANIFEST.MF\ndb/migration/V1__create_users.sql\ndb/migration/V10__create_chat_rooms.sql\ndb/migration/R__views.sql\nBOOT-INF/classes/db/migration/V2_1__x.sql\ndb/migration/V3__notes.txt\nother/V4__x.sql'
  [ "${output}" = $'1\n10\n2.1' ]
}

@test "pending: in the image, not applied" {
  printf '%s\n' 1 10 11 2.1 >"${BATS_TEST_TMPDIR}/image"
  printf '%s\n' 1 10 2.1.0 >"${BATS_TEST_TMPDIR}/applied"
  run pending_migrations "${BATS_TEST_TMPDIR}/image" "${BATS_TEST_TMPDIR}/applied"
  [ "${output}" = 11 ]
  printf '%s\n' 1 10 11 2.1 >"${BATS_TEST_TMPDIR}/applied"
  run pending_migrations "${BATS_TEST_TMPDIR}/image" "${BATS_TEST_TMPDIR}/applied"
  [ -z "${output}" ]
}

@test "a fresh database (nothing applied): every migration is pending" {
  printf '%s\n' 1 10 >"${BATS_TEST_TMPDIR}/image"
  : >"${BATS_TEST_TMPDIR}/applied"
  run pending_migrations "${BATS_TEST_TMPDIR}/image" "${BATS_TEST_TMPDIR}/applied"
  [ "${output}" = $'1\n10' ]
}
