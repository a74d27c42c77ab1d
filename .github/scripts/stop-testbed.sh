#!/usr/bin/env bash
# Stops the test bed started by start-testbed.sh (its whole process group) and prints its stderr.
set -uo pipefail
state="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/testbed"
[ -f "$state/pid" ] || exit 0
pid="$(cat "$state/pid")"
kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 20); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
kill -KILL -- "-$pid" 2>/dev/null || true
if [ -s "$state/stderr.log" ]; then
  echo "test bed stderr:"
  cat "$state/stderr.log"
fi
rm -f "$state/pid"
