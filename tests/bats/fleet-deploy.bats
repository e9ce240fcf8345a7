#!/usr/bin/env bats
# scripts/fleet-deploy.sh against simulated hosts (ssh and docker are PATH stubs, see fleet_helpers.bash):
# the order of the per-host steps, what a failure rolls back, exit codes, the report.

load fleet_helpers

setup() {
  fleet_setup
  export PROD_HOSTS="app-1 app-2"
  fleet_host app-1 "${OLD}"
  fleet_host app-2 "${OLD}"
  local_image "${IMAGE}" "${ID_NEW}"
  REPORT="${BATS_TEST_TMPDIR}/report.json"
}

fleet() {
  run "${REPO}/scripts/fleet-deploy.sh" --report "${REPORT}" "$@"
}

outcomes() {
  jq -r '[.hosts[] | "\(.host)=\(.outcome)"] | join(" ")' "${REPORT}"
}

@test "two hosts: everything is shipped first, then the canary, then the second host" {
  fleet --digest "${ID_NEW}" prod "${IMAGE}"

  [ "${status}" -eq 0 ]
  # Prepare: kit and image on both before any deploy.sh; the image travels by save | ssh load.
  [ "$(grep -n -E 'docker load|scripts/deploy.sh' "${CALLS}" | cut -d: -f2 | tr -d ' ' | paste -sd ' ')" = \
    "app-1 app-2 app-1 app-2" ]
  [ "$(deploys_and_rollbacks | paste -sd ,)" = "app-1 deploy,app-2 deploy" ]
  [ "$(grep -c '^docker save' "${CALLS}")" -eq 2 ]
  [ "$(cat "${HOSTS_DIR}/app-1/kits")" = kit ]
  # deploy.sh gets the release's ID to check, on each host.
  [ "$(remote_calls 'scripts/deploy.sh' | grep -c "EXPECTED_IMAGE_ID=${ID_NEW} scripts/deploy.sh prod ${IMAGE}")" -eq 2 ]
  # Each host out of the balancer around its own deploy, in order.
  [ "$(paste -sd , "${HOOKS}")" = "drain app-1 prod,undrain app-1 prod,drain app-2 prod,undrain app-2 prod" ]
  [[ "${output}" == *"[1/2] app-1 (canary)"* ]]
  [ "$(outcomes)" = "app-1=deployed app-2=deployed" ]
  [ "$(jq -r '.result, .exit_code, .image_id, (.hosts[0].switch_ms | tostring), .hosts[0].before_image' "${REPORT}" | paste -sd ' ')" = \
    "ok 0 ${ID_NEW} 812 ${OLD}" ]
}

@test "a failing second host (exit 4) rolls back the first, and the fleet exits 6" {
  echo 4 >"${HOSTS_DIR}/app-2/deploy_exit"

  fleet --digest "${ID_NEW}" prod "${IMAGE}"

  [ "${status}" -eq 6 ]
  [ "$(deploys_and_rollbacks | paste -sd ,)" = "app-1 deploy,app-2 deploy,app-1 rollback" ]
  [ "$(cat "${HOSTS_DIR}/app-1/live")" = "${OLD}" ]
  [ "$(cat "${HOSTS_DIR}/app-2/live")" = "${OLD}" ]
  [ "$(outcomes)" = "app-1=rolled_back app-2=failed" ]
  [ "$(jq -r '.hosts[1].deploy_exit' "${REPORT}")" -eq 4 ]
  # The rolled-back host was drained around its rollback too, and both are back in the balancer.
  [ "$(paste -sd , "${HOOKS}")" = "drain app-1 prod,undrain app-1 prod,drain app-2 prod,undrain app-2 prod,drain app-1 prod,undrain app-1 prod" ]
  [[ "${output}" == *"every host is on its previous release"* ]]
}

@test "a second host left on the new release (exit 5) is rolled back too, last switched first" {
  echo 5 >"${HOSTS_DIR}/app-2/deploy_exit"

  fleet --digest "${ID_NEW}" prod "${IMAGE}"

  [ "${status}" -eq 6 ]
  [ "$(deploys_and_rollbacks | paste -sd ,)" = "app-1 deploy,app-2 deploy,app-2 rollback,app-1 rollback" ]
  [ "$(outcomes)" = "app-1=rolled_back app-2=rolled_back" ]
}

@test "an engine that switched back by itself (deploy exit 6, a bake rollback) is not rolled back again" {
  echo 6 >"${HOSTS_DIR}/app-1/deploy_exit"

  fleet --digest "${ID_NEW}" prod "${IMAGE}"

  [ "${status}" -eq 6 ]
  [ "$(deploys_and_rollbacks | paste -sd ,)" = "app-1 deploy" ]
  [ "$(outcomes)" = "app-1=rolled_back app-2=untouched" ]
  [[ "${output}" == *"app-1: the deploy switched back by itself"* ]]
}

