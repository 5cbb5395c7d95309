"""References and memory over 10,000 calls: nothing may grow with the count."""
import gc
import os
import sys
import tracemalloc

import pytest

import mica

CALLS = 10_000


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def one_round(sb, event, blob, k):
    """Every path through the binding: JSON and bytes, host functions both
    ways, a host function that raises, an exception out of the guest."""
    m = k % 4
    if m == 0:
        r = sb.call("json", event)
        assert r["echo"] == event and r["host"] == [event["s"], None, True]
    elif m == 1:
        r = sb.call("bin", blob)
        assert len(r) == len(blob)
    elif m == 2:
        assert sb.call("raises", k) == "Error: host says no"
    else:
        with pytest.raises(mica.JSException):
            sb.call("throws", k)


def test_no_growth_over_10000_calls(rt):
    state = {}
    host_get = lambda key: [key, state.get(key), True]  # noqa: E731

    def host_fail(k):
        raise RuntimeError("host says no")

    rt.register("h", "get", host_get)
    rt.register("h", "fail", host_fail)
    rt.register("h", "rev", lambda b: b[::-1])
    with rt.sandbox(console=False) as sb:
        sb.load("p.js", """
            import { get, fail, rev } from 'host:h';
            export function json(e) { return { echo: e, host: get(e.s) }; }
            export function bin(u) { return rev(u); }
            export function raises() { try { fail(1); } catch (e) { return String(e); } }
            export function throws(k) { throw new Error('no ' + k); }
        """)
        event = {"s": "x" * 2048, "n": list(range(100)), "z": None}
        blob = bytes(4096)
        for k in range(1000):  # warm up: caches, allocator arenas
            one_round(sb, event, blob, k)
        gc.collect()
        refs = [sys.getrefcount(o) for o in (event, blob, host_get, host_fail, sb, rt, None, True)]
        objects = len(gc.get_objects())
        rss = rss_bytes()
        tracemalloc.start()
        traced = tracemalloc.get_traced_memory()[0]

        for k in range(CALLS):
            one_round(sb, event, blob, k)

        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - traced
        tracemalloc.stop()
        after = [sys.getrefcount(o) for o in (event, blob, host_get, host_fail, sb, rt, None, True)]
        # exact for our objects; None and True are shared, so some slack
        assert after[:6] == refs[:6]
        assert abs(after[6] - refs[6]) < 1000 and abs(after[7] - refs[7]) < 1000, (refs, after)
        assert len(gc.get_objects()) - objects < 1000
        assert grown < 256 << 10, f"Python memory grew by {grown} bytes"
        # 2 KiB or more pass each way per call: a leak of them would be 20 MB
        assert rss_bytes() - rss < 8 << 20, f"RSS grew by {rss_bytes() - rss} bytes"


def test_no_growth_over_sandboxes(rt):
    """Sandboxes, snapshots and their objects go away when dropped."""
    with rt.sandbox() as sb:
        sb.load("p.js", "export function f(x) { return x; }")
        snap = sb.snapshot()
    for _ in range(30):
        with snap.sandbox() as c:
            c.call("f", 1)
        rt.sandbox().close()
    gc.collect()
    objects = len(gc.get_objects())
    rss = rss_bytes()
    for _ in range(200):
        c = snap.sandbox()
        c.call("f", {"k": [1, 2]})
        del c
    gc.collect()
    assert len(gc.get_objects()) - objects < 100
    assert rss_bytes() - rss < 16 << 20
