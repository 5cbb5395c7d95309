#!/usr/bin/env python3
"""Requests that a reused sandbox runs several to a call (mica serve
--isolation reuse: GET and HEAD requests queued together go in one call of
__mica_serve_batch). Each case holds the one worker with a slow request
while the others queue up behind it, so that they are run as a batch, and
checks each is answered as if alone: its own body and status, its console
output and exception under its own request id, and a batch with a request
that loops, or runs out of memory, still answers the others.
Usage: batch.py path/to/mica. Prints "ok - NAME" or "FAIL - NAME: why" per
case, then "N passed, N failed, N skipped". The backend is MICA_BACKEND's."""
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

from serving import Tally, start_server, stop_server

MICA = sys.argv[1] if len(sys.argv) > 1 else "build/mica"
HERE = os.path.dirname(os.path.abspath(__file__))
CASES = """batch-formed batch-head batch-console batch-console-first batch-console-streamed
batch-exception-resets-once
batch-exception batch-rejection batch-late-rejection batch-wait-rejection alone-wait-rejection
batch-wait-loop batch-wait-until batch-stream batch-timeout batch-memory batch-hostile
batch-post-alone batch-pipelined server-exit batch-wait-not-held batch-wait-gives-back batch-rejection-warn server2-exit""".split()
SLOW = 6 if os.environ.get("KVM_QEMU") == "1" else 1
T = Tally()
ok, bad, check = T.ok, T.bad, T.check


def request(port, method, path, out, key):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30 * SLOW)
    try:
        c.request(method, path, body=b"x" if method == "POST" else None)
        r = c.getresponse()
        out[key] = (r.status, r.read().decode("latin1"))
    except OSError as e:
        out[key] = ("error", str(e))
    finally:
        c.close()


def behind_slow(port, reqs, method="GET", holders=1, send=None, gap=0.0):
    """Holds the workers (holders of them) with /slow, then sends reqs
    (paths) each on its own connection, gap seconds apart (in that order in
    the queue), with send(port, method, path, out, key); returns {path:
    (status, body, ...)} once all are answered."""
    out = {}
    slow = [threading.Thread(target=request, args=(port, "GET", "/slow?%d" % (600 * SLOW), out, "slow%d" % i))
            for i in range(holders)]
    for t in slow:
        t.start()
    time.sleep(0.2 * SLOW)
    ts = []
    for p in reqs:
        ts.append(threading.Thread(target=send or request, args=(port, method, p, out, p)))
        ts[-1].start()
        time.sleep(gap * SLOW)
    for t in ts + slow:
        t.join()
    return out


def metric(admin, name):
    c = http.client.HTTPConnection("127.0.0.1", admin, timeout=10)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    c.close()
    m = re.search(r"^%s (\d+)$" % name, text, re.M)
    return int(m.group(1)) if m else None


def ids_of(access_log, paths):
    """{request-target: request id} from the access log, once it has a line
    for each of paths (it is written just after the response), or after 10 s
    (a missing one is then None)."""
    for _ in range(200):
        ids = {}
        with open(access_log) as f:
            for line in f:
                fields = line.split()
                if len(fields) > 3:
                    ids[fields[3]] = fields[1]
        if all(x in ids for x in paths):
            break
        time.sleep(0.05)
    return {x: ids.get(x) for x in paths}


def logged(errpath, text):
    """The request ids the server's stderr gives the guest's line text."""
    with open(errpath) as f:
        return [m.group(1) for m in re.finditer(r"^mica serve: \[([0-9a-f]{16})\] %s$" % re.escape(text),
                                               f.read(), re.M)]


