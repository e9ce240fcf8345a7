#!/usr/bin/env bats
# The snapshot manifest: counts read from the dumps, and the comparison a restore reports.

setup() {
  load backup_helpers
  backup_setup
  M="${BATS_TEST_TMPDIR}/manifest.json"
  R="${BATS_TEST_TMPDIR}/restored.json"
  cat >"${M}" <<'JSON'
{"format": 1, "env": "dev", "kind": "scheduled", "stores": {
  "mysql": {"file": "mysql.sql", "database": "switchyard", "tables": {"users": 3, "chat_rooms": 0}},
  "redis": {"file": "redis.rdb", "keys": 10, "expires": 2, "already_expired": 0},
  "mongo": {"file": "mongo.archive", "database": "switchyard", "collections": {"switchyard.messages": 5}}}}
JSON
}

@test "counts read from a mysqldump: one INSERT per row, empty tables too" {
  cat >"${BATS_TEST_TMPDIR}/dump.sql" <<'SQL'
-- MariaDB dump
CREATE DATABASE /*!32312 IF NOT EXISTS*/ `switchyard`;
CREATE TABLE `users` (
  `id` bigint NOT NULL
);
set autocommit=0;
INSERT INTO `users` VALUES (1,'a');
INSERT INTO `users` VALUES (2,'INSERT INTO `chat_rooms` VALUES (9)');
INSERT INTO `users` VALUES (3,'c\nd');
commit;
CREATE TABLE `chat_rooms` (
  `id` bigint NOT NULL
);
/*!50001 CREATE TABLE `a_view` (
-- Dump completed
SQL
  run mysql_dump_counts "${BATS_TEST_TMPDIR}/dump.sql"
  [ "$(jq -c . <<<"${output}")" = '{"users":3,"chat_rooms":0}' ]
}

@test "counts read from mongodump's log, singular and plural" {
  printf '%s\n' "2024-01-01T00:00:00.000+0000	writing switchyard.messages to archive on stdout" \
    "2024-01-01T00:00:00.000+0000	done dumping switchyard.messages (5 documents)" \
    "2024-01-01T00:00:00.000+0000	done dumping switchyard.read_marks (1 document)" >"${BATS_TEST_TMPDIR}/dump.log"
  run mongo_dump_counts "${BATS_TEST_TMPDIR}/dump.log"
  [ "$(jq -c . <<<"${output}")" = '{"switchyard.messages":5,"switchyard.read_marks":1}' ]
}

@test "every count matching: status 0 and one line per object" {
  echo '{"mysql": {"tables": {"users": 3, "chat_rooms": 0}}, "redis": {"keys": 9}, "mongo": {"collections": {"switchyard.messages": 5}}}' >"${R}"
  run manifest_compare "${M}" "${R}"
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"mysql  users"*"3"*"3  ok"* ]]
  [[ "${output}" == *"redis  keys"*"8-10"*"9  ok"* ]]
  [[ "${output}" == *"all 4 count(s) match"* ]]
}

@test "a table with fewer rows, a missing collection or too few keys: status 1, each named" {
  echo '{"mysql": {"tables": {"users": 2, "chat_rooms": 0}}, "redis": {"keys": 7}, "mongo": {"collections": {}}}' >"${R}"
  run manifest_compare "${M}" "${R}"
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"users"*"3"*"2  MISMATCH"* ]]
  [[ "${output}" == *"switchyard.messages"*"5"*"-1  MISMATCH"* ]]
  [[ "${output}" == *"keys"*"8-10"*"7  MISMATCH"* ]]
  [[ "${output}" == *"3 of 4 count(s) differ"* ]]
}

@test "more Redis keys than the snapshot had is a mismatch too" {
  echo '{"mysql": {"tables": {"users": 3, "chat_rooms": 0}}, "redis": {"keys": 11}, "mongo": {"collections": {"switchyard.messages": 5}}}' >"${R}"
  run manifest_compare "${M}" "${R}"
  [ "${status}" -eq 1 ]
}

@test "a manifest with nothing to compare is a failure, not a pass" {
  echo '{"format": 1, "stores": {}}' >"${M}"
  echo '{}' >"${R}"
  run manifest_compare "${M}" "${R}"
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"lists no table"* ]]
}

@test "manifest_check refuses a missing manifest and another format" {
  echo 'not json' >"${M}"
  run manifest_check "${M}"
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"not a Switchyard backup"* ]]
  echo '{"format": 2}' >"${M}"
  run manifest_check "${M}"
  [[ "${output}" == *"format 2"* ]]
}

@test "manifest_build: the env, kind, image and stores" {
  BACKUP_HOST=h1
  run manifest_build prod before-deploy switchyard:2 '{"mysql": {"file": "mysql.sql"}}'
  [ "$(jq -r '[.format, .env, .kind, .host, .image, .stores.mysql.file] | join(" ")' <<<"${output}")" = "1 prod before-deploy h1 switchyard:2 mysql.sql" ]
  run manifest_build prod scheduled "" '{}'
  [ "$(jq -r 'has("image")' <<<"${output}")" = false ]
}
