# shellcheck shell=bash
# Image names and pinned versions for Switchyard: the one place to change them.
# Sourced, never executed. Every value can be overridden from the environment.
#
# Production pulls the official images under these names; hosts without a registry build
# look-alikes from Debian packages under the SAME names with scripts/offline-images.sh,
# so the compose files never change.

# Runtime base of the app image (and of the MongoDB stand-in): an LTS JRE new enough for the JDK's AOT
# cache (JDK 25). The offline stand-in installs SWITCHYARD_JRE_PACKAGE from SWITCHYARD_JRE_DEBIAN_SUITE.
: "${SWITCHYARD_JRE_IMAGE:=eclipse-temurin:25-jre}"
: "${SWITCHYARD_JRE_PACKAGE:=openjdk-25-jre-headless}"
: "${SWITCHYARD_JRE_DEBIAN_SUITE:=trixie}"
# Data stores (docker-compose.datastores.yml reads these names).
: "${SWITCHYARD_MYSQL_IMAGE:=mysql:8.4}"
: "${SWITCHYARD_REDIS_IMAGE:=redis:7.2}"
: "${SWITCHYARD_MONGO_IMAGE:=mongo:7.0}"
# Repository part of the app image reference: <repo>:<tag>.
: "${SWITCHYARD_APP_IMAGE_REPO:=switchyard}"

# Java agent copied into the app image; fetched on the host by Maven (the image build has no network).
: "${ELASTIC_APM_AGENT_VERSION:=1.55.1}"
# In-process MongoDB wire-protocol server used by the offline mongo stand-in.
: "${MONGO_JAVA_SERVER_VERSION:=1.47.0}"
# Maven plugin used to fetch single artifacts without a project.
: "${MAVEN_DEPENDENCY_PLUGIN:=org.apache.maven.plugins:maven-dependency-plugin:3.8.1}"

# Offline images: Debian release and variant debootstrap builds them from.
: "${SWITCHYARD_DEBIAN_SUITE:=bookworm}"
: "${SWITCHYARD_CACHE_DIR:=/var/cache/switchyard}"

export SWITCHYARD_JRE_IMAGE SWITCHYARD_JRE_PACKAGE SWITCHYARD_JRE_DEBIAN_SUITE SWITCHYARD_MYSQL_IMAGE SWITCHYARD_REDIS_IMAGE SWITCHYARD_MONGO_IMAGE
export SWITCHYARD_APP_IMAGE_REPO ELASTIC_APM_AGENT_VERSION MONGO_JAVA_SERVER_VERSION

# Label every locally built image carries: a hash of everything it is built from, so a rebuild
# happens exactly when an input changed (a tag alone cannot tell).
SWITCHYARD_HASH_LABEL=dev.switchyard.content-hash

# content_hash <string...> -- <file-or-dir...>: short sha256 over the strings and the contents
# and relative names of the files (directories recursively, in a stable order).
content_hash() {
  local strings=()
  while (($# > 0)) && [[ "$1" != -- ]]; do
    strings+=("$1")
    shift
  done
  shift || true
  {
    printf '%s\n' "${strings[@]}"
    local path
    for path in "$@"; do
      if [[ -d "${path}" ]]; then
        (cd "${path}" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
      else
        printf '%s  %s\n' "$(sha256sum <"${path}" | cut -d' ' -f1)" "${path##*/}"
      fi
    done
  } | sha256sum | cut -c1-16
}

# image_has_hash <ref> <hash>: true when the local image exists and carries that content hash.
image_has_hash() {
  [[ "$(docker image inspect -f "{{index .Config.Labels \"${SWITCHYARD_HASH_LABEL}\"}}" "$1" 2>/dev/null)" == "$2" ]]
}

# image_present <ref>: true when the local engine has the image.
image_present() {
  docker image inspect "$1" >/dev/null 2>&1
}
