#!/bin/sh
# Drives a real `mica serve` on 127.0.0.1 with curl (and raw sockets from
# Python for requests curl will not send). Usage: serve.sh path/to/mica
# Servers listen on port 0 (the kernel picks a free one; the server prints
# it). The backend is the one MICA_BACKEND names; where it cannot be used
# here, every case is skipped, counted, with the reason.
set -u
MICA=${1:-build/mica}
D=tests/serve
tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0 skip=0

# serve has no lockdown, so LeakSanitizer can run at its exit
case "$MICA" in *asan*) export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1" ;; esac

CASES="get-echo post-echo json set-cookie redirect head binary-response binary-body-inline
	binary-body-lazy big-response form no-content 500-throw 500-after-throw-ok 500-no-response
	504-timeout 504-then-ok 503-memory 503-then-ok 400-cl-te 400-duplicate-cl 400-header-line 400-chunk-size chunked-trailers
	413-content-length 413-chunked 414-uri 431-headers 503-queue reset-isolation reuse-isolation
	fresh-isolation env env-file-malformed env-file-unterminated env-file-line-after-escapes env-file-too-large refused-no-default refused-no-fetch refused-too-large
	bind-failure
	wait-until dev-stack burst access-log keep-alive sigterm-drain sigterm-grace reuse-throw-resets guest-frame-overflow
	guest-header-name console-forgery sighup-survives env-proto admin-healthz admin-metrics
	admin-bind-failure rejections-strict rejections-none fetch-exact fetch-not-allowed
	fetch-private-star fetch-redirect-followed fetch-redirect-refused fetch-redirect-modes
	fetch-subrequest-limit fetch-big-body fetch-over-limit fetch-deadline fetch-bad-origin
	pin-workers pin-off pin-auto pin-bad-value workers-plus max-body-space modules-configmap modules-outside modules-dot-name
	listen-port-99999 listen-port-http"
# the streams block at the end (tests/serve/streams.js)
STREAM_CASES="stream-response blob-response request-body-reader request-body-reader-lazy transform-upper
	stream-chunk-kinds stream-bad-chunk form-multipart fetch-signal-aborted fetch-signal-timeout"
CASES="$CASES $STREAM_CASES"

. $D/lib.sh
need_serving

# check NAME GOT WANT
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi
}
# has NAME FILE TEXT: FILE contains TEXT (fixed string)
has() {
	if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1" "no '$3' in: $(head -c 400 "$2")"; fi
}

# start NAME ARGS...: a server in the background; sets port and spid
start() {
	name=$1
	shift
	: >"$tmp/$name.err" # before the server opens it: the loop below reads it at once
	"$MICA" serve "$@" --listen 127.0.0.1:0 >"$tmp/$name.out" 2>"$tmp/$name.err" &
	spid=$!
	pids="$pids $spid"
	listening "$name"
}
# stop PID: SIGTERM, then its exit code in $stopped
stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1"
	stopped=$?
}
# req ARGS...: curl; the body in $tmp/body, headers in $tmp/head, prints the status
req() {
	curl -s --max-time 30 -o "$tmp/body" -D "$tmp/head" -w '%{http_code}' "$@"
}
# refused NAME WANT-TEXT ARGS...: serve exits 2 at start with WANT-TEXT on stderr
refused() {
	name=$1 want=$2
	shift 2
	timeout 30 "$MICA" serve "$@" --listen 127.0.0.1:0 >/dev/null 2>"$tmp/refused.err"
	rc=$?
	if [ "$rc" = 2 ] && grep -qF -- "$want" "$tmp/refused.err"; then
		ok "$name"
	else
		bad "$name" "exit $rc, stderr: $(head -c 300 "$tmp/refused.err")"
	fi
}

