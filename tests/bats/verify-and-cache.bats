#!/usr/bin/env bats
# Verify through nginx (n consecutive answers from the new color, one curl per batch) and the
# content hash that decides whether an image is rebuilt. curl and docker are PATH stubs.

setup() {
  load deploy_helpers
  deploy_setup
  # shellcheck source=scripts/lib/images.sh
  source "${REPO_ROOT}/scripts/lib/images.sh"
  NGINX_URL=http://127.0.0.1:18000
}

# curl_colors <file>: a curl stub that prints the next line of <file> per URL it is given
# ("<status> <color>", as -w '%{http_code} %header{x-app-color}\n' does).
curl_colors() {
  local answers="$1"
  stub curl "
n=0; for a in \"\$@\"; do [[ \"\$a\" == http* ]] && n=\$((n + 1)); done
pos=\$(cat '${BATS_TEST_TMPDIR}/pos' 2>/dev/null || echo 0)
sed -n \"\$((pos + 1)),\$((pos + n))p\" '${answers}'
echo \$((pos + n)) >'${BATS_TEST_TMPDIR}/pos'"
}

@test "verify: n answers from the new color in one batch succeed with one curl call" {
  printf '200 green\n%.0s' 1 2 3 4 5 >"${BATS_TEST_TMPDIR}/answers"
  curl_colors "${BATS_TEST_TMPDIR}/answers"
  run nginx_verify_color green 5 5
  [ "${status}" -eq 0 ]
  [ "$(wc -l <"${STUB_LOG}")" -eq 1 ]
  [ "$(grep -o 'http://127.0.0.1:18000/actuator/health/readiness' "${STUB_LOG}" | wc -l)" -eq 5 ]
}

@test "verify: an old-color answer or a non-2xx answer resets the streak" {
  printf '%s\n' '200 green' '200 blue' '502 green' '200 green' '200 green' '200 green' >"${BATS_TEST_TMPDIR}/answers"
  curl_colors "${BATS_TEST_TMPDIR}/answers"
  run nginx_verify_color green 3 5
  [ "${status}" -eq 0 ]
  # 3 asked, streak reset at the 3rd answer; then 3 more asked.
  [ "$(wc -l <"${STUB_LOG}")" -eq 2 ]
}

@test "verify: never reaching the new color fails at the deadline, naming what it saw" {
  stub curl 'for a in "$@"; do [[ "$a" == http* ]] && echo "200 blue"; done; true'
  run nginx_verify_color green 3 1
  [ "${status}" -eq 1 ]
  [[ "${output}" == *"0/3 consecutive responses from green (last: 'blue')"* ]]
}

@test "content hash: stable for the same inputs, changes with a file's content or a string" {
  mkdir -p "${BATS_TEST_TMPDIR}/ctx/sub"
  echo a >"${BATS_TEST_TMPDIR}/ctx/sub/f"
  echo b >"${BATS_TEST_TMPDIR}/file"
  local h1 h2 h3 h4
  h1="$(content_hash x -- "${BATS_TEST_TMPDIR}/ctx" "${BATS_TEST_TMPDIR}/file")"
  h2="$(content_hash x -- "${BATS_TEST_TMPDIR}/ctx" "${BATS_TEST_TMPDIR}/file")"
  [ "${h1}" = "${h2}" ]
  [[ "${h1}" =~ ^[0-9a-f]{16}$ ]]
  echo c >"${BATS_TEST_TMPDIR}/ctx/sub/f"
  h3="$(content_hash x -- "${BATS_TEST_TMPDIR}/ctx" "${BATS_TEST_TMPDIR}/file")"
  [ "${h3}" != "${h1}" ]
  h4="$(content_hash y -- "${BATS_TEST_TMPDIR}/ctx" "${BATS_TEST_TMPDIR}/file")"
  [ "${h4}" != "${h3}" ]
}

@test "image_has_hash: true only when the image's label carries exactly that hash" {
  stub docker 'echo abc123'
  run image_has_hash mysql:8.4 abc123
  [ "${status}" -eq 0 ]
  grep -q 'docker image inspect -f .*dev.switchyard.content-hash.* mysql:8.4' "${STUB_LOG}"
  run image_has_hash mysql:8.4 other
  [ "${status}" -ne 0 ]
  stub docker 'exit 1'
  run image_has_hash mysql:8.4 abc123
  [ "${status}" -ne 0 ]
}
