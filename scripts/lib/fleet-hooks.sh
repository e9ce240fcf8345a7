# shellcheck shell=bash
# The balancer hooks of a fleet deploy: commands the team supplies that take a host out of the load
# balancer before it switches (FLEET_DRAIN_CMD) and put it back after (FLEET_UNDRAIN_CMD). They run
# on this machine (the deployer) with the host appended as the last argument and FLEET_HOST /
# FLEET_ENV in their environment, and should return only once the balancer has done it (e.g.
# `aws elbv2 deregister-targets ... && aws elbv2 wait target-deregistered ...`). Each is bounded by
# FLEET_HOOK_TIMEOUT_S. No command set = nothing to do (the per-host switch loses no request anyway;
# the hook is for balancers that should stop sending new connections first).
# Sourced after scripts/lib/common.sh and config_load.

# fleet_hook <drain|undrain> <host>: returns the command's status (124 on timeout).
fleet_hook() {
  local which="$1"
  local host="$2"
  local cmd rc=0
  case "${which}" in
    drain) cmd="${FLEET_DRAIN_CMD}" ;;
    undrain) cmd="${FLEET_UNDRAIN_CMD}" ;;
    *)
      err "fleet_hook: unknown hook '${which}'"
      return 2
      ;;
  esac
  if [[ -z "${cmd}" ]]; then
    return 0
  fi
  log "${host}: ${which} hook"
  FLEET_HOST="${host}" FLEET_ENV="${SWITCHYARD_ENV}" \
    timeout --kill-after=10 "${FLEET_HOOK_TIMEOUT_S}" bash -c "${cmd} \"\$@\"" "fleet-${which}" "${host}" >&2 || rc=$?
  if ((rc == 124)); then
    err "${host}: ${which} hook did not finish within ${FLEET_HOOK_TIMEOUT_S}s"
  elif ((rc != 0)); then
    err "${host}: ${which} hook failed (exit ${rc})"
  fi
  return "${rc}"
}
