#!/usr/bin/env bash
# Stops the old color when its rollback window is over (scheduled by deploy.sh, see scripts/lib/retire.sh):
# unless it is live again, was replaced, or the retirement was cancelled (its state file gone).
#
# Usage: scripts/retire.sh [--wait] <state-file>
#   --wait  sleep until the due time first (the detached-process timer; a systemd timer runs it when due)
# Exit codes: 0 done or nothing to do; 2 usage or unreadable state file; 3 the deploy lock stayed busy.
set -euo pipefail

SCRIPT_NAME="retire"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/color.sh
source "${SCRIPT_DIR}/lib/color.sh"
# shellcheck source=scripts/lib/lock.sh
source "${SCRIPT_DIR}/lib/lock.sh"
# shellcheck source=scripts/lib/detach.sh
source "${SCRIPT_DIR}/lib/detach.sh"
# shellcheck source=scripts/lib/retire.sh
source "${SCRIPT_DIR}/lib/retire.sh"

main() {
  local wait=0
  if [[ "${1:-}" == --wait ]]; then
    wait=1
    shift
  fi
  if (($# != 1)); then
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
  fi
  local file="$1"
  local token due path docker_host
  if ! token="$(jq -r '.token // empty' "${file}" 2>/dev/null)" || [[ -z "${token}" ]]; then
    # Cancelled before we ran (the file is removed on cancel): nothing to do.
    [[ -e "${file}" ]] || exit 0
    die "unreadable retirement state: ${file}"
  fi
  # The service manager starts us with its own minimal environment: take the deploy's.
  path="$(jq -r '.settings.path // empty' "${file}")"
  docker_host="$(jq -r '.settings.docker_host // empty' "${file}")"
  [[ -z "${path}" ]] || export PATH="${path}"
  [[ -z "${docker_host}" ]] || export DOCKER_HOST="${docker_host}"
  if ((wait)); then
    local left
    due="$(jq -r .due "${file}")"
    left=$((due - $(date +%s)))
    while ((left > 0)); do
      # In slices, so a cancelled retirement ends its process soon.
      sleep "$((left > 5 ? 5 : left))"
      retire_still_mine "${file}" "${token}" || exit 0
      left=$((due - $(date +%s)))
    done
  fi
  retire_run "${file}" "${token}"
}

main "$@"
