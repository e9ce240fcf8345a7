#!/usr/bin/env bash
# Builds the Switchyard app image.
#
# Usage: scripts/build-image.sh [--jar PATH] [--base-image REF] [--app-version V] [--no-cds] <tag|image:tag>
#
#   <tag>            e.g. 1.0.0-abc1234 -> image ${SWITCHYARD_APP_IMAGE_REPO:-switchyard}:1.0.0-abc1234
#                    (a value with ':' is used as the full image reference)
#   --jar PATH       the Spring Boot jar (default: target/switchyard.jar, built with
#                    ./mvnw -B -DskipTests package when missing)
#   --base-image R   JRE base image (default SWITCHYARD_JRE_IMAGE, eclipse-temurin:25-jre)
#   --app-version V  version the app reports in /actuator/info (default APP_VERSION, else <tag>)
#   --no-cds         skip the AppCDS training run (slower start-up, faster build)
#
# The image build itself needs no network: the jar and the Elastic APM agent are prepared on
# the host (the agent from agents/ next to the jar, else fetched by Maven) and copied into a
# private build context. Logs go to stderr; the LAST stdout line is the full image reference.
# Cached: the image carries a content-hash label (jar, agent, Dockerfile, docker/app, base image
# id, version, commit, AppCDS); when the tag already holds an image with that hash, nothing is built.
set -euo pipefail

SCRIPT_NAME="build-image"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/images.sh
source "${SCRIPT_DIR}/lib/images.sh"

CONTEXT_DIR=""

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

cleanup() {
  if [[ -n "${CONTEXT_DIR}" && -d "${CONTEXT_DIR}" ]]; then
    rm -rf "${CONTEXT_DIR}"
  fi
}

# image_ref <tag>: the full reference for a tag (or the argument itself when it has a ':').
image_ref() {
  if [[ "$1" == *:* ]]; then
    echo "$1"
  else
    echo "${SWITCHYARD_APP_IMAGE_REPO}:$1"
  fi
}

valid_tag() {
  [[ "$1" =~ ^[A-Za-z0-9._/:-]+$ && "$1" != *: && "$1" != latest && "$1" != *:latest ]]
}

build_jar() {
  local root="$1"
  log "no jar at ${root}/target/switchyard.jar: building it (./mvnw -B -ntp -q -DskipTests package)"
  if [[ -x "${root}/mvnw" ]]; then
    (cd "${root}" && ./mvnw -B -ntp -q -DskipTests package >&2)
  else
    require_cmd mvn
    (cd "${root}" && mvn -B -ntp -q -DskipTests package >&2)
  fi
}

# fetch_agent <dest-dir>: copies the pinned elastic-apm-agent jar from Maven into dest-dir.
fetch_agent() {
  local dest="$1"
  local mvn=(mvn)
  if [[ -x "$(repo_root)/mvnw" ]]; then
    mvn=("$(repo_root)/mvnw")
  else
    require_cmd mvn
  fi
  local workdir
  workdir="$(mktemp -d)"
  log "fetching co.elastic.apm:elastic-apm-agent:${ELASTIC_APM_AGENT_VERSION} with Maven"
  (cd "${workdir}" && "${mvn[@]}" -B -ntp -q "${MAVEN_DEPENDENCY_PLUGIN}:copy" \
    "-Dartifact=co.elastic.apm:elastic-apm-agent:${ELASTIC_APM_AGENT_VERSION}" \
    "-DoutputDirectory=${dest}" -Dmdep.stripVersion=true >&2) || {
    rm -rf "${workdir}"
    die "could not fetch the Elastic APM agent from Maven"
  }
  rm -rf "${workdir}"
}

ensure_base_image() {
  local base="$1"
  if image_present "${base}"; then
    return 0
  fi
  log "base image ${base} not present locally: pulling"
  if ! docker pull "${base}" >&2; then
    die "cannot pull ${base}; on a host without a registry run scripts/offline-images.sh first"
  fi
}

