#!/usr/bin/env bats
# deploy.d/smoke_test.post, Switchyard's smoke test hook: 401 problem+json without a token; with a token
# for a user that does not exist, 404 problem+json (a read of the users table). curl is a PATH stub that
# answers as the app would and keeps the Authorization header it was given.

bats_require_minimum_version 1.5.0

setup() {
  load deploy_helpers
  deploy_setup
  HOOK="${REPO_ROOT}/deploy.d/smoke_test.post"
  export SWITCHYARD_TARGET_URL=http://127.0.0.1:8082
  export SWITCHYARD_APP_ENV_FILE="${BATS_TEST_TMPDIR}/app.env"
  SECRET="0123456789abcdef0123456789abcdef-smoke"
  printf 'SPRING_PROFILES_ACTIVE=prod\nJWT_SECRET=%s\n' "${SECRET}" >"${SWITCHYARD_APP_ENV_FILE}"
  export AUTHED_ANSWER="404 application/problem+json"
}

# The stub: -K <config> carries the header (as curl reads it); answers per token presence.
answer_stub() {
  stub curl '
config=""
while (($# > 0)); do
  case "$1" in -K) config="$2"; shift ;; esac
  shift
done
if [[ -n "${config}" ]]; then
  sed -n "s/^header = \"Authorization: Bearer \(.*\)\"$/\1/p" "${config}" >"${STUB_LOG}.token"
  printf "%s" "${AUTHED_ANSWER}"
else
  printf "401 application/problem+json"
fi'
}

@test "401 without a token and 404 for an unknown user: passed" {
  answer_stub
  run "${HOOK}"
  [ "$status" -eq 0 ]
  [[ "$output" == *"users table read"* ]]
}

@test "the token is a valid HS256 access token for user 0, kept off every command line" {
  answer_stub
  run "${HOOK}"
  [ "$status" -eq 0 ]
  local token
  token="$(cat "${STUB_LOG}.token")"
  [ -n "${token}" ]
  run ! grep -q -F "${token}" "${STUB_LOG}"
  run ! grep -q -F "${SECRET}" "${STUB_LOG}"
  TOKEN="${token}" SECRET="${SECRET}" python3 -c '
import base64, hashlib, hmac, json, os, time
head, body, sig = os.environ["TOKEN"].split(".")
pad = lambda s: s + "=" * (-len(s) % 4)
want = hmac.new(os.environ["SECRET"].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
assert base64.urlsafe_b64decode(pad(sig)) == want, "signature"
claims = json.loads(base64.urlsafe_b64decode(pad(body)))
assert json.loads(base64.urlsafe_b64decode(pad(head)))["alg"] == "HS256"
assert claims["iss"] == "switchyard" and claims["sub"] == "0", claims
assert claims["exp"] > time.time() > claims["iat"] - 5, claims'
}

@test "a 500 on the database read fails the hook, saying so" {
  AUTHED_ANSWER="500 application/problem+json"
  answer_stub
  run "${HOOK}"
  [ "$status" -eq 1 ]
  [[ "$output" == *"answered '500 application/problem+json', expected 404"* ]]
}

@test "no answer or a wrong answer without a token fails the hook" {
  stub curl 'exit 7'
  run "${HOOK}"
  [ "$status" -eq 1 ]
  [[ "$output" == *"without a token answered '000 none'"* ]]
}

@test "without JWT_SECRET the database read is skipped with a warning" {
  printf 'SPRING_PROFILES_ACTIVE=prod\n' >"${SWITCHYARD_APP_ENV_FILE}"
  answer_stub
  run "${HOOK}"
  [ "$status" -eq 0 ]
  [[ "$output" == *"WARNING: no JWT_SECRET"* ]]
  [ ! -e "${STUB_LOG}.token" ]
}
