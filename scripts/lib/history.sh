# shellcheck shell=bash
# Deploy history: one JSON object per line in HISTORY_FILE (jq builds every line, so it is valid JSON).
# Fields: time, id, env, action (deploy|rollback), user, image, from_image, from_color, to_color,
# result (ok|failed|rolled_back), exit_code, failed_step, message, steps {name: ms}, bake {figures},
# duration_ms.

# history_append <file> <json-object>: compacts to one line and appends.
history_append() {
  local file="$1"
  local json="$2"
  mkdir -p "$(dirname "${file}")"
  jq -c . <<<"${json}" >>"${file}"
}

# history_entry key=value ... : builds the JSON object; steps=<json>, bake=<json> and exit_code/duration_ms
# as numbers.
history_entry() {
  local args=()
  local kv key value
  # shellcheck disable=SC2016 # a jq program: $time is a jq variable
  local filter='{time: $time}'
  args+=(--arg time "$(date -u +%Y-%m-%dT%H:%M:%SZ)")
  for kv in "$@"; do
    key="${kv%%=*}"
    value="${kv#*=}"
    [[ "${key}" =~ ^[a-z_]+$ ]] || return 1
    case "${key}" in
      steps | bake) args+=(--argjson "${key}" "${value:-{\}}") ;;
      exit_code | duration_ms) args+=(--argjson "${key}" "${value:-0}") ;;
      *) args+=(--arg "${key}" "${value}") ;;
    esac
    filter+=" + {${key}: \$${key}}"
  done
  jq -n -c "${args[@]}" "${filter}"
}

# history_last <file> <n>: the last n lines.
history_last() {
  local file="$1"
  local n="$2"
  [[ -r "${file}" ]] || return 0
  tail -n "${n}" "${file}"
}

# history_previous_image <file> [live-image]: the release that was live before the current one, for
# rollback.sh when the previous color is gone. Each entry moved the live release from its from_image to
# the image it left live: its image when it switched and stayed (result ok, or exit 5: switched and could
# not switch back), its from_image otherwise (failed before the switch or reverted, rolled back by the
# bake). The answer is the from_image of the last entry that changed the live release - and, given the
# live image, only if that entry left exactly it live (else the history does not describe this host).
# Empty when unknown.
history_previous_image() {
  local file="$1"
  local live="${2:-}"
  [[ -r "${file}" ]] || return 0
  # shellcheck disable=SC2016 # a jq program
  jq -r -s --arg live "${live}" '
    [.[] | select(.action == "deploy" or .action == "rollback")
         | {before: (.from_image // ""),
            after: (if .result == "ok" or .exit_code == 5 then .image else (.from_image // "") end)}
         | select(.before != .after and .before != "")]
    | last
    | if . == null then empty elif $live != "" and .after != $live then empty else .before end' "${file}"
}

# history_last_ok_image <file>: the image of the last successful deploy or rollback.
history_last_ok_image() {
  local file="$1"
  [[ -r "${file}" ]] || return 0
  jq -r -s '[.[] | select(.result == "ok")] | last | .image // empty' "${file}"
}
