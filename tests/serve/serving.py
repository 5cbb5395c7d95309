"""What tests/serve/wire.py and load.py share: a `mica serve` started on a
free port of 127.0.0.1, and stopped. (They run as `python3 tests/serve/X.py`,
so this folder is on sys.path.)"""
import re
import subprocess
import tempfile
import time


class Tally:
    """The cases of a suite: "ok - NAME" or "FAIL - NAME: why" per case as it
    ends, and the "N passed, N failed, N skipped" line tests/run.sh counts."""

    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def ok(self, name):
        self.passed += 1
        print("ok - " + name, flush=True)

    def bad(self, name, why):
        self.failed += 1
        print("FAIL - %s: %s" % (name, why), flush=True)

    def check(self, name, got, want):
        if got == want:
            self.ok(name)
        else:
            self.bad(name, "got %r, want %r" % (got, want))

    def skip(self, cases, why):
        """Every one of cases skipped, for why."""
        for c in cases:
            self.skipped += 1
            print("skip - %s (%s)" % (c, why))

    def summary(self):
        return "%d passed, %d failed, %d skipped" % (self.passed, self.failed, self.skipped)


def start_server(mica, handler, *args, prefix="mica-http-"):
    """Starts `mica serve HANDLER --listen 127.0.0.1:0 ARGS`, its stderr in a
    temporary file, and waits up to 20 s for its "listening on" line.
    Returns (process, port, stderr path); port is None if the server exited
    or did not say where it listens (the caller stops it and removes the file)."""
    with tempfile.NamedTemporaryFile(prefix=prefix, suffix=".err", delete=False) as err:
        p = subprocess.Popen([mica, "serve", handler, "--listen", "127.0.0.1:0", *args],
                             stdout=subprocess.DEVNULL, stderr=err)
    for _ in range(400):
        with open(err.name, "rb") as f:
            m = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", f.read())
        if m:
            return p, int(m.group(1)), err.name
        if p.poll() is not None:
            break
        time.sleep(0.05)
    return p, None, err.name


def stop_server(p, seconds):
    """SIGTERM, then its exit status, or "hung" (and SIGKILL) after seconds."""
    p.terminate()
    try:
        return p.wait(seconds)
    except subprocess.TimeoutExpired:
        p.kill()
        return "hung"
