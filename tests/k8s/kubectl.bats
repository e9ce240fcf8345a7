#!/usr/bin/env bats
# lib/kubectl.sh: which kubectl renders the overlays. PATH stubs record every command in ${STUB_LOG}.

setup() {
  REPO_ROOT="$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)"
  # shellcheck source=scripts/lib/common.sh
  source "${REPO_ROOT}/scripts/lib/common.sh"
  # shellcheck source=tests/k8s/lib/kubectl.sh
  source "${BATS_TEST_DIRNAME}/lib/kubectl.sh"
  STUB_DIR="${BATS_TEST_TMPDIR}/stubs"
  STUB_LOG="${BATS_TEST_TMPDIR}/stub.log"
  mkdir -p "${STUB_DIR}"
  : >"${STUB_LOG}"
  export STUB_LOG
  export K8S_TEST_CACHE="${BATS_TEST_TMPDIR}/cache"
  PATH="${STUB_DIR}:${PATH}"
  # root, so that as_root runs commands directly
  stub id 'echo 0'
  stub apt-cache 'printf "Package: kubernetes-client\nVersion: 1.20.5+really1.20.2-1\n"'
  # download: a "package" whose unpacking yields an executable usr/bin/kubectl
  stub apt-get '[[ "$1" == download ]] && : >"kubernetes-client_1.20.5+really1.20.2-1_amd64.deb"; exit 0'
  stub dpkg-deb 'mkdir -p "$3/usr/bin" && printf "#!/bin/sh\n" >"$3/usr/bin/kubectl" && chmod +x "$3/usr/bin/kubectl"'
}

# stub <command> <bash body>: logs "<command> <args>", then runs the body.
stub() {
  printf '#!/usr/bin/env bash\necho "%s $*" >>"${STUB_LOG}"\n%s\n' "$1" "$2" >"${STUB_DIR}/$1"
  chmod +x "${STUB_DIR}/$1"
}

@test "nothing owns /usr/bin/kubectl: Debian's package is installed and used" {
  stub dpkg-query 'exit 1'
  run debian_kubectl "${BATS_TEST_TMPDIR}"
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = /usr/bin/kubectl ]
  grep -q '^apt-get .*install .*kubernetes-client' "${STUB_LOG}"
  ! grep -q '^apt-get download' "${STUB_LOG}"
}

@test "Debian's package owns /usr/bin/kubectl: used as it is" {
  stub dpkg-query '[[ "$1" == -S ]] && echo "kubernetes-client: /usr/bin/kubectl"; [[ "$1" == -W ]] && echo "install ok installed"; exit 0'
  run debian_kubectl "${BATS_TEST_TMPDIR}"
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = /usr/bin/kubectl ]
  ! grep -q '^apt-get' "${STUB_LOG}"
}

@test "another package owns /usr/bin/kubectl: Debian's is unpacked into the cache, once" {
  stub dpkg-query '[[ "$1" == -S ]] && echo "kubectl: /usr/bin/kubectl"; exit 0'
  run debian_kubectl "${BATS_TEST_TMPDIR}"
  [ "$status" -eq 0 ]
  local expected="${K8S_TEST_CACHE}/kubernetes-client_1.20.5+really1.20.2-1/usr/bin/kubectl"
  [ "${lines[-1]}" = "${expected}" ]
  [ -x "${expected}" ]
  grep -q '^apt-get download -qq kubernetes-client=1.20.5+really1.20.2-1$' "${STUB_LOG}"
  ! grep -q '^apt-get .*install' "${STUB_LOG}"

  : >"${STUB_LOG}"
  run debian_kubectl "${BATS_TEST_TMPDIR}"
  [ "${lines[-1]}" = "${expected}" ]
  ! grep -q '^apt-get download' "${STUB_LOG}"
}

@test "empty package lists are updated once before giving up" {
  stub dpkg-query '[[ "$1" == -S ]] && echo "kubectl: /usr/bin/kubectl"; exit 0'
  stub apt-cache '[[ -f "${STUB_LOG}.updated" ]] && printf "Version: 1.20.5+really1.20.2-1\n"; exit 0'
  stub apt-get '[[ "$*" == *update* ]] && : >"${STUB_LOG}.updated"; [[ "$1" == download ]] && : >"kubernetes-client_1.20.5+really1.20.2-1_amd64.deb"; exit 0'
  run debian_kubectl "${BATS_TEST_TMPDIR}"
  [ "$status" -eq 0 ]
  grep -q '^apt-get .*update' "${STUB_LOG}"
}

@test "no kubernetes-client in the apt sources: a clear error" {
  stub dpkg-query '[[ "$1" == -S ]] && echo "kubectl: /usr/bin/kubectl"; exit 0'
  stub apt-cache 'exit 0'
  run debian_kubectl "${BATS_TEST_TMPDIR}"
  [ "$status" -ne 0 ]
  [[ "$output" == *"no kubernetes-client package in the apt sources"* ]]
}

@test "a newer kubectl on PATH is found by its kustomize version; an old or the same one is not" {
  local debian="${BATS_TEST_TMPDIR}/debian/kubectl"
  mkdir -p "${debian%/*}"
  printf '#!/bin/sh\necho "Client Version: v1.20.2"\n' >"${debian}"
  chmod +x "${debian}"
  stub kubectl 'echo "Client Version: v1.32.4"; echo "Kustomize Version: v5.5.0"'
  run newer_kubectl "${debian}"
  [ "$output" = "${STUB_DIR}/kubectl" ]

  stub kubectl 'echo "Kustomize Version: v3.8.7"'
  run newer_kubectl "${debian}"
  [ -z "$output" ]

  run newer_kubectl "${STUB_DIR}/kubectl"
  [ -z "$output" ]
}
