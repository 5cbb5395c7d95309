#!/bin/sh
# make bench-serve: requests per second and latency of `mica serve` against
# workerd (Cloudflare's Workers runtime) on the same handlers, measured with wrk
# (Debian) on 127.0.0.1 in one run:
#   - two handlers, each an ES module Worker served unchanged by both:
#     bench/serve/hello.js (a constant response) and bench/serve/compute.js
#     (parses a small JSON document, 4096 rounds of FNV-1a, answers JSON);
#   - mica serve on each backend that works here (kvm when `mica info` says it
#     is available, process always) in each isolation mode (reset, fresh, reuse);
#   - workerd, the npm package, installed into build/workerd by
#     scripts/workerd.sh; as many workerd processes as mica has workers, on one
#     port (bench/serve/workerd-pool.py: a socket each, SO_REUSEPORT), since
#     workerd runs a process's requests on one thread; the generated config
#     serves the same file, unchanged, at workerd's own compatibility date.
#     Without it (no npm, no registry, a binary that does not run) its figures
#     are n/a and the reason is printed;
#   - the upper bound: a static response from nginx (Debian), when installed.
# Each server gets a warm-up run of wrk first (V8 compiles hot code, mica fills
# its spares), then the measured one. By default each mica worker and each
# workerd process is pinned to a CPU, in turn (BENCH_SERVE_PIN); wrk and the
# rest are not, and everything shares the machine's cores. Prints a table (each figure with its ratio to
# workerd's req/s for the same handler) and the issue's goals, met or not.
# The figures depend on this machine and what else runs on it, the ratios less.
# Usage: bench/serve.sh path/to/mica
#   BENCH_SERVE_SECONDS      measured seconds per run (default 5)
#   BENCH_SERVE_WARMUP       warm-up seconds per run (default 1; 0: none)
#   BENCH_SERVE_CONNECTIONS  wrk connections (default 50)
#   BENCH_SERVE_WORKERS      mica serve --workers and workerd processes
#                            (default: the CPUs)
#   BENCH_SERVE_WORKERD_PROCS  workerd processes (default: the workers)
#   BENCH_SERVE_PIN          on (default): mica serve --pin on (what its auto does
#                            when the workers cover the CPUs, as here) and
#                            each workerd process on one CPU, in turn; off:
#                            neither is pinned
#   BENCH_SERVE_BACKENDS     backends to run (default: kvm if available, and
#                            process; MICA_BACKEND=kvm|process picks one)
#   BENCH_SERVE_HANDLERS     handlers to run (default: hello compute)
#   WORKERD                  a workerd binary to use instead of installing one;
#                            WORKERD=none skips workerd
set -u
MICA=${1:-build/mica}
secs=${BENCH_SERVE_SECONDS:-5}
warm=${BENCH_SERVE_WARMUP:-1}
conns=${BENCH_SERVE_CONNECTIONS:-50}
cpus=$(nproc)
workers=${BENCH_SERVE_WORKERS:-$cpus}
handlers=${BENCH_SERVE_HANDLERS:-hello compute}
here=$(dirname "$0")
command -v wrk >/dev/null || { echo "bench-serve: wrk is not installed (apt-get install wrk)"; exit 1; }
command -v curl >/dev/null || { echo "bench-serve: curl is not installed (apt-get install curl)"; exit 1; }
[ -x "$MICA" ] || { echo "bench-serve: $MICA is not built (make -j2 build/mica)"; exit 1; }
tmp=$(mktemp -d)
spid=""
trap '[ -n "$spid" ] && kill -KILL $spid 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
# One build for the whole run, even if $MICA is relinked meanwhile.
mica_from="$MICA, $(date -r "$MICA" '+built %Y-%m-%d %H:%M')"
rev=$(git -C "$here" describe --always --dirty 2>/dev/null) && mica_from="$mica_from, tree $rev"
cp "$MICA" "$tmp/mica" || exit 1
MICA=$tmp/mica

