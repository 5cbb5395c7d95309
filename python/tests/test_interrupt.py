"""Ctrl-C (SIGINT) during a long call stops the guest: KeyboardInterrupt."""
import _thread
import os
import signal
import threading
import time

import pytest

import mica

# Inside QEMU's emulator (scripts/kvm-qemu-run.sh: one emulated CPU, a
# guest 15-25x slower) the timers these tests race against do not keep
# their order; the KVM backend's interrupt path is checked there by
# tests/api (interrupt_running, interrupt_during_sleep).
pytestmark = pytest.mark.skipif(
    os.environ.get("KVM_QEMU") == "1",
    reason="signal timing under QEMU's emulator (tests/api checks interrupts there)",
)

SRC = """
import { hook } from 'host:t';
export function spin() { for (;;) {} }
export function wait(ms) { const end = Date.now() + ms; while (Date.now() < end) {} return ms; }
export function callsHost() { return hook(); }
export function count() { return globalThis.n = (globalThis.n || 0) + 1; }
"""


def sigint_in(seconds):
    threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT)).start()


HOOK = {}  # what host:t's hook() calls


@pytest.fixture
def clone(rt):
    """A snapshot's sandbox (reset() revives it), its module loaded, 10 s limit."""
    HOOK["fn"] = lambda: 0
    rt.register("t", "hook", lambda: HOOK["fn"]())
    with rt.sandbox(timeout_ms=10000) as sb:
        sb.load("p.js", SRC)
        snap = sb.snapshot()
    with snap.sandbox() as c:
        yield c


def test_keyboard_interrupt_cancels_a_long_call(clone):
    sigint_in(0.3)
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        clone.call("spin")
    assert time.monotonic() - t0 < 3  # not the 10 s limit
    with pytest.raises(mica.Interrupted, match="unusable"):
        clone.call("count")  # it was stopped mid-way
    clone.reset()
    assert clone.call("count") == 1


def test_keyboard_interrupt_in_a_host_function(clone):
    def host():
        raise KeyboardInterrupt

    HOOK["fn"] = host
    with pytest.raises(KeyboardInterrupt):
        clone.call("callsHost")
    with pytest.raises(mica.Interrupted):
        clone.call("count")  # the guest was stopped, not handed an Error
    clone.reset()
    HOOK["fn"] = lambda: 7
    assert clone.call("callsHost") == 7


def test_keyboard_interrupt_while_waiting_for_a_busy_sandbox(clone):
    other = []
    t = threading.Thread(target=lambda: other.append(clone.call("wait", 1500)))
    t.start()
    time.sleep(0.2)
    sigint_in(0.2)
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        clone.call("count")  # waits for the other thread's call
    assert time.monotonic() - t0 < 1.2
    t.join()
    assert other == [1500]  # the running call was not the one stopped
    assert clone.call("count") == 1


def test_sigint_ignored_leaves_the_call_alone(clone):
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        sigint_in(0.1)
        assert clone.call("wait", 400) == 400
    finally:
        signal.signal(signal.SIGINT, old)


def test_sigint_handler_that_does_not_raise(clone):
    got = []
    old = signal.signal(signal.SIGINT, lambda *a: got.append("handled"))
    try:
        sigint_in(0.2)
        with pytest.raises(mica.Interrupted):
            clone.call("spin")
        assert got == ["handled"]
    finally:
        signal.signal(signal.SIGINT, old)


def test_interrupt_main_is_seen_when_the_call_returns(clone):
    # _thread.interrupt_main() sends no signal: the call goes on, and the
    # KeyboardInterrupt comes when it returns, instead of its result
    threading.Timer(0.1, _thread.interrupt_main).start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        clone.call("wait", 400)
    assert time.monotonic() - t0 >= 0.39
    assert clone.call("count") == 1  # not stopped
