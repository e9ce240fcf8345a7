# shellcheck shell=bash
# nginx: render and install the site, switch the one-line upstream include, validate, reload.
# Every change is a small transaction: back up what is replaced, put the new files in place,
# `nginx -t`, reload (or start), and restore every file when any of that fails. The running nginx
# only reads files on reload, so a failed `nginx -t` never reaches live traffic.
# Needs: config.sh (nginx_cmd, settings), color.sh.

# The site's edge (listeners, HTTPS certificate, trusted balancers): rendered with the site.
# shellcheck source=scripts/lib/tls.sh
source "$(dirname "${BASH_SOURCE[0]}")/tls.sh"
# shellcheck source=scripts/lib/edge.sh
source "$(dirname "${BASH_SOURCE[0]}")/edge.sh"

# --- transaction over config files --------------------------------------------------------
NGINX_TX_DST=()
NGINX_TX_BAK=()
NGINX_TX_DIR=""

nginx_tx_begin() {
  NGINX_TX_DST=()
  NGINX_TX_BAK=()
  mkdir -p "$(dirname "${UPSTREAM_FILE}")" || return 1
  NGINX_TX_DIR="$(mktemp -d "$(dirname "${UPSTREAM_FILE}")/.switchyard-tx.XXXXXX")"
}

# nginx_tx_put <new-file> <destination>: moves new-file into place (rename on the same file system
# when possible), keeping a backup of the destination (or a note that it did not exist).
# Every command is checked: callers run this under `if !`, where errexit does not apply.
nginx_tx_put() {
  local src="$1"
  local dst="$2"
  local bak="${NGINX_TX_DIR}/${#NGINX_TX_DST[@]}.bak"
  mkdir -p "$(dirname "${dst}")" || return 1
  if [[ -e "${dst}" ]]; then
    cp -p "${dst}" "${bak}" || {
      err "could not back up ${dst}"
      return 1
    }
  else
    bak=""
  fi
  NGINX_TX_DST+=("${dst}")
  NGINX_TX_BAK+=("${bak}")
  # Copy next to the destination first so the final mv is an atomic rename.
  if ! cp "${src}" "${dst}.switchyard-new" || ! mv -f "${dst}.switchyard-new" "${dst}"; then
    err "could not put ${dst} in place"
    rm -f "${dst}.switchyard-new"
    return 1
  fi
}

