#!/usr/bin/env bash
# Regenerates the committed API documents from the code: docs/api/openapi.json (what springdoc serves at
# /v3/api-docs, written by OpenApiDocumentIT) and the error table of docs/api/errors.md (ErrorCatalogTest).
# Review the diff before committing it: scripts/api-compat.sh <old> <new> tells whether it breaks clients.
#
# Usage: scripts/regenerate-api-docs.sh   (needs a JDK; the embedded default, no data stores)
set -euo pipefail

main() {
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  cd "${root}"
  ./mvnw -B -q test -Dtest=ErrorCatalogTest -Derrors.write=true
  ./mvnw -B -q verify -Dtest=ErrorCatalogTest -Dit.test=OpenApiDocumentIT -Dapi-docs.write=true
  git --no-pager diff --stat -- docs/api/ || true
}

main "$@"
