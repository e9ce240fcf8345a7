#!/usr/bin/env bats
# The release identity check (scripts/lib/digest.sh): deploy.sh refuses an image whose ID is not
# EXPECTED_IMAGE_ID, before touching anything.

setup() {
  load deploy_helpers
  deploy_setup
  # shellcheck source=scripts/lib/digest.sh
  source "${REPO_ROOT}/scripts/lib/digest.sh"
  export SWITCHYARD_STATE_DIR="${BATS_TEST_TMPDIR}/state"
  export NGINX_PREFIX="${BATS_TEST_TMPDIR}/nginx"
  export NGINX_CONF="${NGINX_PREFIX}/nginx.conf"
  export NGINX_CONF_DIR="${NGINX_PREFIX}"
  export UPSTREAM_FILE="${NGINX_PREFIX}/switchyard/dev-upstream.conf"
  export BLUE_PORT=9081 GREEN_PORT=9082
  ID="sha256:$(printf '1%.0s' {1..64})"
  OTHER="sha256:$(printf '2%.0s' {1..64})"
  # docker knows one image: switchyard:2.0.0, ID ${ID}, labelled with its version.
  stub docker "
case \"\$*\" in
  'image inspect -f {{.Id}} switchyard:2.0.0') echo ${ID} ;;
  'image inspect -f'*switchyard:2.0.0) echo 2.0.0 ;;
  'image inspect switchyard:2.0.0') exit 0 ;;
  'image inspect'*) exit 1 ;;
  *) exit 0 ;;
esac"
  stub nginx 'exit 0'
  mkdir -p "$(dirname "${UPSTREAM_FILE}")"
  echo 'server 127.0.0.1:9081;' >"${UPSTREAM_FILE}"
}

@test "digest_valid takes sha256:<64 hex> only" {
  digest_valid "${ID}"
  ! digest_valid "sha256:abc"
  ! digest_valid "${ID^^}"
  ! digest_valid "1111111111111111111111111111111111111111111111111111111111111111"
}

@test "deploy.sh with the image's own ID goes on (here: its dry run)" {
  EXPECTED_IMAGE_ID="${ID}" run "${REPO_ROOT}/scripts/deploy.sh" --dry-run dev switchyard:2.0.0
  [ "$status" -eq 0 ]
  [[ "$output" == *"image switchyard:2.0.0 is the tested release (${ID})"* ]]
}

@test "deploy.sh refuses an image whose ID is another one: exit 2, nothing touched" {
  EXPECTED_IMAGE_ID="${OTHER}" run "${REPO_ROOT}/scripts/deploy.sh" dev switchyard:2.0.0
  [ "$status" -eq 2 ]
  [[ "$output" == *"refusing switchyard:2.0.0: its image ID is ${ID}, not the tested ${OTHER}"* ]]
  [ ! -e "${SWITCHYARD_STATE_DIR}" ]
  [ "$(cat "${UPSTREAM_FILE}")" = 'server 127.0.0.1:9081;' ]
}

@test "a malformed EXPECTED_IMAGE_ID is a configuration error" {
  EXPECTED_IMAGE_ID=latest run "${REPO_ROOT}/scripts/deploy.sh" dev switchyard:2.0.0
  [ "$status" -eq 2 ]
  [[ "$output" == *"EXPECTED_IMAGE_ID 'latest' is not an image ID"* ]]
}

@test "without EXPECTED_IMAGE_ID nothing is checked (manual deploys as before)" {
  run "${REPO_ROOT}/scripts/deploy.sh" --dry-run dev switchyard:2.0.0
  [ "$status" -eq 0 ]
  [[ "$output" != *"tested release"* ]]
}
