#!/usr/bin/env bats
# The switch: sed on a copy of the upstream include, nginx -t, then reload or start; every file is
# restored when nginx rejects the config. nginx is a PATH stub that records its calls.

bats_require_minimum_version 1.5.0

setup() {
  load deploy_helpers
  deploy_setup
  PREFIX="${BATS_TEST_TMPDIR}/nginx"
  mkdir -p "${PREFIX}/snippets" "${PREFIX}/conf.d"
  SWITCHYARD_ENV=prod
  NGINX_BIN=nginx
  NGINX_PREFIX="${PREFIX}"
  NGINX_CONF="${PREFIX}/nginx.conf"
  NGINX_CONF_DIR="${PREFIX}"
  NGINX_PID_FILE="${PREFIX}/logs/nginx.pid"
  NGINX_LOG_DIR="${PREFIX}/logs"
  NGINX_INSTALL_MAIN_CONF=1
  NGINX_LISTEN=127.0.0.1:18000
  NGINX_SERVER_NAME=_
  NGINX_SITE_FILE="${PREFIX}/sites-enabled/switchyard-prod.conf"
  UPSTREAM_FILE="${PREFIX}/switchyard/prod-upstream.conf"
}

teardown() {
  if [[ -r "${NGINX_PID_FILE}" ]]; then
    kill "$(cat "${NGINX_PID_FILE}")" 2>/dev/null || true
  fi
}

# nginx_stub <exit-code-of-t>: "-t" exits with the code; no -s/-t = start a fake master (pid file).
nginx_stub() {
  stub nginx "
case \" \$* \" in
  *' -t '*) exit $1 ;;
  *' -s '*) exit 0 ;;
  *) mkdir -p '${PREFIX}/logs'; sleep 300 </dev/null >/dev/null 2>&1 & echo \$! >'${NGINX_PID_FILE}' ;;
esac"
}

@test "the site template renders per env: edge include, upstream include, env name, snippets" {
  run nginx_render_site
  [ "$status" -eq 0 ]
  [[ "$output" == *"upstream switchyard_prod {"* ]]
  [[ "$output" == *"include ${UPSTREAM_FILE};"* ]]
  [[ "$output" == *"include ${PREFIX}/switchyard/prod-edge.conf;"* ]]
  [[ "$output" == *'set $switchyard_env prod;'* ]]
  [[ "$output" == *"include ${PREFIX}/snippets/switchyard-hardening.conf;"* ]]
  [[ "$output" == *"include ${PREFIX}/snippets/switchyard-login-limit.conf;"* ]]
  [[ "$output" == *"include ${PREFIX}/snippets/switchyard-api-limit.conf;"* ]]
  [[ "$output" == *'proxy_set_header Upgrade $http_upgrade;'* ]]
  [[ "$output" != *'${'* ]]
}

@test "first switch installs the site, creates the include, tests and starts nginx" {
  nginx_stub 0
  nginx_apply_color blue
  [ "$(cat "${UPSTREAM_FILE}" | grep server)" = "server 127.0.0.1:8081;" ]
  [ -f "${NGINX_SITE_FILE}" ]
  [ -f "${PREFIX}/nginx.conf" ]
  [ -f "${PREFIX}/conf.d/switchyard-common.conf" ]
  grep -q -- "nginx -p ${PREFIX} -c ${PREFIX}/nginx.conf -t" "${STUB_LOG}"
  [ "$(tail -n 1 "${STUB_LOG}")" = "nginx -p ${PREFIX} -c ${PREFIX}/nginx.conf" ]
}

@test "a config nginx -t rejects is restored and nginx is neither reloaded nor started" {
  mkdir -p "$(dirname "${UPSTREAM_FILE}")"
  printf '# live\nserver 127.0.0.1:8081;\n' >"${UPSTREAM_FILE}"
  cp "${UPSTREAM_FILE}" "${BATS_TEST_TMPDIR}/before"
  mkdir -p "$(dirname "${NGINX_SITE_FILE}")"
  echo '# installed site' >"${NGINX_SITE_FILE}"
  nginx_stub 1
  run nginx_apply_color green
  [ "$status" -eq 1 ]
  cmp "${UPSTREAM_FILE}" "${BATS_TEST_TMPDIR}/before"
  grep -q -- ' -t' "${STUB_LOG}"
  run ! grep -q -- ' -s reload' "${STUB_LOG}"
  [ "$(grep -c . "${STUB_LOG}")" -eq 1 ]
  [ -z "$(ls -A "$(dirname "${UPSTREAM_FILE}")")" ] || [ "$(ls -A "$(dirname "${UPSTREAM_FILE}")")" = prod-upstream.conf ]
}

@test "a failed first install removes every file it created" {
  nginx_stub 1
  run nginx_apply_color blue
  [ "$status" -eq 1 ]
  [ ! -e "${UPSTREAM_FILE}" ]
  [ ! -e "${NGINX_SITE_FILE}" ]
  [ ! -e "${PREFIX}/nginx.conf" ]
}

@test "an include that is not one server line is never rewritten" {
  mkdir -p "$(dirname "${UPSTREAM_FILE}")" "$(dirname "${NGINX_SITE_FILE}")"
  echo '# site' >"${NGINX_SITE_FILE}"
  printf 'server 127.0.0.1:8081;\nserver 127.0.0.1:8082;\n' >"${UPSTREAM_FILE}"
  cp "${UPSTREAM_FILE}" "${BATS_TEST_TMPDIR}/before"
  nginx_stub 0
  run nginx_apply_color green
  [ "$status" -eq 1 ]
  cmp "${UPSTREAM_FILE}" "${BATS_TEST_TMPDIR}/before"
  [ ! -s "${STUB_LOG}" ]
}

