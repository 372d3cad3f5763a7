"""A progress bar with an ETA (rich) on a terminal; sparse log lines elsewhere."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["progress_reporter"]


@contextlib.contextmanager
def progress_reporter(total: int, *, enabled: bool, console: Any = None,
                      label: str = "trials") -> Iterator[Callable[[Any], None]]:
    """Yield a ``tick(result)`` callback that advances a bar of ``total`` trials."""
    if not enabled or total == 0:
        yield lambda result: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = console or Console(stderr=True)
    if not console.is_terminal:
        start = time.monotonic()
        state = {"done": 0, "failed": 0, "next": 0.1}

        def tick_plain(result: Any) -> None:
            state["done"] += 1
            state["failed"] += getattr(result, "state", None) is not None and (
                result.state.value == "failed")
            frac = state["done"] / total
            if frac >= state["next"] or state["done"] == total:
                elapsed = time.monotonic() - start
                eta = elapsed / frac * (1 - frac)
                print(f"{label}: {state['done']}/{total} trials ({state['failed']} failed), "
                      f"{elapsed:.0f}s elapsed, ETA {eta:.0f}s", file=sys.stderr, flush=True)
                state["next"] += 0.1

        yield tick_plain
        return
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TextColumn("{task.fields[failed]} failed"),
                        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                        console=console, transient=False)
    with progress:
        task = progress.add_task(label, total=total, failed=0)
        failed = 0

        def tick(result: Any) -> None:
            nonlocal failed
            if getattr(result, "state", None) is not None and result.state.value == "failed":
                failed += 1
            progress.update(task, advance=1, failed=failed)

        yield tick
