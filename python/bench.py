"""Python-to-guest call overhead, beside the C API's, measured in the same run.

    make bench-python           (or: PYTHONPATH=build/python python3 python/bench.py
                                 build/bench/python_call_c)

The same guest code and the same calls go through the C API (python_call_c,
python/bench_call.c) and through the module, in turns, twice each: each
figure is the median time of one call, the lower of the two rounds (the
other programs on the machine only ever add). MICA_BACKEND picks the
backend (default auto); MICA_BENCH_CALLS the calls per case (default 5000).
"""
import os
import subprocess
import sys
import threading
import time

import mica

# The same as python/bench_call.c's.
SOURCE = """import { echo } from 'host:bench';
export function h(e) { return e; }
export function hf(e) { return echo(e); }
export function bin(u) { return u; }
"""

CASES = [
    ("h", "trivial call: {a:1} in and out"),
    ("hf", "call that calls a host function once"),
    ("bin", "64 KiB of bytes in and out"),
]


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def python_round(sb, calls):
    event, data = {"a": 1}, bytes(64 << 10)
    out = {}
    for name, _ in CASES:
        arg = data if name == "bin" else event
        times = []
        for i in range(-(calls // 10), calls):  # a tenth more, first, to warm up
            t0 = time.perf_counter_ns()
            sb.call(name, arg)
            t1 = time.perf_counter_ns()
            if i >= 0:
                times.append(t1 - t0)
        out[name] = median(times)
    # the trivial call again, from a thread that is not the main thread
    res = []
    t = threading.Thread(target=lambda: res.append(thread_round(sb, calls)))
    t.start()
    t.join()
    out["thread"] = res[0]
    return out


def thread_round(sb, calls):
    times = []
    for _ in range(calls):
        t0 = time.perf_counter_ns()
        sb.call("h", {"a": 1})
        times.append(time.perf_counter_ns() - t0)
    return median(times)


def c_round(prog, backend, calls):
    res = subprocess.run([prog, backend, str(calls)], capture_output=True, text=True, check=True)
    return {k: int(v) for k, v in (line.split() for line in res.stdout.splitlines())}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench.py PATH/TO/python_call_c")
    prog = sys.argv[1]
    backend = os.environ.get("MICA_BACKEND", "auto")
    calls = int(os.environ.get("MICA_BENCH_CALLS", "5000"))
    rt = mica.Runtime(backend=backend)
    rt.register("bench", "echo", lambda x: x)
    sb = rt.sandbox()
    sb.load("bench.js", SOURCE)

    c, py = [], []
    for _ in range(2):
        c.append(c_round(prog, rt.backend, calls))
        py.append(python_round(sb, calls))
    best = lambda rounds, k: min(r[k] for r in rounds) / 1000.0

    print(f"Python-to-guest calls, backend {rt.backend}, Python {sys.version.split()[0]}: "
          f"median of {calls} calls, the lower of 2 rounds")
    print(f"{'':40} {'C API':>9} {'Python':>9} {'overhead':>9}")
    for name, what in CASES:
        cv, pv = best(c, name), best(py, name)
        print(f"{what:40} {cv:7.1f}us {pv:7.1f}us {pv - cv:+7.1f}us")
    cv, pv = best(c, "h"), best(py, "thread")
    print(f"{'trivial call, from a second thread':40} {cv:7.1f}us {pv:7.1f}us {pv - cv:+7.1f}us")
    sb.close()


if __name__ == "__main__":
    main()
