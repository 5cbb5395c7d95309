# Shared by tests/serve/serve.sh and scaleout.sh (sourced, after they set
# MICA, tmp, pids, CASES and pass=0 fail=0 skip=0): the TAP-like lines and
# counters tests/run.sh reads, the checks that skip every case with the
# reason, and the wait for a server's "listening on" line.

ok() {
	pass=$((pass + 1))
	echo "ok - $1"
}
bad() {
	fail=$((fail + 1))
	echo "FAIL - $1: $2"
}
skip_all() {
	for c in $CASES; do
		skip=$((skip + 1))
		echo "skip - $c ($1)"
	done
	echo "$pass passed, $fail failed, $skip skipped"
	exit 0
}

# loopback: down in the KVM-in-QEMU VM (scripts/kvm-qemu-run.sh) until raised
lo_ok() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
socket.create_connection(s.getsockname(), timeout=2)' 2>/dev/null
}

# Skips every case, with the reason, where the backend, loopback or curl
# cannot be used here.
need_serving() {
	if ! why=$("$MICA" --no-lockdown eval 1 2>&1 >/dev/null); then
		skip_all "${MICA_BACKEND:-auto} backend unavailable: $why"
	fi
	if ! lo_ok; then
		[ "${KVM_QEMU:-}" = 1 ] && ip link set lo up 2>/dev/null
		lo_ok || skip_all "no loopback interface (127.0.0.1) here"
	fi
	command -v curl >/dev/null || skip_all "curl is not installed (scripts/deps.sh installs it)"
}

# listening NAME: waits for server $spid, whose stderr is $tmp/NAME.err
# (emptied before it started), to print its port; sets port, or says why not
# and returns 1.
listening() {
	port=""
	for _ in $(seq 200); do
		port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/$1.err")
		[ -n "$port" ] && return 0
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.05
	done
	echo "# server $1 did not start: $(cat "$tmp/$1.err")"
	return 1
}
