"""Command line interface: ``dataroi`` (``main(argv) -> exit code``)."""

import sys
from typing import NoReturn

from dataroi.cli._main import main

__all__ = ["main"]


def exit_with(code: int) -> NoReturn:
    """``sys.exit(code)``, and after an interrupt that :func:`main` handled (130) the exit
    code really is 130.

    CPython notes a KeyboardInterrupt as *unhandled* when it passes through code a C
    extension ran with ``PyRun_String`` (some do while they import); at exit it then kills
    the process with SIGINT (exit -2), although :func:`main` caught the interrupt, said
    "interrupted" and returned 130 — a SIGTERM about a second into ``dataroi run`` did
    that once in six tries. Running an empty statement through the same C path resets the
    note (CPython only; elsewhere nothing to do).

    An interrupted command is on its way out: a second Ctrl-C or SIGTERM (GNU timeout
    signals the process and again its group) is ignored from here, or it breaks into
    Python's exit-time clean-up of the worker pool and prints that traceback under the
    summary.
    """
    if code == 130:
        import signal

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        try:
            import ctypes

            ctypes.pythonapi.PyRun_SimpleString(b"pass")
        except (ImportError, AttributeError, OSError):  # not CPython
            pass
    sys.exit(code)


def _entry() -> NoReturn:
    """The ``dataroi`` program (and ``python -m dataroi``): :func:`main`, then exit.

    One :class:`~dataroi._interrupts.InterruptOnce` handles Ctrl-C and SIGTERM for the
    process's whole life (:func:`main` and a run's coordinator share it): the first
    signal interrupts, the ones after are ignored, up to the exit; :func:`main` alone
    would put the previous handlers back on returning, a few bytecodes before
    :func:`exit_with` could ignore them.
    """
    from dataroi.cli._main import _interrupt_once

    _interrupt_once()  # never put back: the process ends with it
    exit_with(main())
