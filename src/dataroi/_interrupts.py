"""Ctrl-C and SIGTERM held back while a ledger transaction is open, delivered after it.

Python raises ``KeyboardInterrupt`` at whichever bytecode runs when the signal arrives.
Raised after the transaction's ``BEGIN`` but before the caller's ``with`` block has
started (in ``contextlib``'s ``__enter__``, once the generator that began it has
yielded), no ``__exit__`` runs: the connection stays checked out, holding SQLite's write
lock (or PostgreSQL's row locks), for as long as the interrupt's traceback keeps its
frames, and the coordinator's next write (the one that returns its unfinished trials to
waiting) waits out the busy timeout and fails with "database is locked" (once in CI, on
a SIGTERM a few seconds into a run; tests/ledger_tests/test_interrupted_writes.py
delivers the signal at exactly that point). Neither SQLAlchemy nor the standard library
defers signals around a block, hence this module.

While :func:`deferred_interrupts` is active (main thread only: Python runs signal
handlers nowhere else) SIGINT and SIGTERM are noted instead of acted on; on leaving,
the handlers in place before are restored and the first noted signal is handed to its
handler, so the interrupt happens at a point where the transaction has committed or
rolled back and the connection is back in its pool. The block only runs SQL, so the
delay is the transaction's length; a busy wait inside SQLite could not be interrupted
anyway.

A run that was interrupted puts its trials back (a second or so): a second Ctrl-C or
SIGTERM in that time (GNU ``timeout`` signals the process and again its group; users
press Ctrl-C twice) must not cut that short, even when it lands in the few bytecodes
between the first interrupt and the clean-up's start (it did in CI, on a busy machine:
the run said a bare "interrupted" and left its trials claimed). :class:`InterruptOnce`,
installed by :func:`interrupt_once`, raises ``KeyboardInterrupt`` on the first signal and
ignores the ones in the next :data:`GRACE_SECONDS`, from the signal handler itself, so
no such gap exists.

Example:
    >>> import os, signal
    >>> ran = []
    >>> try:
    ...     with deferred_interrupts():
    ...         os.kill(os.getpid(), signal.SIGINT)
    ...         ran.append("the rest of the block")
    ... except KeyboardInterrupt:
    ...     ran.append("interrupted after it")
    >>> ran
    ['the rest of the block', 'interrupted after it']
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

__all__ = ["InterruptOnce", "deferred_interrupts", "interrupt_once"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_active = False  # a block is open in the main thread (blocks nest: the outer one holds)


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold SIGINT and SIGTERM for the duration of the block; deliver them after it."""
    global _active
    if _active or threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[tuple[int, FrameType | None]] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        pending.append((signum, frame))

    previous: dict[int, Any] = {}
    try:
        for sig in _SIGNALS:
            previous[sig] = signal.signal(sig, hold)
        _active = True
        yield
    finally:
        _active = False
        for sig, handler in previous.items():
            # None: a handler installed outside Python; the default is the nearest
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        if pending:
            signum, frame = pending[0]
            _deliver(previous.get(signum), signum, frame)


def _deliver(handler: Any, signum: int, frame: FrameType | None) -> None:
    """Do what ``handler`` (now back in place) would have done on ``signum``."""
    if callable(handler):
        handler(signum, frame)
    elif handler in (signal.SIG_DFL, None):
        signal.raise_signal(signum)
    # SIG_IGN: nothing to deliver


#: How long after an interrupt a second Ctrl-C or SIGTERM is ignored: the clean-up takes
#: a second or so; a later signal interrupts again, so that a clean-up that hangs, or an
#: interrupt that code swallowed, can still be stopped.
GRACE_SECONDS = 10.0


class InterruptOnce:
    """A SIGINT and SIGTERM handler: ``KeyboardInterrupt``, then nothing for
    :data:`GRACE_SECONDS`.

    Example:
        >>> handler = InterruptOnce()
        >>> try:
        ...     handler(signal.SIGTERM, None)
        ... except KeyboardInterrupt as exc:
        ...     print("interrupted by", exc)
        interrupted by SIGTERM
        >>> handler(signal.SIGINT, None)  # the second signal, at once: ignored
        >>> handler.fired
        True
    """

    def __init__(self) -> None:
        self.fired_at: float | None = None

    @property
    def fired(self) -> bool:
        """Whether a signal has interrupted."""
        return self.fired_at is not None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        now = time.monotonic()
        if self.fired_at is not None and now - self.fired_at < GRACE_SECONDS:
            return
        self.fired_at = now
        raise KeyboardInterrupt(signal.Signals(signum).name)


@contextlib.contextmanager
def interrupt_once() -> Iterator[InterruptOnce | None]:
    """An :class:`InterruptOnce` for SIGINT and SIGTERM for the duration of the block.

    The one already in place is kept (the command line installs one for the whole
    command; the coordinator's run then shares it), signals the host ignores (a
    background job's SIGINT) stay ignored, and the handlers before are restored on
    leaving. Outside the main thread, where Python runs no signal handler, nothing is
    installed and the block gets ``None``.

    Example:
        >>> with interrupt_once() as handler:
        ...     signal.getsignal(signal.SIGTERM) is handler
        True
        >>> isinstance(signal.getsignal(signal.SIGTERM), InterruptOnce)
        False
    """
    if threading.current_thread() is not threading.main_thread():
        yield None
        return
    current = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    shared = [h for h in current.values() if isinstance(h, InterruptOnce)]
    handler = shared[0] if shared else InterruptOnce()
    previous: dict[int, Any] = {}
    try:
        for sig, now in current.items():
            if now is not handler and now != signal.SIG_IGN:
                previous[sig] = signal.signal(sig, handler)
        yield handler
    finally:
        for sig, before in previous.items():
            # None: a handler installed outside Python; the default is the nearest
            signal.signal(sig, signal.SIG_DFL if before is None else before)
