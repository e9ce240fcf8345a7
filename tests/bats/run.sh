#!/usr/bin/env bash
# Bats unit tests for the deploy kit's pure logic (color parsing, plan, lock, history, health,
# switch transaction, CLI) and every other tests/bats/*.bats. No docker, no nginx: PATH stubs.
#
# Usage: tests/bats/run.sh [bats options]
set -euo pipefail

main() {
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  # shellcheck source=scripts/lib/common.sh
  source "${dir}/../../scripts/lib/common.sh"
  ensure_packages bats jq curl gettext-base util-linux procps iproute2
  bats "$@" "${dir}"
}

main "$@"