# ---- the main server: reset isolation, 2 workers ----
# the time limit: short for the 504 case, but not under QEMU's emulator,
# where a 3 MiB response takes seconds
limit=1500
[ "${KVM_QEMU:-}" = 1 ] && limit=15000
if start main $D/echo.js --workers 2 --timeout $limit --memory 32 --env A=1 --env NAME=cli \
	--env-file $D/good.env --max-body 3m --max-header 8k --max-uri 2k \
	--access-log "$tmp/access.log" --admin 127.0.0.1:0; then
	main=$spid
	u=http://127.0.0.1:$port
	aport=$(sed -n 's/.*admin on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/main.err")

	s=$(req -H 'X-Test: abc' "$u/path/x?q=1&r=2")
	if [ "$s" = 200 ] && grep -qF '"method":"GET"' "$tmp/body" &&
		grep -qF "\"url\":\"$u/path/x?q=1&r=2\"" "$tmp/body" &&
		grep -qF '"x-test":"abc"' "$tmp/body" && grep -qF '"body":""' "$tmp/body"; then
		ok get-echo
	else
		bad get-echo "status $s, body $(cat "$tmp/body")"
	fi

	s=$(req -X POST -H 'Content-Type: text/plain' --data-binary 'hello world' "$u/p")
	if [ "$s" = 200 ] && grep -qF '"method":"POST"' "$tmp/body" &&
		grep -qF '"body":"hello world"' "$tmp/body" &&
		grep -qF '"content-type":"text/plain"' "$tmp/body"; then
		ok post-echo
	else
		bad post-echo "status $s, body $(cat "$tmp/body")"
	fi

	s=$(req "$u/json")
	if [ "$s" = 201 ] && [ "$(cat "$tmp/body")" = '{"ok":true,"n":[1,2,3]}' ] &&
		grep -qi '^content-type: application/json' "$tmp/head" && grep -qi '^x-a: 1' "$tmp/head"; then
		ok json
	else
		bad json "status $s, body $(cat "$tmp/body")"
	fi

	s=$(req "$u/cookies")
	n=$(grep -ci '^set-cookie:' "$tmp/head")
	if [ "$s" = 200 ] && [ "$n" = 2 ] && grep -qi '^x-multi: x, y' "$tmp/head"; then
		ok set-cookie
	else
		bad set-cookie "status $s, $n set-cookie lines: $(cat "$tmp/head")"
	fi

	s=$(req "$u/redirect")
	if [ "$s" = 307 ] && grep -qi '^location: http://example.com/to' "$tmp/head"; then
		ok redirect
	else
		bad redirect "status $s: $(cat "$tmp/head")"
	fi

	s=$(curl -s -I --max-time 30 -o /dev/null -D "$tmp/head" -w '%{http_code}' "$u/json")
	r=$(printf 'HEAD /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | python3 $D/raw.py "$port" --body)
	if [ "$s" = 201 ] && [ "$r" = "body 0" ] && grep -qi '^content-length: 23' "$tmp/head"; then
		ok head
	else
		bad head "status $s, $r: $(cat "$tmp/head")"
	fi

	req "$u/bytes" >/dev/null
	check binary-response "$(od -An -tx1 "$tmp/body" | tr -d ' \n')" "000102ff"

	head -c 1000 /dev/urandom >"$tmp/small.bin"
	want="$(sha256sum <"$tmp/small.bin" | cut -d' ' -f1) 1000"
	s=$(req --data-binary @"$tmp/small.bin" "$u/sha")
	check binary-body-inline "$s $(cat "$tmp/body")" "200 $want"

	# over 1 MiB: read by the handler through host:serve body()
	head -c 2500000 /dev/urandom >"$tmp/big.bin"
	want="$(sha256sum <"$tmp/big.bin" | cut -d' ' -f1) 2500000"
	s=$(req --data-binary @"$tmp/big.bin" "$u/sha")
	check binary-body-lazy "$s $(cat "$tmp/body")" "200 $want"

	s=$(req "$u/big")
	check big-response "$s $(wc -c <"$tmp/body")" "200 3145733"

	s=$(req --data 'a=1&b=x+y' "$u/form")
	check form "$s $(cat "$tmp/body")" '200 [["a","1"],["b","x y"]]'

	s=$(req "$u/status")
	check no-content "$s $(wc -c <"$tmp/body")" "204 0"

	s=$(req "$u/throw")
	if [ "$s" = 500 ] && grep -qF 'uncaught exception' "$tmp/body" && ! grep -qF 'boom' "$tmp/body"; then
		rid=$(sed -n 's/.*(request \([0-9a-f]*\)).*/\1/p' "$tmp/body")
		sleep 0.1
		if [ -n "$rid" ] && grep -F "[$rid]" "$tmp/main.err" | grep -qF 'boom from the handler'; then
			ok 500-throw
		else
			bad 500-throw "stderr has no '[$rid] ... boom': $(tail -5 "$tmp/main.err")"
		fi
	else
		bad 500-throw "status $s, body $(cat "$tmp/body")"
	fi
	check 500-after-throw-ok "$(req "$u/count")" 200

	s=$(req "$u/none")
	check 500-no-response "$s $(grep -c 'uncaught exception' "$tmp/body")" "500 1"

	s=$(req "$u/loop")
	check 504-timeout "$s $(grep -c 'time limit' "$tmp/body")" "504 1"
	check 504-then-ok "$(req "$u/count")" 200

	s=$(req "$u/bomb")
	if [ "$s" = 503 ] && grep -qi '^retry-after: ' "$tmp/head" && grep -qF 'memory limit' "$tmp/body"; then
		ok 503-memory
	else
		bad 503-memory "status $s, body $(cat "$tmp/body")"
	fi
	check 503-then-ok "$(req "$u/count")" 200

	r=$(printf 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' |
		python3 $D/raw.py "$port" | head -1)
	check 400-cl-te "$r" "HTTP/1.1 400 Bad Request"
	r=$(printf 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd' |
		python3 $D/raw.py "$port" | head -1)
	check 400-duplicate-cl "$r" "HTTP/1.1 400 Bad Request"
	r=$(printf 'GET / HTTP/1.1\r\nHost x\r\n\r\n' | python3 $D/raw.py "$port" | head -1)
	check 400-header-line "$r" "HTTP/1.1 400 Bad Request"
	r=$(printf 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n' |
		python3 $D/raw.py "$port" | head -1)
	check 400-chunk-size "$r" "HTTP/1.1 400 Bad Request"
	r=$(printf 'POST /form HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n3\r\na=1\r\n4\r\n&b=2\r\n0\r\nX-Trailer: t\r\n\r\n' |
		python3 $D/raw.py "$port" | head -1)
	check chunked-trailers "$r" "HTTP/1.1 200 OK"

	head -c 3145729 /dev/zero >"$tmp/over.bin"
	check 413-content-length "$(req --data-binary @"$tmp/over.bin" "$u/sha")" 413
	check 413-chunked "$(req -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/over.bin" "$u/sha")" 413

	long=$(head -c 3000 /dev/zero | tr '\0' a)
	check 414-uri "$(req "$u/$long")" 414
	big=$(head -c 9000 /dev/zero | tr '\0' b)
	check 431-headers "$(req -H "X-Big: $big" "$u/")" 431

	check reset-isolation "$(curl -s "$u/count") $(curl -s "$u/count") $(curl -s "$u/count")" "1 1 1"

	s=$(req "$u/env")
	if [ "$s" = 200 ] &&
		grep -qF '"env":{"NAME":"cli","QUOTED":"a \"b\"\nc","SINGLE":"x # y","PLAIN":"value","MULTI":"line 1\nline 2","EMPTY":"","A":"1"},"frozen":true' "$tmp/body"; then
		ok env
	else
		bad env "status $s, body $(cat "$tmp/body")"
	fi

	s=$(req "$u/wait")
	sleep 0.5
	if [ "$s" = 200 ] && [ "$(cat "$tmp/body")" = waited ] && grep -qF 'waitUntil done' "$tmp/main.err"; then
		ok wait-until
	else
		bad wait-until "status $s, stderr $(tail -3 "$tmp/main.err")"
	fi

	seq 50 | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 "$u/?n={}" >"$tmp/burst"
	check burst "$(grep -c '^200$' "$tmp/burst")" 50

	curl -sv "$u/count" "$u/count" >/dev/null 2>"$tmp/ka"
	if grep -qiE 're-?using (existing )?connection' "$tmp/ka"; then ok keep-alive; else bad keep-alive "$(grep -i connect "$tmp/ka")"; fi

	if grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z [0-9a-f]{16} GET /json 201 23 [0-9.]+ms$' "$tmp/access.log"; then
		ok access-log
	else
		bad access-log "$(head -3 "$tmp/access.log")"
	fi

	# a handler that writes host:serve's response frame itself
	s=$(req "$u/frame-overflow")
	check guest-frame-overflow "$s $(req "$u/count")" "500 200"
	s=$(req "$u/frame-bad-name")
	if [ "$s" = 500 ] && ! grep -qi '^x-a' "$tmp/head"; then ok guest-header-name; else bad guest-header-name "status $s: $(cat "$tmp/head")"; fi
	# console output cannot pass for another request's line, nor reach a terminal
	req "$u/forge" >/dev/null
	sleep 0.1
	n=$(grep -cF 'forged line' "$tmp/main.err")
	m=$(grep -cE '^mica serve: \[[0-9a-f]{16}\] mica serve: \[0000000000000001\] forged line\\x1b\[2J$' "$tmp/main.err")
	if [ "$n" = 1 ] && [ "$m" = 1 ]; then ok console-forgery; else bad console-forgery "$(grep -F 'forged' "$tmp/main.err")"; fi
	# --admin: health and the counters of what happened above
	s=$(curl -s -o "$tmp/health" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$aport/healthz")
	check admin-healthz "$s $(cat "$tmp/health")" "200 ok"
	curl -s --max-time 10 "http://127.0.0.1:$aport/metrics" >"$tmp/metrics"
	why=""
	for want in 'mica_timeouts_total [1-9]' 'mica_memory_kills_total [1-9]' 'mica_exceptions_total [1-9]' \
		'mica_requests_total\{class="5xx"\} [1-9]' 'mica_requests_total\{class="2xx"\} [1-9][0-9]' \
		'mica_request_duration_seconds_bucket\{le="\+Inf"\} [1-9][0-9]' 'mica_resets_total [1-9][0-9]' \
		'mica_sandboxes\{state="idle"\} [0-9]' 'mica_subrequests_total 0'; do
		grep -qE "^$want" "$tmp/metrics" || why="$why no '$want';"
	done
	if [ -z "$why" ]; then ok admin-metrics; else bad admin-metrics "$why $(head -c 300 "$tmp/metrics")"; fi

	# an unhandled rejection: reported (strict, the default); the response,
	# whole at the call's end, has not gone out yet, so it is a 500
	s=$(req "$u/reject?strict")
	sleep 0.2
	if [ "$s" = 500 ] && grep -qF 'nobody handles ?strict' "$tmp/main.err"; then ok rejections-strict; else bad rejections-strict "status $s: $(tail -3 "$tmp/main.err")"; fi

	kill -HUP "$main"
	sleep 0.2
	check sighup-survives "$(req "$u/count")" 200

	# SIGTERM while a request runs (a worker busy with it, as /metrics
	# says: under emulation curl may take a while to get there): it is
	# answered, then exit 0
	drain_ms=700
	[ "${KVM_QEMU:-}" = 1 ] && drain_ms=5000
	req "$u/slow?ms=$drain_ms" >"$tmp/drain.status" &
	cpid=$!
	for i in $(seq 200); do
		curl -s --max-time 10 "http://127.0.0.1:$aport/metrics" |
			grep -qE '^mica_sandboxes\{state="busy"\} [1-9]' && break
		sleep 0.02
	done
	stop "$main"
	wait "$cpid"
	check sigterm-drain "$(cat "$tmp/drain.status") $(cat "$tmp/body") exit $stopped" "200 slow exit 0"
else
	for c in get-echo post-echo json set-cookie redirect head binary-response binary-body-inline \
		binary-body-lazy big-response form no-content 500-throw 500-after-throw-ok 500-no-response \
		504-timeout 504-then-ok 503-memory 503-then-ok 400-cl-te 400-duplicate-cl 400-header-line 400-chunk-size chunked-trailers \
		413-content-length 413-chunked 414-uri 431-headers reset-isolation env wait-until burst \
		keep-alive access-log guest-frame-overflow guest-header-name console-forgery admin-healthz \
		admin-metrics rejections-strict sighup-survives \
		sigterm-drain; do
		bad "$c" "the server did not start"
	done
fi

# ---- SIGTERM past --grace: what still runs is stopped with 503, exit 0
# (a handler that loops, with a time limit of two minutes) ----
if start grace $D/echo.js --workers 1 --grace 300 --timeout 120000 --access-log off \
	--admin 127.0.0.1:0; then
	gport=$(sed -n 's/.*admin on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/grace.err")
	req "http://127.0.0.1:$port/loop" >"$tmp/grace.status" &
	cpid=$!
	for i in $(seq 500); do # until the worker has it
		curl -s --max-time 10 "http://127.0.0.1:$gport/metrics" |
			grep -qE '^mica_sandboxes\{state="busy"\} [1-9]' && break
		sleep 0.02
	done
	t0=$(date +%s)
	stop "$spid"
	wait "$cpid"
	took=$(($(date +%s) - t0))
	check sigterm-grace "$(cat "$tmp/grace.status") exit $stopped $([ "$took" -lt 60 ] && echo soon)" \
		"503 exit 0 soon"
else
	bad sigterm-grace "the server did not start"
fi

# ---- isolation modes: one worker each, a module-level counter ----
for mode in reuse fresh; do
	if start "$mode" $D/echo.js --workers 1 --isolation "$mode" --access-log off; then
		u=http://127.0.0.1:$port
		got="$(curl -s "$u/count") $(curl -s "$u/count") $(curl -s "$u/count")"
		[ "$mode" = reuse ] && want="1 2 3" || want="1 1 1"
		check "$mode-isolation" "$got" "$want"
		if [ "$mode" = reuse ]; then
			# a request that throws resets the sandbox, even under reuse:
			# what it broke does not fail every request after it
			got="$(req "$u/poison") $(req "$u/count") $(cat "$tmp/body") $(req "$u/count")"
			check reuse-throw-resets "$got" "500 200 1 200"
		fi
		stop "$spid"
	else
		bad "$mode-isolation" "the server did not start"
	fi
done

# ---- --modules laid out as a Kubernetes ConfigMap volume: each file a
# symlink into ..data/, itself a symlink to a dated directory ----
cm="$tmp/cm"
printf 'import { greet } from "./util.js";\nexport default { async fetch(req) {\n\tconst { tail } = await import("./util.js");\n\treturn new Response(greet(new URL(req.url).pathname) + tail);\n} };\n' >"$tmp/handler.js"
printf 'export const greet = (p) => "util " + p;\nexport const tail = "!";\n' >"$tmp/util.js"
sh tests/configmap.sh "$cm" "$tmp/handler.js" "$tmp/util.js"
if start modules "$cm/handler.js" --modules "$cm" --access-log off; then
	s=$(req "http://127.0.0.1:$port/x")
	check modules-configmap "$s $(cat "$tmp/body")" "200 util /x!"
	stop "$spid"
else
	bad modules-configmap "the server did not start: $(head -c 300 "$tmp/modules.err")"
fi
refused modules-outside "is not inside the module root" "$cm/handler.js" --modules "$D"
mkdir -p "$tmp/dotroot/.hidden"
cp "$tmp/handler.js" "$tmp/util.js" "$tmp/dotroot/.hidden/"
refused modules-dot-name "serve needs a name that does not start with '.'" \
	"$tmp/dotroot/.hidden/handler.js" --modules "$tmp/dotroot"

# ---- --pin: worker N on the Nth of the CPUs the server may use (in turn),
# and on the process backend its sandbox process too; off: anywhere. Read
# from /proc, as a user would: the threads are named mica-worker-N, the
# sandboxes are the children of the server's child (the zygote). ----
# auto: on when the workers are at least the CPUs.
# pin_check PID on|off|auto WORKERS BACKEND: prints what differs, nothing if all is as said
pin_check() {
	python3 - "$@" <<'PY'
import os, sys
pid, mode, workers, backend = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def cpus(path):
    for line in open(path):
        if line.startswith("Cpus_allowed_list:"):
            out = set()
            for part in line.split()[1].split(","):
                a, _, b = part.partition("-")
                out.update(range(int(a), int(b or a) + 1))
            return out
allowed = sorted(os.sched_getaffinity(0))
pinned = mode == "on" or (mode == "auto" and workers >= len(allowed))
got, want = {}, {}
for t in os.listdir(f"/proc/{pid}/task"):
    comm = open(f"/proc/{pid}/task/{t}/comm").read().strip()
    if comm.startswith("mica-worker-"):
        n = int(comm.rsplit("-", 1)[1])
        got[comm] = cpus(f"/proc/{pid}/task/{t}/status")
        want[comm] = {allowed[n % len(allowed)]} if pinned else set(allowed)
def children(p):
    return [int(c) for t in os.listdir(f"/proc/{p}/task")
            for c in open(f"/proc/{p}/task/{t}/children").read().split()]
if backend == "process":
    sandboxes = sorted(sorted(cpus(f"/proc/{c}/status")) for z in children(pid) for c in children(z))
    expected = sorted(sorted(w) for w in want.values())
    if sandboxes != expected:
        print(f"sandboxes on {sandboxes}, want {expected}")
if len(got) != workers or got != want:
    print(f"workers on {got}, want {want}")
PY
}
for mode in on off auto; do
	name=pin-$mode workers=2
	[ $mode = on ] && name=pin-workers
	[ $mode = auto ] && workers=1
	if start $name $D/echo.js --workers $workers --isolation reuse --pin $mode --access-log off; then
		u=http://127.0.0.1:$port
		# two requests at once: both workers call their sandboxes
		curl -s -o /dev/null --max-time 30 "$u/slow?ms=500" &
		c1=$!
		curl -s -o /dev/null --max-time 30 "$u/slow?ms=500" &
		c2=$!
		wait $c1 $c2
		backend=$(sed -n 's/.*, backend \([a-z]*\),.*/\1/p' "$tmp/$name.err" | head -n 1)
		why=$(pin_check "$spid" $mode $workers "$backend" 2>&1)
		if [ -z "$why" ]; then ok $name; else bad $name "$why"; fi
		stop "$spid"
	else
		bad $name "the server did not start"
	fi
done
refused pin-bad-value "--pin wants auto, on or off, not 'maybe'" $D/echo.js --pin maybe
# numbers and sizes are digits only (strtoull took "+2" and " 1m")
refused workers-plus "--workers wants a number from 1 to 256, not '+2'" $D/echo.js --workers +2
refused max-body-space "--max-body wants a size under 4g (e.g. 10m), not ' 1m'" $D/echo.js --max-body ' 1m'

# ---- a request that finds no sandbox free in time: 503 + Retry-After ----
if start queue $D/echo.js --workers 1 --queue-timeout 100 --access-log off; then
	u=http://127.0.0.1:$port
	curl -s -o /dev/null --max-time 30 "$u/slow?ms=3000" &
	cpid=$!
	sleep 0.2
	t0=$(date +%s%N)
	s=$(req "$u/count")
	ms=$((($(date +%s%N) - t0) / 1000000))
	wait "$cpid"
	# answered when its 100 ms are up, not when the worker is free again
	if [ "$s" = 503 ] && grep -qi '^retry-after: ' "$tmp/head" && [ "$ms" -lt 2000 ]; then
		ok 503-queue
	else
		bad 503-queue "status $s after $ms ms: $(cat "$tmp/head")"
	fi
	stop "$spid"
else
	bad 503-queue "the server did not start"
fi

# ---- --dev: the stack in the 500 body ----
if start dev $D/echo.js --workers 1 --dev --access-log off --env __proto__=x --unhandled-rejections none; then
	s=$(req "http://127.0.0.1:$port/throw")
	if [ "$s" = 500 ] && grep -qF 'boom from the handler' "$tmp/body" && grep -qF 'echo.js' "$tmp/body"; then
		ok dev-stack
	else
		bad dev-stack "status $s, body $(cat "$tmp/body")"
	fi
	# an env key is a key, whatever its name
	s=$(req "http://127.0.0.1:$port/env")
	check env-proto "$s $(grep -c '"env":{"__proto__":"x"}' "$tmp/body")" "200 1"
	s=$(req "http://127.0.0.1:$port/reject?none")
	sleep 0.2
	if [ "$s" = 200 ] && ! grep -qF 'nobody handles' "$tmp/dev.err"; then ok rejections-none; else bad rejections-none "status $s: $(tail -3 "$tmp/dev.err")"; fi
	stop "$spid"
else
	bad dev-stack "the server did not start"
	bad env-proto "the server did not start"
	bad rejections-none "the server did not start"
fi

# ---- outbound fetch(): an upstream on 127.0.0.1 (tests/serve/upstream.py) ----
FETCH_CASES="fetch-exact fetch-not-allowed fetch-private-star fetch-redirect-followed
	fetch-redirect-refused fetch-redirect-modes fetch-subrequest-limit fetch-big-body
	fetch-over-limit fetch-deadline fetch-body-type"
python3 $D/upstream.py >"$tmp/up.port" 2>"$tmp/up.err" &
upid=$!
pids="$pids $upid"
for _ in $(seq 100); do [ -s "$tmp/up.port" ] && break; sleep 0.05; done
up=http://127.0.0.1:$(cat "$tmp/up.port")
# fq QUERY: the fetcher's answer to /?QUERY, "STATUS BODY"
fq() {
	s=$(req "http://127.0.0.1:$port/?$1")
	echo "$s $(cat "$tmp/body")"
}
# fhas NAME GOT TEXT [TEXT2]: GOT contains TEXT (and TEXT2)
fhas() {
	case "$2" in
	*"$3"*"${4:-}"*) ok "$1" ;;
	*) bad "$1" "no '$3' ${4:+and '$4' }in '$2'" ;;
	esac
}
if [ ! -s "$tmp/up.port" ]; then
	for c in $FETCH_CASES; do bad "$c" "the upstream did not start: $(cat "$tmp/up.err")"; done
elif start fetch $D/fetcher.js --workers 1 --timeout $limit --allow-fetch "$up" \
	--allow-fetch https://example.com --max-subrequests 2 --access-log off; then
	got=$(fq "url=$up/hello")
	fhas fetch-exact "$got" '200 {"status":200,"statusText":"Fine","up":"yes","method":"GET","len":19,"body":"hello from upstream"'
	got="$(fq "url=$up/redirect%3Fto=/hello")"
	fhas fetch-redirect-followed "$got" "\"up\":\"yes\",\"method\":\"GET\",\"len\":19,\"body\":\"hello from upstream\",\"url\":\"$up/hello\",\"redirected\":true"
	# the listed origin redirects to another port of the same host: refused at the hop
	got=$(fq "url=$up/redirect%3Fto=http://127.0.0.1:1/hello")
	fhas fetch-redirect-refused "$got" "502 TypeError: fetch: redirect 1 from $up/redirect?to=http://127.0.0.1:1/hello to http://127.0.0.1:1/hello refused: the origin http://127.0.0.1:1 is not allowed"
	got="$(fq "url=$up/redirect%3Fto=/hello&redirect=manual") | $(fq "url=$up/redirect%3Fto=/hello&redirect=error")"
	fhas fetch-redirect-modes "$got" '200 {"status":302,"statusText":"Found"' "| 502 TypeError: fetch $up/redirect?to=/hello: redirected to $up/hello, and redirect is 'error'"
	got="$(fq "url=$up/hello&n=2" | cut -c1-3) $(fq "url=$up/hello&n=3")"
	fhas fetch-subrequest-limit "$got" "200 502 TypeError: fetch $up/hello refused: more than 2 subrequests in one request"
	got=$(fq "url=$up/big%3Fn=3000000")
	fhas fetch-big-body "$got" '200 {"status":200,"statusText":"OK","up":null,"method":null,"len":3000000,'
	# a body of bytes has no Content-Type (curl's own form type is not sent); a string's is text/plain
	got="$(fq "url=$up/echo&method=POST&body=abc&bytes=1") | $(fq "url=$up/echo&method=POST&body=abc")"
	case "$got" in
	*'"body":"abc"'*'"type":"none"}'*' | 200 '*'"type":"text/plain;charset=UTF-8"}'*) ok fetch-body-type ;;
	*) bad fetch-body-type "$got" ;;
	esac
	got=$(fq "url=$up/big%3Fn=67108865")
	fhas fetch-over-limit "$got" "502 TypeError: fetch $up/big?n=67108865: the response body is over the limit"
	# past the request's deadline: the fetch rejects, or the request gets its 504
	got=$(fq "url=$up/slow%3Fms=$((limit + 2500))")
	next=$(fq "url=$up/hello" | cut -c1-3)
	case "$got $next" in
	"504 "*" 200" | *"time limit"*" 200") ok fetch-deadline ;;
	*) bad fetch-deadline "$got, then $next" ;;
	esac
	stop "$spid"