def finish(p, errpath, d, name):
    """Stops the server (case NAME: it exits 0) and removes its files."""
    rc = stop_server(p, 30)
    if rc == 0:
        ok(name)
    else:
        bad(name, "exit %s: %s" % (rc, open(errpath).read()[-2000:]))
    os.unlink(errpath)
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    os.rmdir(d)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    if subprocess.run([MICA, "--no-lockdown", "eval", "1"], capture_output=True).returncode:
        T.skip(CASES, "%s backend unavailable" % os.environ.get("MICA_BACKEND", "auto"))
        print(T.summary())
        return 0
    d = tempfile.mkdtemp(prefix="mica-batch-")
    access = os.path.join(d, "access.log")
    admin = free_port()
    # what waits behind a request that times out must not expire meanwhile
    p, port, errpath = start_server(MICA, os.path.join(HERE, "batch.js"), "--workers", "1",
                                    "--isolation", "reuse", "--timeout", str(1000 * SLOW),
                                    "--queue-timeout", str(10000 * SLOW),
                                    "--memory", "64", "--access-log", access,
                                    "--admin", "127.0.0.1:%d" % admin)
    if not port:
        print("# the server did not start: " + open(errpath).read())
        p.kill()
        return 1
    try:
        run(port, admin, access, errpath)
    finally:
        finish(p, errpath, d, "server-exit")
    two_workers()
    print(T.summary())
    return 1 if T.failed else 0


