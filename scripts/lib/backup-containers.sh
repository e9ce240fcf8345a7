# shellcheck shell=bash
# Finding a data-store container of a compose project and running tools inside it at low priority.
# Sourced after common.sh. Works for Compose v1 and v2 alike: containers are found by the labels both
# set (com.docker.compose.project / .service), never by name.

# store_container <project> <service>: the id of the project's container for that service, running
# or not; nothing (and status 1) when there is none.
store_container() {
  local id
  id="$(docker ps -a -q --filter "label=com.docker.compose.project=$1" \
    --filter "label=com.docker.compose.service=$2" 2>/dev/null | head -n 1)"
  [[ -n "${id}" ]] || return 1
  echo "${id}"
}

container_running() {
  [[ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" == true ]]
}

container_healthy() {
  [[ "$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$1" 2>/dev/null)" == healthy ]]
}

# running_store_container <project> <service>: like store_container, but fails with a message
# naming the store unless its container is running.
running_store_container() {
  local project="$1"
  local service="$2"
  local id
  if ! id="$(store_container "${project}" "${service}")"; then
    err "${service}: no container in compose project ${project} (is the data-store project up? BACKUP_DATA_PROJECT)"
    return 1
  fi
  if ! container_running "${id}"; then
    err "${service}: container ${id:0:12} of project ${project} is not running ($(docker inspect -f '{{.State.Status}}' "${id}" 2>/dev/null))"
    return 1
  fi
  echo "${id}"
}

# container_env <container> <NAME>: the value of one variable of the container's configured
# environment (empty when unset). Reads only that name: the others may be secrets.
container_env() {
  docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$1" 2>/dev/null |
    sed -n "s/^$2=//p" | head -n 1
}

container_image() {
  docker inspect -f '{{.Config.Image}}' "$1"
}

# container_volume <container> <mount-destination>: the name of the volume mounted there.
container_volume() {
  docker inspect -f "{{range .Mounts}}{{if eq .Destination \"$2\"}}{{.Name}}{{end}}{{end}}" "$1"
}

# The shell prelude of in_container: `prio` runs a command at BACKUP_NICE and, where the image has
# ionice and the kernel allows it, in I/O class BACKUP_IONICE_CLASS.
# shellcheck disable=SC2016 # expanded by the container's sh, on purpose.
readonly BACKUP_PRIO_SH='prio() {
  if command -v ionice >/dev/null 2>&1 && ionice -c "$BACKUP_IONICE_CLASS" true 2>/dev/null; then
    ionice -c "$BACKUP_IONICE_CLASS" nice -n "$BACKUP_NICE" "$@"
  else
    nice -n "$BACKUP_NICE" "$@"
  fi
}'

# in_container <container> <sh-script> [args...]: runs the script with sh inside the container
# (stdin passed through; the script's $1.. are the args; `prio <cmd>` lowers a command's priority).
in_container() {
  local id="$1"
  local script="$2"
  shift 2
  docker exec -i -e "BACKUP_NICE=${BACKUP_NICE}" -e "BACKUP_IONICE_CLASS=${BACKUP_IONICE_CLASS}" "${id}" \
    sh -c "${BACKUP_PRIO_SH}
${script}" sh "$@"
}

# low_priority <command...>: a host-side command at the same nice level and I/O class.
low_priority() {
  if command -v ionice >/dev/null 2>&1 && ionice -c "${BACKUP_IONICE_CLASS}" true 2>/dev/null; then
    ionice -c "${BACKUP_IONICE_CLASS}" nice -n "${BACKUP_NICE}" "$@"
  else
    nice -n "${BACKUP_NICE}" "$@"
  fi
}
