"""Command line interface: ``dataroi`` (``main(argv) -> exit code``)."""

import sys

from dataroi.cli._main import main

__all__ = ["main"]


def _entry() -> None:  # pragma: no cover
    sys.exit(main())
