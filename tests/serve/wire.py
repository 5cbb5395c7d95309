#!/usr/bin/env python3
"""HTTP/1.1 on the wire: what mica serve reads and writes, with raw sockets
(curl will not send most of these). Usage: wire.py path/to/mica
Prints "ok - NAME" or "FAIL - NAME: why" per case, then "N passed, N failed,
N skipped" (tests/run.sh counts it). The backend is MICA_BACKEND's."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from serving import Tally, start_server, stop_server

MICA = sys.argv[1] if len(sys.argv) > 1 else "build/mica"
HERE = os.path.dirname(os.path.abspath(__file__))
CASES = """pipelined-in-order pipelined-many pipelined-close-big keep-alive obs-fold-space obs-fold-tab
split-value-ok bare-lf cl-te cl-twice cl-twice-same chunk-size-bad chunk-size-huge
chunked-trailers chunk-extension expect-continue expect-over-limit expect-unknown head
http10-close http10-keep-alive host-missing host-twice version-2 h2-preface te-gzip empty-value
slowloris-headers slowloris-body served-meanwhile half-close client-gone error-body-text
garbage-first status-text status-text-crlf date-header reload-serves-new reload-keeps-connection
reload-finishes-old reload-broken-keeps-old reload-exit-0 snapshot-written snapshot-used
snapshot-stale snapshot-corrupt stream-chunked stream-http10 stream-cut stream-head
stream-then-next stream-slow-reader stream-back-pressure rs-progressive rs-pull-cancelled
upgrade-after-pipeline half-close-queued fold-empty-te fold-empty-host strict-chunk-crlf
strict-header-name strict-target-tab http10-no-continue announce-holds-nothing refused-logged-once
streams-at-once host-bad url-normal value-ows unknown-method unknown-method-pipelined
snapshot-memory snapshot-module-changed head-content-length no-method-after-body""".split()
T = Tally()
ok, bad, check = T.ok, T.bad, T.check
ERRPATH = []  # the main server's stderr


def skip_all(why):
    T.skip(CASES, why)
    print(T.summary())
    sys.exit(0)


def start(*args, handler=os.path.join(HERE, "echo.js"), access_log="off"):
    """A server on 127.0.0.1:0; returns (process, port, stderr path)."""
    p, port, errpath = start_server(MICA, handler, "--access-log", access_log, *args)
    if port:
        return p, port, errpath
    with open(errpath) as f:
        print("# the server did not start: " + f.read())
    p.kill()
    sys.exit(1)


# inside QEMU's emulator (scripts/kvm-qemu-run.sh) everything is slower
SLOW = 6 if os.environ.get("KVM_QEMU") == "1" else 1


def connect(port, timeout):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW)


def exchange(port, data, wait=3.0, shut=False, pace=None):
    """Sends data (all at once, or byte by byte every pace seconds), reads
    until the server closes or is silent for wait seconds."""
    s = connect(port, wait)
    try:
        if pace:
            for i in range(len(data)):
                try:
                    s.sendall(data[i:i + 1])
                except OSError:
                    break
                time.sleep(pace)
        else:
            s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        return read_all(s)
    finally:
        s.close()


def read_all(sock):
    """What sock receives until the server closes, the socket's timeout
    passes or the connection fails."""
    out = b""
    while True:
        try:
            b = sock.recv(1 << 20)
        except OSError:  # socket.timeout, ConnectionResetError, ...
            break
        if not b:
            break
        out += b
    return out


def read_a_little(port, path, timeout, linger):
    """GETs path with a small receive buffer, reads once, stays linger
    seconds, then goes away (a streamed body's client that leaves early)."""
    s = connect(port, timeout)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(get(path, "Connection: close\r\n"))
    s.recv(65536)
    time.sleep(linger)
    s.close()


def responses(raw):
    """Splits a byte stream of responses: [(status, headers dict, body)]."""
    out = []
    while raw:
        end = raw.find(b"\r\n\r\n")
        if end < 0:
            break
        head = raw[:end].decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/1\.1 (\d{3}) ?(.*)", head[0])
        if not m:
            break
        hdrs = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        status = int(m.group(1))
        if status < 200:
            n = 0
        out.append((status, hdrs, raw[end + 4:end + 4 + n], m.group(2)))
        raw = raw[end + 4 + n:]
    return out


def statuses(raw):
    return [r[0] for r in responses(raw)]


def get(path, extra=""):
    return ("GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (path, extra)).encode()


def main():
    if subprocess.run([MICA, "--no-lockdown", "eval", "1"], capture_output=True).returncode:
        skip_all("%s backend unavailable" % os.environ.get("MICA_BACKEND", "auto"))
    # inside QEMU's emulator (scripts/kvm-qemu-run.sh) a 3 MiB body takes
    # longer than the default 10 s
    slow = ["--timeout", "120000"] if os.environ.get("KVM_QEMU") == "1" else []
    p, port, errpath = start("--workers", "2", "--header-timeout", "1000", "--body-timeout",
                             "1000", "--max-body", "1m", *slow)
    ERRPATH.append(errpath)
    try:
        run(port)
        reload()
        snapshot_cache()
        logged_once()
    finally:
        rc = stop_server(p, 30)
        if rc != 0:
            err = open(errpath).read()
            at = err.find("ERROR: ")  # a sanitizer's report: whole, from its start
            bad("server-exit", "exit %s: %s" % (rc, err[max(at - 80, 0):][:16000] if at >= 0 else err[-2000:]))
        os.unlink(errpath)
    print(T.summary())
    sys.exit(1 if T.failed else 0)


def urls(raw):
    return [json.loads(b)["url"] if s == 200 and b.startswith(b"{") else s
            for s, _, b, _ in responses(raw)]


def run(port):
    # several requests in one write: answered in order, a slow one included
    raw = exchange(port, get("/a") + get("/slow?ms=300") + get("/c", "Connection: close\r\n"))
    got = [b.decode() for _, _, b, _ in responses(raw)]
    check("pipelined-in-order", [got[0][:30] if got else None, got[1:2], len(got)],
          ['{"method":"GET","url":"http://', ["slow"], 3])
    n = 40  # more than a connection may have unanswered at once
    raw = exchange(port, b"".join(get("/n%d" % i) for i in range(n)) +
                   get("/last", "Connection: close\r\n"))
    check("pipelined-many", urls(raw), ["http://x/n%d" % i for i in range(n)] + ["http://x/last"])

    # the last of them closes: what is queued before it is all written
    s = connect(port, 20)
    s.sendall(get("/big") + get("/big", "Connection: close\r\n"))
    time.sleep(0.5)  # responses queued before the client reads
    raw = read_all(s)
    s.close()
    check("pipelined-close-big", [(x[0], len(x[2])) for x in responses(raw)],
          [(200, 3145733), (200, 3145733)])
    s = connect(port, 5)
    seen = []
    for i in range(3):
        s.sendall(get("/k%d" % i))
        buf = b""
        while not responses(buf):
            buf += s.recv(65536)
        seen.append(urls(buf)[0])
    s.close()
    check("keep-alive", seen, ["http://x/k0", "http://x/k1", "http://x/k2"])

    check("obs-fold-space", statuses(exchange(port, get("/", "X-A: a\r\n b\r\n"))), [400])
    check("obs-fold-tab", statuses(exchange(port, get("/", "X-A: a\r\n\tb\r\n"))), [400])
    # a value that arrives in pieces is not a fold
    raw = exchange(port, get("/", "X-Split: abcdef\r\nConnection: close\r\n"), pace=0.002)
    r = responses(raw)
    check("split-value-ok", [x[0] for x in r] + ([json.loads(r[0][2])["headers"].get("x-split")]
                                                if r else []), [200, "abcdef"])
    check("bare-lf", statuses(exchange(port, b"GET / HTTP/1.1\nHost: x\n\n")), [400])
    check("cl-te", statuses(exchange(port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                                     b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")),
          [400])
    check("cl-twice", statuses(exchange(port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                                        b"Content-Length: 4\r\n\r\nabcd")), [400])
    check("cl-twice-same", statuses(exchange(
        port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc")),
        [400])
    check("chunk-size-bad", statuses(exchange(
        port, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")),
        [400])
    check("chunk-size-huge", statuses(exchange(
        port, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"fffffffffffffffffff\r\nabc\r\n0\r\n\r\n")), [400])
    raw = exchange(port, b"POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                   b"Connection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n")
    r = responses(raw)
    check("chunked-trailers", [(x[0], json.loads(x[2])["body"]) for x in r], [(200, "abcde")])
    raw = exchange(port, b"POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                   b"Connection: close\r\n\r\n3;name=value\r\nabc\r\n0\r\n\r\n")
    check("chunk-extension", [(x[0], json.loads(x[2])["body"]) for x in responses(raw)],
          [(200, "abc")])

    # Expect: 100-continue: the interim answer comes before the body is sent
    s = connect(port, 5)
    s.sendall(b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
              b"Connection: close\r\n\r\n")
    first = s.recv(65536)
    s.sendall(b"hello")
    rest = read_all(s)
    s.close()
    check("expect-continue", [first, [(x[0], json.loads(x[2])["body"]) for x in responses(rest)]],
          [b"HTTP/1.1 100 Continue\r\n\r\n", [(200, "hello")]])
    raw = exchange(port, b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n"
                   b"Expect: 100-continue\r\n\r\n")
    check("expect-over-limit", statuses(raw), [413])
    check("expect-unknown", statuses(exchange(
        port, b"POST / HTTP/1.1\r\nHost: x\r\nExpect: x\r\nContent-Length: 1\r\n\r\na")), [417])

    raw = exchange(port, b"HEAD /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    end = raw.find(b"\r\n\r\n")
    cl = re.search(rb"Content-Length: (\d+)", raw)
    check("head", [raw[:15], cl and cl.group(1), len(raw) - end - 4], [b"HTTP/1.1 201 Cr", b"23", 0])
    lengths = []
    for m in (b"HEAD", b"GET"):
        raw = exchange(port, m + b" /head-length HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        cl = re.search(rb"Content-Length: (\d+)", raw)
        lengths.append((cl and cl.group(1), len(raw) - raw.find(b"\r\n\r\n") - 4))
    check("head-content-length", lengths, [(b"4096", 0), (b"4096", 4096)])

    raw = exchange(port, b"GET /h HTTP/1.0\r\n\r\n" + get("/not-read"))
    r = responses(raw)
    check("http10-close", [(x[0], x[1].get("connection")) for x in r], [(200, "close")])
    raw = exchange(port, b"GET /h HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" +
                   b"GET /h2 HTTP/1.0\r\n\r\n")
    check("http10-keep-alive", [(x[0], x[1].get("connection")) for x in responses(raw)],
          [(200, "keep-alive"), (200, "close")])
    check("host-missing", statuses(exchange(port, b"GET / HTTP/1.1\r\n\r\n")), [400])
    check("host-twice", statuses(exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n")),
          [400])
    check("version-2", statuses(exchange(port, b"GET / HTTP/2.0\r\nHost: x\r\n\r\n")), [505])
    # a Host that no URL parser takes is a 400 (RFC 9112 3.2), never a 500
    # from new URL(request.url) in the handler; so is a fragment in the target
    bad_hosts = [b"a:b", b"a:99999", b"[zz]", b"999.1.1.1", b"a.0x1f", b":80", b"a b", b"a%4",
                 b"a%00b", b"a%2fb", b"1.2.3.4.5"]
    check("host-bad", [statuses(exchange(port, b"GET / HTTP/1.1\r\nConnection: close\r\nHost: " + h +
                                         b"\r\n\r\n"))
                       for h in bad_hosts] +
          [statuses(exchange(port, b"GET /x#f HTTP/1.1\r\nHost: x\r\n\r\n")),
           statuses(exchange(port, b"GET http://u@x.test/ HTTP/1.1\r\nHost: x\r\n\r\n")),
           statuses(exchange(port, b"GET http://x.test/ HTTP/1.1\r\nHost: <x>\r\n\r\n"))],
          [[400]] * (len(bad_hosts) + 3))
    # request.url is what new URL(request.url).href gives: host lowercased,
    # the scheme's own port dropped, a path for an absolute-form target, the
    # path's dot segments resolved
    cases = [(b"/p?q", b"EXAMPLE.com:80", "http://example.com/p?q"),
             (b"/p", b"[0:0::1]:8080", "http://[::1]:8080/p"),
             (b"/p", b"a:", "http://a/p"),
             (b"http://X.test", b"y", "http://x.test/"),
             (b"http://x.test:8080?q=1", b"y", "http://x.test:8080/?q=1"),
             (b"https://S.test:443/p", b"y", "https://s.test/p"),
             # as node 20's new URL() has them (WHATWG's IPv4 numbers, %XX)
             (b"/p", b"127.1", "http://127.0.0.1/p"),
             (b"/p", b"0x7f.0.0.01", "http://127.0.0.1/p"),
             (b"/p", b"1.2.3.4.", "http://1.2.3.4/p"),
             (b"/p", b"ex%61mple.com", "http://example.com/p"),
             (b"/p", b"[::ffff:1.2.3.4]", "http://[::ffff:102:304]/p"),
             (b"/p", b"[1:0:0:2:0:0:0:3]", "http://[1:0:0:2::3]/p"),
             (b"/p", b"EXAMPLE.com.", "http://example.com./p"),
             # the target as the parser serializes it: dot segments gone,
             # backslashes as slashes, "<>`{}' percent-encoded (node 20 alike)
             (b"/a/../admin", b"h", "http://h/admin"),
             (b"/a/./b", b"h", "http://h/a/b"),
             (b"/a/%2e%2E/b", b"h", "http://h/b"),
             (b"/a/b/..", b"h", "http://h/a/"),
             (b"/a\\b", b"h", "http://h/a/b"),
             (b"/<x>", b"h", "http://h/%3Cx%3E"),
             (b"/{a}`b", b"h", "http://h/%7Ba%7D%60b"),
             (b"/?x=\"y\"&z='w'", b"h", "http://h/?x=%22y%22&z=%27w%27"),
             (b"/.well-known/x", b"h", "http://h/.well-known/x"),
             (b"/p?q=/../x", b"h", "http://h/p?q=/../x"),
             (b"http://h/a/../b", b"y", "http://h/b")]
    check("url-normal", [urls(exchange(port, b"GET " + t + b" HTTP/1.1\r\nHost: " + h +
                                       b"\r\nConnection: close\r\n\r\n"))
                         for t, h, _ in cases], [[u] for _, _, u in cases])
    # the whitespace after a field value is not part of it (RFC 9112 5)
    r = responses(exchange(port, b"POST /ows HTTP/1.1\r\nHost: x \r\nX-Sp: v \t \r\n"
                           b"Transfer-Encoding: chunked \r\nExpect: 100-continue \r\n"
                           b"Connection: close \r\n\r\n"
                           b"1\r\nz\r\n0\r\n\r\n"))
    got = [(x[0], json.loads(x[2])["url"], json.loads(x[2])["headers"].get("x-sp")) for x in r
           if x[0] == 200]
    check("value-ows", [x[0] for x in r] + got, [100, 200, (200, "http://x/ows", "v")])
    # an HTTP/2 client with prior knowledge: its preface, then a SETTINGS frame
    check("h2-preface", statuses(exchange(
        port, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")), [505])
    check("te-gzip", statuses(exchange(
        port, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")),
        [501])
    # RFC 9110 9.1: a method llhttp does not know is a 501 when it is a token
    check("unknown-method", [statuses(exchange(port, m + b" / HTTP/1.1\r\nHost: x\r\n\r\n"))
                             for m in (b"QUERY", b"get", b"PROPFOO", b"GE", b"FO@", b"\x01\x02")],
          [[501], [501], [501], [501], [400], [400]])
    check("unknown-method-pipelined", statuses(exchange(
        port, get("/") + b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n" + get("/"))), [200, 501])
    # no method at all after a body that ends in a letter: malformed, not unknown
    check("no-method-after-body", [statuses(exchange(
        port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + str(len(b)).encode() + b"\r\n\r\n" + b +
        b" / HTTP/1.1\r\nHost: x\r\n\r\n")) for b in (b"x", b"xG", b"GE")], [[200, 400]] * 3)
    raw = exchange(port, get("/", "X-Empty:\r\nX-B: b\r\nConnection: close\r\n"))
    r = responses(raw)
    h = json.loads(r[0][2])["headers"] if r and r[0][0] == 200 else {}
    check("empty-value", [h.get("x-empty"), h.get("x-b")], ["", "b"])

    # slow clients: the headers, then the body, each have their time
    # (1 s here); meanwhile the server answers others at once
    res = {}

    def slow_head():
        t = time.time()
        out = exchange(port, get("/", "X-Slow: " + "a" * 100 + "\r\n"), wait=10, pace=0.05)
        res["head"] = (statuses(out), time.time() - t)

    def slow_body():
        s = connect(port, 10)
        t = time.time()
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
        out = read_all(s)
        res["body"] = (statuses(out), time.time() - t)

    th = [threading.Thread(target=slow_head), threading.Thread(target=slow_body)]
    for x in th:
        x.start()
    time.sleep(0.3)
    t = time.time()
    quick = statuses(exchange(port, get("/q", "Connection: close\r\n")))
    res["quick"] = (quick, time.time() - t)
    for x in th:
        x.join()
    hs, ht = res["head"]
    check("slowloris-headers", [hs, ht < 5], [[408], True])
    bs, bt = res["body"]
    check("slowloris-body", [bs, 0.9 < bt < 5], [[408], True])
    qs, qt = res["quick"]
    check("served-meanwhile", [qs, qt < 1], [[200], True])

    check("half-close", statuses(exchange(port, get("/hc"), shut=True)), [200])
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(get("/slow?ms=300"))
    s.close()  # gone before its answer
    time.sleep(0.5)
    check("client-gone", statuses(exchange(port, get("/after", "Connection: close\r\n"))), [200])

    r = responses(exchange(port, b"GET / HTTP/1.1\r\nHost x\r\n\r\n"))
    body = r[0][2].decode() if r else ""
    check("error-body-text", [r[0][0] if r else None, r[0][1].get("content-type") if r else None,
                              bool(re.match(r"400 Bad Request: .*\(request [0-9a-f]{16}\)\n$", body))],
          [400, "text/plain; charset=utf-8", True])
    check("garbage-first", statuses(exchange(port, b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03")),
          [400])
    r = responses(exchange(port, get("/status-text", "Connection: close\r\n")))
    check("status-text", [(x[0], x[3]) for x in r], [(299, "Fine Today")])
    r = responses(exchange(port, get("/frame-bad-reason", "Connection: close\r\n")))
    check("status-text-crlf", [(x[0], x[3]) for x in r], [(500, "Internal Server Error")])
    streams(port)
    readable_streams(port)
    review_cases(port)
    r = responses(exchange(port, get("/d", "Connection: close\r\n")))
    check("date-header", bool(r and re.match(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$",
                                             r[0][1].get("date", ""))), True)


def streams(port):
    """Bodies sent as the handler makes them (host:serve respond() parts,
    as fetch.js sends a ReadableStream), chunked, with back-pressure."""
    raw = exchange(port, get("/raw-stream", "Connection: close\r\n"))
    check("stream-chunked", raw[raw.find(b"\r\n\r\n") + 4:] if b"chunked" in raw else raw,
          b"5\r\naaaaa\r\n5\r\nbbbbb\r\n5\r\nccccc\r\n0\r\n\r\n")
    raw = exchange(port, b"GET /raw-stream HTTP/1.0\r\n\r\n")
    check("stream-http10", [b"chunked" in raw, raw[raw.find(b"\r\n\r\n") + 4:]],
          [False, b"aaaaabbbbbccccc"])
    raw = exchange(port, get("/raw-stream?cut"))
    check("stream-cut", [raw.endswith(b"ccccc\r\n"), b"0\r\n\r\n" in raw], [True, False])
    raw = exchange(port, b"HEAD /raw-stream HTTP/1.1\r\nHost: x\r\n\r\n" + get("/after-head", "Connection: close\r\n"))
    heads = re.findall(rb"HTTP/1\.1 (\d{3})", raw)
    check("stream-head", [heads, b"aaaaa" in raw, b"after-head" in raw], [[b"200", b"200"], False, True])
    raw = exchange(port, get("/raw-stream") + get("/next", "Connection: close\r\n"))
    i = raw.find(b"0\r\n\r\n")
    check("stream-then-next", [i > 0, b"http://x/next" in raw[i:]], [True, True])
    # 12.5 MiB in 64 KiB parts to a client that reads slowly: byte-exact
    s = connect(port, 20)
    s.sendall(get("/raw-stream?parts=200&size=65536", "Connection: close\r\n"))
    time.sleep(1)
    out = read_all(s)
    s.close()
    body, rest = b"", out[out.find(b"\r\n\r\n") + 4:]
    while rest:
        n, _, rest = rest.partition(b"\r\n")
        n = int(n, 16)
        if not n:
            break
        body += rest[:n]
        rest = rest[n + 2:]
    want = b"".join(bytes([97 + i % 26]) * 65536 for i in range(200))
    check("stream-slow-reader", [len(body), body == want], [len(want), True])
    # a client that goes away after a little: the handler is held back by
    # back-pressure, so it sees its pushes fail, not all 12.5 MiB accepted
    read_a_little(port, "/raw-stream?parts=200&size=65536&gone", 20, 0.5)
    check("stream-back-pressure", wait_for(ERRPATH[0], "stream stopped: TypeError: the client went away", 10), True)
    # streams on many connections at once, each part a wakeup of the loop
    # while it writes the others (a race there once lost or freed requests)
    ends = []

    def streamer():
        for _ in range(10):
            s = connect(port, 10)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(get("/raw-stream?parts=20&size=512", "Connection: close\r\n"))
            time.sleep(0.05)
            ends.append(read_all(s).endswith(b"0\r\n\r\n"))
            s.close()
    ts = [threading.Thread(target=streamer) for _ in range(8)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    check("streams-at-once", [len(ends), all(ends)], [80, True])


def review_cases(port):
    """Cases a review of the HTTP layer found."""
    # 16 pipelined (the limit), the last asking for an Upgrade: all answered,
    # the connection closed, the loop free for others
    raw = exchange(port, b"".join(get("/u%d" % i) for i in range(15)) +
                   get("/up", "Connection: Upgrade\r\nUpgrade: x\r\n"), wait=5)
    r = responses(raw)
    t = time.time()
    other = statuses(exchange(port, get("/other", "Connection: close\r\n")))
    check("upgrade-after-pipeline", [len(r), r[-1][1].get("connection") if r else None, other,
                                     time.time() - t < 3], [16, "close", [200], True])
    s = connect(port, 20)
    s.sendall(get("/big") + get("/big"))
    s.shutdown(socket.SHUT_WR)
    time.sleep(0.5)
    raw = read_all(s)
    s.close()
    check("half-close-queued", [(x[0], len(x[2])) for x in responses(raw)],
          [(200, 3145733), (200, 3145733)])
    check("fold-empty-te", statuses(exchange(
        port, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")),
        [400])
    check("fold-empty-host", statuses(exchange(port, b"GET / HTTP/1.1\r\nHost:\r\n evil.example\r\n\r\n")),
          [400])
    check("strict-chunk-crlf", statuses(exchange(
        port, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXX0\r\n\r\n")), [400])
    check("strict-header-name", statuses(exchange(port, get("/", "X F: a\r\n"))), [400])
    check("strict-target-tab", statuses(exchange(port, b"GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n")), [400])
    s = connect(port, 5)
    s.sendall(b"POST /e HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
    s.settimeout(0.5)
    try:
        early = s.recv(65536)
    except socket.timeout:
        early = b""
    s.settimeout(5)
    s.sendall(b"ok")
    rest = read_all(s)
    s.close()
    check("http10-no-continue", [early, statuses(early + rest)], [b"", [200]])
    # bodies announced and not sent hold no room: 300 x 1 MiB announced is
    # past the 256 MiB all requests may hold, and an upload still goes
    held = []
    for _ in range(300):
        h = connect(port, 5)
        h.sendall(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
        held.append(h)
    time.sleep(0.2)
    r = responses(exchange(port, b"POST /sha HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                           b"Connection: close\r\n\r\nhello"))
    for h in held:
        h.close()
    check("announce-holds-nothing", [x[0] for x in r], [200])
    # header bytes 0x80..0xFF reach the handler as U+0080..U+00FF and go
    # back as the same bytes (fetch.js's byte strings, native in the guest)
    raw = exchange(port, b"GET /latin1 HTTP/1.1\r\nHost: x\r\nX-T: caf\xe9 \x80\xff!\r\n"
                   b"Connection: close\r\n\r\n")
    r = responses(raw)
    check("latin1-bytes", [(x[0], x[3], x[1].get("x-back"), x[2]) for x in r],
          [(299, "Caf\xe9", "caf\xe9 \x80\xff!", b"99,97,102,233,32,128,255,33")])


def readable_streams(port):
    """fetch.js: a ReadableStream Response is sent as the handler enqueues."""
    s = connect(port, 10)
    t0 = time.time()
    s.sendall(get("/rs", "Connection: close\r\n"))
    got, first = b"", None
    while True:
        b = s.recv(65536)
        if not b:
            break
        if first is None and b"one;" in got + b:
            first = time.time() - t0
        got += b
    total = time.time() - t0
    s.close()
    body = got[got.find(b"\r\n\r\n") + 4:]
    check("rs-progressive", [b"transfer-encoding: chunked" in got.lower(), body,
                             first is not None and first < total - 0.4],
          [True, b"4\r\none;\r\n4\r\ntwo;\r\n0\r\n\r\n", True])
    read_a_little(port, "/rs-pull", 10, 0.3)
    check("rs-pull-cancelled", wait_for(ERRPATH[0], "pull stream cancelled after", 10), True)


def wait_for(path, text, seconds=30):
    for _ in range(int(seconds * 20)):
        with open(path) as f:
            if text in f.read():
                return True
        time.sleep(0.05)
    return False


def reload():
    """SIGHUP loads the handler again: new requests see the new one, a
    request in flight and the connections open are kept."""
    d = tempfile.mkdtemp(prefix="mica-reload-")
    js = os.path.join(d, "h.js")
    src = ("export default { async fetch(req) { const u = new URL(req.url);"
           " if (u.pathname === '/slow') await new Promise((r) => setTimeout(r, 800));"
           " return new Response('%s'); } };")
    with open(js, "w") as f:
        f.write(src % "v1")
    p, port, errpath = start("--workers", "1", handler=js)
    try:
        keep = connect(port, 10)

        def ask(sock, path):
            sock.sendall(get(path))
            buf = b""
            while not responses(buf):
                b = sock.recv(65536)
                if not b:
                    return None
                buf += b
            return responses(buf)[0][2].decode()

        first = ask(keep, "/")
        slow = {}
        th = threading.Thread(target=lambda: slow.update(
            r=responses(exchange(port, get("/slow", "Connection: close\r\n"), wait=10))))
        th.start()
        time.sleep(0.2)
        with open(js, "w") as f:
            f.write(src % "v2")
        p.send_signal(1)
        reloaded = wait_for(errpath, "SIGHUP: reloaded")
        check("reload-serves-new", [first, reloaded, ask(socket.create_connection(
            ("127.0.0.1", port), timeout=10), "/")], ["v1", True, "v2"])
        check("reload-keeps-connection", ask(keep, "/"), "v2")
        th.join()
        # begun before the reload: answered by the module it began with
        check("reload-finishes-old", [(x[0], x[2]) for x in slow.get("r", [])], [(200, b"v1")])
        with open(js, "w") as f:
            f.write("export default { fetch( };")
        p.send_signal(1)
        failed_ok = wait_for(errpath, "not reloaded")
        check("reload-broken-keeps-old", [failed_ok, ask(keep, "/")], [True, "v2"])
        keep.close()
    finally:
        check("reload-exit-0", stop_server(p, 30), 0)
        os.unlink(errpath)
        os.unlink(js)
        os.rmdir(d)


def logged_once():
    """A request the HTTP layer refuses is one access-log line."""
    fd, log = tempfile.mkstemp(prefix="mica-log-")
    os.close(fd)
    p, port, errpath = start(access_log=log)
    try:
        a = statuses(exchange(port, b"POST / HTTP/1.1\r\nHost: x\r\nExpect: x\r\nContent-Length: 1\r\n\r\na"))
        b = statuses(exchange(port, b"GET / HTTP/2.0\r\nHost: x\r\n\r\n"))
        time.sleep(0.2)
        with open(log) as f:
            lines = [x.split()[3:5] for x in f.read().splitlines()]
        check("refused-logged-once", [a, b, lines], [[417], [505], [["/", "417"], ["/", "505"]]])
    finally:
        p.terminate()
        p.wait(30)
        os.unlink(log)
        os.unlink(errpath)


def snapshot_cache():
    """--snapshot SNAP: FILE.js evaluated, cached while newer than FILE.js and
    what --modules holds, and of --memory's size;
    env is applied at every start."""
    d = tempfile.mkdtemp(prefix="mica-snap-")
    js, snap = os.path.join(d, "h.js"), os.path.join(d, "h.snap")
    with open(js, "w") as f:
        f.write("const at = Math.random(); export default { fetch(req, env) {"
                " return new Response(env.V + ' ' + at); } };")

    def serve_once(*extra):
        p, port, errpath = start("--snapshot", snap, *extra, handler=js)
        try:
            r = responses(exchange(port, get("/", "Connection: close\r\n")))
            body = r[0][2].decode() if r else ""
        finally:
            p.terminate()
            p.wait(30)
            with open(errpath) as f:
                err = f.read()
            os.unlink(errpath)
        return body, err

    b1, e1 = serve_once("--env", "V=one")
    check("snapshot-written", [os.path.exists(snap), b1.split(" ")[0], "from --snapshot" in e1],
          [True, "one", False])
    b2, e2 = serve_once("--env", "V=two")
    # the module's own state comes from SNAP (the same random number)
    check("snapshot-used", [b2.split(" ")[0], b2.split(" ")[1:] == b1.split(" ")[1:],
                            "from --snapshot" in e2], ["two", True, True])
    os.utime(js, (time.time() + 5, time.time() + 5))
    b3, e3 = serve_once("--env", "V=three")
    check("snapshot-stale", ["making it again" in e3, b3.split(" ")[0],
                             b3.split(" ")[1:] != b1.split(" ")[1:]], [True, "three", True])
    with open(snap, "r+b") as f:
        f.truncate(1000)
    os.utime(snap, (time.time() + 10, time.time() + 10))
    b4, e4 = serve_once("--env", "V=four")
    check("snapshot-corrupt", ["making it again" in e4, b4.split(" ")[0],
                               os.path.getsize(snap) > 1000], [True, "four", True])
    os.utime(js, (time.time() - 60, time.time() - 60))
    serve_once("--env", "V=five")
    # SNAP keeps its memory size: another --memory makes it again
    b5, e5 = serve_once("--env", "V=six", "--memory", "32")
    b6, e6 = serve_once("--env", "V=seven", "--memory", "32")
    check("snapshot-memory", ["has 64 MiB of guest memory, not --memory 32" in e5,
                              "from --snapshot" in e6, b6.split(" ")[1:] == b5.split(" ")[1:]],
          [True, True, True])
    # an import under --modules changed after SNAP (SNAP itself there, unchanged)
    m = os.path.join(d, "m")
    os.mkdir(m)
    js = os.path.join(m, "h.js")
    snap = os.path.join(m, "h.snap")
    with open(os.path.join(m, "lib.js"), "w") as f:
        f.write("export const at = Math.random();")
    with open(js, "w") as f:
        f.write("import { at } from './lib.js'; export default { fetch(req, env) {"
                " return new Response(env.V + ' ' + at); } };")
    b7, _ = serve_once("--env", "V=a", "--modules", m)
    b8, e8 = serve_once("--env", "V=b", "--modules", m)
    os.utime(os.path.join(m, "lib.js"), (time.time() + 5, time.time() + 5))
    b9, e9 = serve_once("--env", "V=c", "--modules", m)
    # lib.js becomes a link to an older file: the link is newer than SNAP
    other = os.path.join(m, "other.js")
    with open(other, "w") as f:
        f.write("export const at = 'other';")
    os.utime(other, (time.time() - 600, time.time() - 600))
    time.sleep(0.05)
    os.unlink(os.path.join(m, "lib.js"))
    os.symlink("other.js", os.path.join(m, "lib.js"))
    b10, e10 = serve_once("--env", "V=d", "--modules", m)
    check("snapshot-module-changed", ["from --snapshot" in e8, b8.split(" ")[1:] == b7.split(" ")[1:],
                                      "lib.js: making it again" in e9,
                                      b9.split(" ")[1:] != b7.split(" ")[1:],
                                      "lib.js: making it again" in e10, b10],
          [True, True, True, True, True, "d other"])
    shutil.rmtree(d)


if __name__ == "__main__":
    main()
