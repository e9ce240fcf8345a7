#!/usr/bin/env bats
# Verify through nginx (n consecutive answers from the new color, one curl per batch) and the
# content hash that decides whether an image is rebuilt. curl and docker are PATH stubs.

bats_require_minimum_version 1.5.0

setup() {
  load deploy_helpers
  deploy_setup
  # shellcheck source=scripts/lib/images.sh
  source "${REPO_ROOT}/scripts/lib/images.sh"
  NGINX_URL=http://127.0.0.1:18000
}

# curl_colors <file>: a curl stub that answers each URL it is given with the next line of <file>
# ("<status> <color>") as curl 7.74 (Debian 11; Ubuntu 22.04 has 7.81) does: the response, headers
# included with -i, goes to that URL's -o file; -w expands %{http_code} but prints %header{...} as it is
# (%header{} came with 7.84).
curl_colors() {
  local answers="$1"
  stub curl "
pos=\$(cat '${BATS_TEST_TMPDIR}/pos' 2>/dev/null || echo 0)
include=0 out='' fmt=''
while ((\$# > 0)); do
  case \"\$1\" in
    -i) include=1 ;;
    -o) out=\"\$2\"; shift ;;
    -w) fmt=\"\$2\"; shift ;;
    --parallel-max | --max-time) shift ;;
    http*)
      pos=\$((pos + 1))
      read -r code color < <(sed -n \"\${pos}p\" '${answers}')
      response=\$(printf 'HTTP/1.1 %s X\\r\\nContent-Type: application/json\\r\\nX-App-Color: %s\\r\\n\\r\\n{\"status\":\"UP\"}' \"\${code}\" \"\${color}\")
      body='{\"status\":\"UP\"}'
      if ((include)); then body=\"\${response}\"; fi
      if [[ -n \"\${out}\" && \"\${out}\" != /dev/null ]]; then printf '%s' \"\${body}\" >\"\${out}\"; fi
      if [[ -n \"\${fmt}\" ]]; then f=\"\${fmt//%\\{http_code\\}/\${code}}\"; f=\"\${f//\\\\n/\$'\\n'}\"; printf '%s' \"\${f}\"; fi
      out=''
      ;;
  esac
  shift
done
echo \"\${pos}\" >'${BATS_TEST_TMPDIR}/pos'"
}

@test "verify: n answers from the new color in one batch succeed with one curl call, on liveness" {
  printf '200 green\n%.0s' 1 2 3 4 5 >"${BATS_TEST_TMPDIR}/answers"
  curl_colors "${BATS_TEST_TMPDIR}/answers"
  run nginx_verify_color green 5 5
  [ "${status}" -eq 0 ]
  [ "$(wc -l <"${STUB_LOG}")" -eq 1 ]
  [ "$(grep -o 'http://127.0.0.1:18000/actuator/health/liveness' "${STUB_LOG}" | wc -l)" -eq 5 ]
}

@test "verify works with a curl older than 7.84 (no %header{}): Ubuntu 22.04, Debian 11" {
  printf '200 green\n%.0s' 1 2 3 >"${BATS_TEST_TMPDIR}/answers"
  curl_colors "${BATS_TEST_TMPDIR}/answers"
  run nginx_verify_color green 3 2
  [ "${status}" -eq 0 ]
  run ! grep -q '%header' "${STUB_LOG}"
}

@test "verify: an old-color answer or a non-2xx answer resets the streak" {
  printf '%s\n' '200 green' '200 blue' '502 green' '200 green' '200 green' '200 green' >"${BATS_TEST_TMPDIR}/answers"
  curl_colors "${BATS_TEST_TMPDIR}/answers"
  run nginx_verify_color green 3 5
  [ "${status}" -eq 0 ]
  # 3 asked, streak reset at the 3rd answer; then 3 more asked.
  [ "$(wc -l <"${STUB_LOG}")" -eq 2 ]
}

@test "response_color: 2xx with the header names the color; anything else is -" {
  printf 'HTTP/1.1 200 OK\r\nX-App-Color: blue\r\n\r\nbody X-App-Color: green\n' >"${BATS_TEST_TMPDIR}/r1"
  printf 'HTTP/1.1 503 Service Unavailable\r\nX-App-Color: blue\r\n\r\n' >"${BATS_TEST_TMPDIR}/r2"
  printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n' >"${BATS_TEST_TMPDIR}/r3"
  [ "$(response_color "${BATS_TEST_TMPDIR}/r1")" = blue ]
  [ "$(response_color "${BATS_TEST_TMPDIR}/r2")" = - ]
  [ "$(response_color "${BATS_TEST_TMPDIR}/r3")" = - ]
  [ "$(response_color "${BATS_TEST_TMPDIR}/missing")" = - ]
}

@test "verify: never reaching the new color fails at the deadline, naming what it saw" {
  printf '200 blue\n%.0s' $(seq 1 200) >"${BATS_TEST_TMPDIR}/answers"
  curl_colors "${BATS_TEST_TMPDIR}/answers"
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
