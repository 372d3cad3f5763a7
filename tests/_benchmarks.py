"""Import a script of ``benchmarks/`` in a test, and leave the interpreter as it was."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def benchmark_module(name: str) -> Iterator[ModuleType]:
    """Yield ``benchmarks/<name>.py`` as a module (for a pytest fixture). A benchmark puts
    ``benchmarks/`` and the corpus on ``sys.path`` and imports the corpus driver's
    modules (``build``, ``datasets``...): both are left as they were afterwards."""
    path, modules = list(sys.path), set(sys.modules)
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path[:] = path
        here = str(BENCHMARKS)
        for mod in set(sys.modules) - modules:  # only the benchmarks' own modules
            if str(getattr(sys.modules[mod], "__file__", "") or "").startswith(here):
                sys.modules.pop(mod, None)
        sys.modules.pop(name, None)