else
	for c in $FETCH_CASES; do bad "$c" "the server did not start"; done
fi
if [ -s "$tmp/up.port" ]; then
	# no --allow-fetch: every fetch rejects, and says why
	if start nofetch $D/fetcher.js --workers 1 --access-log off; then
		got=$(fq "url=$up/hello")
		fhas fetch-not-allowed "$got" "502 TypeError: fetch $up/hello refused: the origin $up is not allowed (mica serve --allow-fetch)"
		stop "$spid"
	else
		bad fetch-not-allowed "the server did not start"
	fi
	# *: public addresses only; 127.0.0.1 is refused after DNS, localhost too
	if start star $D/fetcher.js --workers 1 --allow-fetch '*' --access-log off; then
		got="$(fq "url=$up/hello") | $(fq "url=http://localhost:${up##*:}/hello")"
		fhas fetch-private-star "$got" "502 TypeError: fetch $up/hello: $up/hello is 127.0.0.1, a loopback address: refused unless its origin is listed exactly" "| 502 TypeError: fetch http://localhost:"
		stop "$spid"
	else
		bad fetch-private-star "the server did not start"
	fi
fi
kill "$upid" 2>/dev/null
refused fetch-bad-origin "--allow-fetch wants an origin" $D/fetcher.js --allow-fetch ftp://127.0.0.1