main() {
  local jar=""
  local base="${SWITCHYARD_JRE_IMAGE}"
  local app_version="${APP_VERSION:-}"
  local cds=true
  local tag=""
  while (($# > 0)); do
    case "$1" in
      --jar)
        jar="${2:?--jar needs a path}"
        shift
        ;;
      --base-image)
        base="${2:?--base-image needs an image}"
        shift
        ;;
      --app-version)
        app_version="${2:?--app-version needs a value}"
        shift
        ;;
      --no-cds) cds=false ;;
      -h | --help)
        usage
        return 0
        ;;
      -*) DIE_EXIT_CODE=2 die "unknown option: $1 (see --help)" ;;
      *)
        [[ -z "${tag}" ]] || DIE_EXIT_CODE=2 die "one tag only (see --help)"
        tag="$1"
        ;;
    esac
    shift
  done
  [[ -n "${tag}" ]] || DIE_EXIT_CODE=2 die "usage: scripts/build-image.sh [options] <tag> (see --help)"
  valid_tag "${tag}" || DIE_EXIT_CODE=2 die "invalid or floating tag: ${tag}"

  local root
  root="$(repo_root)"
  require_cmd docker
  ensure_dockerd

  if [[ -z "${jar}" ]]; then
    jar="${root}/target/switchyard.jar"
    [[ -f "${jar}" ]] || build_jar "${root}"
  fi
  [[ -f "${jar}" ]] || die "jar not found: ${jar}"

  local ref
  ref="$(image_ref "${tag}")"
  if [[ -z "${app_version}" ]]; then
    app_version="${ref##*:}"
  fi
  local commit="unknown"
  if git -C "${root}" rev-parse --short HEAD >/dev/null 2>&1; then
    commit="$(git -C "${root}" rev-parse --short HEAD)"
  fi

  CONTEXT_DIR="$(mktemp -d)"
  trap cleanup EXIT
  mkdir -p "${CONTEXT_DIR}/target/agents" "${CONTEXT_DIR}/docker"
  cp "${jar}" "${CONTEXT_DIR}/target/switchyard.jar"
  local agent
  agent="$(dirname "${jar}")/agents/elastic-apm-agent.jar"
  if [[ -f "${agent}" ]]; then
    cp "${agent}" "${CONTEXT_DIR}/target/agents/elastic-apm-agent.jar"
  else
    fetch_agent "${CONTEXT_DIR}/target/agents"
  fi
  cp -R "${root}/docker/app" "${CONTEXT_DIR}/docker/app"
  cp "${root}/Dockerfile" "${root}/.dockerignore" "${CONTEXT_DIR}/"

  ensure_base_image "${base}"
  local hash
  hash="$(content_hash "$(docker image inspect -f '{{.Id}}' "${base}")" "${app_version}" "${commit}" "${cds}" -- \
    "${CONTEXT_DIR}/target/switchyard.jar" "${CONTEXT_DIR}/target/agents/elastic-apm-agent.jar" \
    "${CONTEXT_DIR}/Dockerfile" "${CONTEXT_DIR}/.dockerignore" "${CONTEXT_DIR}/docker/app")"
  if image_has_hash "${ref}" "${hash}"; then
    log "up to date, not rebuilt: ${ref} (content hash ${hash})"
    echo "${ref}"
    return 0
  fi
  log "building ${ref} (version ${app_version}, commit ${commit}, base ${base}, AppCDS ${cds}, content hash ${hash})"
  local started="${SECONDS}"
  # The legacy builder: Debian's docker.io has no buildx; the Dockerfile needs nothing newer.
  DOCKER_BUILDKIT=0 docker build -q --label "${SWITCHYARD_HASH_LABEL}=${hash}" \
    --build-arg "BASE_IMAGE=${base}" \
    --build-arg "APP_VERSION=${app_version}" \
    --build-arg "GIT_COMMIT=${commit}" \
    --build-arg "APP_CDS=${cds}" \
    -t "${ref}" "${CONTEXT_DIR}" >&2 || die "docker build failed for ${ref}"
  log "built ${ref} in $((SECONDS - started))s"
  echo "${ref}"
}

main "$@"