# nginx_tx_rollback: restores every file the transaction touched, newest first. Fails (and says which)
# when a file could not be restored; the backups are then kept in the transaction directory.
nginx_tx_rollback() {
  local i failed=0
  for ((i = ${#NGINX_TX_DST[@]} - 1; i >= 0; i--)); do
    if [[ -n "${NGINX_TX_BAK[i]}" ]]; then
      if cp -p "${NGINX_TX_BAK[i]}" "${NGINX_TX_DST[i]}.switchyard-new" &&
        mv -f "${NGINX_TX_DST[i]}.switchyard-new" "${NGINX_TX_DST[i]}"; then
        log "restored ${NGINX_TX_DST[i]}"
      else
        err "could NOT restore ${NGINX_TX_DST[i]} (backup kept: ${NGINX_TX_BAK[i]})"
        failed=1
      fi
    elif rm -f "${NGINX_TX_DST[i]}"; then
      log "removed ${NGINX_TX_DST[i]} (it did not exist before)"
    else
      err "could NOT remove ${NGINX_TX_DST[i]}"
      failed=1
    fi
  done
  if ((failed)); then
    NGINX_TX_DIR=""
    NGINX_TX_DST=()
    NGINX_TX_BAK=()
    return 1
  fi
  nginx_tx_end
}

nginx_tx_end() {
  if [[ -n "${NGINX_TX_DIR}" ]]; then
    rm -rf "${NGINX_TX_DIR}"
  fi
  NGINX_TX_DIR=""
  NGINX_TX_DST=()
  NGINX_TX_BAK=()
}

# --- rendering ------------------------------------------------------------------------------
# nginx_render_site: prints the site config for the loaded env.
nginx_render_site() {
  local template="${SWITCHYARD_ROOT}/nginx/templates/switchyard-site.conf.template"
  SWITCHYARD_ENV="${SWITCHYARD_ENV}" UPSTREAM_FILE="${UPSTREAM_FILE}" NGINX_LISTEN="${NGINX_LISTEN}" \
    NGINX_SERVER_NAME="${NGINX_SERVER_NAME}" NGINX_LOG_DIR="${NGINX_LOG_DIR}" NGINX_CONF_DIR="${NGINX_CONF_DIR}" \
    BLUE_PORT="${BLUE_PORT}" GREEN_PORT="${GREEN_PORT}" \
    envsubst "$(printf '$%s ' SWITCHYARD_ENV UPSTREAM_FILE NGINX_LISTEN NGINX_SERVER_NAME NGINX_LOG_DIR NGINX_CONF_DIR BLUE_PORT GREEN_PORT)" \
    <"${template}"
}

# nginx_render_upstream <color> [current-file]: prints the new include. With a current file, the
# port of its server line is replaced by sed (everything else kept); otherwise a fresh line.
nginx_render_upstream() {
  local color="$1"
  local current="${2:-}"
  local port
  port="$(port_for_color "${color}")" || return 1
  if [[ -n "${current}" && -e "${current}" ]]; then
    sed -E "s/^([[:space:]]*server[[:space:]]+127\.0\.0\.1:)[0-9]{1,5}([[:space:]]*;)/\1${port}\2/" "${current}"
  else
    printf '# Switchyard %s: live color. Written by scripts/switch.sh - one line, the port only.\n' "${SWITCHYARD_ENV}"
    upstream_line "${port}"
  fi
}

# nginx_stage_site: stages the rendered site and the repo's shared files (conf.d, includes,
# snippets, and the main nginx.conf when NGINX_INSTALL_MAIN_CONF=1) into the transaction.
nginx_stage_site() {
  local src_dir="${SWITCHYARD_ROOT}/nginx"
  local f sub
  nginx_render_site >"${NGINX_TX_DIR}/site.conf" || return 1
  nginx_tx_put "${NGINX_TX_DIR}/site.conf" "${NGINX_SITE_FILE}" || return 1
  edge_stage || return 1
  for sub in conf.d includes snippets; do
    [[ -d "${src_dir}/${sub}" ]] || continue
    for f in "${src_dir}/${sub}"/*.conf; do
      [[ -e "${f}" ]] || continue
      if ! cmp -s "${f}" "${NGINX_CONF_DIR}/${sub}/${f##*/}"; then
        nginx_tx_put "${f}" "${NGINX_CONF_DIR}/${sub}/${f##*/}" || return 1
      fi
    done
  done
  if [[ "${NGINX_INSTALL_MAIN_CONF}" == 1 ]]; then
    nginx_tx_put "${src_dir}/nginx.conf" "${NGINX_CONF:-${NGINX_CONF_DIR}/nginx.conf}" || return 1
  fi
  if [[ -n "${NGINX_PREFIX}" ]]; then
    mkdir -p "${NGINX_PREFIX%/}/logs" "${NGINX_PREFIX%/}/tmp" || return 1
  fi
  mkdir -p "${NGINX_LOG_DIR}"
}

# --- the running nginx ---------------------------------------------------------------------
nginx_master_pid() {
  local pid
  [[ -r "${NGINX_PID_FILE}" ]] || return 1
  pid="$(tr -dc '0-9' <"${NGINX_PID_FILE}")"
  [[ -n "${pid}" ]] && kill -0 "${pid}" 2>/dev/null || return 1
  echo "${pid}"
}

nginx_running() {
  nginx_master_pid >/dev/null
}

# nginx_workers [all|active|shutting]: pids of the master's worker processes.
nginx_workers() {
  local which="${1:-all}"
  local master
  master="$(nginx_master_pid)" || return 0
  ps -o pid=,args= --ppid "${master}" | while read -r pid args; do
    case "${which}" in
      all) echo "${pid}" ;;
      active) [[ "${args}" == *"shutting down"* ]] || echo "${pid}" ;;
      shutting) [[ "${args}" != *"shutting down"* ]] || echo "${pid}" ;;
    esac
  done
}

nginx_test() {
  local out
  if ! out="$(nginx_cmd -t 2>&1)"; then
    err "nginx -t failed:"
    printf '%s\n' "${out}" >&2
    return 1
  fi
}

# nginx_reload_or_start: reload a running master and wait (NGINX_RELOAD_TIMEOUT_S) until a new
# generation of workers serves (a reload nginx rejects keeps the old workers: that is a failure); start
# one otherwise.
nginx_reload_or_start() {
  local before pid new
  if nginx_running; then
    before=" $(nginx_workers active | tr '\n' ' ') "
    nginx_cmd -s reload || return 1
    local deadline=$((SECONDS + ${NGINX_RELOAD_TIMEOUT_S:-10}))
    while :; do
      new=0
      for pid in $(nginx_workers active); do
        [[ "${before}" == *" ${pid} "* ]] || new=1
      done
      if ((new)); then
        return 0
      fi
      if ((SECONDS >= deadline)); then
        break
      fi
      sleep 0.05
    done
    err "nginx did not start new workers within ${NGINX_RELOAD_TIMEOUT_S:-10}s of the reload (see its error log)"
    return 1
  fi
  log "nginx is not running: starting it"
  # The daemon must not inherit the deploy lock (fd 9): it would hold it for its whole life.
  nginx_cmd 9>&- || return 1
  retry_until 10 0.1 nginx_running
}

