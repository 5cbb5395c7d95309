"""mica.Sandbox and mica.Snapshot: every method, every error class."""
import pytest

import mica

MODULE = """
let n = 0;
export function echo(e) { return e; }
export function count() { return ++n; }
export function nothing() {}
export function bytes(u) { return u instanceof Uint8Array ? u.map(b => b + 1) : 'not bytes'; }
export function kind(e) { return e instanceof Uint8Array ? 'Uint8Array' : typeof e; }
export async function later(e) { await null; return { later: e }; }
export function fails() { return inner(); }
function inner() { throw new TypeError('no such thing'); }
export function spin() { for (;;) {} }
export function hog() { const a = []; for (;;) a.push(new Array(100000).fill(1)); }
"""


@pytest.fixture
def loaded(sb):
    sb.load("plugin.js", MODULE)
    return sb


def test_call_json_in_and_out(loaded):
    value = {"s": "h\u00e9llo \u2603", "n": [1, 2.5, -3], "t": True, "f": False, "z": None, "o": {}}
    assert loaded.call("echo", value) == value
    assert loaded.call("echo", [1, "two"]) == [1, "two"]
    assert loaded.call("echo", "text") == "text"
    assert loaded.call("echo") is None  # no event: null
    assert loaded.call("nothing", 1) is None  # undefined: null
    assert loaded.call("later", 5) == {"later": 5}  # a promise is awaited
    assert loaded.call(handler="count") == 1
    assert loaded.call("count", event=None) == 2


def test_call_bytes_in_and_out(loaded):
    assert loaded.call("kind", b"\x01\x02") == "Uint8Array"
    assert loaded.call("bytes", b"\x00\x01\xfe") == b"\x01\x02\xff"
    assert loaded.call("bytes", bytearray(b"ab")) == b"bc"
    assert loaded.call("bytes", memoryview(b"xyz")[1:]) == b"z{"
    assert loaded.call("bytes", b"") == b""
    big = bytes(range(256)) * 4096  # 1 MiB
    assert loaded.call("bytes", big) == bytes((b + 1) & 255 for b in range(256)) * 4096
    assert loaded.call("kind", "str is JSON") == "string"


def test_call_unserializable(loaded):
    with pytest.raises(TypeError):
        loaded.call("echo", object())
    with pytest.raises(ValueError):
        loaded.call("echo", float("nan"))
    assert loaded.call("count") == 1  # nothing reached the guest


def test_js_exception(loaded):
    with pytest.raises(mica.JSException) as e:
        loaded.call("fails")
    assert e.value.code == 1
    assert str(e.value).startswith("TypeError: no such thing")
    assert "at inner (plugin.js" in e.value.stack
    assert "at fails (plugin.js" in e.value.stack
    assert loaded.call("count") == 1  # the sandbox goes on


def test_input_error(sb):
    with pytest.raises(mica.InputError, match="SyntaxError") as e:
        sb.load("bad.js", "export function (")
    assert e.value.code == 2
    sb.load("ok.js", "export const x = 1;")
    with pytest.raises(mica.InputError):
        sb.call("no_such_handler")
    with pytest.raises(mica.InputError):
        sb.load("imp.js", "import { x } from 'host:none';")


def test_time_limit(rt):
    with rt.sandbox(timeout_ms=200) as sb:
        sb.load("p.js", MODULE)
        with pytest.raises(mica.TimeLimit, match="200 ms") as e:
            sb.call("spin")
        assert e.value.code == 3
        with pytest.raises(mica.TimeLimit, match="unusable"):  # dead from now on
            sb.call("count")


def test_set_timeout(loaded):
    loaded.set_timeout(100)
    with pytest.raises(mica.TimeLimit, match="100 ms"):
        loaded.call("spin")
    with pytest.raises(ValueError):
        loaded.set_timeout(1 << 40)


def test_memory_limit(rt):
    with rt.sandbox(memory_mb=32) as sb:
        sb.load("p.js", MODULE)
        with pytest.raises(mica.MemoryLimit) as e:
            sb.call("hog")
        assert e.value.code == 4


def test_interrupt_before_a_call(loaded):
    loaded.interrupt()
    with pytest.raises(mica.Interrupted, match="before the operation ran") as e:
        loaded.call("count")
    assert e.value.code == 7
    assert loaded.call("count") == 1  # stopped before it started: usable


