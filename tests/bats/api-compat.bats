#!/usr/bin/env bats
# api_compat_gate (scripts/lib/api-compat.sh): which documents it reads, when it judges, what it decides.
# docker and java are PATH stubs: docker cp answers a tar of the image's document from ${DOCS}/<name>_<tag>.json,
# else ${DOCS}/<name>.json (one document for every tag).

load deploy_helpers

setup() {
  deploy_setup
  # shellcheck source=scripts/lib/api-compat.sh
  source "${REPO_ROOT}/scripts/lib/api-compat.sh"
  DOCS="${BATS_TEST_TMPDIR}/docs"
  mkdir -p "${DOCS}"
  export DOCS
  stub docker '
case "$1" in
  create) echo "cid-$4" ;;
  cp) image="${2%:/*}"; image="${image#cid-}"; f="${DOCS}/${image//[:\/]/_}.json"
      [[ -f "${f}" ]] || f="${DOCS}/${image%%:*}.json"
      [[ -f "${f}" ]] || exit 1
      tar -C "$(dirname "${f}")" -cf - "$(basename "${f}")" ;;
  rm) ;;
esac'
  # the gate's verdict: JAVA_EXIT (default 0)
  stub java 'exit "${JAVA_EXIT:-0}"'
  api_compat_jar() { echo /gate.jar; }
}

@test "no live release: nothing to compare, nothing read" {
  run api_compat_gate "" app:2
  [ "${status}" -eq 0 ]
  ! grep -q '^docker' "${STUB_LOG}"
}

@test "compatible: both documents read from the images, never started" {
  echo '{}' >"${DOCS}/app.json"
  echo '{"v": 2}' >"${DOCS}/app_2.json"
  run api_compat_gate app:1 app:2
  [ "${status}" -eq 0 ]
  grep -q '^docker create --network none app:2' "${STUB_LOG}"
  grep -q '^docker create --network none app:1' "${STUB_LOG}"
  grep -q '^java -jar /gate.jar .*/live.json .*/new.json' "${STUB_LOG}"
  ! grep -q '^docker \(start\|run\)' "${STUB_LOG}"
}

@test "identical documents: compatible without running the comparison" {
  echo '{}' >"${DOCS}/app.json"
  run api_compat_gate app:1 app:2
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"identical"* ]]
  ! grep -q '^java' "${STUB_LOG}"
}

@test "breaking: refused" {
  echo '{}' >"${DOCS}/app.json"
  echo '{"v": 2}' >"${DOCS}/app_2.json"
  JAVA_EXIT=1 run api_compat_gate app:1 app:2
  [ "${status}" -eq 1 ]
  grep -q '^java -jar /gate.jar .*/live.json .*/new.json' "${STUB_LOG}"
}

@test "ALLOW_BREAKING_API=1 asks the gate to report and pass" {
  echo '{}' >"${DOCS}/app.json"
  echo '{"v": 2}' >"${DOCS}/app_2.json"
  ALLOW_BREAKING_API=1 run api_compat_gate app:1 app:2
  [ "${status}" -eq 0 ]
  grep -q '^java -jar /gate.jar --allow-breaking ' "${STUB_LOG}"
}

@test "a new image without a document cannot be judged: refused" {
  run api_compat_gate old:1 new:2
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"has no API document"* ]]
  ! grep -q '^java' "${STUB_LOG}"
}

@test "a live release from before the document: nothing to compare" {
  echo '{}' >"${DOCS}/new.json"
  run api_compat_gate old:1 new:2
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"older than the gate"* ]]
  ! grep -q '^java' "${STUB_LOG}"
}

@test "a kit without tools/api-compat (a fleet host): the gate says it did not run, and the deploy goes on" {
  echo '{}' >"${DOCS}/app.json"
  API_COMPAT_MODULE="${BATS_TEST_TMPDIR}/no-such-module" run api_compat_gate app:1 app:2
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"the gate did not run on this host (no tools/api-compat in this kit)"* ]]
  ! grep -q '^java' "${STUB_LOG}"
}

@test "API_COMPAT_REQUIRED=1: a host that cannot run the gate refuses the deploy" {
  echo '{}' >"${DOCS}/app.json"
  API_COMPAT_REQUIRED=1 API_COMPAT_MODULE="${BATS_TEST_TMPDIR}/no-such-module" run api_compat_gate app:1 app:2
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"cannot run here (no tools/api-compat in this kit) and API_COMPAT_REQUIRED=1"* ]]
}
