# Shared by the fleet bats tests: PATH stubs for ssh and docker that simulate a fleet of hosts.
#
# Each host is a directory ${HOSTS_DIR}/<host>/ holding its state:
#   images/<image with / and : as _>   the image ID under that reference
#   live                               the image its live color runs ("" = nothing)
#   previous                           what rollback.sh goes back to
#   deploy_exit, rollback_exit         exit codes of its deploy.sh / rollback.sh (default 0)
#   load_id                            the ID a `docker load` there ends up with (default: the one shipped)
#   unreachable                        present: ssh to it fails
# The deployer's own images: ${LOCAL_DIR}/images/<ref>. Every ssh call is logged to ${CALLS} as
# "<host>: <remote command>", with the options before the host in ${SSH_ARGS}.
# Deploy exit codes: 0 switches the host; 5 switches it and leaves it there (failed after the switch);
# 6 is the engine's "rolled back by itself after the bake window" (the host ends on its previous release);
# anything else leaves the host as it was.

fleet_setup() {
  STUBS="${BATS_TEST_TMPDIR}/bin"
  HOSTS_DIR="${BATS_TEST_TMPDIR}/hosts"
  LOCAL_DIR="${BATS_TEST_TMPDIR}/local"
  CALLS="${BATS_TEST_TMPDIR}/calls.log"
  SSH_ARGS="${BATS_TEST_TMPDIR}/ssh-args.log"
  HOOKS="${BATS_TEST_TMPDIR}/hooks.log"
  REPO="$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)"
  mkdir -p "${STUBS}" "${HOSTS_DIR}" "${LOCAL_DIR}/images"
  : >"${CALLS}"
  : >"${SSH_ARGS}"
  : >"${HOOKS}"
  export STUBS HOSTS_DIR LOCAL_DIR CALLS SSH_ARGS HOOKS
  export PATH="${STUBS}:${PATH}"
  export SWITCHYARD_STATE_DIR="${BATS_TEST_TMPDIR}/state"
  export FLEET_REMOTE_ROOT=/opt/switchyard
  export FLEET_SSH_CONFIG=""
  export FLEET_SSH_KEY=""
  export FLEET_DRAIN_CMD="${STUBS}/hook drain"
  export FLEET_UNDRAIN_CMD="${STUBS}/hook undrain"
  unset PROD_HOSTS DEV_HOSTS IMAGE_REGISTRY FLEET_CANARY_WAIT_S
  IMAGE="switchyard:1.0.0-abc1234"
  ID_NEW="sha256:$(printf 'a%.0s' {1..64})"
  ID_OLD="sha256:$(printf 'b%.0s' {1..64})"
  OLD="switchyard:0.9.0-1111111"
  write_stubs
}

# fleet_host <name> <live-image>: a host that runs <live-image> (with ID_OLD) and has no new image yet.
fleet_host() {
  local dir="${HOSTS_DIR}/$1"
  mkdir -p "${dir}/images"
  printf '%s' "$2" >"${dir}/live"
  if [[ -n "$2" ]]; then
    printf '%s' "${ID_OLD}" >"${dir}/images/$(ref_file "$2")"
  fi
}

ref_file() {
  local ref="${1//\//_}"
  echo "${ref//:/_}"
}

# local_image <ref> <id>: the deployer has <ref> with image ID <id>.
local_image() {
  printf '%s' "$2" >"${LOCAL_DIR}/images/$(ref_file "$1")"
}

# remote_calls <pattern>: the logged ssh calls matching an extended regex, "host: ..." per line.
remote_calls() {
  grep -E "$1" "${CALLS}" || true
}

# deploys_and_rollbacks: "<host> deploy|rollback" in the order they ran.
deploys_and_rollbacks() {
  sed -n -E 's/^([^:]+): .*scripts\/(deploy|rollback)\.sh.*/\1 \2/p' "${CALLS}"
}

