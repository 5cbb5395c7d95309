"""Host functions, sync and async, and the console."""
import asyncio
import logging
import threading

import pytest

import mica
from conftest import new_runtime


def test_sync_host_function(rt):
    store = {"a": {"deep": [1, 2]}}
    seen = []
    rt.register("kv", "get", lambda key: store.get(key))
    rt.register("kv", "args", lambda *a: seen.append(a) or len(a))
    with rt.sandbox() as sb:
        sb.load("p.js", """
            import { get, args } from 'host:kv';
            export function f() { return [get('a'), get('missing'), args(1, 'two', {t: true})]; }
            export function g() { return args(); }
        """)
        assert sb.call("f") == [{"deep": [1, 2]}, None, 3]
        assert sb.call("g") == 0
    assert seen == [(1, "two", {"t": True}), ()]


def test_host_function_bytes(rt):
    rt.register("bin", "rev", lambda data: data[::-1])
    rt.register("bin", "kind", lambda *a: type(a[0]).__name__)
    with rt.sandbox() as sb:
        sb.load("p.js", """
            import { rev, kind } from 'host:bin';
            export function f() {
                const r = rev(new Uint8Array([1, 2, 3]));
                return [r instanceof Uint8Array, Array.from(r), kind(new Uint16Array([1]).buffer),
                        kind([1])];
            }
        """)
        assert sb.call("f") == [True, [3, 2, 1], "bytes", "list"]


def test_host_function_raises(rt):
    def fail(msg):
        raise ValueError(msg)

    rt.register("h", "fail", fail)
    rt.register("h", "keyerror", lambda: {}["k"])
    rt.register("h", "bad_result", lambda: object())
    with rt.sandbox() as sb:
        sb.load("p.js", """
            import { fail, keyerror, bad_result } from 'host:h';
            function caught(f) { try { f(); return 'no error'; }
                                 catch (e) { return [e instanceof Error, e.message]; } }
            export function f() {
                return [caught(() => fail('it broke')), caught(keyerror), caught(bad_result)];
            }
            export function uncaught() { fail('nobody catches this'); }
        """)
        r = sb.call("f")
        assert r[0] == [True, "it broke"]
        assert r[1] == [True, "'k'"]
        assert r[2][0] is True and "not JSON serializable" in r[2][1]
        with pytest.raises(mica.JSException, match="nobody catches this"):
            sb.call("uncaught")


def test_host_function_cannot_use_its_own_sandbox(rt):
    box = {}

    def reenter():
        try:
            box["sb"].call("f")
        except mica.InputError as e:
            return str(e)
        return "no error"

    rt.register("h", "reenter", reenter)
    with rt.sandbox() as sb:
        box["sb"] = sb
        sb.load("p.js", "import { reenter } from 'host:h'; export function f() { return reenter(); }")
        assert "busy" in sb.call("f")


def test_host_function_uses_another_sandbox(rt):
    other = rt.sandbox()
    other.load("o.js", "export function double(x) { return 2 * x; }")
    rt.register("h", "double", lambda x: other.call("double", x))
    with rt.sandbox() as sb:
        sb.load("p.js", "import { double } from 'host:h'; export function f(x) { return double(x) + 1; }")
        assert sb.call("f", 20) == 41
    other.close()


def test_async_default_loop(rt):
    where = []

    async def lookup(name):
        where.append(threading.current_thread().name)
        await asyncio.sleep(0.01)
        return {"name": name, "ip": "10.0.0.1"}

    async def broken():
        await asyncio.sleep(0)
        raise RuntimeError("resolver down")

    rt.register_async("net", "lookup", lookup)
    rt.register_async("net", "broken", broken)
    rt.register_async("net", "plain", lambda x: x * 3)  # no coroutine: its value at once
    rt.register_async("net", "blob", lambda: b"\x00\xff")
    with rt.sandbox() as sb:
        sb.load("p.js", """
            import { lookup, broken, plain, blob } from 'host:net';
            export async function f() {
                const [a, b] = await Promise.all([lookup('a'), lookup('b')]);
                let err;
                try { await broken(); } catch (e) { err = e.message; }
                const bl = await blob();
                return [a, b.name, err, await plain(14), bl instanceof Uint8Array, Array.from(bl)];
            }
        """)
        assert sb.call("f") == [{"name": "a", "ip": "10.0.0.1"}, "b", "resolver down", 42, True, [0, 255]]
    assert where == ["mica-asyncio", "mica-asyncio"]