@test "a second host rolled back by its engine after the bake (deploy exit 6): the canary is rolled back" {
  echo 6 >"${HOSTS_DIR}/app-2/deploy_exit"

  fleet --digest "${ID_NEW}" prod "${IMAGE}"

  [ "${status}" -eq 6 ]
  [ "$(deploys_and_rollbacks | paste -sd ,)" = "app-1 deploy,app-2 deploy,app-1 rollback" ]
  [ "$(outcomes)" = "app-1=rolled_back app-2=rolled_back" ]
}

@test "a failing canary stops the fleet before the second host (exit 4)" {
  echo 4 >"${HOSTS_DIR}/app-1/deploy_exit"

  fleet --digest "${ID_NEW}" prod "${IMAGE}"

  [ "${status}" -eq 4 ]
  [ "$(deploys_and_rollbacks | paste -sd ,)" = "app-1 deploy" ]
  [ "$(outcomes)" = "app-1=failed app-2=untouched" ]
  [ "$(cat "${HOSTS_DIR}/app-2/live")" = "${OLD}" ]
}

@test "a rollback that fails leaves exit 5, naming the host" {
  echo 4 >"${HOSTS_DIR}/app-2/deploy_exit"
  echo 4 >"${HOSTS_DIR}/app-1/rollback_exit"

  fleet --digest "${ID_NEW}" prod "${IMAGE}"

  [ "${status}" -eq 5 ]
  [ "$(outcomes)" = "app-1=rollback_failed app-2=failed" ]
  [[ "${output}" == *"app-1: could not go back to ${OLD} (rollback.sh exited 4): run scripts/rollback.sh prod on it"* ]]
}

@test "a canary that turns unhealthy while it is watched is rolled back before the other hosts" {
  export FLEET_CANARY_WAIT_S=1
  # The canary passes its deploy and its check, then goes bad once it is back in the balancer.
  export FLEET_UNDRAIN_CMD="touch ${HOSTS_DIR}/app-1/unhealthy; true"

  fleet --digest "${ID_NEW}" prod "${IMAGE}"

  [ "${status}" -eq 6 ]
  [ "$(deploys_and_rollbacks | paste -sd ,)" = "app-1 deploy,app-1 rollback" ]
  [[ "${output}" == *"app-1: canary no longer runs ${IMAGE} healthy after 1s"* ]]
  [ "$(outcomes)" = "app-1=rolled_back app-2=untouched" ]
}

@test "an image whose ID changes on the way is refused on that host before anything switches" {
  printf '%s' "${ID_OLD}" >"${HOSTS_DIR}/app-2/load_id"

  fleet --digest "${ID_NEW}" prod "${IMAGE}"

  [ "${status}" -eq 4 ]
  [ -z "$(deploys_and_rollbacks)" ]
  [[ "${output}" == *"app-2: after shipping, its ${IMAGE} is '${ID_OLD}', not the release ${ID_NEW}: refusing it"* ]]
}

@test "a release ID that is not the deployer's image is never shipped" {
  fleet --digest "${ID_OLD}" prod "${IMAGE}"

  [ "${status}" -eq 4 ]
  [ "$(grep -c '^docker save' "${CALLS}")" -eq 0 ]
  [[ "${output}" == *"this machine's ${IMAGE} is ${ID_NEW}, not the release ${ID_OLD}: refusing to ship it"* ]]
}

@test "a host that already has the release is not shipped to; one whose tag holds other bytes is" {
  printf '%s' "${ID_NEW}" >"${HOSTS_DIR}/app-1/images/$(ref_file "${IMAGE}")"
  printf '%s' "${ID_OLD}" >"${HOSTS_DIR}/app-2/images/$(ref_file "${IMAGE}")"

  fleet --digest "${ID_NEW}" prod "${IMAGE}"

  [ "${status}" -eq 0 ]
  [ -z "$(remote_calls '^app-1: docker load')" ]
  [ -n "$(remote_calls '^app-2: docker load')" ]
  [[ "${output}" == *"app-2: its ${IMAGE} is ${ID_OLD}, not the release: replacing it"* ]]
}

@test "with IMAGE_REGISTRY the hosts pull the release and it is checked the same way" {
  export IMAGE_REGISTRY=registry.example.com/team
  local ref="registry.example.com/team/switchyard:1.0.0-abc1234"
  export REGISTRY_ID_FILE="${BATS_TEST_TMPDIR}/registry-id"
  printf '%s' "${ID_NEW}" >"${REGISTRY_ID_FILE}"

  fleet --digest "${ID_NEW}" prod "${ref}"

  [ "${status}" -eq 0 ]
  [ "$(remote_calls 'docker pull' | wc -l)" -eq 2 ]
  [ "$(grep -c '^docker save' "${CALLS}")" -eq 0 ]
}