# The backends: kvm only where `mica info` says it works here.
"$MICA" info >"$tmp/info" 2>&1
if [ -n "${BENCH_SERVE_BACKENDS:-}" ]; then
	backends=$BENCH_SERVE_BACKENDS
elif [ -n "${MICA_BACKEND:-}" ] && [ "$MICA_BACKEND" != auto ]; then
	backends=$MICA_BACKEND
else
	backends=process
	grep -q '^kvm: available' "$tmp/info" && backends="kvm process"
fi
kvm_note=$(sed -n 's/^kvm: unavailable: \(.*\)/\1/p' "$tmp/info")

# workerd: the binary, or why not (then its figures are n/a)
wd_note=""
wd=${WORKERD:-}
if [ "$wd" = none ]; then
	wd=""
	wd_note="WORKERD=none"
elif [ -z "$wd" ]; then
	echo "bench-serve: installing workerd from npm (scripts/workerd.sh), unless already there"
	wd=$(sh "$here/../scripts/workerd.sh" 2>"$tmp/workerd-install.err") || {
		wd=""
		wd_note="not installed: $(cat "$tmp/workerd-install.err")"
	}
elif ! "$wd" --version >/dev/null 2>&1; then
	wd_note="WORKERD=$wd does not run"
	wd=""
fi
wd_version=""
[ -n "$wd" ] && wd_version=$("$wd" --version 2>/dev/null | sed -n 's/^workerd \([0-9-]*\).*/\1/p')
# the npm package's version, when the binary came from one
wd_pkg=""
[ -n "$wd" ] && [ -f "$(dirname "$wd")/../package.json" ] &&
	wd_pkg=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$(dirname "$wd")/../package.json" | head -n 1)
wd_procs=${BENCH_SERVE_WORKERD_PROCS:-$workers}
pin=${BENCH_SERVE_PIN:-on}
case $pin in
on) wd_pin=--pin ;;
off) wd_pin="" ;;
*) echo "bench-serve: BENCH_SERVE_PIN wants on or off, not '$pin'"; exit 1 ;;
esac

# to_ms WRK-DURATION: wrk's 850.00us, 3.06ms, 1.02s or 1.20m in milliseconds
to_ms() {
	echo "$1" | awk '{ v = $1 + 0; u = $1; sub(/^[0-9.]+/, "", u)
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
		printf "%.2f", v }'
}