# ---- refused at start: exit 2 with the reason ----
refused env-file-malformed "bad.env:3:" $D/echo.js --env-file $D/bad.env
printf 'A=1\nB="open\nC=3\n' >"$tmp/open.env" # the line where the value begins
refused env-file-unterminated "open.env:2: unterminated double-quoted value" $D/echo.js \
	--env-file "$tmp/open.env"
printf 'A="\\n\\n\\n"\nB=1\nC\n' >"$tmp/esc.env" # escaped newlines are no lines
refused env-file-line-after-escapes "esc.env:3: expected KEY=VALUE" $D/echo.js --env-file "$tmp/esc.env"
head -c 1048577 /dev/zero | tr '\0' '#' >"$tmp/huge.env"
refused env-file-too-large "cannot read --env-file '$tmp/huge.env': larger than 1 MiB" \
	$D/echo.js --env-file "$tmp/huge.env"
refused refused-no-default "has no default export" $D/nodefault.js
refused refused-no-fetch "has no fetch method" $D/nofetch.js
head -c 4194304 /dev/zero >"$tmp/big.js" # read to 3 MiB only: /dev/zero ends too
refused refused-too-large "cannot read '$tmp/big.js': larger than 3 MiB, the largest request" \
	"$tmp/big.js"
# the port is checked, not wrapped (99999 would be 34463) or looked up
for bad_port in 99999 http; do
	refused "listen-port-$bad_port" "wants a port from 0 to 65535" $D/echo.js \
		--listen "127.0.0.1:$bad_port"
