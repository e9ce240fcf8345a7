#!/usr/bin/env bats
# bootstrap-host.sh's edge part against an empty target root (--root, --no-packages: files only, no
# chroot command succeeds there, no service is touched): the balancers in every jail's ignoreip, a bad
# TRUSTED_PROXIES refused, and a second run that changes nothing.

setup() {
  REPO_ROOT="$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)"
  TARGET="${BATS_TEST_TMPDIR}/root"
  mkdir -p "${TARGET}"
  [ "$(id -u)" -eq 0 ] || skip "bootstrap-host.sh runs as root"
}

@test "TRUSTED_PROXIES of the envs end up in every jail's ignoreip, read after the operators' file" {
  TRUSTED_PROXIES="192.0.2.10/32 198.51.100.0/24" run "${REPO_ROOT}/scripts/bootstrap-host.sh" --root "${TARGET}" --no-packages
  [ "$status" -eq 0 ]
  local f="${TARGET}/etc/fail2ban/jail.d/zzz-switchyard-trusted-proxies.local"
  [[ "$output" == *"changed: /etc/fail2ban/jail.d/zzz-switchyard-trusted-proxies.local created"* ]]
  local jail
  for jail in sshd switchyard-sshd-preauth switchyard-nginx-limit-req switchyard-nginx-scanner switchyard-nginx-login recidive; do
    grep -qx "\[${jail}\]" "${f}"
  done
  [ "$(grep -c '^ignoreip = %(known/ignoreip)s 192.0.2.10/32 198.51.100.0/24$' "${f}")" -eq 6 ]
  [ -f "${TARGET}/etc/fail2ban/action.d/switchyard-nginx-deny.conf" ]
  [ -f "${TARGET}/etc/nginx/conf.d/switchyard-edge.conf" ]
  TRUSTED_PROXIES="192.0.2.10/32 198.51.100.0/24" run "${REPO_ROOT}/scripts/bootstrap-host.sh" --root "${TARGET}" --no-packages --check
  [ "$status" -eq 0 ]
  [[ "$output" == *"no drift"* ]]
  # No balancers any more: the file goes.
  run "${REPO_ROOT}/scripts/bootstrap-host.sh" --root "${TARGET}" --no-packages
  [ "$status" -eq 0 ]
  [ ! -e "${f}" ]
}

@test "a TRUSTED_PROXIES entry that is no address is a usage error; no ignoreip file is written" {
  TRUSTED_PROXIES="192.0.2.10 balancer.example.com" run "${REPO_ROOT}/scripts/bootstrap-host.sh" --root "${TARGET}" --no-packages
  [ "$status" -eq 2 ]
  [[ "$output" == *"TRUSTED_PROXIES: 'balancer.example.com' is not an address or CIDR range"* ]]
  [ ! -e "${TARGET}/etc/fail2ban/jail.d/zzz-switchyard-trusted-proxies.local" ]
}
