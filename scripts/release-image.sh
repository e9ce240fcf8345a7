#!/usr/bin/env bash
# Makes the release image of this commit, once, and says which bytes it is.
#
# Usage: scripts/release-image.sh <tag>        (e.g. 1.0.0-abc1234: <maven version>-<short commit>)
#
# Without IMAGE_REGISTRY: scripts/build-image.sh <tag> builds switchyard:<tag> here.
# With IMAGE_REGISTRY: the release is ${IMAGE_REGISTRY}/switchyard:<tag>. When the registry already
#   holds that tag (an earlier build of the same commit, e.g. dev's before main's), it is pulled and
#   promoted as it is: a tag in the registry is never rebuilt nor overwritten. Otherwise the image is
#   built, tagged and pushed. Either way every environment then deploys those very bytes.
# Last stdout line: {"image": "<reference to deploy>", "id": "<image ID, sha256:...>", "source": "built|registry"}.
# The image ID is the release's identity (see scripts/lib/digest.sh): scripts/fleet-deploy.sh --digest
# checks it on every host, and scripts/deploy.sh refuses any other (EXPECTED_IMAGE_ID).
# Exit: 0 done; 2 usage; 1 build, pull or push failed.
set -euo pipefail

SCRIPT_NAME="release-image"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/images.sh
source "${SCRIPT_DIR}/lib/images.sh"
# shellcheck source=scripts/lib/digest.sh
source "${SCRIPT_DIR}/lib/digest.sh"

: "${IMAGE_REGISTRY:=}"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# registry_pull <ref>: 0 pulled; 1 the registry has no such tag; 2 any other failure (unreachable, auth).
registry_pull() {
  local ref="$1"
  local output
  if output="$(docker pull -q "${ref}" 2>&1)"; then
    return 0
  fi
  if grep -qiE 'manifest unknown|not found' <<<"${output}"; then
    return 1
  fi
  err "docker pull ${ref}: ${output}"
  return 2
}

# built_image <tag>: builds with scripts/build-image.sh; prints the reference it reports.
built_image() {
  local out image
  out="$("${SCRIPT_DIR}/build-image.sh" "$1")" || return 1
  image="$(tail -n 1 <<<"${out}")"
  if [[ "${image}" != *":$1" ]]; then
    err "build-image.sh printed '${image}', not an image tagged $1"
    return 1
  fi
  echo "${image}"
}

emit() {
  local image="$1"
  local source="$2"
  local id
  id="$(image_id "${image}")" || die "${image} is not on this machine after the ${source} step"
  digest_valid "${id}" || die "${image} has an unexpected image ID '${id}'"
  log "release ${image} = ${id} (${source})"
  jq -n -c --arg image "${image}" --arg id "${id}" --arg source "${source}" '{image: $image, id: $id, source: $source}'
}

main() {
  if (($# != 1)) || [[ "$1" == -* ]]; then
    usage >&2
    exit 2
  fi
  local tag="$1"
  if [[ ! "${tag}" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ || "${tag}" == latest ]]; then
    DIE_EXIT_CODE=2 die "'${tag}' is not a release tag"
  fi
  require_cmd docker jq
  if [[ -z "${IMAGE_REGISTRY}" ]]; then
    emit "$(built_image "${tag}")" built
    return
  fi
  local ref="${IMAGE_REGISTRY%/}/${SWITCHYARD_APP_IMAGE_REPO##*/}:${tag}"
  local rc=0
  registry_pull "${ref}" || rc=$?
  if ((rc == 0)); then
    log "${ref} is already in the registry: promoting it as it is (no rebuild)"
    emit "${ref}" registry
    return
  fi
  ((rc == 1)) || die "cannot tell whether the registry holds ${ref}"
  local image
  image="$(built_image "${tag}")" || die "build failed"
  docker tag "${image}" "${ref}"
  log "pushing ${ref}"
  docker push -q "${ref}" >&2 || die "docker push ${ref} failed"
  log "pushed: $(docker image inspect -f '{{join .RepoDigests " "}}' "${ref}" 2>/dev/null || true)"
  emit "${ref}" built
}

main "$@"
