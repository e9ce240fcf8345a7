#!/usr/bin/env bats
# jenkins/collect-deploy-history.sh: deploy history copied into the workspace for archiving.

setup() {
  SCRIPT="${BATS_TEST_DIRNAME}/../collect-deploy-history.sh"
  export SWITCHYARD_STATE_DIR="${BATS_TEST_TMPDIR}/state"
  DEST="${BATS_TEST_TMPDIR}/workspace/target/deploy"
  unset HISTORY_LINES
}

write_history() {
  local env_name="$1"
  local count="$2"
  mkdir -p "${SWITCHYARD_STATE_DIR}/${env_name}"
  local i
  for ((i = 1; i <= count; i++)); do
    printf '{"deploy":{"id":"%s-%d","env":"%s","result":"ok"}}\n' "${env_name}" "${i}" "${env_name}"
  done >"${SWITCHYARD_STATE_DIR}/${env_name}/history.jsonl"
}

@test "copies the environment's history into <dest>/<env>-history.jsonl" {
  write_history prod 3
  write_history dev 1

  run "${SCRIPT}" prod "${DEST}"

  [ "${status}" -eq 0 ]
  cmp "${SWITCHYARD_STATE_DIR}/prod/history.jsonl" "${DEST}/prod-history.jsonl"
  [ ! -e "${DEST}/dev-history.jsonl" ]
}

@test "keeps only the last HISTORY_LINES deploys" {
  write_history dev 10
  HISTORY_LINES=2 run "${SCRIPT}" dev "${DEST}"
  [ "${status}" -eq 0 ]
  [ "$(cat "${DEST}/dev-history.jsonl")" = '{"deploy":{"id":"dev-9","env":"dev","result":"ok"}}
{"deploy":{"id":"dev-10","env":"dev","result":"ok"}}' ]
}

@test "no history yet is logged, not an error" {
  run "${SCRIPT}" dev "${DEST}"
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"no deploy history"* ]]
  [ ! -e "${DEST}/dev-history.jsonl" ]
}

@test "usage errors exit 2" {
  run "${SCRIPT}" staging "${DEST}"
  [ "${status}" -eq 2 ]
  run "${SCRIPT}" prod
  [ "${status}" -eq 2 ]
  write_history prod 1
  HISTORY_LINES=0 run "${SCRIPT}" prod "${DEST}"
  [ "${status}" -eq 2 ]
}
