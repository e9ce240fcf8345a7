#!/usr/bin/env bash
# Entrypoint of the Switchyard app image: JVM flags from /app/jvm.options (+ JAVA_OPTS), the
# class-data archive the image was trained with (the JDK's AOT cache /app/app.aot on JDK 25+, else
# an AppCDS archive /app/app.jsa), and the Elastic APM agent only when ELASTIC_APM_SERVER_URL is set.
# The JVM becomes PID 1 (exec), so SIGTERM reaches Spring's graceful shutdown directly.
# APP_CDS=false starts without the archive (to compare, or if an archive ever misbehaves).
#
# APP_CDS_TRAINING=true (image build only, started by train.sh, which sends it requests and stops it):
# runs the app on its embedded defaults (no network) and writes the archive when the JVM exits: the AOT
# cache where the JVM has one (-XX:AOTCacheOutput, JDK 25+), else AppCDS (-XX:ArchiveClassesAtExit).
set -euo pipefail

readonly APP_DIR=/app
readonly AOT_CACHE=/app/app.aot
readonly CDS_ARCHIVE=/app/app.jsa
readonly APM_AGENT=/opt/elastic-apm/elastic-apm-agent.jar

jvm_options() {
  local line
  while IFS= read -r line || [[ -n "${line}" ]]; do
    line="${line%%#*}"
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    [[ -n "${line}" ]] && JVM_OPTS+=("${line}")
  done <"${APP_DIR}/jvm.options"
  if [[ -n "${JAVA_OPTS:-}" ]]; then
    local extra=()
    read -r -a extra <<<"${JAVA_OPTS}"
    JVM_OPTS+=("${extra[@]}")
  fi
}

supports_aot_cache() {
  java -XX:+PrintFlagsFinal -version 2>/dev/null | grep -q '[[:space:]]AOTCacheOutput[[:space:]]'
}

# class_data_archive: maps the archive the image was trained with. With AOTMode=auto (the default)
# a JVM that cannot use the cache says so on stderr and starts without it: slower, never broken.
class_data_archive() {
  [[ "${APP_CDS:-true}" == true ]] || return 0
  if [[ -f "${AOT_CACHE}" ]]; then
    JVM_OPTS+=("-XX:AOTCache=${AOT_CACHE}")
  elif [[ -f "${CDS_ARCHIVE}" ]]; then
    JVM_OPTS+=("-XX:SharedArchiveFile=${CDS_ARCHIVE}")
  fi
}

apm_agent() {
  [[ -n "${ELASTIC_APM_SERVER_URL:-}" ]] || return 0
  export ELASTIC_APM_SERVICE_NAME="${ELASTIC_APM_SERVICE_NAME:-switchyard}"
  export ELASTIC_APM_ENVIRONMENT="${ELASTIC_APM_ENVIRONMENT:-${APP_ENV:-local}}"
  export ELASTIC_APM_SERVICE_VERSION="${ELASTIC_APM_SERVICE_VERSION:-${APP_VERSION:-unknown}}"
  export ELASTIC_APM_GLOBAL_LABELS="${ELASTIC_APM_GLOBAL_LABELS:-color=${APP_COLOR:-none}}"
  export ELASTIC_APM_ENABLE_LOG_CORRELATION="${ELASTIC_APM_ENABLE_LOG_CORRELATION:-true}"
  export ELASTIC_APM_LOG_CORRELATION="${ELASTIC_APM_LOG_CORRELATION:-${ELASTIC_APM_ENABLE_LOG_CORRELATION}}"
  JVM_OPTS+=("-javaagent:${APM_AGENT}")
}

main() {
  JVM_OPTS=()
  jvm_options
  if [[ "${APP_CDS_TRAINING:-false}" == true ]]; then
    # Same flags as at run time, embedded defaults (no profile, no external services).
    unset SPRING_PROFILES_ACTIVE
    if supports_aot_cache; then
      JVM_OPTS+=("-XX:AOTCacheOutput=${AOT_CACHE}")
    else
      JVM_OPTS+=("-XX:ArchiveClassesAtExit=${CDS_ARCHIVE}")
    fi
    exec java "${JVM_OPTS[@]}" -jar "${APP_DIR}/app.jar" "$@"
  fi
  class_data_archive
  apm_agent
  exec java "${JVM_OPTS[@]}" -jar "${APP_DIR}/app.jar" "$@"
}

main "$@"
