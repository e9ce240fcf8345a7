#!/usr/bin/env bash
# The API compatibility gate: may clients of the live release keep calling the new one? Blue and green serve
# clients side by side during a switch, and clients of the live release keep calling after it, so a release that
# breaks them is refused (docs/api/README.md, "Compatibility gate", has the rules and examples).
#
# Usage:
#   scripts/api-compat.sh [--allow-breaking-api] <live-openapi.json> <new-openapi.json>
#   scripts/api-compat.sh [--allow-breaking-api] --images <live-image> <new-image>
#     --images              read each image's baked document (/app/api/openapi.json) without starting it
#     --allow-breaking-api  report a breaking change but pass (also ALLOW_BREAKING_API=1): the operator accepts
#                           that clients of the live release may fail until they update
#
# Exit codes:
#   0  compatible (no change, additive changes only), or breaking and allowed
#   1  breaking: refused (the report names each change)
#   2  usage error, or a document that cannot be read or parsed
#
# Needs a JDK (java) and, the first time, the Maven wrapper's network to build tools/api-compat.
set -euo pipefail

SCRIPT_NAME="api-compat"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/api-compat.sh
source "${SCRIPT_DIR}/lib/api-compat.sh"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

main() {
  local images=0
  while (($# > 0)); do
    case "$1" in
      --allow-breaking-api) export ALLOW_BREAKING_API=1 ;;
      --images) images=1 ;;
      -h | --help)
        usage
        return 0
        ;;
      -*)
        usage >&2
        return 2
        ;;
      *) break ;;
    esac
    shift
  done
  if (($# != 2)); then
    usage >&2
    return 2
  fi
  if ((images)); then
    require_cmd docker tar
    api_compat_gate "$1" "$2"
    return
  fi
  local allow=()
  if [[ "${ALLOW_BREAKING_API:-0}" == 1 ]]; then
    allow=(--allow-breaking)
  fi
  api_compat_compare "${allow[@]}" "$1" "$2"
}

main "$@"
