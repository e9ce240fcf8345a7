# shellcheck shell=bash
# The app jar the suites run (target/switchyard.jar): built once (the app suite, first in scripts/test.sh,
# builds it), rebuilt only when a source is newer than it. Needs scripts/lib/common.sh.

# app_jar_ensure <repo-root>: builds target/switchyard.jar unless it is newer than every source.
app_jar_ensure() {
  local root="$1"
  local jar="${root}/target/switchyard.jar"
  if [[ -f "${jar}" && -z "$(find "${root}/src/main" "${root}/pom.xml" -newer "${jar}" -print -quit)" ]]; then
    log "reusing target/switchyard.jar (no source newer than it)"
    return 0
  fi
  log "building the app jar (root pom, -DskipTests package)"
  (cd "${root}" && ./mvnw -B -ntp -q -DskipTests package) || die "app build failed"
  [[ -f "${jar}" ]] || die "target/switchyard.jar missing after the build"
}
