#!/bin/sh
# Scale-out: two `mica serve` nodes on 127.0.0.1 behind Debian's nginx
# (nginx-light), which this test starts itself with a generated config in a
# temp dir (127.0.0.1 only; pid, logs and temp paths in that dir; upstream
# keep-alive; proxy_next_upstream error timeout http_502 http_503 http_504).
# tests/serve/scaleout.py sends idempotent GETs through nginx from several
# threads and checks every answer (200, the body the request asks for);
# one node is killed under load:
#   kill-*  SIGKILL: nginx moves to the other node, no request fails
#   term-*  SIGTERM: the node drains and exits 0, no request fails
# Usage: scaleout.sh path/to/mica. The backend is the one MICA_BACKEND
# names; where it cannot be used here, or nginx is missing, every case is
# skipped, counted, with the reason. NGINX=path overrides /usr/sbin/nginx.
set -u
MICA=${1:-build/mica}
NGINX=${NGINX:-/usr/sbin/nginx}
D=tests/serve
tmp=$(mktemp -d)
pids="" npids=""
cleanup() {
	# nginx's workers outlive a master killed with SIGKILL: TERM it
	for p in $npids; do kill -TERM "$p" 2>/dev/null; done
	for p in $npids; do wait "$p" 2>/dev/null; done
	for p in $pids; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pass=0 fail=0 skip=0

# serve has no lockdown, so LeakSanitizer can run at its exit
case "$MICA" in *asan*) export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1" ;; esac

KILL_CASES="kill-both-served kill-no-failure kill-survivor-served"
TERM_CASES="term-both-served term-no-failure term-drained term-exit-0"
CASES="$KILL_CASES $TERM_CASES"

. $D/lib.sh
[ -x "$NGINX" ] || skip_all "nginx is not installed ($NGINX; Debian: nginx-light, scripts/deps.sh installs it)"
command -v python3 >/dev/null || skip_all "python3 is not installed"
need_serving

# start_node NAME: a `mica serve` node on 127.0.0.1:0 answering with X-Node NAME;
# sets port and spid
start_node() {
	name=$1
	: >"$tmp/$name.err" # before the server opens it: the loop below reads it at once
	"$MICA" serve $D/scaleout.js --listen 127.0.0.1:0 --workers 2 --memory 32 \
		--env NODE="$name" --access-log off >/dev/null 2>"$tmp/$name.err" &
	spid=$!
	pids="$pids $spid"
	listening "$name"
}

# free_ports: two ports free on 127.0.0.1 a moment ago, for the balancers
# (nginx cannot listen on port 0 and say which it got)
free_ports() {
	python3 -c 'import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])'
}
# balancer DIR PORT PORT-A PORT-B: nginx on 127.0.0.1:PORT in front of the
# two nodes, its files in DIR; sets npid, and lport to the port it got
# (another one if PORT was taken meanwhile)
balancer() {
	dir=$1
	mkdir -p "$dir"
	user=""
	# workers drop to nobody when the master is root: keep them able to
	# reach the temp paths in this (0700) dir
	[ "$(id -u)" = 0 ] && user="user root;"
	lport=$2
	for _ in 1 2 3; do
		cat >"$dir/nginx.conf" <<-EOF
			daemon off;
			$user
			worker_processes 1;
			pid $dir/nginx.pid;
			error_log $dir/error.log notice;
			events { worker_connections 1024; }
			http {
			    log_format up '\$status \$upstream_addr \$upstream_status \$request_uri';
			    access_log $dir/access.log up;
			    client_body_temp_path $dir/body;
			    proxy_temp_path $dir/proxy;
			    fastcgi_temp_path $dir/fastcgi;
			    uwsgi_temp_path $dir/uwsgi;
			    scgi_temp_path $dir/scgi;
			    upstream mica {
			        server 127.0.0.1:$3 max_fails=1 fail_timeout=10s;
			        server 127.0.0.1:$4 max_fails=1 fail_timeout=10s;
			        keepalive 16;
			    }
			    server {
			        listen 127.0.0.1:$lport;
			        keepalive_requests 100000;
			        location = /balancer-ready { access_log off; return 204; }
			        location / {
			            proxy_pass http://mica;
			            proxy_http_version 1.1;
			            proxy_set_header Connection "";
			            proxy_next_upstream error timeout http_502 http_503 http_504;
			            proxy_next_upstream_tries 3;
			            proxy_next_upstream_timeout 10s;
			            proxy_connect_timeout 2s;
			            proxy_read_timeout 10s;
			        }
			    }
			}
		EOF
		"$NGINX" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >"$dir/stdout" 2>&1 &
		npid=$!
		npids="$npids $npid"
		for _ in $(seq 100); do
			kill -0 "$npid" 2>/dev/null || break
			[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$lport/balancer-ready")" = 204 ] &&
				return 0
			sleep 0.05
		done
		kill -TERM "$npid" 2>/dev/null
		wait "$npid" 2>/dev/null
		# another process took the port between free_port and nginx: again
		grep -q 'Address already in use' "$dir/error.log" "$dir/stdout" 2>/dev/null || break
		lport=$(free_ports | cut -d' ' -f1)
	done
	echo "# nginx did not start: $(tail -3 "$dir/error.log" "$dir/stdout" 2>/dev/null)"
	return 1
}

