"""Threads: the GIL is let go while the guest runs; sandboxes run side by side;
one sandbox used by several threads runs their calls one at a time."""
import threading
import time

import mica

SPIN = "export function spin(ms) { const end = Date.now() + ms; while (Date.now() < end) {} return ms; }"


def test_gil_released_while_the_guest_runs(sb):
    sb.load("p.js", SPIN)
    ticks = 0
    stop = threading.Event()

    def count():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    t = threading.Thread(target=count)
    t.start()
    time.sleep(0.05)  # let it start
    before = ticks
    assert sb.call("spin", 300) == 300
    during = ticks - before
    stop.set()
    t.join()
    # with the GIL held for 300 ms the counter would stand still
    assert during > 1000, during


def test_four_sandboxes_from_four_threads(rt):
    calls = []
    lock = threading.Lock()

    def host(x):
        with lock:
            calls.append(threading.current_thread().name)
        return x + 1

    rt.register("h", "inc", host)
    sbs = [rt.sandbox() for _ in range(4)]
    errors, results = [], {}

    def work(i):
        try:
            sb = sbs[i]
            sb.load("p.js", f"import {{ inc }} from 'host:h'; let n = 0;"
                            f"export function f(x) {{ n++; return [{i}, inc(x), n]; }}")
            results[i] = [sb.call("f", k) for k in range(50)]
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,), name=f"w{i}") for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for i in range(4):
        assert results[i] == [[i, k + 1, k + 1] for k in range(50)]
    # host functions run on the thread that called into the guest
    assert sorted(set(calls)) == ["w0", "w1", "w2", "w3"] and len(calls) == 200
    for sb in sbs:
        sb.close()


def test_one_sandbox_from_four_threads(sb):
    sb.load("p.js", "let n = 0; let inside = 0;"
                    "export function f(k) { if (inside++) throw new Error('overlap');"
                    "  const end = Date.now() + 1; while (Date.now() < end) {}"
                    "  inside--; return [k, ++n]; }")
    errors, seen = [], []
    lock = threading.Lock()

    def work(i):
        try:
            for k in range(25):
                r = sb.call("f", i * 100 + k)
                assert r[0] == i * 100 + k
                with lock:
                    seen.append(r[1])
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(seen) == list(range(1, 101))  # one at a time: every count once


def test_close_waits_for_a_running_call(rt):
    sb = rt.sandbox()
    sb.load("p.js", SPIN)
    result = []
    t = threading.Thread(target=lambda: result.append(sb.call("spin", 300)))
    t.start()
    time.sleep(0.1)
    sb.close()  # waits for the call, then frees the guest
    t.join()
    assert result == [300] and sb.closed


def test_interrupt_from_another_thread(rt):
    with rt.sandbox() as sb:
        sb.load("p.js", SPIN)
        threading.Timer(0.2, sb.interrupt).start()
        t0 = time.monotonic()
        try:
            sb.call("spin", 5000)
            raise AssertionError("not interrupted")
        except mica.Interrupted as e:
            assert "interrupted" in str(e)
        assert time.monotonic() - t0 < 3
