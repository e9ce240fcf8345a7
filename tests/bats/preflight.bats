#!/usr/bin/env bats
# The oldest tool versions the deploy kit is tested with (scripts/lib/preflight.sh). curl and jq are PATH
# stubs reporting a version.

setup() {
  load deploy_helpers
  deploy_setup
}

@test "versions compare numerically, part by part" {
  version_at_least 7.74.0 7.74.0
  version_at_least 7.81.0 7.74.0
  version_at_least 8.5.0 7.74.0
  version_at_least 1.10 1.6
  run version_at_least 7.68.0 7.74.0
  [ "$status" -ne 0 ]
  run version_at_least 1.5 1.6
  [ "$status" -ne 0 ]
}

@test "the versions are read from each tool's own report" {
  stub curl 'echo "curl 7.74.0 (x86_64-pc-linux-gnu) libcurl/7.74.0 OpenSSL/1.1.1w"; echo "Release-Date: 2020-12-09"'
  stub jq 'echo jq-1.7.1'
  [ "$(tool_version curl)" = 7.74.0 ]
  [ "$(tool_version jq)" = 1.7.1 ]
  [[ "$(tool_version bash)" =~ ^[0-9]+\.[0-9]+$ ]]
}

@test "Debian 11's curl 7.74 and jq 1.6 pass" {
  stub curl 'echo "curl 7.74.0 (x86_64-pc-linux-gnu) libcurl/7.74.0"'
  stub jq 'echo jq-1.6'
  run preflight_versions
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "an older curl or jq is refused with exit 2, naming each and the supported hosts" {
  stub curl 'echo "curl 7.68.0 (x86_64-pc-linux-gnu) libcurl/7.68.0"'
  stub jq 'echo jq-1.5'
  run preflight_versions
  [ "$status" -eq 2 ]
  [[ "$output" == *"curl 7.68.0 is too old: curl 7.74.0 or newer is needed (supported hosts: Debian 12/13, Ubuntu 22.04/24.04)"* ]]
  [[ "$output" == *"jq 1.5 is too old: jq 1.6 or newer is needed"* ]]
}

@test "a version that cannot be read is refused too" {
  stub curl 'echo "something else"'
  run preflight_versions
  [ "$status" -eq 2 ]
  [[ "$output" == *"curl: cannot read its version; curl 7.74.0 or newer is needed"* ]]
}
