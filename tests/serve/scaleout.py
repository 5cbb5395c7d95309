# The load client of tests/serve/scaleout.sh: THREADS threads send GET
# requests through the balancer at 127.0.0.1:PORT (http.client, one
# keep-alive connection each) and check each answer: status 200, the body
# the fixture gives that request (tests/serve/scaleout.js), X-Node a or b.
# Once both nodes have answered MIN_EACH requests (or after 10 s), it sends
# SIGNAL to PID (a node), goes on for AFTER seconds, stops, and prints facts
# for the shell to judge, one per line:
#   requests N | failed N | before a N | before b N | after a N | after b N
#   slowest MS (the longest request) | slowest-was DETAIL
#   failure DETAIL (the first few)
# "before"/"after": answers completed before/after the signal was sent.
# Usage: scaleout.py PORT PID SIGNAL [--threads N] [--min-each N]
#        [--after S] [--slow-every K] [--slow-ms MS]
import argparse
import http.client
import os
import signal
import sys
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("pid", type=int)
ap.add_argument("signal", choices=["KILL", "TERM"])
ap.add_argument("--threads", type=int, default=6)
ap.add_argument("--min-each", type=int, default=30)
ap.add_argument("--after", type=float, default=2.0)
ap.add_argument("--slow-every", type=int, default=0, help="every K-th request waits (0: none)")
ap.add_argument("--slow-ms", type=int, default=50)
a = ap.parse_args()

lock = threading.Lock()
stop = threading.Event()
signalled = None  # time.monotonic() when the signal was sent
counts = {"before a": 0, "before b": 0, "after a": 0, "after b": 0}
requests = failed = slowest = 0
slowest_was = ""
failures = []


def record(ok, node, detail, t0, path):
    global requests, failed, slowest, slowest_was
    ms = int((time.monotonic() - t0) * 1000)
    with lock:
        requests += 1
        if ms > slowest:
            slowest = ms
            since = "" if signalled is None else ", sent %+d ms from the signal" % ((t0 - signalled) * 1000)
            slowest_was = "GET %s, node %s%s" % (path, node, since)
        if ok:
            counts[("after " if signalled is not None else "before ") + node] += 1
        else:
            failed += 1
            if len(failures) < 5:
                failures.append(detail)


def client(tid):
    conn = None
    n = 0
    while not stop.is_set():
        n += 1
        path = "/r/%d/%d" % (tid, n)
        if a.slow_every and n % a.slow_every == 0:
            path += "?ms=%d" % a.slow_ms
        want = "pong " + path
        t0 = time.monotonic()
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=20)
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read().decode("latin-1")
            node = r.getheader("x-node")
            if r.status == 200 and body == want and node in ("a", "b"):
                record(True, node, None, t0, path)
            else:
                record(False, None, "GET %s: %d, x-node %s, body %r" % (path, r.status, node, body[:120]), t0, path)
            if r.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as e:
            record(False, None, "GET %s: %s: %s" % (path, type(e).__name__, e), t0, path)
            if conn is not None:
                conn.close()
            conn = None
    if conn is not None:
        conn.close()


threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(a.threads)]
for t in threads:
    t.start()
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    with lock:
        if counts["before a"] >= a.min_each and counts["before b"] >= a.min_each:
            break
    time.sleep(0.01)
with lock:
    signalled = time.monotonic()
    os.kill(a.pid, getattr(signal, "SIG" + a.signal))
time.sleep(a.after)
stop.set()
for t in threads:
    t.join(30)
with lock:
    print("requests", requests)
    print("failed", failed)
    print("slowest", slowest)
    print("slowest-was", slowest_was)
    for k, v in counts.items():
        print(k, v)
    for f in failures:
        print("failure", f.replace("\n", "\\n"))
sys.stdout.flush()
