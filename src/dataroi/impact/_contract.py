"""The data contract of an impact assessment's evaluation table: a YAML file or a
mapping, read into a :class:`~dataroi.spec.Contract` (the engine lives in ``spec``: a
study's ``contract:`` section uses the same rules).

Example:
    >>> load_contract({"contract": {"rows": {"min": 2}}}).describe()
    ['rows between 2 and any']
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from dataroi.impact._yaml import read_yaml_input
from dataroi.spec import Contract, ContractReport, parse_contract

__all__ = ["Contract", "ContractReport", "load_contract"]


def load_contract(source: str | os.PathLike[str] | Mapping[str, Any]) -> Contract:
    """Load and validate a contract from a YAML file or a mapping.

    Raises:
        UsageError: the file does not exist.
        ImpactSpecError: the contract itself is invalid (every problem, with field paths).
    """
    raw, where = read_yaml_input(source, what="data contract")
    return parse_contract(raw, where)
