#!/usr/bin/env bash
# Starts the test bed (`npm run testbed`) in the background for a workflow job, waits for its READY
# line, and hands the KEY=VALUE lines it printed to the job's later steps through $GITHUB_ENV.
#
# What a later `uses: ./` step can and cannot receive (actions/runner, Handlers/NodeScriptActionHandler.cs
# and GitHubContext.cs): the step's environment starts from the env context (workflow, job and step
# `env:` plus $GITHUB_ENV), then the runner overwrites, for every JavaScript action:
#   - GITHUB_* names of the github context (GITHUB_SERVER_URL, GITHUB_API_URL, GITHUB_REPOSITORY,
#     GITHUB_RUN_ID, ...), ACTIONS_RUNTIME_URL, ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL: always;
#   - ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN: only when the job has
#     `permissions: id-token: write`.
# So neither a step's `env:` nor $GITHUB_ENV can point the action at the fake artifact service or the
# fake REST API: the action uploads and downloads with the runner's own artifact service. The fake
# OIDC endpoint does reach it, provided the job does NOT grant id-token: write. Azure sign-in, Key
# Vault, the proxy and the test CA (AZURE_*, HTTPS_PROXY, NO_PROXY, NODE_EXTRA_CA_CERTS) are plain
# variables and pass through $GITHUB_ENV (only NODE_OPTIONS is refused there).
set -euo pipefail

state="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/testbed"
mkdir -p "$state"
out="$state/stdout.log"
err="$state/stderr.log"
timeout_s="${TESTBED_START_TIMEOUT:-120}"
# The runner's artifact service and its blob storage stay off the test bed's proxy, which refuses any
# host it does not serve.
runner_hosts=".actions.githubusercontent.com,.blob.core.windows.net,.github.com,github.com"

# setsid: its own process group, so that stop-testbed.sh can stop npm, tsx and Azurite together.
setsid npm run -s testbed >"$out" 2>"$err" </dev/null &
pid=$!
echo "$pid" >"$state/pid"

for ((i = 0; i < timeout_s * 2; i++)); do
  grep -qx READY "$out" && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "::error::the test bed exited before READY"
    cat "$out" "$err" >&2
    exit 1
  fi
  sleep 0.5
done
if ! grep -qx READY "$out"; then
  echo "::error::the test bed did not print READY within ${timeout_s} s"
  cat "$out" "$err" >&2
  exit 1
fi

count=0
while IFS='=' read -r key value; do
  case "$key" in
    # The runner's own values win in a `uses:` step anyway (see above); keep run steps consistent.
    GITHUB_* | ACTIONS_RUNTIME_TOKEN | ACTIONS_RESULTS_URL) continue ;;
    NO_PROXY) value="$value,$runner_hosts" ;;
  esac
  echo "$key=$value" >>"${GITHUB_ENV:?GITHUB_ENV is not set}"
  count=$((count + 1))
done < <(sed -n '/^READY$/q; /^[A-Z][A-Z0-9_]*=/p' "$out")
echo "test bed ready (pid $pid); $count variables exported"
