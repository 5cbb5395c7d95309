"""Fixtures of the binding's tests, and the closing line every suite prints.

The backend is MICA_BACKEND's (tests/run.sh runs the suite once with kvm,
once with process), with MICA_KVM_DEVICE as the KVM device, as for the C
suites; where it cannot be used here, the tests that need it are skipped
with the reason.
"""
import os
import pathlib

import pytest

import mica

TOP = pathlib.Path(__file__).resolve().parents[2]
BACKEND = os.environ.get("MICA_BACKEND", "auto")
KVM_DEVICE = os.environ.get("MICA_KVM_DEVICE")


def new_runtime(**kw):
    """A Runtime on the backend under test, or a skip saying why not."""
    try:
        return mica.Runtime(backend=BACKEND, kvm_path=KVM_DEVICE, **kw)
    except mica.Unavailable as e:
        pytest.skip(f"backend {BACKEND} unavailable here: {e}")


@pytest.fixture
def rt():
    return new_runtime()


@pytest.fixture
def sb(rt):
    with rt.sandbox(timeout_ms=5000) as s:
        yield s


def hostile_image(name):
    """A hostile guest image (tests/hostile), built by `make test-suites`."""
    d = pathlib.Path(os.environ.get("MICA_HOSTILE_DIR", TOP / "build" / "hostile"))
    path = d / f"{name}.elf"
    if not path.exists():
        pytest.fail(f"{path} is missing: make {path.relative_to(TOP) if path.is_relative_to(TOP) else path}")
    return path.read_bytes()


def pytest_unconfigure(config):
    """The closing line tests/run.sh adds up, after pytest's own summary."""
    tr = config.pluginmanager.get_plugin("terminalreporter")
    if tr is None:
        return
    s = tr.stats
    passed = len(s.get("passed", []))
    failed = len(s.get("failed", [])) + len(s.get("error", []))
    skipped = len(s.get("skipped", []))
    tr.write_line(f"{passed} passed, {failed} failed, {skipped} skipped")
