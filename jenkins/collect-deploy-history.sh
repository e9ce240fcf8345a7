#!/usr/bin/env bash
# Copies the recent deploy history of one environment into the workspace so Jenkins can archive it.
#
# Usage: jenkins/collect-deploy-history.sh <dev|prod> <dest-dir>
#
# Reads  ${SWITCHYARD_STATE_DIR:-/var/lib/switchyard}/<env>/history.jsonl (one JSON object per deploy,
#        written by scripts/deploy.sh) and writes its last ${HISTORY_LINES:-200} lines to
#        <dest-dir>/<env>-history.jsonl. No history yet is not an error: it is logged and skipped,
#        so archiving never fails a build.
# Exit:  0 copied or nothing to copy; 2 usage error.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"

usage() {
  echo "usage: ${0##*/} <dev|prod> <dest-dir>" >&2
}

main() {
  if [[ $# -ne 2 ]]; then
    usage
    exit 2
  fi
  local env_name="$1"
  local dest_dir="$2"
  if [[ "${env_name}" != "dev" && "${env_name}" != "prod" ]]; then
    usage
    exit 2
  fi
  local lines="${HISTORY_LINES:-200}"
  if [[ ! "${lines}" =~ ^[1-9][0-9]*$ ]]; then
    DIE_EXIT_CODE=2 die "HISTORY_LINES must be a positive integer, got '${lines}'"
  fi

  local history="${SWITCHYARD_STATE_DIR:-/var/lib/switchyard}/${env_name}/history.jsonl"
  if [[ ! -r "${history}" ]]; then
    log "no deploy history at ${history} yet; nothing to archive"
    return 0
  fi
  mkdir -p "${dest_dir}"
  tail -n "${lines}" "${history}" >"${dest_dir}/${env_name}-history.jsonl"
  log "copied the last ${lines} deploys of ${env_name} to ${dest_dir}/${env_name}-history.jsonl"
}

main "$@"