# wait_listening ERRFILE: the port from "listening on http://127.0.0.1:PORT"
# on the server's stderr, once it says so (empty if it does not, or exits)
wait_listening() {
	port=""
	for _ in $(seq 400); do
		port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1" | head -n 1)
		[ -n "$port" ] && return 0
		kill -0 "$spid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# run NAME URL: a warm-up, then wrk's requests/s, p50, p99, non-2xx responses
# and socket errors into $tmp/NAME
run() {
	[ "$warm" -gt 0 ] && wrk -t 2 -c "$conns" -d "${warm}s" "$2" >/dev/null 2>&1
	wrk -t 2 -c "$conns" -d "${secs}s" --latency "$2" >"$tmp/$1.wrk" 2>&1
	rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$tmp/$1.wrk")
	p50=$(awk '$1 == "50%" { print $2 }' "$tmp/$1.wrk")
	p99=$(awk '$1 == "99%" { print $2 }' "$tmp/$1.wrk")
	errs=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$tmp/$1.wrk")
	serr=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$tmp/$1.wrk")
	echo "${rps:-0} ${p50:--} ${p99:--} ${errs:-0} ${serr:-0}" >"$tmp/$1"
}

# check NAME URL HANDLER: the server answers 200 with the handler's body; the
# first mica answer is the expected body, which every later server must match.
# Prints why not and returns 1 otherwise.
check() {
	code=$(curl -s -m 10 -o "$tmp/$1.body" -w '%{http_code}' "$2")
	if [ "$code" != 200 ]; then
		echo "answered HTTP ${code:-nothing}: $(head -c 200 "$tmp/$1.body" 2>/dev/null)"
		return 1
	fi
	if [ ! -f "$tmp/$3.expect" ]; then
		cp "$tmp/$1.body" "$tmp/$3.expect"
	elif ! cmp -s "$tmp/$1.body" "$tmp/$3.expect"; then
		echo "answered '$(head -c 100 "$tmp/$1.body")' instead of '$(head -c 100 "$tmp/$3.expect")'"
		return 1
	fi
	return 0
}

notes=""
note() { notes="$notes
  ($*)"; }

for h in $handlers; do
	js=$here/serve/$h.js
	[ -f "$js" ] || { echo "bench-serve: no handler $js"; exit 1; }
	for b in $backends; do
		for iso in reset fresh reuse; do
			k=$h.$b.$iso
			"$MICA" serve "$js" --listen 127.0.0.1:0 --workers "$workers" --backend "$b" \
				--isolation "$iso" --pin "$pin" --access-log off 2>"$tmp/$k.err" &
			spid=$!
			if ! wait_listening "$tmp/$k.err"; then
				echo "bench-serve: mica serve ($h, $b, $iso) did not start: $(cat "$tmp/$k.err")"
				exit 1
			fi
			why=$(check "$k" "http://127.0.0.1:$port/" "$h") || note "mica $b $iso on $h $why"
			run "$k" "http://127.0.0.1:$port/"
			kill -TERM $spid
			wait $spid
			spid=""
		done
	done

	# workerd: the same file, as an ES module Worker, on N processes
	[ -n "$wd" ] || continue
	d=$tmp/wd-$h
	mkdir -p "$d"
	cp "$js" "$d/$h.js"
	cat >"$d/config.capnp" <<CONF
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "$h.js", esModule = embed "$h.js") ],
  compatibilityDate = "${wd_version:-2025-01-01}",
);
CONF
	python3 "$here/serve/workerd-pool.py" $wd_pin "$wd_procs" "$wd" "$d/config.capnp" http 2>"$d/err" &
	spid=$!
	if ! wait_listening "$d/err"; then
		note "workerd on $h did not start: $(head -c 300 "$d/err")"
		spid=""
		continue
	fi
	if why=$(check "wd.$h" "http://127.0.0.1:$port/" "$h"); then
		run "wd.$h" "http://127.0.0.1:$port/"
	else
		note "workerd on $h $why: not measured"
	fi
	kill -TERM $spid
	wait $spid 2>/dev/null
	spid=""
done

nginx_note="nginx not installed (apt-get install nginx-light): no upper bound"
case " $handlers " in *" hello "*) ;; *) nginx_note="" ;; esac # the bound of hello only
if [ -n "$nginx_note" ] && { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; }; then
	ng=$(command -v nginx || echo /usr/sbin/nginx)
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	mkdir -p "$tmp/ng"
	cat >"$tmp/ng/nginx.conf" <<CONF
worker_processes $workers;
pid $tmp/ng/nginx.pid;
error_log $tmp/ng/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $tmp/ng; proxy_temp_path $tmp/ng; fastcgi_temp_path $tmp/ng;
	uwsgi_temp_path $tmp/ng; scgi_temp_path $tmp/ng;
	server { listen 127.0.0.1:$port; location / { return 200 "hello\n"; } }
}
CONF
	if "$ng" -c "$tmp/ng/nginx.conf" -p "$tmp/ng" 2>"$tmp/ng/start.err"; then
		sleep 0.3
		run nginx "http://127.0.0.1:$port/"
		kill -TERM "$(cat "$tmp/ng/nginx.pid")" 2>/dev/null
		nginx_note=""
	else
		nginx_note="nginx did not start: $(head -c 200 "$tmp/ng/start.err")"
	fi
fi

# The table
kvm_said="kvm: ${kvm_note:-available}"
echo "mica serve vs workerd: wrk -t 2 -c $conns, ${warm} s warm-up then ${secs} s measured, on 127.0.0.1;"
echo "$cpus CPUs ($kvm_said); $("$MICA" --version) ($mica_from): serve --workers $workers, backends: $backends;"
if [ -n "$wd" ]; then
	echo "workerd ${wd_version:-?}${wd_pkg:+ (npm $wd_pkg)} as $wd_procs processes on one port (SO_REUSEPORT), one request thread each ($wd);"
