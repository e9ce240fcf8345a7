# shellcheck shell=bash
# Background work that must outlive the command that starts it (the rollback-window fallback timer,
# notifications, events to Logstash) under a CI runner.
#
# Jenkins ends a build step by killing every process whose environment carries the build's cookie
# (JENKINS_NODE_COOKIE for Pipeline `sh` steps, BUILD_ID for freestyle jobs, HUDSON_COOKIE and the
# server cookies for older agents), whatever its session or parent. So a detached job drops those
# variables, gets its own session (setsid), no terminal, and never the deploy lock's descriptor (fd 9)
# nor fd 3 (a test runner's, e.g. bats: it would wait for the job).
# Needs: nothing (coreutils env, util-linux setsid).

# The environment variables CI runners use to find a build's processes.
BUILD_COOKIE_VARS=(JENKINS_NODE_COOKIE BUILD_ID HUDSON_COOKIE JENKINS_SERVER_COOKIE HUDSON_SERVER_COOKIE)

# detach_run <log-file> <command...>: starts the command detached as above, appending its output to the
# log file (/dev/null to drop it); prints its pid (the command itself: setsid and env exec it).
detach_run() {
  local log_file="$1"
  shift
  local unset_args=()
  local var
  for var in "${BUILD_COOKIE_VARS[@]}"; do
    unset_args+=(-u "${var}")
  done
  setsid env "${unset_args[@]}" "$@" </dev/null >>"${log_file}" 2>&1 3>&- 9>&- &
  echo "$!"
}
