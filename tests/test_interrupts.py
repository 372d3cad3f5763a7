"""Ctrl-C and SIGTERM held back inside a block and delivered after it."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from dataroi._interrupts import InterruptOnce, deferred_interrupts, interrupt_once


def _raise_sigterm(signum, frame):
    raise KeyboardInterrupt("SIGTERM")


@pytest.fixture
def sigterm_as_interrupt():
    previous = signal.signal(signal.SIGTERM, _raise_sigterm)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_inside_the_block_is_delivered_when_it_ends(sig, sigterm_as_interrupt):
    steps = []
    with pytest.raises(KeyboardInterrupt), deferred_interrupts():
        os.kill(os.getpid(), sig)
        steps.append("block finished")
    assert steps == ["block finished"]
    # the handlers in place before are back
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) is _raise_sigterm


def test_no_signal_no_interrupt_and_handlers_restored(sigterm_as_interrupt):
    with deferred_interrupts():
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) is _raise_sigterm


def test_an_error_in_the_block_still_restores_and_delivers(sigterm_as_interrupt):
    with pytest.raises(KeyboardInterrupt) as info, deferred_interrupts():
        os.kill(os.getpid(), signal.SIGINT)
        raise ValueError("the block's own error")
    assert isinstance(info.value.__context__, ValueError)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_nested_blocks_deliver_once_after_the_outer_one(sigterm_as_interrupt):
    steps = []
    with pytest.raises(KeyboardInterrupt), deferred_interrupts():
        with deferred_interrupts():
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
        steps.append("inner ended, still held")
    assert steps == ["inner ended, still held"]


def test_an_ignored_signal_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with deferred_interrupts():
            os.kill(os.getpid(), signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_other_threads_run_the_block_unchanged():
    seen = []

    def body():
        with deferred_interrupts():
            seen.append(signal.getsignal(signal.SIGINT))

    t = threading.Thread(target=body)
    t.start()
    t.join()
    assert seen == [signal.default_int_handler]


def test_interrupt_once_raises_on_the_first_signal_and_ignores_the_next(
        sigterm_as_interrupt):
    steps = []
    with interrupt_once() as handler:
        assert signal.getsignal(signal.SIGINT) is handler
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            steps.append("not reached")
        except KeyboardInterrupt as exc:
            steps.append(str(exc))
            os.kill(os.getpid(), signal.SIGINT)  # the second: nothing happens
            os.kill(os.getpid(), signal.SIGTERM)
            steps.append("clean-up finished")
    assert steps == ["SIGTERM", "clean-up finished"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) is _raise_sigterm


def test_interrupt_once_shares_the_one_in_place_and_keeps_ignored_signals():
    outer = InterruptOnce()
    before = {s: signal.signal(s, outer) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with interrupt_once() as inner:
            assert inner is outer  # the command line's, shared by a run inside it
        assert signal.getsignal(signal.SIGTERM) is outer
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a background job's
        with interrupt_once() as handler:
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is handler
    finally:
        for s, h in before.items():
            signal.signal(s, h)


def test_interrupt_once_outside_the_main_thread_installs_nothing():
    seen = []

    def worker():
        with interrupt_once() as handler:
            seen.append(handler)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == [None]


def test_interrupt_once_interrupts_again_after_the_grace():
    """A clean-up that hangs, or an interrupt that code swallowed, can still be stopped:
    a signal after GRACE_SECONDS interrupts again."""
    from dataroi._interrupts import GRACE_SECONDS

    handler = InterruptOnce()
    with pytest.raises(KeyboardInterrupt):
        handler(signal.SIGINT, None)
    handler(signal.SIGINT, None)  # at once: ignored
    handler.fired_at -= GRACE_SECONDS + 1  # the first one, that long ago
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
        handler(signal.SIGTERM, None)
