#!/usr/bin/env bats
# scripts/release-image.sh: one image per commit; with a registry, a tag already there is promoted as
# it is (never rebuilt, never overwritten); the last line says which bytes the release is.

bats_require_minimum_version 1.5.0

setup() {
  REPO="$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)"
  # A copy of the script with its libraries, next to a stub build-image.sh (the script calls its sibling).
  KIT="${BATS_TEST_TMPDIR}/kit"
  mkdir -p "${KIT}/scripts" "${BATS_TEST_TMPDIR}/bin"
  cp "${REPO}/scripts/release-image.sh" "${KIT}/scripts/"
  cp -r "${REPO}/scripts/lib" "${KIT}/scripts/lib"
  LOG="${BATS_TEST_TMPDIR}/calls.log"
  : >"${LOG}"
  export LOG
  cat >"${KIT}/scripts/build-image.sh" <<'STUB'
#!/usr/bin/env bash
echo "build-image.sh $*" >>"${LOG}"
echo "Step 1/9 : FROM eclipse-temurin"
echo "switchyard:$1"
STUB
  ID="sha256:$(printf 'c%.0s' {1..64})"
  export ID
  # docker: images built or pulled have ID; the registry answers per REGISTRY_STATE (absent|present|down).
  cat >"${BATS_TEST_TMPDIR}/bin/docker" <<'STUB'
#!/usr/bin/env bash
echo "docker $*" >>"${LOG}"
case "$1 $2" in
  "pull -q")
    case "${REGISTRY_STATE}" in
      present) exit 0 ;;
      absent) echo "Error response from daemon: manifest for $3 not found: manifest unknown: manifest unknown" >&2; exit 1 ;;
      *) echo "Error response from daemon: Get \"https://$3/v2/\": dial tcp: connection refused" >&2; exit 1 ;;
    esac ;;
  "image inspect")
    [[ "$*" == *RepoDigests* ]] && { echo "registry.example.com/team/switchyard@sha256:feed"; exit 0; }
    echo "${ID}" ;;
  "tag "* | "push -q") exit 0 ;;
  *) exit 99 ;;
esac
STUB
  chmod +x "${KIT}/scripts/build-image.sh" "${BATS_TEST_TMPDIR}/bin/docker"
  export PATH="${BATS_TEST_TMPDIR}/bin:${PATH}"
  unset IMAGE_REGISTRY
}

@test "without a registry: built here, and the last line names the image and its ID" {
  run --separate-stderr "${KIT}/scripts/release-image.sh" 1.0.0-abc1234
  [ "$status" -eq 0 ]
  [ "$(tail -n 1 <<<"${output}")" = "{\"image\":\"switchyard:1.0.0-abc1234\",\"id\":\"${ID}\",\"source\":\"built\"}" ]
  [ "$(grep -c '^build-image.sh 1.0.0-abc1234$' "${LOG}")" -eq 1 ]
  ! grep -q '^docker push' "${LOG}"
}

@test "with a registry and a new tag: built, tagged and pushed under the registry's name" {
  export IMAGE_REGISTRY=registry.example.com/team REGISTRY_STATE=absent
  run --separate-stderr "${KIT}/scripts/release-image.sh" 1.0.0-abc1234
  [ "$status" -eq 0 ]
  [ "$(jq -r '.image, .source' <<<"$(tail -n 1 <<<"${output}")" | paste -sd ' ')" = "registry.example.com/team/switchyard:1.0.0-abc1234 built" ]
  grep -q '^docker tag switchyard:1.0.0-abc1234 registry.example.com/team/switchyard:1.0.0-abc1234$' "${LOG}"
  grep -q '^docker push -q registry.example.com/team/switchyard:1.0.0-abc1234$' "${LOG}"
}

@test "with a registry that already holds the tag: promoted as it is, never rebuilt nor pushed" {
  export IMAGE_REGISTRY=registry.example.com/team/ REGISTRY_STATE=present
  run --separate-stderr "${KIT}/scripts/release-image.sh" 1.0.0-abc1234
  [ "$status" -eq 0 ]
  [ "$(jq -r .source <<<"$(tail -n 1 <<<"${output}")")" = registry ]
  ! grep -q '^build-image.sh' "${LOG}"
  ! grep -q '^docker push' "${LOG}"
}

@test "a registry that cannot be asked fails the release instead of rebuilding over a tag" {
  export IMAGE_REGISTRY=registry.example.com/team REGISTRY_STATE=down
  run "${KIT}/scripts/release-image.sh" 1.0.0-abc1234
  [ "$status" -eq 1 ]
  [[ "$output" == *"cannot tell whether the registry holds registry.example.com/team/switchyard:1.0.0-abc1234"* ]]
  ! grep -q '^build-image.sh' "${LOG}"
}

@test "usage: one release tag, never latest" {
  run "${KIT}/scripts/release-image.sh"
  [ "$status" -eq 2 ]
  run "${KIT}/scripts/release-image.sh" latest
  [ "$status" -eq 2 ]
  run "${KIT}/scripts/release-image.sh" 'a b'
  [ "$status" -eq 2 ]
}
