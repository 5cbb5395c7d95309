#!/bin/sh
# make bench-serve: requests per second of `mica serve` on a trivial handler
# (bench/serve/hello.js), measured with wrk (Debian) on 127.0.0.1 in one run:
#   - mica serve --isolation reset (the default), fresh and reuse;
#   - the upper bound: a static response from nginx (Debian), when installed.
# Prints each figure and its ratio to reuse and to nginx; the figures depend
# on this machine and what else runs on it, the ratios less so.
# Usage: bench/serve.sh path/to/mica   (BENCH_SERVE_SECONDS, default 5;
# BENCH_SERVE_CONNECTIONS, default 50; BENCH_SERVE_WORKERS, default CPUs)
set -u
MICA=${1:-build/mica}
secs=${BENCH_SERVE_SECONDS:-5}
conns=${BENCH_SERVE_CONNECTIONS:-50}
workers=${BENCH_SERVE_WORKERS:-$(nproc)}
command -v wrk >/dev/null || { echo "bench-serve: wrk is not installed (apt-get install wrk)"; exit 1; }
tmp=$(mktemp -d)
spid=""
trap '[ -n "$spid" ] && kill -KILL $spid 2>/dev/null; rm -rf "$tmp"' EXIT

# run NAME URL: wrk's requests/s, p50 and p99 into $tmp/NAME
run() {
	wrk -t 2 -c "$conns" -d "${secs}s" --latency "$2" >"$tmp/$1.wrk" 2>&1
	rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$tmp/$1.wrk")
	p50=$(awk '$1 == "50%" { print $2 }' "$tmp/$1.wrk")
	p99=$(awk '$1 == "99%" { print $2 }' "$tmp/$1.wrk")
	errs=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$tmp/$1.wrk")
	echo "${rps:-0} ${p50:--} ${p99:--} ${errs:-0}" >"$tmp/$1"
}

for iso in reset fresh reuse; do
	: >"$tmp/$iso.err"
	"$MICA" serve bench/serve/hello.js --listen 127.0.0.1:0 --workers "$workers" \
		--isolation "$iso" --access-log off 2>"$tmp/$iso.err" &
	spid=$!
	port=""
	for _ in $(seq 200); do
		port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/$iso.err")
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { echo "bench-serve: mica serve did not start: $(cat "$tmp/$iso.err")"; exit 1; }
	run "$iso" "http://127.0.0.1:$port/"
	kill -TERM $spid
	wait $spid
	spid=""
done

nginx_note="nginx not installed (apt-get install nginx-light): no upper bound"
if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
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

echo "mica serve, hello handler, wrk -c $conns for ${secs}s on 127.0.0.1, $workers workers, backend ${MICA_BACKEND:-auto}:"
reuse=$(cut -d' ' -f1 "$tmp/reuse")
ngx=$([ -f "$tmp/nginx" ] && cut -d' ' -f1 "$tmp/nginx" || echo 0)
for k in reset fresh reuse nginx; do
	[ -f "$tmp/$k" ] || continue
	set -- $(cat "$tmp/$k")
	r_reuse=$(awk -v a="$1" -v b="$reuse" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	r_ngx=$(awk -v a="$1" -v b="$ngx" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	label=$k
	[ "$k" = nginx ] && label="nginx (static)"
	printf '  %-15s %9s req/s  p50 %-9s p99 %-9s non-2xx %-4s  x%s of reuse%s\n' "$label" "$1" "$2" "$3" "$4" \
		"$r_reuse" "$([ "$ngx" != 0 ] && echo ", x$r_ngx of nginx")"
done
[ -z "$nginx_note" ] || echo "  ($nginx_note)"
