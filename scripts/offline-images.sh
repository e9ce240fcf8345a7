#!/usr/bin/env bash
# Builds local stand-ins for the official images on hosts with no image registry.
#
# Usage: scripts/offline-images.sh [--force]
#
# Each image is built from Debian packages (debootstrap minbase + apt in a chroot, then
# `docker import`) and tagged with the SAME name production pulls, so the compose files
# run unchanged:
#   SWITCHYARD_JRE_IMAGE   (eclipse-temurin:25-jre)  openjdk-25-jre-headless + curl, from Debian
#                          SWITCHYARD_JRE_DEBIAN_SUITE (trixie: the release that packages JDK 25)
#   SWITCHYARD_MYSQL_IMAGE (mysql:8.4)               MariaDB, entrypoint honours MYSQL_* env
#   SWITCHYARD_REDIS_IMAGE (redis:7.2)               redis-server
#   SWITCHYARD_MONGO_IMAGE (mongo:7.0)               MongoDB wire-protocol stand-in (mongo-java-server)
# Names and versions are pinned in scripts/lib/images.sh.
#
# Cached by content: each image carries the label dev.switchyard.content-hash (a hash of its
# package list, its build files and, for the mongo stand-in, the JRE image's hash and the
# mongo-java-server version). An image whose label matches is left alone; a changed input
# rebuilds only that image (--force rebuilds all four). The debootstrap tree, the per-image
# rootfs tarballs and the imported rootfs images are cached too
# (${SWITCHYARD_CACHE_DIR:-/var/cache/switchyard}), so a rebuild after a Dockerfile edit skips apt.
# The Debian mirror is read from this machine's apt sources (override: SWITCHYARD_DEBIAN_MIRROR); an
# image from another release (the JRE) uses the same archives with that release's suite names.
# Needs root, debootstrap, docker and (for the mongo stand-in) a JDK and Maven Central (the repo's
# Maven wrapper is used).
set -euo pipefail

SCRIPT_NAME="offline-images"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "${SCRIPT_DIR}/lib/common.sh"
# shellcheck source=scripts/lib/images.sh
source "${SCRIPT_DIR}/lib/images.sh"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# apt_source_lines: prints "<uri> <suite>" for every enabled Debian source of the host whose
# suite belongs to SWITCHYARD_DEBIAN_SUITE (bookworm, bookworm-updates, bookworm-security)
# and that carries the main component, renamed to BUILD_SUITE (the release the image being built
# comes from: bookworm-security -> trixie-security). Reads one-line (.list) and deb822 (.sources) files.
apt_source_lines() {
  host_apt_source_lines | awk -v from="${SWITCHYARD_DEBIAN_SUITE}" -v to="${BUILD_SUITE}" \
    '{ s = $2; if (index(s, from) == 1) s = to substr(s, length(from) + 1); print $1, s }'
}

