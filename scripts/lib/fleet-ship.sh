# shellcheck shell=bash
# Puts what a host needs for a deploy on it, before anything switches: the kit of this checkout
# (scripts, compose files, nginx templates) and the release image, verified by image ID.
# Sourced after scripts/lib/common.sh, scripts/lib/digest.sh and scripts/lib/fleet.sh.

# fleet_kit_archive <out-file>: a tar of the kit (FLEET_KIT_PATHS that exist under SWITCHYARD_ROOT),
# byte-for-byte the same for the same files; prints its id (the first 12 hex digits of its sha256).
fleet_kit_archive() {
  local out="$1"
  local paths=()
  local p
  for p in ${FLEET_KIT_PATHS}; do
    if [[ -e "${SWITCHYARD_ROOT}/${p}" ]]; then
      paths+=("${p}")
    fi
  done
  if ((${#paths[@]} == 0)); then
    err "none of FLEET_KIT_PATHS (${FLEET_KIT_PATHS}) exists under ${SWITCHYARD_ROOT}"
    return 1
  fi
  tar -C "${SWITCHYARD_ROOT}" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    --exclude='*.pyc' --exclude=__pycache__ -cf "${out}" "${paths[@]}"
  sha256sum "${out}" | cut -c1-12
}

# fleet_ship_kit <host> <archive> <kit-id>: unpacks the kit as ${FLEET_REMOTE_ROOT}/releases/<kit-id>
# (once: an id already there is kept) and points ${FLEET_REMOTE_ROOT}/current at it atomically
# (rename of a symlink); keeps the newest FLEET_KEEP_KITS releases besides the current one.
fleet_ship_kit() {
  local host="$1"
  local archive="$2"
  local kit_id="$3"
  if fleet_is_local "${host}"; then
    return 0
  fi
  local root="${FLEET_REMOTE_ROOT%/}"
  # POSIX sh on the host: its login shell runs it.
  local remote
  remote="$(
    cat <<REMOTE
set -eu
root=$(printf '%q' "${root}"); id=$(printf '%q' "${kit_id}"); keep=$(printf '%q' "${FLEET_KEEP_KITS}")
mkdir -p "\${root}/releases"
if [ -d "\${root}/releases/\${id}" ]; then
  cat >/dev/null
else
  tmp="\$(mktemp -d "\${root}/releases/.incoming.XXXXXX")"
  tar -xf - -C "\${tmp}"
  chmod 755 "\${tmp}"
  mv "\${tmp}" "\${root}/releases/\${id}"
fi
ln -sfn "releases/\${id}" "\${root}/.current.new"
mv -Tf "\${root}/.current.new" "\${root}/current"
find "\${root}/releases" -mindepth 1 -maxdepth 1 -type d ! -name "\${id}" ! -name '.incoming.*' -printf '%T@ %p\n' |
  sort -rn | tail -n +"\$((keep + 1))" | cut -d' ' -f2- | while IFS= read -r old; do rm -rf "\${old}"; done
REMOTE
  )"
  if ! fleet_ssh "${host}" "${remote}" <"${archive}"; then
    err "${host}: could not install the kit ${kit_id} under ${root}"
    return 1
  fi
  log "${host}: kit ${kit_id} at ${root}/current"
}

# fleet_remote_image_id <host> <image>: the image ID of <image> on the host; empty when it has none.
fleet_remote_image_id() {
  fleet_exec "$1" docker image inspect -f '{{.Id}}' "$2" </dev/null 2>/dev/null || true
}

# fleet_ship_image <host> <image> <image-id>: makes sure the host has <image> with exactly this ID.
#   - already there with that ID: nothing to do;
#   - IMAGE_REGISTRY set and the image is in it: the host pulls it;
#   - otherwise: `docker save` here | ssh host `docker load` (this machine's image must be the release).
# Then the ID on the host is checked again: a different ID is refused (returns 1).
fleet_ship_image() {
  local host="$1"
  local image="$2"
  local want="$3"
  local have local_id t0
  have="$(fleet_remote_image_id "${host}" "${image}")"
  if [[ "${have}" == "${want}" ]]; then
    log "${host}: has ${image} (${want})"
    return 0
  fi
  if fleet_is_local "${host}"; then
    err "this host's ${image} is '${have:-absent}', not the release ${want}"
    return 1
  fi
  if [[ -n "${have}" ]]; then
    log "${host}: its ${image} is ${have}, not the release: replacing it"
  fi
  t0="${SECONDS}"
  if [[ -n "${IMAGE_REGISTRY:-}" && "${image}" == "${IMAGE_REGISTRY%/}/"* ]]; then
    log "${host}: pulling ${image}"
    if ! fleet_exec "${host}" docker pull -q "${image}" </dev/null >&2; then
      err "${host}: docker pull ${image} failed"
      return 1
    fi
  else
    if ! local_id="$(image_id "${image}")"; then
      err "${image} is not on this machine: nothing to ship to ${host} (set IMAGE_REGISTRY, or deploy from the machine that built it)"
      return 1
    fi
    if [[ "${local_id}" != "${want}" ]]; then
      err "this machine's ${image} is ${local_id}, not the release ${want}: refusing to ship it"
      return 1
    fi
    log "${host}: shipping ${image} over ssh (docker save | docker load)"
    # pipefail (set by every script): a failing save fails the pipeline as much as a failing load.
    if ! docker save "${image}" | fleet_ssh "${host}" "docker load -q" >&2; then
      err "${host}: docker save | ssh docker load failed"
      return 1
    fi
  fi
  have="$(fleet_remote_image_id "${host}" "${image}")"
  if [[ "${have}" != "${want}" ]]; then
    err "${host}: after shipping, its ${image} is '${have:-absent}', not the release ${want}: refusing it"
    return 1
  fi
  log "${host}: ${image} verified (${want}) in $((SECONDS - t0))s"
}