# fact FILE KEY: a number scaleout.py printed
fact() {
	v=$(sed -n "s/^$2 \([0-9]*\)$/\1/p" "$1")
	echo "${v:-0}"
}
failures() {
	sed -n 's/^failure //p' "$1" | head -3 | tr '\n' ';'
}

# exited PID SECONDS: waits for PID (a child) to exit; its exit code in
# $exited, or "none" if it is still running after SECONDS
exited() {
	exited=none
	i=0
	while [ "$i" -lt $(($2 * 20)) ]; do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			exited=$?
			return
		fi
		sleep 0.05
		i=$((i + 1))
	done
}

# scenario NAME PORT SIGNAL LOAD-ARGS...: nodes a and b, nginx on PORT, load, SIGNAL to
# node a once both have answered; the facts in $tmp/NAME.out, node a's pid
# in $apid. Returns 1 (and says why) if something would not start.
scenario() {
	sname=$1 lport=$2 sig=$3
	shift 3
	start_node a || return 1
	apid=$spid aport=$port
	start_node b || return 1
	bpid=$spid bport=$port
	balancer "$tmp/$sname-nginx" "$lport" "$aport" "$bport" || return 1
	echo "# $sname: nodes a :$aport b :$bport, nginx :$lport"
	# -I: not tests/serve on sys.path, whose http.py would hide the standard one
	python3 -I $D/scaleout.py "$lport" "$apid" "$sig" "$@" >"$tmp/$sname.out" 2>"$tmp/$sname.pyerr"
	rc=$?
	if [ "$rc" != 0 ]; then
		echo "# $sname: the load client failed (exit $rc): $(tail -3 "$tmp/$sname.pyerr")"
		return 1
	fi
	retried=$(grep -c ', ' "$tmp/$sname-nginx/access.log" 2>/dev/null)
	echo "# $sname: $(fact "$tmp/$sname.out" requests) requests," \
		"$(fact "$tmp/$sname.out" failed) failed, ${retried:-0} passed on to the other node by nginx," \
		"the slowest took $(fact "$tmp/$sname.out" slowest) ms ($(sed -n 's/^slowest-was //p' "$tmp/$sname.out"))"
	return 0
}
# stop_all: nginx and the nodes of a scenario
stop_all() {
	for p in $npid $bpid $apid; do kill -TERM "$p" 2>/dev/null; done
	for p in $npid $bpid $apid; do wait "$p" 2>/dev/null; done
}

# ---- SIGKILL one node under load ----
# every 4th request waits 50 ms, so that some are in flight on the node
# when it dies: nginx must pass them on to the other one
npid="" apid="" bpid=""
ports=$(free_ports)
kill_port=${ports% *} term_port=${ports#* }
if scenario kill "$kill_port" KILL --threads 6 --min-each 30 --after 2 --slow-every 4 --slow-ms 50; then
	o=$tmp/kill.out
	ba=$(fact "$o" "before a") bb=$(fact "$o" "before b")
	if [ "$ba" -gt 0 ] && [ "$bb" -gt 0 ]; then ok kill-both-served; else
		bad kill-both-served "before the kill node a answered $ba, node b $bb"; fi
	n=$(fact "$o" requests) f=$(fact "$o" failed)
	if [ "$f" = 0 ] && [ "$n" -gt 0 ]; then ok kill-no-failure; else
		bad kill-no-failure "$f of $n requests failed: $(failures "$o")"; fi
	# after the kill only b can answer, and the load went on
	aa=$(fact "$o" "after a") ab=$(fact "$o" "after b")
	if [ "$ab" -gt 0 ]; then ok kill-survivor-served; else
		bad kill-survivor-served "after the kill node a answered $aa, node b $ab"; fi
else
	for c in $KILL_CASES; do bad "$c" "the scenario did not start"; done
fi
stop_all

# ---- SIGTERM one node under load: it drains ----
# every request waits 100 ms: each node always has requests in flight (and
# some queued) when a is stopped
if scenario term "$term_port" TERM --threads 6 --min-each 15 --after 2 --slow-every 1 --slow-ms 100; then
	o=$tmp/term.out
	ba=$(fact "$o" "before a") bb=$(fact "$o" "before b")
	if [ "$ba" -gt 0 ] && [ "$bb" -gt 0 ]; then ok term-both-served; else
		bad term-both-served "before SIGTERM node a answered $ba, node b $bb"; fi
	n=$(fact "$o" requests) f=$(fact "$o" failed)
	if [ "$f" = 0 ] && [ "$n" -gt 0 ]; then ok term-no-failure; else
		bad term-no-failure "$f of $n requests failed: $(failures "$o")"; fi
	# what a had in flight at SIGTERM was answered by a, after it
	aa=$(fact "$o" "after a") ab=$(fact "$o" "after b")
	if [ "$aa" -gt 0 ] && [ "$ab" -gt 0 ]; then ok term-drained; else
		bad term-drained "after SIGTERM node a answered $aa (its requests in flight), node b $ab"; fi
	exited "$apid" 15
	if [ "$exited" = 0 ]; then ok term-exit-0; else
		bad term-exit-0 "node a: exit $exited after SIGTERM: $(tail -3 "$tmp/a.err")"; fi
else
	for c in $TERM_CASES; do bad "$c" "the scenario did not start"; done
fi
stop_all

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
