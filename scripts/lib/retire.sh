# shellcheck shell=bash
# Retiring the old color when the rollback window ends (ROLLBACK_WINDOW_S > 0).
#
# The work must outlive the deploy: a CI runner kills the build's processes when the step ends and a
# host may reboot. So the timer belongs to the service manager where there is one:
#   systemd (PID 1 is systemd): a transient timer, `systemd-run --on-active=<s>
#   --unit=switchyard-retire-<env>-<color>`, running scripts/retire.sh <state-file> when it fires;
#   no systemd (containers, CI sandboxes): scripts/retire.sh --wait, detached (own session, without the
#   CI build cookies: scripts/lib/detach.sh), sleeping until the due time.
# RETIRE_SCHEDULER=auto|systemd|process picks one (auto: systemd when it runs).
#
# Each pending retirement is one state file, ${STATE_DIR}/retire-<color>.json: what to stop, when, how it
# is scheduled, and the settings the job needs (so it needs no config of its own). The file is the
# truth: the job acts only while the file still carries its token, so removing the file cancels it even
# when the timer cannot be reached. Neither mechanism survives a reboot (transient units live in /run):
# after one, status shows the retirement as "lost"; the next deploy replaces that color anyway.
# Needs: common.sh, detach.sh, lock.sh, color.sh (for the job: live_color).

retire_state_file() {
  echo "${STATE_DIR}/retire-$1.json"
}

retire_unit_name() {
  echo "switchyard-retire-${SWITCHYARD_ENV}-$1"
}

# retire_mechanism: systemd or process, per RETIRE_SCHEDULER.
retire_mechanism() {
  case "${RETIRE_SCHEDULER:-auto}" in
    systemd | process) echo "${RETIRE_SCHEDULER}" ;;
    *)
      # sd_booted(3): systemd is the init system when /run/systemd/system exists.
      if [[ -d "${RETIRE_SYSTEMD_RUN_DIR:-/run/systemd/system}" ]] && command -v systemd-run >/dev/null 2>&1; then
        echo systemd
      else
        echo process
      fi
      ;;
  esac
}

# retire_write_state <file> <json>: atomically (a job may read it at any time).
retire_write_state() {
  local file="$1"
  local json="$2"
  jq . <<<"${json}" >"${file}.tmp" && mv -f "${file}.tmp" "${file}"
}

# retire_schedule <color> <container-id> <after-s>: stop <color>'s container <after-s> from now unless it is
# live again or was replaced by then. Replaces a pending retirement of the color.
retire_schedule() {
  local color="$1"
  local cid="$2"
  local after_s="$3"
  local file token due project mechanism state
  file="$(retire_state_file "${color}")"
  retire_cancel "${color}"
  mkdir -p "${STATE_DIR}"
  token="$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  due=$(($(date +%s) + after_s))
  project="$(app_project "${color}")"
  state="$(jq -n --arg env "${SWITCHYARD_ENV}" --arg color "${color}" --arg container "${cid}" \
    --argjson due "${due}" --arg token "${token}" \
    --arg lock_file "${LOCK_FILE}" --arg upstream_file "${UPSTREAM_FILE}" --arg blue_port "${BLUE_PORT}" \
    --arg green_port "${GREEN_PORT}" --arg project "${project}" --arg stop_grace_s "${STOP_GRACE_S}" \
    --arg lock_wait_s "${LOCK_WAIT_S}" --arg path "${PATH}" --arg docker_host "${DOCKER_HOST:-}" \
    --arg log_file "${STATE_DIR}/retire.log" \
    '{env: $env, color: $color, container: $container, due: $due, token: $token, mechanism: "pending",
      settings: {lock_file: $lock_file, upstream_file: $upstream_file, blue_port: $blue_port,
        green_port: $green_port, project: $project, stop_grace_s: $stop_grace_s, lock_wait_s: $lock_wait_s,
        path: $path, docker_host: $docker_host, log_file: $log_file}}')" || return 1
  retire_write_state "${file}" "${state}" || return 1
  mechanism="$(retire_mechanism)"
  if [[ "${mechanism}" == systemd ]]; then
    if retire_schedule_systemd "${color}" "${after_s}" "${file}"; then
      retire_write_state "${file}" "$(jq --arg unit "$(retire_unit_name "${color}")" \
        '. + {mechanism: "systemd", unit: $unit}' "${file}")"
      log "retirement of ${color} in ${after_s}s: systemd timer $(retire_unit_name "${color}").timer"
      return 0
    fi
    log "WARNING: systemd-run failed: retiring ${color} with a detached process instead"
  fi
  local pid
  pid="$(detach_run "${STATE_DIR}/retire.log" "${SWITCHYARD_ROOT}/scripts/retire.sh" --wait "${file}")"
  retire_write_state "${file}" "$(jq --argjson pid "${pid}" '. + {mechanism: "process", pid: $pid}' "${file}")"
  log "retirement of ${color} in ${after_s}s: detached process ${pid} (no systemd)"
}

