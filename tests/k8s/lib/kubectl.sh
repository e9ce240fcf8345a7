# shellcheck shell=bash
# Which kubectl renders the overlays: Debian 12's (kustomize v2.0.3, the oldest we claim) and, when the host
# has one, a newer one to compare with. Sourced after scripts/lib/common.sh (log, die, ensure_packages).

# debian_kubectl <work-dir>: prints the path of Debian's kubectl (package kubernetes-client). Installs the
# package when nothing owns /usr/bin/kubectl; when another package does (e.g. Google's kubectl), unpacks
# Debian's into a cache instead of fighting over the path.
debian_kubectl() {
  local work_dir="$1"
  local owner
  owner="$(dpkg-query -S /usr/bin/kubectl 2>/dev/null | cut -d: -f1 || true)"
  if [[ -z "${owner}" || "${owner}" == kubernetes-client ]]; then
    ensure_packages kubernetes-client
    echo /usr/bin/kubectl
    return 0
  fi
  local version
  version="$(apt-cache show --no-all-versions kubernetes-client 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)"
  if [[ -z "${version}" ]]; then
    # A fresh machine has empty package lists.
    as_root apt-get -o DPkg::Lock::Timeout=300 update -qq
    version="$(apt-cache show --no-all-versions kubernetes-client 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)"
  fi
  [[ -n "${version}" ]] || die "no kubernetes-client package in the apt sources"
  local dir="${K8S_TEST_CACHE:-/var/cache/switchyard-tests}/kubernetes-client_${version}"
  if [[ ! -x "${dir}/usr/bin/kubectl" ]]; then
    log "unpacking Debian's kubernetes-client ${version} into ${dir} (/usr/bin/kubectl belongs to ${owner})"
    local download="${work_dir}/deb"
    mkdir -p "${download}" "${dir}"
    (cd "${download}" && apt-get download -qq "kubernetes-client=${version}" >/dev/null 2>&1) ||
      die "apt-get download kubernetes-client=${version} failed"
    local debs=("${download}"/kubernetes-client_*.deb)
    [[ -f "${debs[0]}" ]] || die "apt-get download left no kubernetes-client package in ${download}"
    dpkg-deb -x "${debs[0]}" "${dir}"
    [[ -x "${dir}/usr/bin/kubectl" ]] || die "no usr/bin/kubectl in ${debs[0]}"
  fi
  echo "${dir}/usr/bin/kubectl"
}

kustomize_version() {
  "$1" version --client 2>/dev/null | sed -n 's/^Kustomize Version: //p' | head -n 1
}

# newer_kubectl <debian-kubectl>: prints another kubectl on PATH whose kustomize is v4 or later, if any.
newer_kubectl() {
  local other
  other="$(command -v kubectl || true)"
  [[ -n "${other}" && "$(readlink -f "${other}")" != "$(readlink -f "$1")" ]] || return 0
  if [[ "$(kustomize_version "${other}")" =~ ^v([4-9]|[1-9][0-9])\. ]]; then
    echo "${other}"
  fi
}