@test "a drain hook that fails leaves that host untouched and rolls back the ones before it" {
  touch "${HOOKS}.fail-drain-app-2"

  fleet --digest "${ID_NEW}" prod "${IMAGE}"

  [ "${status}" -eq 6 ]
  [ "$(deploys_and_rollbacks | paste -sd ,)" = "app-1 deploy,app-1 rollback" ]
  [ "$(jq -r '.hosts[1].note' "${REPORT}")" = "drain hook failed" ]
}

@test "an unreachable host stops the fleet before anything switches" {
  touch "${HOSTS_DIR}/app-2/unreachable"
  fleet --digest "${ID_NEW}" prod "${IMAGE}"
  [ "${status}" -eq 4 ]
  [ -z "$(deploys_and_rollbacks)" ]
}

@test "the fleet lock: a second fleet deploy exits 3 and names the holder" {
  mkdir -p "${SWITCHYARD_STATE_DIR}/prod"
  echo "fleet deploy other pid=1 user=ops" >"${SWITCHYARD_STATE_DIR}/prod/fleet.lock.holder"
  flock "${SWITCHYARD_STATE_DIR}/prod/fleet.lock" sleep 5 &
  local holder=$!
  sleep 0.3

  fleet --digest "${ID_NEW}" prod "${IMAGE}"

  kill "${holder}" 2>/dev/null || true
  [ "${status}" -eq 3 ]
  [[ "${output}" == *"fleet deploy other pid=1 user=ops"* ]]
  [ ! -s "${CALLS}" ]
}

@test "ssh gets the fleet's key and config when they are set" {
  export FLEET_SSH_KEY=/run/secrets/key FLEET_SSH_CONFIG=/etc/switchyard/ssh_config
  fleet --digest "${ID_NEW}" prod "${IMAGE}"
  [ "${status}" -eq 0 ]
  [ "$(sort -u "${SSH_ARGS}")" = "-F /etc/switchyard/ssh_config -i /run/secrets/key -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=15 -o ServerAliveCountMax=4" ]
}

@test "usage and configuration errors exit 2 and touch nothing" {
  fleet --digest sha256:short prod "${IMAGE}"
  [ "${status}" -eq 2 ]
  fleet --digest "${ID_NEW}" prod switchyard:latest
  [ "${status}" -eq 2 ]
  fleet prod
  [ "${status}" -eq 2 ]
  PROD_HOSTS="app-1 app-1" fleet --digest "${ID_NEW}" prod "${IMAGE}"
  [ "${status}" -eq 2 ]
  [[ "${output}" == *"app-1 is listed twice"* ]]
  PROD_HOSTS="app-1 -oProxyCommand=x" fleet --digest "${ID_NEW}" prod "${IMAGE}"
  [ "${status}" -eq 2 ]
  FLEET_HOOK_TIMEOUT_S=0 fleet --digest "${ID_NEW}" prod "${IMAGE}"
  [ "${status}" -eq 2 ]
  [ ! -s "${CALLS}" ]
}

@test "without --digest the release is the deployer's image" {
  fleet prod "${IMAGE}"
  [ "${status}" -eq 0 ]
  [[ "${output}" == *"no --digest: the release is this machine's ${IMAGE} (${ID_NEW})"* ]]
}

@test "no hosts listed: this host alone, with the checkout's own scripts and no ssh" {
  unset PROD_HOSTS
  local root="${BATS_TEST_TMPDIR}/checkout"
  mkdir -p "${root}/scripts"
  cp -r "${REPO}/scripts/env" "${root}/scripts/env"
  for s in deploy rollback; do
    printf '#!/usr/bin/env bash\necho "%s $* EXPECTED_IMAGE_ID=${EXPECTED_IMAGE_ID:-}" >>"%s"\n' "${s}" "${CALLS}" >"${root}/scripts/${s}.sh"
  done
  cat >"${root}/scripts/status.sh" <<STATUS
#!/usr/bin/env bash
jq -n -c --arg image "\$(grep -q '^deploy' '${CALLS}' && echo '${IMAGE}' || echo '${OLD}')" \
  '{live_color: "blue", colors: {blue: {image: \$image, container: "cid", health: "up"}}, last_deploys: []}'
STATUS
  chmod +x "${root}"/scripts/*.sh
  # The live container's image ID, as the local docker reports it.
  cat >"${STUBS}/docker" <<STUB
#!/usr/bin/env bash
if [[ "\$1" == inspect ]]; then grep -q '^deploy' '${CALLS}' && echo '${ID_NEW}' || echo '${ID_OLD}'; exit 0; fi
[[ "\$1 \$2" == "image inspect" ]] && { echo '${ID_NEW}'; exit 0; }
exit 99
STUB

  SWITCHYARD_ROOT="${root}" fleet --digest "${ID_NEW}" prod "${IMAGE}"

  [ "${status}" -eq 0 ]
  [ "$(cat "${CALLS}")" = "deploy prod ${IMAGE} EXPECTED_IMAGE_ID=${ID_NEW}" ]
  [ ! -s "${SSH_ARGS}" ]
}
