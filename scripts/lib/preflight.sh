# shellcheck shell=bash
# The oldest tool versions the deploy kit is tested with, checked before anything is touched.
# Supported hosts: Debian 12 and 13, Ubuntu 22.04 and 24.04. The floors below are the oldest versions
# among them (or older: curl's is Debian 11's 7.74, which the engine suite runs verify with).
# Needs: common.sh.

PREFLIGHT_MIN_BASH=4.4
PREFLIGHT_MIN_CURL=7.74.0
PREFLIGHT_MIN_JQ=1.6
PREFLIGHT_SUPPORTED_HOSTS="Debian 12/13, Ubuntu 22.04/24.04"

# version_at_least <version> <minimum>: dotted versions, numerically per part (1.10 > 1.9).
version_at_least() {
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]
}

# tool_version <tool>: the version number the tool reports, empty when it reports none we can read.
tool_version() {
  case "$1" in
    bash) echo "${BASH_VERSINFO[0]}.${BASH_VERSINFO[1]}" ;;
    curl) curl --version 2>/dev/null | sed -n -E '1s/^curl ([0-9]+(\.[0-9]+)+).*/\1/p' ;;
    jq) jq --version 2>/dev/null | sed -n -E '1s/^jq-([0-9]+(\.[0-9]+)*).*/\1/p' ;;
    *) return 1 ;;
  esac
}

# preflight_versions: 0 when every tool is at least its floor; otherwise names each one that is not
# (with the version found and the one needed) and returns 2.
preflight_versions() {
  local tool min found bad=0
  for tool in bash curl jq; do
    case "${tool}" in
      bash) min="${PREFLIGHT_MIN_BASH}" ;;
      curl) min="${PREFLIGHT_MIN_CURL}" ;;
      jq) min="${PREFLIGHT_MIN_JQ}" ;;
    esac
    found="$(tool_version "${tool}")"
    if [[ -z "${found}" ]]; then
      err "${tool}: cannot read its version; ${tool} ${min} or newer is needed"
      bad=1
    elif ! version_at_least "${found}" "${min}"; then
      err "${tool} ${found} is too old: ${tool} ${min} or newer is needed (supported hosts: ${PREFLIGHT_SUPPORTED_HOSTS})"
      bad=1
    fi
  done
  ((bad == 0)) || return 2
}