write_stubs() {
  cat >"${STUBS}/ssh" <<'STUB'
#!/usr/bin/env bash
# ssh stub: the host and the remote command follow "--".
args=()
while (($# > 0)) && [[ "$1" != -- ]]; do args+=("$1"); shift; done
shift
host="$1"
cmd="$2"
printf '%s\n' "${args[*]}" >>"${SSH_ARGS}"
printf '%s: %s\n' "${host}" "${cmd}" >>"${CALLS}"
dir="${HOSTS_DIR}/${host}"
[[ -d "${dir}" && ! -e "${dir}/unreachable" ]] || { echo "ssh: connect to host ${host}: Connection refused" >&2; exit 255; }
ref_file() { local r="${1//\//_}"; echo "${r//:/_}"; }
live="$(cat "${dir}/live")"
case "${cmd}" in
  "set -eu"*) cat >/dev/null; echo kit >>"${dir}/kits" ;;
  *"docker image inspect"*)
    ref="${cmd##* }"
    [[ -r "${dir}/images/$(ref_file "${ref}")" ]] || exit 1
    cat "${dir}/images/$(ref_file "${ref}")"; echo ;;
  *"docker inspect"*)
    [[ -n "${live}" ]] || exit 1
    cat "${dir}/images/$(ref_file "${live}")"; echo ;;
  "docker load -q")
    read -r shipped_ref shipped_id
    id="$(cat "${dir}/load_id" 2>/dev/null || echo "${shipped_id}")"
    printf '%s' "${id}" >"${dir}/images/$(ref_file "${shipped_ref}")"
    echo "Loaded image: ${shipped_ref}" ;;
  *"docker pull"*)
    ref="${cmd##* }"
    printf '%s' "$(cat "${REGISTRY_ID_FILE}")" >"${dir}/images/$(ref_file "${ref}")" ;;
  *"scripts/status.sh --json"*)
    color=none; [[ -n "${live}" ]] && color=green
    health="up"; [[ -e "${dir}/unhealthy" ]] && health=down
    jq -n -c --arg live "${live}" --arg color "${color}" --arg health "${health}" \
      '{env: "prod", live_color: $color, colors: {green: {image: $live, container: (if $live == "" then "" else "0123456789ab" end), health: $health},
        blue: {image: "", container: "", health: "down"}}, lock: {held: false, holder: ""},
        last_deploys: (if $live == "" then [] else [{action: "deploy", image: $live, switch_ms: 812, result: "ok"}] end)}' ;;
  *"scripts/deploy.sh"*)
    ref="${cmd##* }"
    rc="$(cat "${dir}/deploy_exit" 2>/dev/null || echo 0)"
    echo "deploying ${ref} (exit ${rc})" >&2
    case "${rc}" in
      0 | 5) printf '%s' "${live}" >"${dir}/previous"; printf '%s' "${ref}" >"${dir}/live"
             [[ -e "${dir}/unhealthy_after_deploy" ]] && touch "${dir}/unhealthy" ;;
    esac
    exit "${rc}" ;;
  *"scripts/rollback.sh"*)
    rc="$(cat "${dir}/rollback_exit" 2>/dev/null || echo 0)"
    if [[ "${rc}" == 0 ]]; then cp "${dir}/previous" "${dir}/live"; rm -f "${dir}/unhealthy"; fi
    exit "${rc}" ;;
  *"write-env-file.sh"*)
    cat >"${dir}/env-stdin" ;;
  *) echo "ssh stub: unexpected command: ${cmd}" >&2; exit 99 ;;
esac
STUB
  cat >"${STUBS}/docker" <<'STUB'
#!/usr/bin/env bash
# docker stub for the deployer: image inspect of its own images, save prints "<ref> <id>".
ref_file() { local r="${1//\//_}"; echo "${r//:/_}"; }
case "$1 $2" in
  "image inspect")
    f="${LOCAL_DIR}/images/$(ref_file "${@: -1}")"
    [[ -r "${f}" ]] || exit 1
    cat "${f}"; echo ;;
  "save "*)
    echo "$2 $(cat "${LOCAL_DIR}/images/$(ref_file "$2")")"
    echo "docker save $2" >>"${CALLS}" ;;
  *) echo "docker stub: unexpected: $*" >&2; exit 99 ;;
esac
STUB
  cat >"${STUBS}/hook" <<'STUB'
#!/usr/bin/env bash
echo "$1 $2 ${FLEET_ENV}" >>"${HOOKS}"
[[ ! -e "${HOOKS}.fail-$1-$2" ]]
STUB
  chmod +x "${STUBS}/ssh" "${STUBS}/docker" "${STUBS}/hook"
}
