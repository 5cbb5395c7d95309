# mica serve test fixture: an upstream for outbound fetch(), on 127.0.0.1
# only. Prints its port, then serves:
#   /hello                 200 "hello from upstream", X-Up: yes, reason "Fine"
#   /redirect?to=URL       302 to URL
#   /big?n=BYTES           BYTES of 'x'
#   /slow?ms=MS            waits MS, then 200 "slow"
#   POST anything          200 with the body, X-Type: its Content-Type (or none)
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body, reason=None, headers=()):
        self.send_response(status, reason)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        if u.path == "/hello":
            self.send(200, b"hello from upstream", "Fine",
                      [("X-Up", "yes"), ("X-Method", self.command)])
        elif u.path == "/redirect":
            self.send(302, b"", None, [("Location", q["to"][0])])
        elif u.path == "/big":
            self.send(200, b"x" * int(q["n"][0]))
        elif u.path == "/slow":
            time.sleep(int(q["ms"][0]) / 1000)
            self.send(200, b"slow")
        else:
            self.send(404, b"not found")

    do_HEAD = do_GET

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        self.send(200, body, None, [("X-Method", "POST"),
                                    ("X-Type", self.headers.get("Content-Type", "none"))])


s = ThreadingHTTPServer(("127.0.0.1", 0), H)
s.daemon_threads = True
print(s.server_address[1], flush=True)
s.serve_forever()