# nginx_apply_color <color> [install]: points the upstream include at <color>'s port (installing
# the site first when it is missing, or when "install" is given), validates, reloads. Restores
# every file it touched on any failure.
#   0  switched
#   1  failed and restored: nginx runs the config it ran before
#   2  failed and nginx's state is unknown: a reload that did not confirm may still have taken the new
#      file, and reloading the restored files did not confirm either (or they could not be restored).
#      The caller must not assume nginx still routes to the old color.
nginx_apply_color() {
  local color="$1"
  local install="${2:-}"
  local port
  port="$(port_for_color "${color}")" || return 1
  nginx_tx_begin || return 1
  if [[ -n "${install}" || ! -e "${NGINX_SITE_FILE}" ]]; then
    log "installing nginx site ${NGINX_SITE_FILE}"
    if ! nginx_stage_site; then
      nginx_tx_rollback || return 2
      err "nginx site not installed: files restored, nginx not reloaded"
      return 1
    fi
  fi
  if ! nginx_render_upstream "${color}" "${UPSTREAM_FILE}" >"${NGINX_TX_DIR}/upstream.conf" ||
    [[ "$(upstream_port "${NGINX_TX_DIR}/upstream.conf")" != "${port}" ]]; then
    err "upstream include ${UPSTREAM_FILE} is not one 'server 127.0.0.1:<port>;' line; not touching it"
    nginx_tx_rollback || return 2
    return 1
  fi
  if ! nginx_tx_put "${NGINX_TX_DIR}/upstream.conf" "${UPSTREAM_FILE}"; then
    nginx_tx_rollback || return 2
    err "could not write the new upstream include: files restored, nginx not reloaded"
    return 1
  fi
  if ! nginx_test; then
    nginx_tx_rollback || return 2
    err "nginx config invalid: files restored, nginx not reloaded"
    return 1
  fi
  if ! nginx_reload_or_start; then
    # The reload may have gone through late: nginx may already route to <color>. Put the files back and
    # reload again, so nginx converges on the restored config either way.
    if ! nginx_tx_rollback; then
      err "nginx reload failed and the files could not be restored: nginx's routing is unknown"
      return 2
    fi
    err "nginx reload failed: files restored; reloading nginx to the restored config"
    if nginx_running && nginx_test && nginx_reload_or_start; then
      return 1
    fi
    err "reloading the restored config failed too: nginx's routing is unknown"
    return 2
  fi
  nginx_tx_end
}

# nginx_observed_color: the X-App-Color of one response through nginx (empty on no answer, status 0: under
# pipefail a refused connection would otherwise end the caller's errexit shell with curl's status 7).
nginx_observed_color() {
  { curl -s -o /dev/null -D - --max-time 3 "${NGINX_URL}/actuator/health/readiness" 2>/dev/null || true; } |
    tr -d '\r' | sed -n -E 's/^[Xx]-[Aa]pp-[Cc]olor:[[:space:]]*([a-z]+).*/\1/p' | tail -n 1
}

# nginx_observed_colors <n>: the X-App-Color of n requests through nginx, one line each ("-" for a
# request without a 2xx answer). One curl process sending them all at once, each on its own new
# connection (as a new client would come): one round trip even when the host is busy, where n requests
# one after the other would queue n times behind the load.
# Works with every curl since 7.66 (--parallel): each response, headers included (-i), goes to its own
# file (-o is per URL), parsed here; no -w '%header{}' (curl 7.84+, newer than Ubuntu 22.04's 7.81).
# The path is liveness: this proves where nginx routes, not health (the health check just passed; the bake
# watches real traffic). Readiness checks every store per request: on a color that has just taken all the
# traffic it took the verify 0.6-1.6 s under the benchmark's load, liveness 0.5-0.9 s (issue 19).
nginx_observed_colors() {
  local n="$1"
  local url="${NGINX_URL}/actuator/health/liveness"
  local args=()
  local dir i
  dir="$(mktemp -d)" || return 1
  for ((i = 0; i < n; i++)); do
    args+=(-o "${dir}/${i}" "${url}")
  done
  curl -s -i --parallel --parallel-max "${n}" --max-time 5 "${args[@]}" 2>/dev/null || true
  for ((i = 0; i < n; i++)); do
    response_color "${dir}/${i}"
  done
  rm -rf "${dir}"
}

# response_color <file>: the X-App-Color of an HTTP response saved with its headers, "-" unless 2xx.
response_color() {
  [[ -s "$1" ]] || {
    echo -
    return 0
  }
  tr -d '\r' <"$1" | awk '
    NR == 1 { ok = ($2 ~ /^2[0-9][0-9]$/); next }
    /^$/ { exit }
    tolower($1) == "x-app-color:" && $2 ~ /^[a-z]+$/ { color = $2 }
    END { print ((ok && color != "") ? color : "-") }'
}

# nginx_verify_color <color> <n> <deadline-s>: n consecutive responses through nginx from <color>.
nginx_verify_color() {
  local color="$1"
  local n="$2"
  local deadline_s="$3"
  local streak=0
  local seen last=""
  local deadline=$((SECONDS + deadline_s))
  while ((streak < n)); do
    if ((SECONDS >= deadline)); then
      err "through nginx: ${streak}/${n} consecutive responses from ${color} (last: '${last:-none}') after ${deadline_s}s"
      return 1
    fi
    while read -r seen; do
      last="${seen}"
      if [[ "${seen}" == "${color}" ]]; then
        streak=$((streak + 1))
      else
        streak=0
      fi
    done < <(nginx_observed_colors "$((n - streak))")
    if ((streak < n)); then
      sleep 0.1
    fi
  done
}
