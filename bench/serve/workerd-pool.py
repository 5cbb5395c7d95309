#!/usr/bin/env python3
"""make bench-serve: N workerd processes on one listening socket.

workerd runs a process's requests on one thread, so to use as many cores as
mica serve's --workers it is run as N processes, as Cloudflare runs one per
core: this binds N listening sockets to one port on 127.0.0.1 with
SO_REUSEPORT, hands one to each process (workerd serve --socket-fd), and prints
"listening on http://127.0.0.1:PORT" on stderr once they all are started. The
kernel spreads new connections over the sockets by a hash of their addresses
(one shared socket would let the process that wakes first take most of them).
SIGTERM or SIGINT stop them all; so does this process dying (PR_SET_PDEATHSIG).

With --pin, process i runs on the i-th of the CPUs this one may use (in
turn), as mica serve pins its workers (--pin on; its default, auto, does
when they cover the CPUs).

Usage: workerd-pool.py [--pin] N WORKERD CONFIG SOCKET-NAME
"""
import ctypes
import os
import signal
import socket
import subprocess
import sys


def main():
    args = sys.argv[1:]
    pin = args[:1] == ["--pin"]
    if pin:
        args = args[1:]
    n, workerd, config, name = int(args[0]), args[1], args[2], args[3]
    cpus = sorted(os.sched_getaffinity(0))
    socks = []
    port = 0
    for _ in range(n):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(1024)
        port = sock.getsockname()[1]
        os.set_inheritable(sock.fileno(), True)
        socks.append(sock)
    libc = ctypes.CDLL(None, use_errno=True)

    def start(i):
        def pre():
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
            if pin:
                os.sched_setaffinity(0, {cpus[i % len(cpus)]})
        return pre

    procs = []

    def stop(*_):
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for i, sock in enumerate(socks):
        fd = sock.fileno()
        procs.append(subprocess.Popen([workerd, "serve", config, "--socket-fd", f"{name}={fd}"],
                                      pass_fds=[fd], preexec_fn=start(i)))
    print(f"workerd-pool: listening on http://127.0.0.1:{port} "
          f"({n} workerd processes{', pinned' if pin else ''})", file=sys.stderr, flush=True)
    # One process exiting (a bad config, say) ends them all.
    os.wait()
    stop()


if __name__ == "__main__":
    main()
