"""A progress bar with an ETA (rich) on a terminal; sparse log lines elsewhere.

The ETA weighs each trial by its predicted seconds (:func:`~dataroi.study._timing.
seconds_by_size`, refitted on the trials done), not by its count: a study's largest size
can cost a thousand times its smallest, and the trials of each repeat run largest first.

Example:
    >>> import io
    >>> from rich.console import Console
    >>> from dataroi.trial import TrialKey, TrialResult, TrialState
    >>> log = Console(file=io.StringIO())  # not a terminal: log lines
    >>> with progress_reporter(2, enabled=True, console=log, label="demo",
    ...                        work=[("m", 100), ("m", 10)]) as tick:
    ...     tick(TrialResult(TrialKey("m", 100, 0), TrialState.COMPLETE, seed=0,
    ...                      fit_seconds=1.0, predict_seconds=0.0))
    >>> print(log.file.getvalue())  # doctest: +ELLIPSIS
    demo: 2 trials to run
    demo: 1/2 trials (0 failed), ...s elapsed, ETA ...s
    <BLANKLINE>
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = ["progress_reporter"]

#: Without a terminal, a log line at least this often (and at every tenth of the trials).
LOG_EVERY_SECONDS = 60.0


class _Eta:
    """Seconds left: the time so far times the predicted seconds of the trials left over
    those of the trials done (each trial's (model, size) priced by the same fit, refitted
    each time the timed trials grew by a twentieth: a tick stays cheap in a study of ten
    thousand trials).

    Example:
        >>> eta = _Eta([("m", 10), ("m", 1000)])
        >>> eta.add("m", 1000, 10.0)
        >>> round(eta.seconds_left(10.0), 2)  # the small trial: about 1/100 of the big one
        0.1
    """

    def __init__(self, work: Sequence[tuple[str, int]],
                 timed: Sequence[tuple[str, int, float]] = (), workers: int = 1) -> None:
        self.left = Counter((str(m), int(n)) for m, n in work)
        self.done: Counter[tuple[str, int]] = Counter()
        self.timed: list[tuple[str, int, float]] = [(str(m), int(n), float(t))
                                                    for m, n, t in timed]
        self.before = len(self.timed)  # timed in earlier runs of the study
        self.workers = max(1, int(workers))
        self.price: dict[tuple[str, int], float] = {}
        self.priced_on = 0  # timed trials the prices were fitted on

    def add(self, model: str, n_train: int, seconds: float) -> None:
        key = (str(model), int(n_train))
        if self.left[key] > 0:
            self.left[key] -= 1
        self.done[key] += 1
        self.timed.append((*key, seconds))

    def seconds_left(self, elapsed: float) -> float | None:
        """The ETA; None while it cannot be said (no trial timed yet, or the first
        trials already slower than an earlier run's timings predicted)."""
        from dataroi.study._timing import seconds_by_size

        if not self.done and not self.before:
            return None
        keys = self.left.keys() | self.done.keys()
        if len(self.timed) >= 1.05 * self.priced_on + 1 or not keys <= self.price.keys():
            self.price = seconds_by_size(self.timed, sorted({m for m, _ in keys}),
                                         sorted({n for _, n in keys}))
            self.priced_on = len(self.timed)
        left = sum(self.price[k] * c for k, c in self.left.items())
        if not self.done:  # a resumed run: the earlier runs' timings, over the workers
            timed = {m for m, _, _ in self.timed}
            if any(c and m not in timed for (m, _), c in self.left.items()):
                return None  # a model never timed (one added to the spec): no guess
            eta = left / self.workers - elapsed
            return eta if eta > 0 else None
        done = sum(self.price[k] * c for k, c in self.done.items())
        return elapsed * left / done if done > 0 else None


def _seconds(result: Any) -> float:
    return float(getattr(result, "fit_seconds", None) or 0.0) + float(
        getattr(result, "predict_seconds", None) or 0.0)


def _failed(result: Any) -> bool:
    return getattr(result, "state", None) is not None and result.state.value == "failed"


def _clock(seconds: float | None) -> str:
    """``1:02:03``, ``4:05``, ``-:--`` (not known yet)."""
    if seconds is None:
        return "-:--"
    s = round(seconds)
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


@contextlib.contextmanager
def progress_reporter(total: int, *, enabled: bool, console: Any = None,
                      label: str = "trials",
                      work: Sequence[tuple[str, int]] | None = None,
                      timed: Sequence[tuple[str, int, float]] = (), workers: int = 1,
                      ) -> Iterator[Callable[[Any], None]]:
    """Yield a ``tick(result)`` callback that advances a bar of ``total`` trials.

    Args:
        total: the trials to run.
        enabled: False: a callback that does nothing.
        console: a rich console (default: standard error); not a terminal, a log line at
            the start, at every tenth of the trials and at least every minute.
        label: the bar's name (the study's).
        work: (model, training size) of each trial to run, for the ETA; default: each
            trial alike.
        timed: (model, training size, seconds) of the study's trials finished in earlier
            runs: a resumed run has an ETA before its first trial ends.
        workers: the trials run at once (for that first ETA).
    """
    if not enabled or total == 0:
        yield lambda result: None
        return
    from rich.console import Console

    console = console or Console(stderr=True)
    eta = (_Eta(work, timed, workers) if work is not None
           else _Eta([("", 1)] * total, workers=workers))
    start = time.monotonic()
    state = {"done": 0, "failed": 0}

    def count(result: Any) -> None:
        state["done"] += 1
        state["failed"] += _failed(result)
        key = getattr(result, "key", None)
        if work is None or key is None:
            eta.add("", 1, 1.0)
        else:
            eta.add(key.model, key.n_train, _seconds(result))

    if not console.is_terminal:
        out, lock, stop = console.file, threading.Lock(), threading.Event()
        shown = {"share": 0.1, "at": start}

        def line() -> None:  # under the lock
            elapsed = time.monotonic() - start
            print(f"{label}: {state['done']}/{total} trials ({state['failed']} failed), "
                  f"{elapsed:.0f}s elapsed, ETA {_eta_text(eta.seconds_left(elapsed))}",
                  file=out, flush=True)
            shown["at"] = time.monotonic()

        def every_minute() -> None:  # a line although no trial ended (a long trial)
            while not stop.wait(max(0.01, shown["at"] + LOG_EVERY_SECONDS - time.monotonic())):
                with lock:
                    if time.monotonic() - shown["at"] >= LOG_EVERY_SECONDS:
                        line()

        def tick_plain(result: Any) -> None:
            with lock:
                count(result)
                frac = state["done"] / total
                if frac >= shown["share"] or state["done"] == total:
                    line()
                    while shown["share"] <= frac:
                        shown["share"] += 0.1

        first = eta.seconds_left(0.0)
        print(f"{label}: {total:,} trials to run"
              + ("" if first is None else f", ETA {first:.0f}s (the timings of "
                 f"{eta.before:,} trial{'s' * (eta.before != 1)} run before)"),
              file=out, flush=True)
        clock = threading.Thread(target=every_minute, name="dataroi-progress", daemon=True)
        clock.start()
        try:
            yield tick_plain
        finally:
            stop.set()
            clock.join()
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    class EtaColumn(ProgressColumn):
        """The ETA of the last finished trial, counting down until the next one."""

        def render(self, task: Any) -> Text:
            left, at = task.fields.get("eta"), task.fields.get("eta_at", 0.0)
            return Text("ETA " + _clock(None if left is None
                                        else max(0.0, left - (time.monotonic() - at))))

    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TextColumn("{task.fields[failed]} failed"),
                        TimeElapsedColumn(), EtaColumn(), console=console, transient=False)
    with progress:
        task = progress.add_task(label, total=total, failed=0, eta=eta.seconds_left(0.0),
                                 eta_at=start)

        def tick(result: Any) -> None:
            count(result)
            now = time.monotonic()
            progress.update(task, advance=1, failed=state["failed"],
                            eta=eta.seconds_left(now - start), eta_at=now)

        yield tick


def _eta_text(seconds: float | None) -> str:
    return "unknown" if seconds is None else f"{seconds:.0f}s"