def test_eval(sb):
    assert sb.eval("1 + 2") == "3"
    assert sb.eval(b"'bytes ' + 'too'") == "bytes too"
    assert sb.eval("undefined") == ""
    assert sb.eval("({a: [1]})", name="x.js") == "{ a: [ 1 ] }"
    with pytest.raises(mica.JSException, match="boom"):
        sb.eval("throw new Error('boom')")


def test_load_bytes_source(sb):
    sb.load("u.js", "export const s = '\u00e9';\nexport function f() { return s; }".encode())
    assert sb.call("f") == "\u00e9"
    with pytest.raises(TypeError):
        sb.load("n.js", 42)


def test_compile_and_load_bytecode(rt):
    with rt.sandbox() as compiler:
        code = compiler.compile("c.js", "export function f(e) { return e * 2; }")
    assert isinstance(code, bytes) and len(code) > 16
    with rt.sandbox() as sb:
        sb.load_bytecode(code)
        assert sb.call("f", 21) == 42
    with rt.sandbox() as sb:
        with pytest.raises(mica.InputError):
            sb.load_bytecode(code[:10])
    with rt.sandbox() as sb:
        with pytest.raises(mica.InputError, match="SyntaxError"):
            sb.compile("c.js", "export function (")


def test_set_modules(sb, tmp_path):
    (tmp_path / "lib.js").write_text("export const answer = 42;")
    sb.set_modules(tmp_path)
    sb.load("main.js", "import { answer } from './lib.js'; export function f() { return answer; }")
    assert sb.call("f") == 42
    (tmp_path / "other.js").write_text("export const other = 1;")
    sb.set_modules(None)
    with pytest.raises(mica.InputError):
        sb.load("again.js", "import { other } from './other.js';")
    with pytest.raises(mica.InputError):
        sb.set_modules(tmp_path / "missing")


def test_sandbox_modules_option(rt, tmp_path):
    (tmp_path / "lib.js").write_text("export const answer = 7;")
    with rt.sandbox(modules=str(tmp_path)) as sb:
        sb.load("main.js", "import { answer } from './lib.js'; export function f() { return answer; }")
        assert sb.call("f") == 7


def test_deterministic(rt):
    values = []
    for _ in range(2):
        with rt.sandbox(deterministic=True) as sb:
            values.append(sb.eval("[Math.random(), Date.now()].join()"))
    assert values[0] == values[1]


def test_unhandled_rejections(rt):
    src = "export function f() { Promise.reject(new Error('nobody')); return 1; }"
    with rt.sandbox() as sb:
        sb.load("r.js", src)
        with pytest.raises(mica.JSException, match="nobody"):
            sb.call("f")
    with rt.sandbox(unhandled_rejections="none") as sb:
        sb.load("r.js", src)
        assert sb.call("f") == 1


def test_snapshot_sandbox_reset(rt):
    with rt.sandbox() as sb:
        sb.load("p.js", MODULE)
        assert sb.call("count") == 1
        snap = sb.snapshot()
        assert sb.call("count") == 2
        with pytest.raises(mica.InputError):
            sb.reset()  # not made from a snapshot
    clone = snap.sandbox()
    assert clone.call("count") == 2  # resumes from the capture
    assert clone.call("count") == 3
    clone.reset()
    assert clone.call("count") == 2
    clone.set_timeout(100)
    with pytest.raises(mica.TimeLimit):
        clone.call("spin")
    clone.reset()  # revives a dead sandbox, and brings back the captured timeout
    assert clone.call("count") == 2
    clone.close()


def test_snapshot_save_and_load(rt, tmp_path):
    with rt.sandbox() as sb:
        sb.load("p.js", MODULE)
        sb.call("count")
        sb.snapshot().save(tmp_path / "p.snap")
    snap = rt.snapshot_load(str(tmp_path / "p.snap"))
    with snap.sandbox() as clone:
        assert clone.call("count") == 2
    with pytest.raises(mica.Error):
        snap.save(tmp_path / "no" / "such" / "dir.snap")


def test_close_and_context_manager(rt):
    sb = rt.sandbox()
    assert not sb.closed and sb.runtime is rt
    with sb as same:
        assert same is sb
        sb.load("p.js", MODULE)
    assert sb.closed
    sb.close()  # again: nothing
    for method, args in [("call", ("count",)), ("load", ("x.js", "")), ("eval", ("1",)),
                         ("snapshot", ()), ("reset", ()), ("set_timeout", (1,))]:
        with pytest.raises(mica.InputError, match="closed"):
            getattr(sb, method)(*args)
    sb.interrupt()  # harmless on a closed sandbox
