#!/usr/bin/env python3
"""mica serve under many connections: 1,000 keep-alive connections held open
together for LOAD_SECONDS (default 30), each asking a request about every
second (LOAD_PACE), so the server carries ~1,000 requests/s with a bounded
number in flight. Every answer must be a 200 with the right body, no connection may
be dropped, and the server's memory (its RSS and its sandbox processes')
must stay flat: under 10% growth from the end of the warm-up (the first
fifth) to the end. Usage: load.py path/to/mica
LOAD_CONNECTIONS changes the 1,000. An ASan build runs 10 s, RSS unchecked.
Inside QEMU's emulator (KVM_QEMU=1) it is skipped unless LOAD_SECONDS is set. Prints "N passed, N failed, N skipped"."""
import asyncio
import os
import random
import re
import resource
import subprocess
import sys
import time

from serving import start_server, stop_server

MICA = sys.argv[1] if len(sys.argv) > 1 else "build/mica"
HERE = os.path.dirname(os.path.abspath(__file__))
ASAN = "asan" in MICA
CONNS = int(os.environ.get("LOAD_CONNECTIONS", "1000"))
QEMU = os.environ.get("KVM_QEMU") == "1"
# under ASan: shorter, and RSS is not flat (its quarantine keeps what is freed)
SECONDS = float(os.environ.get("LOAD_SECONDS", "10" if ASAN else "30"))
# seconds between a connection's requests, on average
PACE = float(os.environ.get("LOAD_PACE", "1"))
CASES = ["connections-held", "no-errors", "requests-served", "rss-flat", "exit-0"]


def report(results, skipped_why=None):
    p = f = s = 0
    for name, good, why in results:
        if good is None:
            s += 1
            print("skip - %s (%s)" % (name, why))
        elif good:
            p += 1
            print("ok - " + name)
        else:
            f += 1
            print("FAIL - %s: %s" % (name, why))
    if skipped_why:
        for c in CASES:
            s += 1
            print("skip - %s (%s)" % (c, skipped_why))
    print("%d passed, %d failed, %d skipped" % (p, f, s))
    sys.exit(1 if f else 0)


def tree_rss_kib(pid):
    """RSS of pid and its descendants (the process backend's sandboxes)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open("/proc/%d/status" % p) as f:
                m = re.search(r"VmRSS:\s+(\d+)", f.read())
            total += int(m.group(1)) if m else 0
            for t in os.listdir("/proc/%d/task" % p):  # any thread's children
                with open("/proc/%d/task/%s/children" % (p, t)) as f:
                    todo += [int(x) for x in f.read().split()]
        except (OSError, ValueError):
            pass
    return total


class Stats:
    def __init__(self):
        self.ok = self.errors = self.open = self.max_open = 0
        self.first_error = None


async def client(port, stats, stop_at, ready):
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)
    except OSError as e:
        stats.errors += 1
        stats.first_error = stats.first_error or "connect: %s" % e
        ready.append(0)
        return
    stats.open += 1
    stats.max_open = max(stats.max_open, stats.open)
    ready.append(1)
    try:
        while time.monotonic() < stop_at[0]:
            w.write(b"GET /load HTTP/1.1\r\nHost: x\r\n\r\n")
            await w.drain()
            head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 30)
            m = re.search(rb"content-length: (\d+)", head, re.I)
            body = await asyncio.wait_for(r.readexactly(int(m.group(1)) if m else 0), 30)
            if not head.startswith(b"HTTP/1.1 200 ") or body != b"ok":
                stats.errors += 1
                stats.first_error = stats.first_error or (head + body)[:200]
                break
            stats.ok += 1
            await asyncio.sleep(random.uniform(0.5 * PACE, 1.5 * PACE))
    except Exception as e:  # a dropped connection, a timeout
        stats.errors += 1
        stats.first_error = stats.first_error or "%s: %s" % (type(e).__name__, e)
    finally:
        stats.open -= 1
        w.close()


async def drive(port, pid):
    stats = Stats()
    stop_at = [float("inf")]  # set once every connection is open
    ready = []
    tasks = []
    for i in range(CONNS):  # in batches, not in one burst
        tasks.append(asyncio.create_task(client(port, stats, stop_at, ready)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)
    for _ in range(600):  # the emulator is slow to open them all
        if len(ready) == CONNS:
            break
        await asyncio.sleep(0.1)
    stop_at[0] = time.monotonic() + SECONDS
    warm = time.monotonic() + SECONDS / 5
    rss_warm = None
    samples = []
    while time.monotonic() < stop_at[0]:
        await asyncio.sleep(1)
        if time.monotonic() < warm:
            continue
        rss = tree_rss_kib(pid)
        samples.append(stats.open)
        if rss_warm is None:
            rss_warm = rss
    rss_end = tree_rss_kib(pid)
    held = min(samples[:-1]) if len(samples) > 1 else 0
    await asyncio.gather(*tasks)
    return stats, held, rss_warm or rss_end, rss_end


def main():
    if QEMU and not os.environ.get("LOAD_SECONDS"):
        report([], "inside QEMU's emulator, which carries ~50 requests/s: the HTTP layer is "
               "the same on every backend, and this runs natively on the process backend")
    if subprocess.run([MICA, "--no-lockdown", "eval", "1"], capture_output=True).returncode:
        report([], "%s backend unavailable" % os.environ.get("MICA_BACKEND", "auto"))
    need = CONNS + 200
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard < need:
            report([], "RLIMIT_NOFILE hard limit %d: %d connections need %d" % (hard, CONNS, need))
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))  # the server inherits it
    p, port, errpath = start_server(MICA, os.path.join(HERE, "echo.js"), "--access-log", "off",
                                    "--workers", "2", prefix="mica-load-")
    results = []
    try:
        if not port:
            results.append(("exit-0", False, "did not start: " + open(errpath).read()[-500:]))
            report(results)
        stats, held, rss_warm, rss_end = asyncio.run(drive(port, p.pid))
        growth = (rss_end - rss_warm) / rss_warm if rss_warm else 1
        results.append(("connections-held", held >= CONNS,
                        "at least %d open at every sample after warm-up, got %d" % (CONNS, held)))
        results.append(("no-errors", stats.errors == 0,
                        "%d errors, the first: %s" % (stats.errors, stats.first_error)))
        want = CONNS * SECONDS / PACE / 2
        results.append(("requests-served", stats.ok >= want,
                        "%d answered, want at least %d" % (stats.ok, want)))
        results.append(("rss-flat", None if ASAN else growth < 0.10,
                        "an ASan build: its quarantine keeps freed memory" if ASAN else "RSS %d KiB after warm-up, %d KiB at the end (%+.1f%%)" %
                        (rss_warm, rss_end, 100 * growth)))
        print("# %d connections, %d requests in %.0f s, %d errors; RSS %d -> %d KiB (%+.1f%%)" %
              (CONNS, stats.ok, SECONDS, stats.errors, rss_warm, rss_end, 100 * growth))
    finally:
        rc = stop_server(p, 60)
        results.append(("exit-0", rc == 0, "exit %s: %s" % (rc, open(errpath).read()[-500:])))
        os.unlink(errpath)
    report(results)


if __name__ == "__main__":
    main()