done
# a port held by a socket without SO_REUSEPORT
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(30)' >"$tmp/held" &
hpid=$!
pids="$pids $hpid"
for _ in $(seq 100); do [ -s "$tmp/held" ] && break; sleep 0.05; done
held=$(cat "$tmp/held")
timeout 30 "$MICA" serve $D/echo.js --listen "127.0.0.1:$held" >/dev/null 2>"$tmp/bind.err"
rc=$?
if [ "$rc" = 2 ] && grep -qF "cannot listen on 127.0.0.1:$held" "$tmp/bind.err"; then
	ok bind-failure
else
	bad bind-failure "exit $rc: $(cat "$tmp/bind.err")"
fi
timeout 30 "$MICA" serve $D/echo.js --listen 127.0.0.1:0 --admin "127.0.0.1:$held" >/dev/null 2>"$tmp/bind.err"
rc=$?
if [ "$rc" = 2 ] && grep -qF "cannot listen on 127.0.0.1:$held" "$tmp/bind.err"; then
	ok admin-bind-failure
else
	bad admin-bind-failure "exit $rc: $(cat "$tmp/bind.err")"
fi
kill "$hpid" 2>/dev/null

# ---- streams, Blob, AbortSignal (tests/serve/streams.js) ----------------------
python3 $D/upstream.py >"$tmp/up2.port" 2>"$tmp/up2.err" &
upid=$!
pids="$pids $upid"
for _ in $(seq 100); do [ -s "$tmp/up2.port" ] && break; sleep 0.05; done
up=http://127.0.0.1:$(cat "$tmp/up2.port")
if [ ! -s "$tmp/up2.port" ]; then
	for c in $STREAM_CASES; do bad "$c" "the upstream did not start: $(cat "$tmp/up2.err")"; done
