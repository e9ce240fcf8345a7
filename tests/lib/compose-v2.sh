# shellcheck shell=bash
# use_compose_v2: Docker Compose v2 (`docker compose`, the CLI plugin) for the current shell only, on
# hosts whose release has no v2 package (Debian 12 ships docker-compose 1.29). Sourced, never
# executed; needs scripts/lib/common.sh.
#
#   use_compose_v2                      # then: docker compose version  ->  2.x
#
# The plugin is the `docker-compose` package of the next Debian release (trixie: Compose v2, a static
# Go binary needing only libc6), fetched from the host's own Debian mirror with a PRIVATE apt
# configuration (own sources list, lists and cache under the cache dir; the host's apt sources,
# package lists and dpkg database are never touched) and verified by apt against the host's
# debian-archive-keyring. Nothing is installed system-wide: the binary is extracted with dpkg-deb and
# put into a private DOCKER_CONFIG (<cache>/docker-config/cli-plugins/docker-compose), which this
# function exports. That docker config has no config.json: no registry logins (the tests use local
# images only). Cached: once fetched, a call only exports DOCKER_CONFIG and checks the version.
#
# Environment:
#   SWITCHYARD_COMPOSE_V2_CACHE    cache dir (default /var/cache/switchyard/compose-v2)
#   SWITCHYARD_COMPOSE_V2_SUITE    Debian suite to take the package from (default trixie)
#   SWITCHYARD_COMPOSE_V2_MIRROR   Debian archive URI (default: the host's apt sources, see below)
#   SWITCHYARD_COMPOSE_V2_KEYRING  keyring apt verifies with (default the Debian archive keyring)

COMPOSE_V2_CACHE="${SWITCHYARD_COMPOSE_V2_CACHE:-/var/cache/switchyard/compose-v2}"
COMPOSE_V2_SUITE="${SWITCHYARD_COMPOSE_V2_SUITE:-trixie}"
COMPOSE_V2_KEYRING="${SWITCHYARD_COMPOSE_V2_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}"
COMPOSE_V2_PACKAGE="docker-compose"
# Set by use_compose_v2: the version `docker compose version --short` reports.
COMPOSE_V2_VERSION=""

# compose_v2_host_codename: the host's release codename (bookworm), from /etc/os-release.
compose_v2_host_codename() {
  local codename=""
  if [[ -r /etc/os-release ]]; then
    codename="$(sed -n -E 's/^VERSION_CODENAME="?([a-z]+)"?$/\1/p' /etc/os-release)"
  fi
  [[ -n "${codename}" ]] || die "cannot tell the host's release codename (VERSION_CODENAME in /etc/os-release)"
  echo "${codename}"
}