# retire_schedule_systemd <color> <after-s> <state-file>: a transient timer + service. --collect: a
# failed run is unloaded too, so the unit name is free for the next deploy.
retire_schedule_systemd() {
  local color="$1"
  local after_s="$2"
  local file="$3"
  local unit
  unit="$(retire_unit_name "${color}")"
  # A unit of that name left from an earlier run (failed, or not collected) would make systemd-run fail.
  systemctl stop "${unit}.timer" "${unit}.service" >/dev/null 2>&1 || true
  systemctl reset-failed "${unit}.timer" "${unit}.service" >/dev/null 2>&1 || true
  systemd-run --quiet --collect --unit="${unit}" --on-active="${after_s}s" --timer-property=AccuracySec=1s \
    --description="Switchyard ${SWITCHYARD_ENV}: stop ${color} after the rollback window" \
    "${SWITCHYARD_ROOT}/scripts/retire.sh" "${file}" </dev/null >&2 9>&-
}

# retire_cancel <color>: ends a pending retirement of the color (timer or process) and removes its file.
retire_cancel() {
  local color="$1"
  local file mechanism pid unit
  file="$(retire_state_file "${color}")"
  [[ -e "${file}" ]] || return 0
  mechanism="$(jq -r '.mechanism // empty' "${file}" 2>/dev/null || true)"
  case "${mechanism}" in
    systemd)
      unit="$(jq -r '.unit // empty' "${file}")"
      if [[ -n "${unit}" ]]; then
        systemctl stop "${unit}.timer" >/dev/null 2>&1 || true
      fi
      ;;
    process)
      pid="$(jq -r '.pid // empty' "${file}")"
      if retire_process_alive "${pid}" "${file}"; then
        kill "${pid}" 2>/dev/null || true
      fi
      ;;
  esac
  # Without the file a job that still runs does nothing (see retire_run).
  rm -f "${file}"
}

# retire_process_alive <pid> <state-file>: the pid is still our retire job for that file (not a reused pid).
retire_process_alive() {
  local pid="$1"
  local file="$2"
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
  tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null | grep -q -F -- "scripts/retire.sh --wait ${file}"
}

# retire_pending_json: the pending retirements of the env, a JSON array of
# {color, container, due, in_s, mechanism, unit|pid, state: pending|overdue|lost}.
retire_pending_json() {
  local color file alive now
  now="$(date +%s)"
  for color in blue green; do
    file="$(retire_state_file "${color}")"
    [[ -r "${file}" ]] || continue
    alive=false
    case "$(jq -r '.mechanism // empty' "${file}" 2>/dev/null)" in
      systemd) systemctl is-active --quiet "$(jq -r .unit "${file}").timer" 2>/dev/null && alive=true ;;
      process) retire_process_alive "$(jq -r '.pid // empty' "${file}")" "${file}" && alive=true ;;
    esac
    jq -c --argjson now "${now}" --argjson alive "${alive}" \
      '{color, container: (.container[0:12]), due, in_s: (.due - $now), mechanism, unit, pid,
        state: (if ($alive | not) then "lost" elif .due < $now then "overdue" else "pending" end)}
       | with_entries(select(.value != null))' "${file}" 2>/dev/null || true
  done | jq -s -c .
}

# --- the job (scripts/retire.sh) -------------------------------------------------------------------
# retire_run <state-file> <token>: stop the color unless it is live again, was replaced, or the retirement
# was cancelled. Holds the deploy lock only to decide, never while the container stops (STOP_GRACE_S can be
# 45 s): a deploy arriving meanwhile proceeds (and replaces the stopping container).
retire_run() {
  local file="$1"
  local token="$2"
  local color cid env project live current
  retire_still_mine "${file}" "${token}" || {
    log "retirement cancelled or replaced: nothing to do"
    return 0
  }
  env="$(jq -r .env "${file}")"
  color="$(jq -r .color "${file}")"
  cid="$(jq -r .container "${file}")"
  project="$(jq -r .settings.project "${file}")"
  BLUE_PORT="$(jq -r .settings.blue_port "${file}")"
  GREEN_PORT="$(jq -r .settings.green_port "${file}")"
  LOCK_FILE="$(jq -r .settings.lock_file "${file}")"
  local include grace_s wait_s
  include="$(jq -r .settings.upstream_file "${file}")"
  grace_s="$(jq -r .settings.stop_grace_s "${file}")"
  wait_s="$(jq -r .settings.lock_wait_s "${file}")"
  lock_acquire "${LOCK_FILE}" "${wait_s}" "retire ${env} ${color} after the rollback window" || return 3
  if ! retire_still_mine "${file}" "${token}"; then
    lock_release "${LOCK_FILE}"
    log "retirement of ${env} ${color} cancelled while waiting for the lock"
    return 0
  fi
  live="$(live_color "${include}" 2>/dev/null || echo unknown)"
  current="$(docker ps -aq --no-trunc --filter "label=com.docker.compose.project=${project}" | head -n 1)"
  rm -f "${file}"
  lock_release "${LOCK_FILE}"
  if [[ "${live}" == "${color}" ]]; then
    log "rollback window over: ${env} ${color} is live again, not stopping it"
  elif [[ -z "${current}" || "${current}" != "${cid}"* ]]; then
    log "rollback window over: ${env} ${color} was replaced or removed meanwhile, nothing to stop"
  else
    log "rollback window over: stopping ${env} ${color} (${cid:0:12}, grace ${grace_s}s)"
    docker stop -t "${grace_s}" "${cid}" >/dev/null || log "WARNING: docker stop ${cid:0:12} failed"
  fi
}

retire_still_mine() {
  [[ -r "$1" && "$(jq -r '.token // empty' "$1" 2>/dev/null)" == "$2" ]]
}
