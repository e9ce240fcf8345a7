# shellcheck shell=bash
# The API compatibility gate's pieces (scripts/api-compat.sh, and the deploy before it starts a color).
# Every release's image carries its OpenAPI document at API_DOC_PATH (Dockerfile); it is read with `docker create`
# and `docker cp` from a container that is created and removed, never started: no process of the image runs.
# Needs: common.sh.

: "${API_DOC_PATH:=/app/api/openapi.json}"

# api_compat_jar: the gate's jar (tools/api-compat), built with the Maven wrapper when missing or older than its
# sources. Prints its path.
api_compat_jar() {
  local root module jar newest
  root="$(repo_root)"
  module="${API_COMPAT_MODULE:-${root}/tools/api-compat}"
  jar="${module}/target/api-compat.jar"
  newest="$(find "${module}/pom.xml" "${module}/src/main" -newer "${jar}" -type f -print -quit 2>/dev/null || true)"
  if [[ ! -f "${jar}" || -n "${newest}" ]]; then
    log "building the API compatibility gate (tools/api-compat)"
    (cd "${root}" && ./mvnw -B -ntp -q -f tools/api-compat/pom.xml -DskipTests package >&2) ||
      { err "could not build tools/api-compat"; return 2; }
  fi
  echo "${jar}"
}

# api_compat_unavailable: prints why the gate cannot run on this host (nothing: it can). A fleet host gets the
# kit without tools/ and need not have a JDK; there the gate belongs where the build is (scripts/api-compat.sh).
api_compat_unavailable() {
  local module
  module="${API_COMPAT_MODULE:-$(repo_root)/tools/api-compat}"
  if ! command -v java >/dev/null 2>&1; then
    echo "no java on this host"
  elif [[ ! -f "${module}/target/api-compat.jar" && ! -f "${module}/pom.xml" ]]; then
    echo "no tools/api-compat in this kit"
  fi
}

# api_doc_from_image <image> <dest-file>: copies the image's OpenAPI document to dest-file.
# Returns 1 when the image has none (a release from before the document was baked in), 2 on docker errors.
api_doc_from_image() {
  local image="$1"
  local dest="$2"
  local cid rc=0
  cid="$(docker create --network none "${image}" /bin/true 2>/dev/null)" ||
    { err "cannot read ${image} (docker create failed)"; return 2; }
  docker cp "${cid}:${API_DOC_PATH}" - 2>/dev/null | tar -xO >"${dest}" 2>/dev/null || rc=1
  docker rm -f "${cid}" >/dev/null 2>&1 || true
  if ((rc != 0)) || [[ ! -s "${dest}" ]]; then
    return 1
  fi
}

# api_compat_compare [--allow-breaking] <live-doc> <new-doc>: the gate's verdict as its exit code (0 compatible or
# allowed, 1 breaking, 2 unreadable or no JDK); the report goes to stdout.
api_compat_compare() {
  local jar
  # Identical documents are compatible: no JVM to start (a release that left the API alone, most of them).
  if cmp -s -- "${*: -2:1}" "${*: -1}"; then
    echo "api-compat: the two API documents are identical: compatible"
    return 0
  fi
  command -v java >/dev/null 2>&1 || { err "api-compat: needs java (a JDK 17+)"; return 2; }
  jar="$(api_compat_jar)" || return 2
  java -jar "${jar}" "$@"
}

# api_compat_gate <live-image|""> <new-image>: may clients of the live release keep calling the new one?
# 0: yes, or there is nothing to compare with (first deploy; a live release from before the document), or
# ALLOW_BREAKING_API=1. 1: refused (breaking, or the new image has no document). 2: the gate could not run.
api_compat_gate() {
  local live_image="$1"
  local new_image="$2"
  local dir rc=0
  local allow=()
  if [[ "${ALLOW_BREAKING_API:-0}" == 1 ]]; then
    allow=(--allow-breaking)
  fi
  if [[ -z "${live_image}" ]]; then
    log "api-compat: no live release to compare with: nothing to check"
    return 0
  fi
  local missing
  missing="$(api_compat_unavailable)"
  if [[ -n "${missing}" ]]; then
    if [[ "${API_COMPAT_REQUIRED:-0}" == 1 ]]; then
      err "api-compat: the gate cannot run here (${missing}) and API_COMPAT_REQUIRED=1: refused"
      return 2
    fi
    log "WARNING: api-compat: the gate did not run on this host (${missing}); run scripts/api-compat.sh where the build is, or set API_COMPAT_REQUIRED=1 to refuse such a deploy"
    return 0
  fi
  dir="$(mktemp -d)"
  api_doc_from_image "${new_image}" "${dir}/new.json" || rc=$?
  if ((rc != 0)); then
    rm -rf "${dir}"
    if ((rc == 1)); then
      err "api-compat: ${new_image} has no API document at ${API_DOC_PATH}: it cannot be judged"
      if ((${#allow[@]})); then
        log "api-compat: deploying it anyway (ALLOW_BREAKING_API=1)"
        return 0
      fi
    fi
    return "${rc}"
  fi
  rc=0
  api_doc_from_image "${live_image}" "${dir}/live.json" || rc=$?
  if ((rc == 1)); then
    log "api-compat: the live release ${live_image} has no API document (older than the gate): nothing to compare"
    rm -rf "${dir}"
    return 0
  elif ((rc != 0)); then
    rm -rf "${dir}"
    return "${rc}"
  fi
  log "api-compat: comparing the API of ${new_image} with the live ${live_image}"
  api_compat_compare "${allow[@]}" "${dir}/live.json" "${dir}/new.json" >&2 || rc=$?
  rm -rf "${dir}"
  return "${rc}"
}
