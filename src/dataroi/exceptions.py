"""The exceptions dataroi raises.

Every error that the public API raises derives from :class:`DataroiError`, so a caller
can catch one type. Failures *inside* a trial (a model that raises while fitting) are not
exceptions of the API: they are recorded as failed trials (house rule 9).

Example:
    >>> from dataroi.exceptions import SpecError, DataroiError
    >>> issubclass(SpecError, DataroiError)
    True
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ArtifactError",
    "BundleError",
    "ContractError",
    "ConvergenceError",
    "DataError",
    "DataWarning",
    "DataroiError",
    "ImpactSpecError",
    "Interrupted",
    "LedgerError",
    "SpecError",
    "UnknownNameError",
    "UsageError",
    "WorkerCrashed",
]


def _as_list(problems: Sequence[str] | str) -> list[str]:
    return [problems] if isinstance(problems, str) else list(problems)


def _problems_message(title: str, problems: list[str], source: str | None) -> str:
    """One line for one problem; a count and an indented list for several."""
    where = f" ({source})" if source else ""
    if len(problems) == 1:
        return f"{title}{where}: {problems[0]}"
    lines = "\n".join(f"  - {p}" for p in problems)
    return f"{title}{where}: {len(problems)} problems\n{lines}"


class DataroiError(Exception):
    """Root of every error the dataroi API raises."""

    #: Exit code the command line uses for this error (2: usage or input, 1: run failure).
    exit_code: int = 1


class UsageError(DataroiError, ValueError):
    """The caller asked for something that cannot be done as asked (bad option, path,
    argument). It is a :class:`ValueError` too, as scikit-learn's ``NotFittedError`` is,
    so code that catches ``ValueError`` keeps working."""

    exit_code = 2


class UnknownNameError(UsageError, KeyError):
    """A name that is not there (a metric, a model of the spec): a :class:`KeyError` too,
    with the plain message (not ``repr``-quoted) as its text.

    Example:
        >>> print(UnknownNameError("unknown metric 'acc'; known: accuracy"))
        unknown metric 'acc'; known: accuracy
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class SpecError(UsageError):
    """An input file or section is invalid (the study spec by default; ``what`` names
    another: ``costs file``, ``value model``...). ``problems`` lists every problem with
    its field path.

    Example:
        >>> err = SpecError(["schedule.repeats: must be >= 1, got 0"])
        >>> print(err)
        invalid study spec: schedule.repeats: must be >= 1, got 0
    """

    def __init__(self, problems: Sequence[str] | str, *, source: str | None = None,
                 what: str = "study spec") -> None:
        self.problems, self.source, self.what = _as_list(problems), source, what
        super().__init__(_problems_message(f"invalid {what}", self.problems, source))


class ImpactSpecError(SpecError):
    """An invalid value model, gate file, expression or impact option; ``problems`` lists
    them all, ``what`` names the input.

    Example:
        >>> err = ImpactSpecError("value.expression: unknown name 'x'", what="value model")
        >>> print(err)
        invalid value model: value.expression: unknown name 'x'
        >>> err.exit_code
        2
    """

    def __init__(self, problems: Sequence[str] | str, *, what: str = "impact input",
                 source: str | None = None) -> None:
        super().__init__(problems, source=source, what=what)


class DataError(UsageError):
    """The data set cannot be used as described (missing column, empty, NaN target...)."""


class BundleError(UsageError):
    """A study bundle cannot be used: not a zip file, no manifest, a format or ledger
    schema this dataroi does not read, or data it needs and cannot find (``dataroi
    verify`` exits 2: nothing could be checked, which is not a mismatch)."""


class DataWarning(UserWarning):
    """Something in the data to look at before trusting a study's numbers (an empty or
    constant column, a feature that predicts the target almost perfectly, a first
    training size with hardly a row of the rarest class). ``Study.run`` issues one per
    finding before the first trial and goes on; ``Study.check_data()`` lists them.
    Silence them with ``warnings.simplefilter("ignore", DataWarning)``."""


class ContractError(DataError):
    """The data break their contract. ``problems`` lists every violation at once.

    Example:
        >>> err = ContractError(["column 'age': 3 rows below the minimum 0 (e.g. -1)"])
        >>> print(err)
        data contract violated: column 'age': 3 rows below the minimum 0 (e.g. -1)
    """

    def __init__(self, problems: Sequence[str] | str, *, source: str | None = None) -> None:
        self.problems, self.source = _as_list(problems), source
        super().__init__(_problems_message("data contract violated", self.problems, source))


class LedgerError(DataroiError):
    """The ledger cannot be opened or written (not a dataroi ledger, wrong schema version...).

    These are usage errors: the user points at the wrong file or must upgrade it.
    """

    exit_code = 2


class ArtifactError(DataroiError):
    """A stored artifact (a trial's test-set predictions) cannot be read, or its content
    no longer hashes to the digest it is stored under: the file was truncated,
    overwritten or damaged after it was written. No number is computed from it."""


class ConvergenceError(DataroiError):
    """A numerical procedure did not converge and no usable result exists."""


class Interrupted(DataroiError):
    """The run was stopped by Ctrl-C or SIGTERM; unfinished trials went back to waiting."""

    exit_code = 130


class WorkerCrashed(DataroiError):
    """A worker process died (e.g. out of memory); its trials went back to waiting."""
