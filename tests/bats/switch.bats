#!/usr/bin/env bats
# The switch: sed on a copy of the upstream include, nginx -t, then reload or start; every file is
# restored when nginx rejects the config. nginx is a PATH stub that records its calls.

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

@test "the site template renders per env: listen, upstream include, env name, snippets" {
  run nginx_render_site
  [ "$status" -eq 0 ]
  [[ "$output" == *"upstream switchyard_prod {"* ]]
  [[ "$output" == *"include ${UPSTREAM_FILE};"* ]]
  [[ "$output" == *"listen 127.0.0.1:18000;"* ]]
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
  ! grep -q -- ' -s reload' "${STUB_LOG}"
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
