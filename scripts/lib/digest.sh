# shellcheck shell=bash
# Release identity of an image: its image ID, "sha256:<64 hex>" (the digest of the image's config,
# which names every layer by the digest of its content).
#
# Why the image ID and not a repo digest: the image ID exists as soon as the image is built, with or
# without a registry, and stays the same through `docker save | docker load` and through a push and
# pull; a repo digest (the manifest digest a registry reports) exists only once the image is pushed,
# and hosts that got the image by save/load have none. The same ID means the same layers and config:
# the bytes that were tested.
# Sourced, never executed; needs scripts/lib/common.sh.

# digest_valid <id>: true for a well-formed image ID.
digest_valid() {
  [[ "$1" =~ ^sha256:[0-9a-f]{64}$ ]]
}

# image_id <image> [docker args...]: prints the image ID of a local image; fails when it is absent.
# Extra arguments go before the subcommand (e.g. -H <engine>), for tests and other engines.
image_id() {
  local image="$1"
  shift
  docker "$@" image inspect -f '{{.Id}}' "${image}" 2>/dev/null
}

# digest_require_match <image> <expected-id>: refuses (returns 2, with the reason) when the local
# image's ID is not the expected one. An empty expectation means "no check asked for".
digest_require_match() {
  local image="$1"
  local expected="$2"
  local actual
  if [[ -z "${expected}" ]]; then
    return 0
  fi
  if ! digest_valid "${expected}"; then
    err "EXPECTED_IMAGE_ID '${expected}' is not an image ID (sha256:<64 hex digits>)"
    return 2
  fi
  if ! actual="$(image_id "${image}")"; then
    err "image ${image} not found on this host"
    return 2
  fi
  if [[ "${actual}" != "${expected}" ]]; then
    err "refusing ${image}: its image ID is ${actual}, not the tested ${expected} (same tag, other bytes)"
    return 2
  fi
  log "image ${image} is the tested release (${expected})"
}
