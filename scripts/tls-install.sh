#!/usr/bin/env bash
# Installs an env's TLS certificate for nginx: checks the source completely (file, PEM, dates, key match,
# names), takes the env's deploy lock (a certificate change never races a switch), copies it to TLS_DIR,
# nginx -t, reload; any failure puts the previous certificate back. Only the certificate changes: the
# site's edge file points at TLS_DIR whatever its content (scripts/bootstrap-host.sh renders the edge).
# certbot runs it as the deploy hook of the env's lineage (scripts/bootstrap-host.sh registers it), after
# every issue and renewal, with RENEWED_LINEAGE set; operators run it after replacing TLS_CERT_FILE/TLS_KEY_FILE.
#
# Usage: scripts/tls-install.sh <env>
#
# Exit codes: 0 installed or unchanged; 1 certificate refused or nginx refused it (previous one serving);
#             2 usage/config; 3 the deploy lock stayed busy for LOCK_WAIT_S.
set -euo pipefail

SCRIPT_NAME="tls-install"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/config.sh
source "${SCRIPT_DIR}/lib/config.sh"
# shellcheck source=scripts/lib/color.sh
source "${SCRIPT_DIR}/lib/color.sh"
# shellcheck source=scripts/lib/lock.sh
source "${SCRIPT_DIR}/lib/lock.sh"
# shellcheck source=scripts/lib/nginx.sh
source "${SCRIPT_DIR}/lib/nginx.sh"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

main() {
  if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
    usage
    exit 0
  fi
  if (($# != 1)); then
    usage >&2
    exit 2
  fi
  config_load "$1" || exit 2
  edge_check_settings || exit 2
  require_cmd openssl flock "${NGINX_BIN}"
  lock_acquire "${LOCK_FILE}" "${LOCK_WAIT_S}" "tls-install ${SWITCHYARD_ENV}${RENEWED_LINEAGE:+ (certbot renewal of ${RENEWED_LINEAGE##*/})}" || exit 3
  trap 'lock_release "${LOCK_FILE}"' EXIT
  tls_install || exit 1
}

main "$@"