def test_async_acall_uses_the_running_loop(rt):
    loops = []

    async def where():
        loops.append(asyncio.get_running_loop())
        await asyncio.sleep(0.01)
        return "done"

    rt.register_async("a", "where", where)
    sbs = [rt.sandbox() for _ in range(3)]
    for i, sb in enumerate(sbs):
        sb.load("p.js", f"import {{ where }} from 'host:a'; export async function f(x) {{ return [await where(), x, {i}]; }}")

    async def main():
        loop = asyncio.get_running_loop()
        results = await asyncio.gather(*(sb.acall("f", i * 10) for i, sb in enumerate(sbs)))
        return loop, results

    loop, results = asyncio.run(main())
    assert results == [["done", 0, 0], ["done", 10, 1], ["done", 20, 2]]
    assert loops == [loop] * 3
    for sb in sbs:
        sb.close()


def test_acall_outside_a_loop(sb):
    with pytest.raises(RuntimeError):
        sb.acall("f")


def test_acall_errors(sb):
    sb.load("p.js", "export function f() { throw new Error('async boom'); }")

    async def main():
        with pytest.raises(mica.JSException, match="async boom"):
            await sb.acall("f")

    asyncio.run(main())


def test_async_given_loop(rt):
    loop = asyncio.new_event_loop()
    t = threading.Thread(target=loop.run_forever, name="my-loop", daemon=True)
    t.start()
    seen = []

    async def fn():
        seen.append((asyncio.get_running_loop(), threading.current_thread().name))
        return 1

    rt.register_async("a", "fn", fn, loop=loop)
    with rt.sandbox() as sb:
        sb.load("p.js", "import { fn } from 'host:a'; export async function f() { return await fn(); }")
        assert sb.call("f") == 1
    assert seen == [(loop, "my-loop")]
    loop.call_soon_threadsafe(loop.stop)
    t.join()
    loop.close()


def test_console_callback(rt):
    got = []
    with rt.sandbox(console=lambda stream, text: got.append((stream, text))) as sb:
        sb.load("p.js", "console.log('hello', {a: 1}); console.error('oops'); export function f() { console.log('in f'); }")
        sb.call("f")
        assert got == [(1, "hello { a: 1 }\n"), (2, "oops\n"), (1, "in f\n")]


def test_console_survives_reset(rt):
    got = []
    with rt.sandbox() as sb:
        sb.load("p.js", "export function f(x) { console.log('x =', x); }")
        snap = sb.snapshot()
    with snap.sandbox(console=lambda s, t: got.append(t)) as clone:
        clone.call("f", 1)
        clone.reset()
        clone.call("f", 2)
    assert got == ["x = 1\n", "x = 2\n"]


def test_console_default_logging(rt, caplog):
    caplog.set_level(logging.INFO, logger="mica")
    with rt.sandbox() as sb:
        sb.eval("console.log('to the log'); console.warn('a warning')")
    records = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert records == [("mica", logging.INFO, "to the log"), ("mica", logging.WARNING, "a warning")]


def test_console_dropped_and_runtime_default(caplog):
    caplog.set_level(logging.INFO, logger="mica")
    got = []
    rt = new_runtime(console=lambda s, t: got.append(t))
    with rt.sandbox() as sb:
        sb.eval("console.log('runtime default')")
    with rt.sandbox(console=False) as sb:
        sb.eval("console.log('dropped')")
    assert got == ["runtime default\n"]
    assert caplog.records == []


def test_console_callback_raises(rt, monkeypatch):
    def bad(stream, text):
        raise ValueError("console broke")

    seen = []
    monkeypatch.setattr("sys.unraisablehook", lambda u: seen.append((u.exc_type, u.object)))
    with rt.sandbox(console=bad) as sb:
        assert sb.eval("console.log('x'); 5") == "5"  # the guest goes on
    assert seen == [(ValueError, bad)]  # reported as unraisable


def test_async_sync_call_inside_a_coroutine(rt):
    """A blocking call() from a coroutine: the host coroutine runs on the
    module's loop, not on the blocked one."""
    async def fn():
        return threading.current_thread().name

    rt.register_async("a", "fn", fn)
    with rt.sandbox(timeout_ms=2000) as sb:
        sb.load("p.js", "import { fn } from 'host:a'; export async function f() { return await fn(); }")

        async def main():
            return sb.call("f")

        assert asyncio.run(main()) == "mica-asyncio"