# live_site: an installed site and an include routing to blue, as after a first deploy.
live_site() {
  mkdir -p "$(dirname "${UPSTREAM_FILE}")" "$(dirname "${NGINX_SITE_FILE}")" "${PREFIX}/logs"
  echo '# installed site' >"${NGINX_SITE_FILE}"
  printf '# live\nserver 127.0.0.1:8081;\n' >"${UPSTREAM_FILE}"
  cp "${UPSTREAM_FILE}" "${BATS_TEST_TMPDIR}/before"
  sleep 300 </dev/null >/dev/null 2>&1 &
  echo $! >"${NGINX_PID_FILE}"
}

# workers_after_reloads <n>: nginx_workers shows a new worker generation only from the n-th reload on
# (the reloads before it "time out": no new worker within NGINX_RELOAD_TIMEOUT_S).
workers_after_reloads() {
  echo "$1" >"${BATS_TEST_TMPDIR}/serve-from"
  stub nginx "
case \" \$* \" in
  *' -t '*) exit 0 ;;
  *' -s reload '*) echo \$((\$(cat '${BATS_TEST_TMPDIR}/reloads' 2>/dev/null || echo 0) + 1)) >'${BATS_TEST_TMPDIR}/reloads' ;;
esac"
  nginx_workers() {
    local reloads
    reloads="$(cat "${BATS_TEST_TMPDIR}/reloads" 2>/dev/null || echo 0)"
    if ((reloads >= $(cat "${BATS_TEST_TMPDIR}/serve-from"))); then echo "9${reloads}"; else echo 90; fi
  }
}

@test "a reload that times out is undone: files restored AND nginx reloaded again onto them" {
  live_site
  NGINX_RELOAD_TIMEOUT_S=1
  workers_after_reloads 2
  run nginx_apply_color green
  [ "$status" -eq 1 ]
  cmp "${UPSTREAM_FILE}" "${BATS_TEST_TMPDIR}/before"
  [ "$(grep -c -- '-s reload' "${STUB_LOG}")" -eq 2 ]
  # The second reload came after the include was restored, so nginx routes to blue either way.
  [[ "$output" == *"restored ${UPSTREAM_FILE}"*"reloading nginx to the restored config"* ]]
}

@test "when the reload onto the restored files times out too, the result says nginx's routing is unknown" {
  live_site
  NGINX_RELOAD_TIMEOUT_S=1
  workers_after_reloads 99
  run nginx_apply_color green
  [ "$status" -eq 2 ]
  cmp "${UPSTREAM_FILE}" "${BATS_TEST_TMPDIR}/before"
  [[ "$output" == *"routing is unknown"* ]]
}

@test "a failed mv putting the new include in place fails the switch: no reload, nothing claimed" {
  live_site
  nginx_stub 0
  # The first mv onto the include fails (a full or read-only file system, say); later ones work.
  stub mv "
if [[ \"\$*\" == *prod-upstream.conf.switchyard-new* && ! -e '${BATS_TEST_TMPDIR}/mv-failed' ]]; then
  touch '${BATS_TEST_TMPDIR}/mv-failed'; exit 1
fi
exec /bin/mv \"\$@\""
  hash -r
  # As switch.sh and deploy.sh call it: under `if !`, where errexit does not apply.
  local rc=0
  if ! nginx_apply_color green >"${BATS_TEST_TMPDIR}/out" 2>&1; then rc=1; fi
  [ "$rc" -ne 0 ]
  cmp "${UPSTREAM_FILE}" "${BATS_TEST_TMPDIR}/before"
  run ! grep -q -- '-s reload' "${STUB_LOG}"
  run ! grep -q -- ' -t' "${STUB_LOG}"
  [ ! -e "${UPSTREAM_FILE}.switchyard-new" ]
}

@test "a restore that fails is reported as such, never as restored" {
  live_site
  nginx_stub 1
  # Copying a backup back fails.
  stub cp "
if [[ \"\$1\" == -p && \"\$2\" == *.bak ]]; then exit 1; fi
exec /bin/cp \"\$@\""
  hash -r
  local rc=0
  if nginx_apply_color green >"${BATS_TEST_TMPDIR}/out" 2>&1; then rc=0; else rc=$?; fi
  output="$(cat "${BATS_TEST_TMPDIR}/out")"
  echo "${output}"
  [ "$rc" -eq 2 ]
  [[ "$output" == *"could NOT restore ${UPSTREAM_FILE}"* ]]
  [[ "$output" != *"restored ${UPSTREAM_FILE}"* ]]
}

@test "nginx_observed_color prints nothing and succeeds when nginx does not answer (a deploy with nginx down)" {
  local port
  port="$(free_port)"
  run bash -c "set -euo pipefail; source '${REPO_ROOT}/scripts/lib/common.sh'; source '${REPO_ROOT}/scripts/lib/nginx.sh'
    NGINX_URL=http://127.0.0.1:${port}; observed=\"\$(nginx_observed_color)\"; echo \"observed=[\${observed}]\""
  [ "$status" -eq 0 ]
  [ "$output" = "observed=[]" ]
}