# compose_v2_mirror: the URI of the host's Debian main archive: the first http(s) URI of an enabled
# `deb` source whose suites include the host's bare codename (bookworm, not bookworm-security) with
# the main component, from the deb822 *.sources files and the one-line *.list files apt reads
# (Dir::Etc::SourceList and Dir::Etc::SourceParts). SWITCHYARD_COMPOSE_V2_MIRROR overrides.
compose_v2_mirror() {
  if [[ -n "${SWITCHYARD_COMPOSE_V2_MIRROR:-}" ]]; then
    echo "${SWITCHYARD_COMPOSE_V2_MIRROR%/}"
    return 0
  fi
  local codename list="/etc/apt/sources.list" parts="/etc/apt/sources.list.d" uri="" f
  codename="$(compose_v2_host_codename)" || return 1
  # apt-config prints shell assignments (quoted by apt) of the full paths apt itself reads.
  eval "$(apt-config shell list Dir::Etc::SourceList/f parts Dir::Etc::SourceParts/d)"
  parts="${parts%/}"
  for f in "${parts}"/*.sources; do
    [[ -r "${f}" ]] || continue
    uri="$(compose_v2_deb822_uri "${codename}" <"${f}")"
    [[ -z "${uri}" ]] || break
  done
  if [[ -z "${uri}" ]]; then
    for f in "${list}" "${parts}"/*.list; do
      [[ -r "${f}" ]] || continue
      uri="$(compose_v2_one_line_uri "${codename}" <"${f}")"
      [[ -z "${uri}" ]] || break
    done
  fi
  [[ -n "${uri}" ]] ||
    die "no Debian mirror for '${codename} main' in the host's apt sources (${list}, ${parts}/*.sources, ${parts}/*.list); set SWITCHYARD_COMPOSE_V2_MIRROR"
  echo "${uri%/}"
}

# compose_v2_deb822_uri <codename> < file.sources
compose_v2_deb822_uri() {
  awk -v want="$1" '
    function flush(   n, i, u) {
      if (!done && (" " types " ") ~ / deb / && tolower(enabled) != "no" &&
          (" " suites " ") ~ (" " want " ") && (" " comps " ") ~ / main /) {
        n = split(uris, u, " ")
        for (i = 1; i <= n; i++) {
          if (u[i] ~ /^https?:\/\//) { print u[i]; done = 1; break }
        }
      }
      types = suites = comps = uris = enabled = key = ""
    }
    /^#/ { next }
    /^[ \t]*$/ { flush(); next }
    /^[ \t]/ { value = $0 }
    /^[^ \t]/ {
      key = tolower(substr($0, 1, index($0, ":") - 1))
      value = substr($0, index($0, ":") + 1)
    }
    {
      gsub(/[ \t]+/, " ", value)
      if (key == "types") types = types " " value
      else if (key == "suites") suites = suites " " value
      else if (key == "components") comps = comps " " value
      else if (key == "uris") uris = uris " " value
      else if (key == "enabled") { gsub(/ /, "", value); enabled = value }
    }
    END { flush() }
  '
}

# compose_v2_one_line_uri <codename> < sources.list
compose_v2_one_line_uri() {
  awk -v want="$1" '
    $1 != "deb" { next }
    {
      i = 2
      if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
      if ($(i + 1) != want || $(i) !~ /^https?:\/\//) next
      for (c = i + 2; c <= NF; c++) if ($c == "main") { print $i; exit }
    }
  '
}

# compose_v2_apt <apt-get|apt-cache> <args...>: apt with the private configuration only.
compose_v2_apt() {
  local tool="$1"
  shift
  local apt_dir="${COMPOSE_V2_CACHE}/apt"
  "${tool}" -q \
    -o Dir::Etc::SourceList="${apt_dir}/sources.list" \
    -o Dir::Etc::SourceParts="${apt_dir}/sources.list.d" \
    -o Dir::Etc::Preferences="${apt_dir}/preferences" \
    -o Dir::Etc::PreferencesParts="${apt_dir}/preferences.d" \
    -o Dir::State::Lists="${apt_dir}/lists" \
    -o Dir::State::status="${apt_dir}/status" \
    -o Dir::Cache="${apt_dir}/cache" \
    -o APT::Default-Release= \
    -o Acquire::Languages=none \
    "$@"
}

# compose_v2_depends_ok <Depends-field>: true when the host's installed packages satisfy it
# (trixie's docker-compose needs only libc6 (>= 2.34); bookworm has 2.36).
compose_v2_depends_ok() {
  local depends="$1"
  local dep alt name op version installed ok
  local -a deps alts
  IFS=',' read -r -a deps <<<"${depends}"
  for dep in "${deps[@]}"; do
    [[ -n "${dep// /}" ]] || continue
    IFS='|' read -r -a alts <<<"${dep}"
    ok=0
    for alt in "${alts[@]}"; do
      read -r name op version <<<"$(sed -E 's/^ *([^ (]+) *(\(([<>=]+) *([^)]+)\))? *$/\1 \3 \4/' <<<"${alt}")"
      name="${name%:any}"
      installed="$(dpkg-query -W -f='${Status} ${Version}\n' "${name}" 2>/dev/null |
        awk '$1 == "install" && $3 == "installed" { print $4; exit }')"
      [[ -n "${installed}" ]] || continue
      if [[ -z "${op}" ]] || dpkg --compare-versions "${installed}" "${op}" "${version}"; then
        ok=1
        break
      fi
    done
    if ((ok == 0)); then
      err "dependency not satisfied by this host: ${dep# } (host: $(dpkg-query -W -f='${Version}' "${name:-none}" 2>/dev/null || echo none))"
      return 1
    fi
  done
}

# compose_v2_fetch <plugin-path>: downloads, verifies and extracts the plugin to <plugin-path>.
compose_v2_fetch() {
  local plugin="$1"
  local apt_dir="${COMPOSE_V2_CACHE}/apt"
  local mirror show version depends deb work
  require_cmd apt-get apt-cache dpkg-deb dpkg-query
  [[ -r "${COMPOSE_V2_KEYRING}" ]] ||
    die "keyring ${COMPOSE_V2_KEYRING} missing: install debian-archive-keyring (it carries the ${COMPOSE_V2_SUITE} keys)"
  mirror="$(compose_v2_mirror)" || die "cannot fetch Compose v2 without a Debian mirror"
  log "fetching Compose v2: ${COMPOSE_V2_PACKAGE} from ${mirror} ${COMPOSE_V2_SUITE} (private apt config in ${apt_dir})"
  mkdir -p "${apt_dir}/sources.list.d" "${apt_dir}/preferences.d" "${apt_dir}/lists/partial" \
    "${apt_dir}/cache/archives/partial" "${apt_dir}/debs"
  : >"${apt_dir}/status"
  : >"${apt_dir}/preferences"
  # targets=Packages: no Contents/DEP-11 indexes even when the host's apt.conf.d asks for them.
  printf 'deb [signed-by=%s targets=Packages] %s %s main\n' "${COMPOSE_V2_KEYRING}" "${mirror}" "${COMPOSE_V2_SUITE}" \
    >"${apt_dir}/sources.list"
  # --error-on=any: a failed download or a bad signature fails the update (else apt only warns).
  if ! compose_v2_apt apt-get --error-on=any update >"${apt_dir}/update.log" 2>&1; then
    sed 's/^/    /' "${apt_dir}/update.log" >&2
    die "apt-get update of ${mirror} ${COMPOSE_V2_SUITE} failed (mirror unreachable, suite missing or signature not verified by ${COMPOSE_V2_KEYRING}); log: ${apt_dir}/update.log"
  fi
  show="$(compose_v2_apt apt-cache show --no-all-versions "${COMPOSE_V2_PACKAGE}" 2>/dev/null || true)"
  version="$(sed -n 's/^Version: //p' <<<"${show}" | head -n 1)"
  [[ -n "${version}" ]] || die "no package ${COMPOSE_V2_PACKAGE} in ${mirror} ${COMPOSE_V2_SUITE} main"
  [[ "${version}" == 2.* ]] ||
    die "${COMPOSE_V2_PACKAGE} in ${COMPOSE_V2_SUITE} is ${version}, not Compose v2 (SWITCHYARD_COMPOSE_V2_SUITE)"
  depends="$(sed -n 's/^Depends: //p' <<<"${show}" | head -n 1)"
  compose_v2_depends_ok "${depends}" ||
    die "${COMPOSE_V2_PACKAGE} ${version} from ${COMPOSE_V2_SUITE} needs '${depends}', which this host does not have"
  # apt-get download checks the .deb against the signed index; it drops privileges to _apt, which
  # must be able to write the target directory.
  rm -f "${apt_dir}/debs/"*.deb
  if id _apt >/dev/null 2>&1; then
    chown _apt "${apt_dir}/debs"
  fi
  if ! (cd "${apt_dir}/debs" && compose_v2_apt apt-get download "${COMPOSE_V2_PACKAGE}=${version}") >"${apt_dir}/download.log" 2>&1; then
    sed 's/^/    /' "${apt_dir}/download.log" >&2
    die "apt-get download ${COMPOSE_V2_PACKAGE}=${version} failed; log: ${apt_dir}/download.log"
  fi
  deb="$(find "${apt_dir}/debs" -maxdepth 1 -name "${COMPOSE_V2_PACKAGE}_*.deb" | head -n 1)"
  [[ -n "${deb}" && "$(dpkg-deb -f "${deb}" Version)" == "${version}" ]] ||
    die "downloaded ${COMPOSE_V2_PACKAGE} .deb missing or not version ${version} (in ${apt_dir}/debs)"
  work="$(mktemp -d "${COMPOSE_V2_CACHE}/extract.XXXXXX")"
  dpkg-deb -x "${deb}" "${work}"
  if [[ ! -x "${work}/usr/libexec/docker/cli-plugins/docker-compose" ]]; then
    rm -rf "${work}"
    die "${deb##*/} has no usr/libexec/docker/cli-plugins/docker-compose"
  fi
  if ! "${work}/usr/libexec/docker/cli-plugins/docker-compose" version >/dev/null 2>&1; then
    rm -rf "${work}"
    die "the docker-compose binary of ${deb##*/} does not run on this host"
  fi
  mkdir -p "$(dirname "${plugin}")"
  # Atomic: a concurrent reader sees the old file or the complete new one.
  cp "${work}/usr/libexec/docker/cli-plugins/docker-compose" "${plugin}.new"
  mv -f "${plugin}.new" "${plugin}"
  rm -rf "${work}"
  printf '%s %s from %s %s, sha256 %s\n' "${COMPOSE_V2_PACKAGE}" "${version}" "${mirror}" "${COMPOSE_V2_SUITE}" \
    "$(sha256sum "${deb}" | cut -d ' ' -f 1)" >"${COMPOSE_V2_CACHE}/SOURCE"
  log "Compose v2 ${version} cached in ${plugin}"
}

