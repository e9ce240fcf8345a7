# shellcheck shell=bash
# The bake window: after the switch is verified, the new color's real traffic is watched for BAKE_S
# seconds against the old color's baseline measured before the switch, while the old color still runs.
#
# Source: nginx's JSON access log of the env (nginx/conf.d/switchyard-common.conf: status, upstream_addr,
# upstream_response_time). A request belongs to the color whose port its (last) upstream address names;
# the app's own X-App-Color header is not trusted for this. WebSocket sessions (/ws, status 101) are left
# out: their duration is the session's. Requests nginx answered itself (no upstream) are left out too.
#
# Verdict, checked every BAKE_INTERVAL_S once the new color has served at least BAKE_MIN_REQUESTS
# requests (a quiet site with fewer over the whole window is not judged):
#   5xx      breach at once when the new color's 5xx ratio exceeds BAKE_MAX_5XX_PCT percent and
#            BAKE_5XX_FACTOR times the old color's ratio;
#   latency  breach when the p99 upstream time of BAKE_P99_CHECKS intervals in a row (each with at least
#            BAKE_INTERVAL_MIN_REQUESTS requests) exceeds BAKE_P99_FACTOR times the old color's p99 and the
#            old p99 plus BAKE_P99_MIN_MS: a new JVM's first seconds under real traffic are slow, a slow
#            release stays slow. Needs a baseline of at least BAKE_MIN_REQUESTS requests.
# Baseline: the old color's requests among the access log's last BAKE_BASELINE_LINES lines before the switch.
# Needs: common.sh, color.sh, jq, dd.

# bake_log_size <log>: its size in bytes now (0 when missing): where the bake starts reading.
bake_log_size() {
  stat -c %s "$1" 2>/dev/null || echo 0
}

# bake_read <log> <from-byte> <to-byte>: those bytes of the log.
bake_read() {
  local count=$(($3 - $2))
  ((count > 0)) || return 0
  dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="${count}" bs=1M status=none 2>/dev/null
}

