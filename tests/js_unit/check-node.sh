#!/bin/sh
# Runs the js_unit files written for both runtimes (test_fetch, test_events,
# test_streams) under node 20, to check their expected values against node;
# each file marks the cases where mica differs on purpose (MICA).
# Usage: sh tests/js_unit/check-node.sh [path/to/node]
set -u
NODE=${1:-node}
rc=0
for t in test_fetch test_events test_streams; do
	printf '%s (node %s): ' "$t" "$("$NODE" --version)"
	"$NODE" --no-warnings "tests/js_unit/$t.js" || rc=1
done
exit $rc
