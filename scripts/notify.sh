#!/usr/bin/env bash
# Posts one chat notification to NOTIFY_WEBHOOK_URL ({"text": ...}, Slack-compatible), with bounded
# retries (NOTIFY_ATTEMPTS, NOTIFY_TIMEOUT_S each). The deploy runs it detached (scripts/lib/notify.sh);
# anything else with the setting can run it directly. Nothing to do without NOTIFY_WEBHOOK_URL.
#
# Usage: scripts/notify.sh <text>
# Exit codes: 0 sent (or no URL set); 1 every attempt failed; 2 usage.
set -euo pipefail

SCRIPT_NAME="notify"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/detach.sh
source "${SCRIPT_DIR}/lib/detach.sh"
# shellcheck source=scripts/lib/notify.sh
source "${SCRIPT_DIR}/lib/notify.sh"

main() {
  if (($# != 1)) || [[ -z "$1" ]]; then
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
  fi
  notify_post "$1"
}

main "$@"
