# shellcheck shell=bash
# Disk space and old images. Before the idle color starts, Docker's data root must have DISK_MIN_FREE_MB
# free (a full disk fails the start half-way, or worse, the live color's logs and the databases). After
# a successful deploy this env's old images are removed, keeping the live one, the previous one and the
# last IMAGES_KEEP deployed (every env's, when several share the host); `docker image rm` never removes an
# image a container still uses.
# Needs: common.sh, history.sh (file format).

# docker_root_dir: Docker's data root (/var/lib/docker unless configured otherwise).
docker_root_dir() {
  docker info -f '{{.DockerRootDir}}' 2>/dev/null
}

# free_mb <dir>: megabytes available to unprivileged writers on the file system holding <dir>.
free_mb() {
  df -Pk "$1" 2>/dev/null | awk 'NR == 2 { printf "%d\n", $4 / 1024 }'
}

# disk_check: 0 when Docker's data root has DISK_MIN_FREE_MB free (or cannot be seen from here: a remote
# engine, a containerised agent - then a warning), 1 with a message naming the numbers otherwise.
disk_check() {
  local min="${DISK_MIN_FREE_MB}"
  local dir free
  ((min > 0)) || return 0
  dir="$(docker_root_dir)"
  if [[ -z "${dir}" || ! -d "${dir}" ]] || ! free="$(free_mb "${dir}")" || [[ -z "${free}" ]]; then
    log "WARNING: cannot see Docker's data root (${dir:-unknown}) from here: free space not checked"
    return 0
  fi
  if ((free < min)); then
    err "only ${free} MB free on Docker's data root ${dir}; DISK_MIN_FREE_MB=${min} needed to start a new color."
    err "Free space (docker image prune, docker system df; old logs) and deploy again."
    return 1
  fi
  log "disk: ${free} MB free on ${dir} (at least ${min} MB needed)"
}

# images_to_keep <keep-n> <history-file...>: the last <keep-n> distinct images each history deployed
# successfully (result ok), one per line.
images_to_keep() {
  local keep_n="$1"
  shift
  local file
  for file in "$@"; do
    [[ -r "${file}" ]] || continue
    # shellcheck disable=SC2016 # a jq program
    jq -r -s --argjson n "${keep_n}" '
      [.[] | select(.result == "ok") | .image | select(. != null and . != "")]
      | reverse | reduce .[] as $i ([]; if index([$i]) then . else . + [$i] end) | .[:$n][]' "${file}" 2>/dev/null
  done
}

# images_prune_candidates <history-file> <keep-n> <keep-image...>: the images this env's history names that
# are neither given nor among the last <keep-n> of any env on this host (histories next to this one).
images_prune_candidates() {
  local history="$1"
  local keep_n="$2"
  shift 2
  local keep
  [[ -r "${history}" ]] || return 0
  keep="$(
    printf '%s\n' "$@"
    images_to_keep "${keep_n}" "$(dirname "$(dirname "${history}")")"/*/"$(basename "${history}")"
  )"
  jq -r '.image // empty' "${history}" 2>/dev/null | awk '!seen[$0]++' | grep -v -x -F -f <(printf '%s\n' "${keep}") || true
}

# images_prune <live-image> <previous-image>: removes this env's old images (see images_prune_candidates);
# never fails the caller. Prints what it removed.
images_prune() {
  local candidates image removed=()
  ((IMAGES_PRUNE)) || return 0
  candidates="$(images_prune_candidates "${HISTORY_FILE}" "${IMAGES_KEEP}" "$@")"
  while read -r image; do
    [[ -n "${image}" ]] || continue
    docker image inspect "${image}" >/dev/null 2>&1 || continue
    if docker image rm "${image}" >/dev/null 2>&1; then
      removed+=("${image}")
    fi
  done <<<"${candidates}"
  if ((${#removed[@]} > 0)); then
    log "images: removed ${#removed[@]} old image(s) of ${SWITCHYARD_ENV}: ${removed[*]}"
  fi
}