# use_compose_v2: makes `docker compose` the cached Compose v2 for this shell (exports DOCKER_CONFIG),
# fetching it first when the cache is empty. Dies with the reason when that is impossible.
use_compose_v2() {
  local config_dir="${COMPOSE_V2_CACHE}/docker-config"
  local plugin="${config_dir}/cli-plugins/docker-compose"
  if [[ -n "${COMPOSE_V2_VERSION}" && "${DOCKER_CONFIG:-}" == "${config_dir}" && -x "${plugin}" ]]; then
    return 0
  fi
  require_cmd docker flock
  if [[ ! -x "${plugin}" ]]; then
    mkdir -p "${COMPOSE_V2_CACHE}" 2>/dev/null || true
    [[ -w "${COMPOSE_V2_CACHE}" ]] || die "cannot write ${COMPOSE_V2_CACHE} (run as root, or set SWITCHYARD_COMPOSE_V2_CACHE)"
    # One fetch at a time; whoever waited finds the plugin ready.
    local lock_fd
    exec {lock_fd}>>"${COMPOSE_V2_CACHE}/.lock"
    flock -w 600 "${lock_fd}" || die "another process holds ${COMPOSE_V2_CACHE}/.lock for over 600s"
    if [[ ! -x "${plugin}" ]]; then
      compose_v2_fetch "${plugin}"
    fi
    exec {lock_fd}>&-
  fi
  export DOCKER_CONFIG="${config_dir}"
  COMPOSE_V2_VERSION="$(docker compose version --short 2>/dev/null || true)"
  COMPOSE_V2_VERSION="${COMPOSE_V2_VERSION#v}"
  if [[ "${COMPOSE_V2_VERSION}" != 2.* ]]; then
    die "'docker compose version' with DOCKER_CONFIG=${config_dir} reports '${COMPOSE_V2_VERSION:-nothing}', not 2.x (remove ${plugin} to fetch it again)"
  fi
  log "using Compose v2 ${COMPOSE_V2_VERSION} (docker compose, DOCKER_CONFIG=${config_dir})"
}