elif start streams $D/streams.js --workers 2 --timeout 5000 --allow-fetch "$up" --access-log off; then
	u=http://127.0.0.1:$port
	s=$(req "$u/stream")
	check stream-response "$s $(od -An -tx1 "$tmp/body" | tr -d ' \n')" "200 000102ff7c6368756e6b7c68c3a90a"
	s=$(req "$u/blob")
	got="$s $(od -An -tx1 "$tmp/body" | tr -d ' \n') $(sed -n 's/^[Cc]ontent-[Tt]ype: *\([^\r]*\).*/\1/p' "$tmp/head")"
	check blob-response "$got" "200 61ff0062 application/x-test"
	head -c 3000 /dev/urandom >"$tmp/s3k.bin"
	s=$(req --data-binary @"$tmp/s3k.bin" "$u/reader")
	check request-body-reader "$s $(cat "$tmp/body")" "200 true true $(sha256sum <"$tmp/s3k.bin" | cut -d' ' -f1) 3000"
	# over 1 MiB: the stream pulls it through host:serve body()
	head -c 1500000 /dev/urandom >"$tmp/s1m.bin"
	s=$(req --data-binary @"$tmp/s1m.bin" "$u/reader")
	check request-body-reader-lazy "$s $(cat "$tmp/body")" "200 true true $(sha256sum <"$tmp/s1m.bin" | cut -d' ' -f1) 1500000"
	printf 'hello, stre\303\251ms' >"$tmp/lower.txt"
	s=$(req --data-binary @"$tmp/lower.txt" "$u/upper")
	check transform-upper "$s $(cat "$tmp/body")" "200 $(printf 'HELLO, STRE\303\211MS')"
	s=$(req "$u/chunk-kinds")
	check stream-chunk-kinds "$s $(cat "$tmp/body")" "200 acdef"
	# a stream body goes out as it is made: its head is sent before the bad
	# chunk is seen, so the body is cut short (no last chunk; curl exits 18)
	s=$(curl -s --max-time 30 -o /dev/null -w '%{http_code}' "$u/bad-chunk")
	rc=$?
	sleep 0.1
	if [ "$s $rc" = "200 18" ] && grep -qF 'neither bytes nor a string' "$tmp/streams.err"; then
		ok stream-bad-chunk
	else
		bad stream-bad-chunk "status $s, curl exit $rc: $(tail -3 "$tmp/streams.err")"
	fi
	printf 'x\377' >"$tmp/f.bin"
	s=$(req -F a=1 -F "f=@$tmp/f.bin;type=text/x;filename=x.bin" "$u/form")
	check form-multipart "$s $(cat "$tmp/body")" '200 [["a","1"],["f",["x.bin","text/x","78ff"]]]'
	s=$(req "$u/fetch-aborted?url=$up/hello")
	check fetch-signal-aborted "$s $(cat "$tmp/body")" "200 AbortError true true"
	# the upstream answers after 3 s; the signal aborts the fetch after 200 ms
	s=$(req "$u/fetch-timeout?ms=200&url=$up/slow%3Fms=3000")
	check fetch-signal-timeout "$s $(cat "$tmp/body")" "200 TimeoutError true true"
	stop "$spid"
else
	for c in $STREAM_CASES; do bad "$c" "the server did not start"; done
fi
kill "$upid" 2>/dev/null
# ---- end of the streams block -------------------------------------------------

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