def run(port, admin, access, errpath):
    before = metric(admin, "mica_batched_requests_total")
    paths = ["/n?%d" % i for i in range(8)]
    out = behind_slow(port, paths)
    batched = metric(admin, "mica_batched_requests_total") - before
    check("batch-formed", [[out[x] for x in paths], batched >= 2],
          [[(200, str(i)) for i in range(8)], True])

    paths = ["/n?h%d" % i for i in range(4)]
    out = behind_slow(port, paths, "HEAD")
    check("batch-head", [out[x] for x in paths], [(200, "")] * 4)

    paths = ["/log?%d" % i for i in range(8)]
    out = behind_slow(port, paths)
    ids = ids_of(access, paths)
    got = [(out[x], logged(errpath, "log %d" % i)) for i, x in enumerate(paths)]
    check("batch-console", got, [((200, str(i)), [ids["/log?%d" % i]]) for i in range(8)])

    # a request's output is written before its response is sent: the last
    # of a batch's too, which names no owner (the host does, once the call
    # has returned); quick ones before it, so that it starts within the budget
    paths = ["/n?c0", "/n?c1", "/n?c2", "/chatty?c3"]
    out = behind_slow(port, paths, gap=0.01)
    got = [out[x] for x in paths] + [logged(errpath, "done c3")]
    ids = ids_of(access, paths)
    check("batch-console-first", got, [(200, "c%d" % i) for i in range(4)] + [[ids["/chatty?c3"]]])

    # and so are the lines of a request that streams its response, the first
    # of its batch, before it goes on to work (waitUntil)
    def then_log(port, method, path, out, key):
        request(port, method, path, out, key)
        out[key] += (logged(errpath, "streamed " + path.split("?")[1]),)
    paths = ["/log-stream?s0", "/n?s1", "/n?s2"]
    out = behind_slow(port, paths, send=then_log, gap=0.01)
    ids = ids_of(access, paths)
    check("batch-console-streamed", [out[x] for x in paths],
          [(200, "s0", [ids[paths[0]]]), (200, "s1", []), (200, "s2", [])])

    resets = metric(admin, "mica_resets_total")
    paths = ["/throw?%d" % i if i % 2 else "/n?t%d" % i for i in range(8)]
    out = behind_slow(port, paths)
    ids = ids_of(access, paths)
    got = [(out[x][0], logged(errpath, "Error: boom %d" % i) if i % 2 else out[x][1])
           for i, x in enumerate(paths)]
    check("batch-exception", got,
          [(500, [ids["/throw?%d" % i]]) if i % 2 else (200, "t%d" % i) for i in range(8)])
    # a batch with a throw resets the reused sandbox once it is done; the
    # batches after it, with none, keep it (a flag left set reset them all)
    thrown = metric(admin, "mica_resets_total") - resets
    for _ in range(2):
        behind_slow(port, ["/n?k%d" % i for i in range(4)])
    check("batch-exception-resets-once", [thrown >= 1, metric(admin, "mica_resets_total") - resets],
          [True, thrown])

    # a rejection no code handled fails its own request only: nothing runs again
    reruns = metric(admin, "mica_batch_reruns_total")
    paths = ["/reject?%d" % i if i % 2 else "/n?r%d" % i for i in range(6)]
    out = behind_slow(port, paths)
    ids = ids_of(access, paths)
    got = [(out[x][0], logged(errpath, "Error: rejected %d" % i) if i % 2 else out[x][1])
           for i, x in enumerate(paths)]
    check("batch-rejection", [got, metric(admin, "mica_batch_reruns_total") - reruns],
          [[(500, [ids["/reject?%d" % i]]) if i % 2 else (200, "r%d" % i) for i in range(6)], 0])

    # what a request leaves running in microtasks, or rejects while it
    # waits, is its own, as at the end of a call of its own
    for name, route, text in (("batch-late-rejection", "/late-reject", "late"),
                              ("batch-wait-rejection", "/wait-reject", "waiting")):
        reruns = metric(admin, "mica_batch_reruns_total")
        paths = ["%s?%d" % (route, i) if i % 2 else "/n?%s%d" % (name, i) for i in range(5)]
        out = behind_slow(port, paths)
        ids = ids_of(access, paths)
        got = [(out[x][0], logged(errpath, "Error: %s %d" % (text, i)) if i % 2 else out[x][1])
               for i, x in enumerate(paths)]
        check(name, [got, metric(admin, "mica_batch_reruns_total") - reruns],
              [[(500, [ids[x]]) if i % 2 else (200, "%s%d" % (name, i)) for i, x in enumerate(paths)], 0])

    # alone (a call of its own), the same: the rejection, not "never settled"
    out = {}
    request(port, "GET", "/wait-reject?alone", out, "x")
    ids = ids_of(access, ["/wait-reject?alone"])
    check("alone-wait-rejection", [out["x"][0], logged(errpath, "Error: waiting alone")],
          [500, [ids["/wait-reject?alone"]]])

    # one that waits, then loops: the others are answered or given back
    # when it waits, and it alone fails, once (not run again)
    reruns = metric(admin, "mica_batch_reruns_total")
    paths = ["/n?l0", "/wait-loop", "/n?l1", "/n?l2"]
    out = behind_slow(port, paths)
    check("batch-wait-loop", [[out[x] for x in paths], metric(admin, "mica_batch_reruns_total") - reruns],
          [[(200, "l0"), (504, out["/wait-loop"][1]), (200, "l1"), (200, "l2")], 0])

    paths = ["/wait?w%d" % i for i in range(4)]
    out = behind_slow(port, paths)
    time.sleep(0.2 * SLOW)
    ids = ids_of(access, paths)
    check("batch-wait-until", [(out[x], logged(errpath, "waited w%d" % i)) for i, x in enumerate(paths)],
          [((200, "w%d" % i), [ids["/wait?w%d" % i]]) for i in range(4)])

    paths = ["/stream?s%d" % i for i in range(4)]
    out = behind_slow(port, paths)
    check("batch-stream", [out[x] for x in paths], [(200, "s%d-s%d" % (i, i)) for i in range(4)])

    # which request of a batch failed is not known: those without a
    # response run again, each alone, and only the guilty one fails
    for name, bomb, status in (("batch-timeout", "/loop", 504), ("batch-memory", "/bomb", 503)):
        reruns = metric(admin, "mica_batch_reruns_total")
        paths = ["/n?a%d" % i for i in range(3)] + [bomb] + ["/n?b%d" % i for i in range(3)]
        out = behind_slow(port, paths)
        got = [out[x] for x in paths]
        want = [(200, "a%d" % i) for i in range(3)] + [status] + [(200, "b%d" % i) for i in range(3)]
        got[3] = got[3][0]
        check(name, [got, metric(admin, "mica_batch_reruns_total") > reruns], [want, True])

    # a handler that calls results() and owner() itself: every request is
    # answered (some may run twice), and the server goes on
    paths = ["/n?h%d" % i for i in range(3)] + ["/hostile"] + ["/n?h%d" % i for i in range(3, 6)]
    out = behind_slow(port, paths)
    after = behind_slow(port, ["/n?after"])
    check("batch-hostile", [sorted(out[x][0] for x in paths), out["/hostile"], after["/n?after"]],
          [[200] * 7, (200, "survived"), (200, "after")])

    before = metric(admin, "mica_batched_requests_total")
    paths = ["/n?p%d" % i for i in range(6)]
    out = behind_slow(port, paths, "POST")
    check("batch-post-alone", [[out[x] for x in paths], metric(admin, "mica_batched_requests_total")],
          [[(200, "p%d" % i) for i in range(6)], before])

    # pipelined on one connection: answered in order
    s = socket.create_connection(("127.0.0.1", port), timeout=30 * SLOW)
    s.sendall(b"GET /slow?%d HTTP/1.1\r\nHost: x\r\n\r\n" % (300 * SLOW) +
              b"".join(b"GET /n?q%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(10)) +
              b"GET /n?end HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    raw = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        raw += b
    s.close()
    bodies = [r.split(b"\r\n\r\n", 1)[1].decode() for r in re.split(rb"HTTP/1\.1 200 OK\r\n", raw)[1:]]
    check("batch-pipelined", bodies, ["slow"] + ["q%d" % i for i in range(10)] + ["end"])


def timed(port, method, path, out, key):
    t = time.monotonic()
    request(port, method, path, out, key)
    out[key] = out[key] + (time.monotonic() - t,)


def two_workers():
    """A request of a batch that waits (a timer, as a fetch() would) neither
    holds back the responses before it nor the requests after it: those go
    back to the queue, and the other worker takes them."""
    d = tempfile.mkdtemp(prefix="mica-batch-")
    access = os.path.join(d, "access.log")
    p, port, errpath = start_server(MICA, os.path.join(HERE, "batch.js"), "--workers", "2",
                                    "--isolation", "reuse", "--access-log", access,
                                    "--timeout", str(10000 * SLOW),
                                    "--unhandled-rejections", "warn")
    if not port:
        bad("batch-wait-not-held", "the server did not start: " + open(errpath).read())
        p.kill()
        return
    try:
        paths = ["/n?y0", "/sleep?%d" % (2000 * SLOW), "/n?y1", "/n?y2"]
        out = behind_slow(port, paths, holders=2, send=timed, gap=0.02)
        # each fast one is answered within ~0.6 s (the slow ones' end), not
        # after the 2 s sleep
        fast = [out[x][:2] + (out[x][2] < 1.5 * SLOW,) for x in ("/n?y0", "/n?y1", "/n?y2")]
        check("batch-wait-not-held", [fast[0], out[paths[1]][:2]], [(200, "y0", True), (200, "slept")])
        check("batch-wait-gives-back", fast[1:], [(200, "y1", True), (200, "y2", True)])

        # warn: the rejection is written under its own request's id
        paths = ["/reject?w%d" % i if i % 2 == 0 else "/n?w%d" % i for i in range(5)]
        out = behind_slow(port, paths, holders=2)
        ids = ids_of(access, paths)
        check("batch-rejection-warn",
              [(out[x], logged(errpath, "Uncaught (in promise) Error: rejected w%d" % i) if i % 2 == 0 else None)
               for i, x in enumerate(paths)],
              [((200, "w%d" % i), [ids[x]] if i % 2 == 0 else None) for i, x in enumerate(paths)])
    finally:
        finish(p, errpath, d, "server2-exit")


if __name__ == "__main__":
    sys.exit(main())
