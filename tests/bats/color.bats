#!/usr/bin/env bats
# Color parsing: the live color is read from the one-line nginx upstream include.

setup() {
  load deploy_helpers
  deploy_setup
  UPSTREAM="${BATS_TEST_TMPDIR}/upstream.conf"
}

@test "color_other flips blue and green and rejects anything else" {
  [ "$(color_other blue)" = green ]
  [ "$(color_other green)" = blue ]
  run color_other red
  [ "$status" -ne 0 ]
}

@test "ports map to colors both ways" {
  [ "$(port_for_color blue)" = 8081 ]
  [ "$(port_for_color green)" = 8082 ]
  [ "$(color_for_port 8082)" = green ]
  run color_for_port 9999
  [ "$status" -ne 0 ]
}

@test "upstream_line is exactly the one server line" {
  [ "$(upstream_line 8082)" = "server 127.0.0.1:8082;" ]
}

@test "live_color reads the port of the server line, ignoring comments and blank lines" {
  printf '# live color\n\n  server 127.0.0.1:8082;  # green\n' >"${UPSTREAM}"
  [ "$(upstream_port "${UPSTREAM}")" = 8082 ]
  [ "$(live_color "${UPSTREAM}")" = green ]
}

@test "live_color is none when there is no include yet (first deploy)" {
  [ "$(live_color "${BATS_TEST_TMPDIR}/missing.conf")" = none ]
}

@test "live_color fails on a port that belongs to no color" {
  echo 'server 127.0.0.1:7000;' >"${UPSTREAM}"
  run live_color "${UPSTREAM}"
  [ "$status" -ne 0 ]
}

@test "upstream_port rejects two server lines, other directives, other hosts and garbage" {
  printf 'server 127.0.0.1:8081;\nserver 127.0.0.1:8082;\n' >"${UPSTREAM}"
  run upstream_port "${UPSTREAM}"
  [ "$status" -ne 0 ]
  printf 'server 127.0.0.1:8081;\nkeepalive 16;\n' >"${UPSTREAM}"
  run upstream_port "${UPSTREAM}"
  [ "$status" -ne 0 ]
  echo 'server 10.0.0.5:8081;' >"${UPSTREAM}"
  run upstream_port "${UPSTREAM}"
  [ "$status" -ne 0 ]
  echo 'server 127.0.0.1:8081' >"${UPSTREAM}"
  run upstream_port "${UPSTREAM}"
  [ "$status" -ne 0 ]
  : >"${UPSTREAM}"
  run upstream_port "${UPSTREAM}"
  [ "$status" -ne 0 ]
}

@test "nginx_render_upstream rewrites only the port of the server line (sed on a copy)" {
  printf '# keep me\nserver 127.0.0.1:8081;\n' >"${UPSTREAM}"
  cp "${UPSTREAM}" "${BATS_TEST_TMPDIR}/before"
  run nginx_render_upstream green "${UPSTREAM}"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "# keep me" ]
  [ "${lines[1]}" = "server 127.0.0.1:8082;" ]
  cmp "${UPSTREAM}" "${BATS_TEST_TMPDIR}/before"
}