# bake_records: access-log lines on stdin -> "<upstream port> <status> <upstream ms>" per proxied,
# non-WebSocket request of this env. Parsed as one JSON stream (fast); should a line not be JSON, again
# line by line, skipping it.
bake_records() {
  local in out
  in="$(mktemp)"
  out="$(mktemp)"
  grep -a '^{.*}$' >"${in}" || true
  # shellcheck disable=SC2016 # a jq program
  local program='select(type == "object" and .env == $env and .status != 101
                       and ((.uri // "") | startswith("/ws") | not))
    | ((.upstream_addr // "") | split(", ") | last // "" | split(" : ") | last // "") as $addr
    | select($addr | test(":[0-9]+$"))
    | ((.upstream_response_time // "") | tostring | split(", ") | last // "" | split(" : ") | last // "") as $t
    | [($addr | capture(":(?<p>[0-9]+)$").p), .status, ((($t | tonumber?) // 0) * 1000 | round)] | @tsv'
  if ! jq -r --arg env "${SWITCHYARD_ENV}" "${program}" "${in}" >"${out}" 2>/dev/null; then
    jq -R -r --arg env "${SWITCHYARD_ENV}" "fromjson? | ${program}" "${in}" >"${out}" 2>/dev/null || true
  fi
  cat "${out}"
  rm -f "${in}" "${out}"
}

# bake_stats <records-file> <port>: "<requests> <5xx> <p99 ms>" of one port's records.
bake_stats() {
  awk -v port="$2" '$1 == port { print $2, $3 }' "$1" | sort -k2,2n | awk '
    { n++; if ($1 >= 500) e++; t[n] = $2 }
    END {
      if (n == 0) { print 0, 0, 0; exit }
      i = int(n * 0.99); if (i < n * 0.99) i++; if (i < 1) i = 1
      print n, e + 0, t[i]
    }'
}

# bake_p99_limit <base-p99>: the latency limit, ms.
bake_p99_limit() {
  awk -v bp="$1" -v f="${BAKE_P99_FACTOR}" -v m="${BAKE_P99_MIN_MS}" 'BEGIN { a = f * bp; b = bp + m; printf "%d\n", (a > b ? a : b) }'
}

# bake_interval_slow <interval-n> <interval-p99> <base-n> <base-p99>: 0 this interval's p99 is over the
# limit, 1 it is not, 2 not judged (too few requests in it, or no baseline).
bake_interval_slow() {
  if (($1 < BAKE_INTERVAL_MIN_REQUESTS || $3 < BAKE_MIN_REQUESTS)); then
    return 2
  fi
  (($2 > $(bake_p99_limit "$4")))
}

# bake_judge <n> <5xx> <p99> <base-n> <base-5xx> <base-p99> [slow-intervals-in-a-row]: prints the
# verdict's reason; 0 healthy, 1 breach, 2 too few requests to judge.
bake_judge() {
  awk -v n="$1" -v e="$2" -v p="$3" -v bn="$4" -v be="$5" -v bp="$6" -v slow="${7:-0}" \
    -v min="${BAKE_MIN_REQUESTS}" -v maxpct="${BAKE_MAX_5XX_PCT}" -v efactor="${BAKE_5XX_FACTOR}" \
    -v checks="${BAKE_P99_CHECKS}" -v limit="$(bake_p99_limit "$6")" 'BEGIN {
      if (n < min) { printf "only %d request(s) to the new color (%d needed to judge)\n", n, min; exit 2 }
      pct = 100 * e / n
      bpct = (bn > 0) ? 100 * be / bn : 0
      elimit = (efactor * bpct > maxpct) ? efactor * bpct : maxpct
      if (pct > elimit) {
        printf "5xx on %.1f%% of %d requests (old color %.1f%% of %d; limit %.1f%%)\n", pct, n, bpct, bn, elimit
        exit 1
      }
      if (bn >= min && slow >= checks) {
        printf "p99 over %d ms in %d intervals in a row (p99 %d ms over %d requests; old color %d ms over %d)\n", limit, slow, p, n, bp, bn
        exit 1
      }
      printf "5xx %.1f%% of %d requests (old color %.1f%%), p99 %d ms (old color %d ms)\n", pct, n, bpct, p, bp
      exit 0
    }'
}

# bake_figures <n> <5xx> <p99> <base-n> <base-5xx> <base-p99> <after-ms>: the figures as one JSON object.
bake_figures() {
  jq -n -c --argjson n "$1" --argjson e "$2" --argjson p "$3" --argjson bn "$4" --argjson be "$5" \
    --argjson bp "$6" --argjson after "$7" \
    '{requests: $n, "5xx": $e, p99_ms: $p, baseline: {requests: $bn, "5xx": $be, p99_ms: $bp}, after_ms: $after}'
}

# bake_watch <new-color> <old-color> <log> <switch-offset> <seconds>: watches the new color; 0 healthy (or
# too quiet to judge), 1 breach. Sets BAKE_VERDICT (ok|breach|unjudged), BAKE_REASON and BAKE_FIGURES.
bake_watch() {
  local new_port old_port log="$3" offset="$4" seconds="$5"
  new_port="$(port_for_color "$1")"
  old_port="$(port_for_color "$2")"
  local work base n e p rc size t0 after_ms interval_n interval_p slow=0 slow_rc
  work="$(mktemp -d)"
  t0="$(date +%s%3N)"
  # Baseline: up to BAKE_BASELINE_LINES lines before the switch (about 1 KiB a line at most; the first,
  # cut, line is dropped).
  local from=$((offset - BAKE_BASELINE_LINES * 1024))
  ((from > 0)) || from=0
  bake_read "${log}" "${from}" "${offset}" | tail -n "${BAKE_BASELINE_LINES}" | bake_records >"${work}/baseline"
  read -r -a base <<<"$(bake_stats "${work}/baseline" "${old_port}")"
  log "bake: baseline of $2: ${base[0]} request(s), ${base[1]} 5xx, p99 ${base[2]} ms"
  : >"${work}/new"
  local deadline=$((SECONDS + seconds))
  BAKE_VERDICT=unjudged
  while :; do
    sleep "${BAKE_INTERVAL_S}"
    size="$(bake_log_size "${log}")"
    # Log rotated (file shorter than where we were): read the new file from its start.
    ((size >= offset)) || offset=0
    bake_read "${log}" "${offset}" "${size}" >"${work}/chunk"
    # A line being written right now is read next time.
    if [[ -s "${work}/chunk" && "$(tail -c 1 "${work}/chunk" | od -An -tx1 | tr -d ' ')" != 0a ]]; then
      size=$((size - $(tail -n 1 "${work}/chunk" | wc -c)))
      sed -i '$d' "${work}/chunk"
    fi
    offset="${size}"
    bake_records <"${work}/chunk" >"${work}/interval"
    cat "${work}/interval" >>"${work}/new"
    read -r n e p <<<"$(bake_stats "${work}/new" "${new_port}")"
    read -r interval_n _ interval_p <<<"$(bake_stats "${work}/interval" "${new_port}")"
    slow_rc=0
    bake_interval_slow "${interval_n}" "${interval_p}" "${base[0]}" "${base[2]}" || slow_rc=$?
    case "${slow_rc}" in
      0)
        slow=$((slow + 1))
        # Each slow interval is named: an operator (or a test) sees how close a release came to a rollback.
        log "bake: slow interval ${slow} of ${BAKE_P99_CHECKS}: p99 ${interval_p} ms over $(bake_p99_limit "${base[2]}") ms (${interval_n} requests)"
        ;;
      1) slow=0 ;;
    esac
    rc=0
    # shellcheck disable=SC2034 # BAKE_REASON and BAKE_FIGURES are read by the caller
    BAKE_REASON="$(bake_judge "${n}" "${e}" "${p}" "${base[@]}" "${slow}")" || rc=$?
    after_ms=$(($(date +%s%3N) - t0))
    # shellcheck disable=SC2034
    BAKE_FIGURES="$(bake_figures "${n}" "${e}" "${p}" "${base[@]}" "${after_ms}")"
    if ((rc == 1)); then
      BAKE_VERDICT=breach
      break
    fi
    if ((SECONDS >= deadline)); then
      if ((rc == 0)); then BAKE_VERDICT=ok; fi
      break
    fi
  done
  rm -rf "${work}"
  [[ "${BAKE_VERDICT}" != breach ]]
}