host_apt_source_lines() {
  local suite="${SWITCHYARD_DEBIAN_SUITE}"
  local files=()
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "${f}" ]] && files+=("${f}")
  done
  if ((${#files[@]} > 0)); then
    awk -v suite="${suite}" '
      $1 == "deb" {
        i = 2
        if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        uri = $i; s = $(i + 1); main = 0
        for (j = i + 2; j <= NF; j++) if ($j == "main") main = 1
        if (main && (s == suite || index(s, suite "-") == 1)) print uri, s
      }' "${files[@]}"
  fi
  files=()
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "${f}" ]] && files+=("${f}")
  done
  if ((${#files[@]} > 0)); then
    awk -v suite="${suite}" '
      function flush(   n, m, k, l, u, s, main, c) {
        if (types ~ /(^| )deb( |$)/ && enabled != "no") {
          main = 0; n = split(comps, c, " "); for (k = 1; k <= n; k++) if (c[k] == "main") main = 1
          if (main) {
            n = split(uris, u, " "); m = split(suites, s, " ")
            for (k = 1; k <= n; k++) for (l = 1; l <= m; l++)
              if (s[l] == suite || index(s[l], suite "-") == 1) print u[k], s[l]
          }
        }
        types = uris = suites = comps = enabled = ""
      }
      /^[[:space:]]*#/ { next }
      /^[[:space:]]*$/ { flush(); next }
      { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^[[:space:]]+/, "")
        if (key == "types") types = $0; else if (key == "uris") uris = $0
        else if (key == "suites") suites = $0; else if (key == "components") comps = $0
        else if (key == "enabled") enabled = tolower($0) }
      END { flush() }' "${files[@]}"
  fi
}

# debian_mirror: the mirror debootstrap uses for the release suite itself.
debian_mirror() {
  if [[ -n "${SWITCHYARD_DEBIAN_MIRROR:-}" ]]; then
    echo "${SWITCHYARD_DEBIAN_MIRROR}"
    return 0
  fi
  local uri
  uri="$(apt_source_lines | awk -v suite="${BUILD_SUITE}" '$2 == suite { print $1; exit }')"
  [[ -n "${uri}" ]] || die "no apt source for Debian ${SWITCHYARD_DEBIAN_SUITE} (main) on this host; set SWITCHYARD_DEBIAN_MIRROR"
  echo "${uri}"
}

base_rootfs_dir() {
  echo "${SWITCHYARD_CACHE_DIR}/rootfs/${BUILD_SUITE}-minbase-$(dpkg --print-architecture)"
}

# ensure_base_rootfs: debootstraps the minbase tree once and caches it.
ensure_base_rootfs() {
  local dir
  dir="$(base_rootfs_dir)"
  if [[ -f "${dir}/.switchyard-complete" ]]; then
    log "cached debootstrap rootfs: ${dir}"
    return 0
  fi
  local mirror
  mirror="$(debian_mirror)"
  rm -rf "${dir}"
  mkdir -p "${dir}"
  log "debootstrap ${BUILD_SUITE} (minbase) from the host's apt mirror into ${dir}"
  debootstrap --variant=minbase "${BUILD_SUITE}" "${dir}" "${mirror}" >&2 \
    || die "debootstrap failed (log: ${dir}/debootstrap/debootstrap.log)"
  touch "${dir}/.switchyard-complete"
}

CHROOT_MOUNTS=()
WORK_DIR=""
# The Debian release of the image being built (each build_<kind> sets it).
BUILD_SUITE="${SWITCHYARD_DEBIAN_SUITE}"

umount_chroot() {
  local i
  for ((i = ${#CHROOT_MOUNTS[@]} - 1; i >= 0; i--)); do
    umount -l "${CHROOT_MOUNTS[i]}" 2>/dev/null || true
  done
  CHROOT_MOUNTS=()
}

cleanup() {
  umount_chroot
  if [[ -n "${WORK_DIR}" && -d "${WORK_DIR}" ]]; then
    rm -rf "${WORK_DIR}"
  fi
}

# rootfs_key <package...>: cache key of a rootfs; changes when the package list does.
rootfs_key() {
  printf '%s\n' "${BUILD_SUITE}" "$@" | sha256sum | cut -c1-12
}

# in_chroot <root> <command...>: runs a command in the chroot with a clean environment.
in_chroot() {
  local root="$1"
  shift
  chroot "${root}" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"
}

# build_rootfs_tar <tarball> <package...>: copies the base tree, installs the packages with
# apt in a chroot and stores the result as a tarball.
build_rootfs_tar() {
  local tarball="$1"
  shift
  ensure_base_rootfs
  WORK_DIR="$(mktemp -d "${SWITCHYARD_CACHE_DIR}/work.XXXXXX")"
  local root="${WORK_DIR}/rootfs"
  cp -a "$(base_rootfs_dir)" "${root}"
  rm -f "${root}/.switchyard-complete"

  # apt sources: the host's Debian sources for this release (updates and security included).
  apt_source_lines | awk '{ print "deb " $1 " " $2 " main" }' >"${root}/etc/apt/sources.list"
  cp /etc/resolv.conf "${root}/etc/resolv.conf"
  # No service may start inside the chroot.
  printf '#!/bin/sh\nexit 101\n' >"${root}/usr/sbin/policy-rc.d"
  chmod 0755 "${root}/usr/sbin/policy-rc.d"
  mount -t proc proc "${root}/proc"
  CHROOT_MOUNTS+=("${root}/proc")
  mount --bind /dev "${root}/dev"
  CHROOT_MOUNTS+=("${root}/dev")

  log "apt-get install in a chroot: $*"
  in_chroot "${root}" apt-get update -qq >&2 || die "apt-get update failed in the chroot"
  in_chroot "${root}" apt-get install -y -qq --no-install-recommends "$@" >&2 \
    || die "apt-get install failed in the chroot"
  in_chroot "${root}" apt-get clean
  umount_chroot

  rm -rf "${root}/var/lib/apt/lists/"* "${root}/var/cache/apt/"*.bin "${root}/var/log/"*.log \
    "${root}/usr/sbin/policy-rc.d" "${root}/tmp/"* "${root}/var/tmp/"*
  : >"${root}/etc/resolv.conf"
  tar --numeric-owner --xattrs -C "${root}" -cf "${tarball}.partial" .
  mv "${tarball}.partial" "${tarball}"
  rm -rf "${WORK_DIR}"
  WORK_DIR=""
}

# import_rootfs <name> <package...>: makes sure the local image switchyard-rootfs/<name>:<key>
# holds a rootfs with these packages (tarball and image both cached); sets ROOTFS_IMAGE.
import_rootfs() {
  local name="$1"
  shift
  local key
  key="$(rootfs_key "$@")"
  local tarball="${SWITCHYARD_CACHE_DIR}/rootfs/${name}-${key}.tar"
  ROOTFS_IMAGE="switchyard-rootfs/${name}:${BUILD_SUITE}-${key}"
  if image_present "${ROOTFS_IMAGE}"; then
    return 0
  fi
  if [[ -f "${tarball}" ]]; then
    log "cached rootfs tarball: ${tarball}"
  else
    build_rootfs_tar "${tarball}" "$@"
  fi
  log "docker import ${tarball} -> ${ROOTFS_IMAGE}"
  docker import "${tarball}" "${ROOTFS_IMAGE}" >/dev/null
}

# docker_build <content-hash> <docker build args...>: a legacy-builder build (no BuildKit or
# buildx needed) that labels the image with its content hash.
docker_build() {
  local hash="$1"
  shift
  log "docker build $*"
  DOCKER_BUILDKIT=0 docker build -q --label "${SWITCHYARD_HASH_LABEL}=${hash}" "$@" >/dev/null
}

JRE_PACKAGES=("${SWITCHYARD_JRE_PACKAGE}" ca-certificates curl)
MYSQL_PACKAGES=(mariadb-server mariadb-client)
REDIS_PACKAGES=(redis-server)

# hash_<kind>: the content hash an up-to-date image carries (see the header).
hash_jre() {
  content_hash "${SWITCHYARD_JRE_DEBIAN_SUITE}" "${JRE_PACKAGES[*]}" -- "${ROOT}/docker/offline/jre"
}
hash_mysql() {
  content_hash "${SWITCHYARD_DEBIAN_SUITE}" "${MYSQL_PACKAGES[*]}" -- "${ROOT}/docker/offline/mysql"
}
hash_redis() {
  content_hash "${SWITCHYARD_DEBIAN_SUITE}" "${REDIS_PACKAGES[*]}" -- "${ROOT}/docker/offline/redis"
}
hash_mongo() {
  content_hash "$(hash_jre)" "${MONGO_JAVA_SERVER_VERSION}" -- "${ROOT}/docker/mongo-standin/pom.xml" \
    "${ROOT}/docker/mongo-standin/Dockerfile" "${ROOT}/docker/mongo-standin/src"
}

build_jre() {
  BUILD_SUITE="${SWITCHYARD_JRE_DEBIAN_SUITE}"
  import_rootfs jre "${JRE_PACKAGES[@]}"
  docker_build "$1" --build-arg "ROOTFS_IMAGE=${ROOTFS_IMAGE}" -t "${SWITCHYARD_JRE_IMAGE}" "${ROOT}/docker/offline/jre"
}

build_mysql() {
  BUILD_SUITE="${SWITCHYARD_DEBIAN_SUITE}"
  import_rootfs mariadb "${MYSQL_PACKAGES[@]}"
  docker_build "$1" --build-arg "ROOTFS_IMAGE=${ROOTFS_IMAGE}" -t "${SWITCHYARD_MYSQL_IMAGE}" "${ROOT}/docker/offline/mysql"
}

build_redis() {
  BUILD_SUITE="${SWITCHYARD_DEBIAN_SUITE}"
  import_rootfs redis "${REDIS_PACKAGES[@]}"
  docker_build "$1" --build-arg "ROOTFS_IMAGE=${ROOTFS_IMAGE}" -t "${SWITCHYARD_REDIS_IMAGE}" "${ROOT}/docker/offline/redis"
}

# The stand-in jar is built by Maven outside the source tree (cache dir), then copied into an
# image FROM the JRE image. The repo's Maven wrapper needs only a JDK (no system Maven).
build_mongo() {
  local out="${SWITCHYARD_CACHE_DIR}/mongo-standin/${MONGO_JAVA_SERVER_VERSION}"
  local mvn=(mvn)
  if [[ -x "${ROOT}/mvnw" ]]; then
    mvn=("${ROOT}/mvnw")
  else
    require_cmd mvn
  fi
  log "building the MongoDB stand-in jar (mongo-java-server ${MONGO_JAVA_SERVER_VERSION})"
  (cd "${ROOT}" && "${mvn[@]}" -B -ntp -q -f "${ROOT}/docker/mongo-standin/pom.xml" \
    "-Dstandin.buildDirectory=${out}" "-Dmongo-java-server.version=${MONGO_JAVA_SERVER_VERSION}" \
    -DskipTests package >&2) || die "building the mongo stand-in failed"
  docker_build "$1" --build-arg "BASE_IMAGE=${SWITCHYARD_JRE_IMAGE}" \
    -f "${ROOT}/docker/mongo-standin/Dockerfile" -t "${SWITCHYARD_MONGO_IMAGE}" "${out}"
}

main() {
  local force=0
  while (($# > 0)); do
    case "$1" in
      --force) force=1 ;;
      -h | --help)
        usage
        return 0
        ;;
      *) DIE_EXIT_CODE=2 die "unknown argument: $1 (see --help)" ;;
    esac
    shift
  done
  ROOT="$(repo_root)"
  require_cmd docker
  ensure_dockerd

  # Order matters: the mongo stand-in is built on the JRE image.
  local kinds=(jre mysql redis mongo)
  local -A names=(
    [jre]="${SWITCHYARD_JRE_IMAGE}" [mysql]="${SWITCHYARD_MYSQL_IMAGE}"
    [redis]="${SWITCHYARD_REDIS_IMAGE}" [mongo]="${SWITCHYARD_MONGO_IMAGE}"
  )
  local -A hashes=()
  local missing=()
  local kind
  for kind in "${kinds[@]}"; do
    hashes[${kind}]="$("hash_${kind}")"
    if ((force == 0)) && image_has_hash "${names[${kind}]}" "${hashes[${kind}]}"; then
      log "up to date, skipped: ${names[${kind}]} (content hash ${hashes[${kind}]})"
    else
      missing+=("${kind}")
    fi
  done
  if ((${#missing[@]} == 0)); then
    log "all offline images up to date, nothing to do"
    return 0
  fi

  is_root || die "must run as root (debootstrap, chroot, mount)"
  ensure_packages debootstrap debian-archive-keyring
  mkdir -p "${SWITCHYARD_CACHE_DIR}/rootfs"
  trap cleanup EXIT
  for kind in "${missing[@]}"; do
    local started="${SECONDS}"
    "build_${kind}" "${hashes[${kind}]}"
    log "built ${names[${kind}]} in $((SECONDS - started))s (content hash ${hashes[${kind}]})"
  done
  log "offline images ready: ${SWITCHYARD_JRE_IMAGE} ${SWITCHYARD_MYSQL_IMAGE} ${SWITCHYARD_REDIS_IMAGE} ${SWITCHYARD_MONGO_IMAGE}"
}

main "$@"
