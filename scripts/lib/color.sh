# shellcheck shell=bash
# Colors and ports. Pure functions: the live color is what the nginx upstream include routes to.

color_valid() {
  [[ "$1" == blue || "$1" == green ]]
}

# color_other <blue|green>
color_other() {
  case "$1" in
    blue) echo green ;;
    green) echo blue ;;
    *) return 1 ;;
  esac
}

# port_for_color <color>: uses BLUE_PORT / GREEN_PORT.
port_for_color() {
  case "$1" in
    blue) echo "${BLUE_PORT}" ;;
    green) echo "${GREEN_PORT}" ;;
    *) return 1 ;;
  esac
}

# color_for_port <port>: blue|green, or fails for a port that belongs to neither.
color_for_port() {
  if [[ "$1" == "${BLUE_PORT}" ]]; then
    echo blue
  elif [[ "$1" == "${GREEN_PORT}" ]]; then
    echo green
  else
    return 1
  fi
}

# upstream_line <port>: the single line the upstream include holds.
upstream_line() {
  printf 'server 127.0.0.1:%s;\n' "$1"
}

# upstream_port <file>: the port of the one `server 127.0.0.1:<port>;` line (comments ignored).
# Fails when the file is missing or holds no or several server lines.
upstream_port() {
  local file="$1"
  local ports
  [[ -r "${file}" ]] || return 1
  ports="$(sed -n -E 's/^[[:space:]]*server[[:space:]]+127\.0\.0\.1:([0-9]{1,5})[[:space:]]*;[[:space:]]*(#.*)?$/\1/p' "${file}")"
  if [[ -z "${ports}" || "${ports}" == *$'\n'* ]]; then
    return 1
  fi
  if grep -v -E '^[[:space:]]*(#.*)?$' "${file}" | grep -v -q -E '^[[:space:]]*server[[:space:]]'; then
    return 1
  fi
  echo "${ports}"
}

# live_color <upstream-file>: blue|green from the include; "none" when there is no include yet
# (first deploy). Fails (status 1) when the file exists but names no known color's port.
live_color() {
  local file="$1"
  local port
  if [[ ! -e "${file}" ]]; then
    echo none
    return 0
  fi
  port="$(upstream_port "${file}")" || return 1
  color_for_port "${port}"
}
