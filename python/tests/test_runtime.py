"""mica.Runtime, the module and its exception classes."""
import pytest

import mica
from conftest import BACKEND, hostile_image, new_runtime


def test_exception_classes_one_per_code():
    codes = {
        mica.JSException: 1,
        mica.InputError: 2,
        mica.TimeLimit: 3,
        mica.MemoryLimit: 4,
        mica.GuestFault: 5,
        mica.Unavailable: 6,
        mica.Interrupted: 7,
    }
    for cls, code in codes.items():
        assert issubclass(cls, mica.Error) and cls is not mica.Error
        assert cls.code == code
    assert issubclass(mica.Error, Exception)
    assert mica.Error.code is None
    assert mica.JSException.stack is None  # on the class; instances have theirs


def test_version():
    assert mica.__version__.count(".") == 2


def test_backend_and_describe(rt):
    assert rt.backend in ("kvm", "process")
    if BACKEND != "auto":
        assert rt.backend == BACKEND
    text = rt.describe()
    assert isinstance(text, str) and text.strip()
    if rt.backend == "process":
        assert "seccomp" in text


def test_bad_backend_name():
    with pytest.raises(ValueError, match="backend must be"):
        mica.Runtime(backend="xen")


def test_unavailable():
    with pytest.raises(mica.Unavailable, match="/nonexistent/kvm") as e:
        mica.Runtime(backend="kvm", kvm_path="/nonexistent/kvm")
    assert e.value.code == 6


def test_guest_fault():
    rt = new_runtime(guest_image=hostile_image("ud2"))
    with pytest.raises(mica.GuestFault, match="invalid opcode|SIGILL|ILL") as e:
        sb = rt.sandbox()
        sb.call("ud2", {})
    assert e.value.code == 5


def test_bad_guest_image():
    with pytest.raises(mica.Error):
        new_runtime(guest_image=b"not an ELF image")


def test_register_bad_names(rt):
    rt.register("kv", "get", lambda k: k)
    with pytest.raises(mica.InputError, match="kv.get"):
        rt.register("kv", "get", lambda k: k)  # twice
    with pytest.raises(mica.InputError):
        rt.register("kv", "not an identifier", lambda k: k)
    with pytest.raises(mica.InputError):
        rt.register_async("x" * 65, "f", lambda k: k)
    with pytest.raises(TypeError):
        rt.register("kv", "put", 42)


def test_bytecode_check(rt):
    with rt.sandbox() as sb:
        code = sb.compile("m.js", "export const x = 1;")
    rt.bytecode_check(code)
    with pytest.raises(mica.InputError):
        rt.bytecode_check(code[:-1])
    with pytest.raises(TypeError):
        rt.bytecode_check("a str is no bytecode")


def test_snapshot_load_bad_file(rt, tmp_path):
    p = tmp_path / "bad.snap"
    p.write_bytes(b"garbage" * 100)
    with pytest.raises(mica.InputError):
        rt.snapshot_load(p)
    with pytest.raises(mica.Error):
        rt.snapshot_load(tmp_path / "missing.snap")


def test_sandbox_limits_checked(rt):
    with pytest.raises(ValueError):
        rt.sandbox(memory_mb=-1)
    with pytest.raises(ValueError):
        rt.sandbox(unhandled_rejections="sometimes")
    with pytest.raises(mica.InputError):
        rt.sandbox(memory_mb=4)  # below 16 MiB
    with pytest.raises(TypeError):
        rt.sandbox(console=42)
    with pytest.raises(TypeError):
        mica.Sandbox()


def test_documented_keywords_are_accepted():
    """The signature in Runtime's docstring and python/README.md is what it takes
    (the README said process_spares, which raised TypeError)."""
    import pathlib
    import re
    names = re.findall(r"(\w+)=", mica.Runtime.__text_signature__)
    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    documented = re.search(r"mica\.Runtime\(([^)]*\*,[^)]*)\)", readme).group(1)
    assert re.findall(r"(\w+)=", documented) == names
    assert "spares" in names and "backend" in names
    for name in names:
        with pytest.raises((TypeError, ValueError, mica.Error)) as e:
            mica.Runtime(**{name: object()})
        assert "invalid keyword" not in str(e.value), name
    rt = new_runtime(spares=-1)  # none kept: every clone a new sandbox
    with rt.sandbox() as sb:
        sb.load("m.js", "export const f = () => 2;")
        snap = sb.snapshot()
    with snap.sandbox() as clone:
        assert clone.call("f") == 2