else
	echo "workerd: n/a, $wd_note;"
fi
if [ "$pin" = on ]; then
	echo "pinned (BENCH_SERVE_PIN=on): mica's workers (--pin on) and workerd's processes one per CPU, in turn; wrk and the rest float over the same $cpus CPUs."
else
	echo "nothing pinned (BENCH_SERVE_PIN=off): servers and wrk share the same $cpus CPUs."
fi
echo "x workerd = req/s / workerd's req/s for the same handler."
printf '%-8s %-15s %-8s %-6s %10s %9s %9s %8s %8s %10s\n' \
	handler server backend mode req/s p50 p99 non-2xx sockerr "x workerd"
# ratio A B: A / B to 2 places, n/a without B
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
row() { # HANDLER SERVER BACKEND MODE FILE
	if [ -f "$5" ]; then
		# shellcheck disable=SC2046 # the five figures, one word each
		set -- "$1" "$2" "$3" "$4" $(cat "$5")
		printf '%-8s %-15s %-8s %-6s %10s %9s %9s %8s %8s %10s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" \
			"$(ratio "$5" "$wdr")"
	else
		printf '%-8s %-15s %-8s %-6s %10s %9s %9s %8s %8s %10s\n' "$1" "$2" "$3" "$4" n/a n/a n/a n/a n/a n/a
	fi
}
for h in $handlers; do
	wdr=0
	[ -f "$tmp/wd.$h" ] && wdr=$(cut -d' ' -f1 "$tmp/wd.$h")
	for b in $backends; do
		for iso in reset fresh reuse; do
			row "$h" mica "$b" "$iso" "$tmp/$h.$b.$iso"
		done
	done
	row "$h" workerd - - "$tmp/wd.$h"
done
if [ -f "$tmp/nginx" ]; then
	wdr=0
	[ -f "$tmp/wd.hello" ] && wdr=$(cut -d' ' -f1 "$tmp/wd.hello")
	row hello "nginx (static)" - - "$tmp/nginx"
fi
[ -z "$nginx_note" ] || note "$nginx_note"
[ -z "$notes" ] || echo "$notes" | sed '/^$/d'

# The goals (issue 9), per handler and backend
echo "goals (reuse and reset against workerd's req/s for the same handler; p99 under reset at -c 50 on 2 cores):"
cond=""
[ "$conns" = 50 ] && [ "$cpus" = 2 ] || cond=" [measured at -c $conns on $cpus CPUs: not the goal's conditions]"
verdict() { awk -v v="$1" -v g="$2" -v ge="$3" 'BEGIN { ok = ge ? v >= g : v <= g; print ok ? "met" : "NOT met" }'; }
for b in $backends; do
	for h in $handlers; do
		wdr=0
		[ -f "$tmp/wd.$h" ] && wdr=$(cut -d' ' -f1 "$tmp/wd.$h")
		for g in "reuse 1.5" "reset 1.0"; do
			# shellcheck disable=SC2086 # the mode and the ratio
			set -- $g
			label="$1 >= $2x workerd req/s"
			[ "$1" = reset ] && label="$label (moonshot)"
			if [ ! -f "$tmp/$h.$b.$1" ]; then
				res="n/a"
			elif [ "$wdr" = 0 ]; then
				res="not measured (workerd n/a)"
			else
				r=$(ratio "$(cut -d' ' -f1 "$tmp/$h.$b.$1")" "$wdr")
				res="x$r $(verdict "$r" "$2" 1)"
			fi
			printf '  %-8s %-8s %-42s %s\n' "$b" "$h" "$label" "$res"
		done
		if [ -f "$tmp/$h.$b.reset" ]; then
			p99=$(to_ms "$(cut -d' ' -f3 "$tmp/$h.$b.reset")")
			res="${p99} ms $(verdict "$p99" 5 0)$cond"
		else
			res="n/a"
		fi
		printf '  %-8s %-8s %-42s %s\n' "$b" "$h" "reset p99 <= 5 ms" "$res"
	done
done
