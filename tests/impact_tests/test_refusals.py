"""The bad-input catalogue of ``dataroi impact``: every case is one clear ``error:`` line,
exit 2, no traceback and no file written (the harness of ``tests/cli_tests/_refusals.py``).

The folder of each case holds a small evaluation table (``eval.csv``: ids, a 0/1 target
``y``, the two models' scores and labels, a text column ``region``, an amount, dates and a
yes/no text target ``answer``) and a valid value model (``value.yaml``); each case breaks
one thing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.cli_tests._refusals import Refusal, check_refusal

N_ROWS = 300
VALUE = {"expression": "amount * (pred == 1) * (y == 1) - review * (pred == 1)",
         "terms": {"review": 5.0}}
RUN = ("impact", "run", "eval.csv", "--baseline", "col:p_base", "--candidate", "col:p_cand",
       "--resamples", "200")


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, N_ROWS)
    frame = pd.DataFrame({
        "id": np.arange(N_ROWS), "y": y,
        "p_base": np.clip(0.4 * y + 0.6 * rng.random(N_ROWS), 0, 1).round(4),
        "p_cand": np.clip(0.5 * y + 0.5 * rng.random(N_ROWS), 0, 1).round(4),
        "region": rng.choice(["north", "south", "east"], N_ROWS),
        "amount": rng.gamma(2.0, 50.0, N_ROWS).round(2),
        "when": pd.date_range("2024-01-01", periods=N_ROWS, freq="D").astype(str),
        "answer": np.where(y == 1, "yes", "no")})
    frame["pred_base"] = (frame["p_base"] > 0.5).astype(int)
    frame["pred_cand"] = (frame["p_cand"] > 0.5).astype(int)
    return frame


def _table(path: Path) -> None:
    _frame().to_csv(path, index=False)


def _changed(**columns: Any):
    def write(path: Path) -> None:
        frame = _frame()
        for name, fn in columns.items():
            frame[name] = fn(frame)
        frame.to_csv(path, index=False)
    return write


def _predictions(ids: Any, **columns: Any):
    def write(path: Path) -> None:
        pd.DataFrame({"id": ids, **columns}).to_csv(path, index=False)
    return write


def _pickle_of(obj: Any):
    def write(path: Path) -> None:
        import joblib

        joblib.dump(obj, path)
    return write


def _model_without_feature_names(path: Path) -> None:
    import joblib
    from sklearn.linear_model import LogisticRegression

    frame = _frame()
    joblib.dump(LogisticRegression().fit(frame[["amount"]].to_numpy(), frame["y"]), path)


def run(case_id: str, message: str, *extra: str, value: Any = VALUE,
        files: dict[str, Any] | None = None, argv: tuple[str, ...] = RUN) -> Refusal:
    """A case of ``dataroi impact run`` on the standard folder, with ``extra`` arguments."""
    prepared: dict[str, Any] = {"eval.csv": _table}
    if value is not None:
        prepared["value.yaml"] = value
    prepared.update(files or {})
    tail = ("--value", "value.yaml") if value is not None and "--value" not in extra else ()
    return Refusal(case_id, (*argv, *tail, *extra), message, files=prepared)


def expr(case_id: str, text: Any, message: str, *extra: str,
         argv: tuple[str, ...] = RUN) -> Refusal:
    """A case whose value model is the expression ``text``."""
    return run(case_id, message, *extra, value={"expression": text}, argv=argv)


CASES: list[Refusal] = [
    # -- the command line itself ------------------------------------------------------
    Refusal("no-subcommand", ("impact",), r"use `dataroi impact run \.\.\.`"),
    Refusal("run-without-arguments", ("impact", "run"),
            r"the following arguments are required: table"),
    Refusal("run-without-models", ("impact", "run", "eval.csv"),
            r"impact run needs --baseline, --candidate, --value \(or --spec impact\.yaml"),
    run("no-value-option", r"impact run needs --value", value=None),
    run("spec-and-option", r"--baseline, --candidate, --value given on the command line and "
        r"by --spec", "--spec",
        "impact.yaml", files={"impact.yaml": "name: s\nhypothesis: h\nbaseline: col:a\n"
                              "candidate: col:b\nvalue: {payoff: {tp: 1}}\n"}),
    run("spec-missing", r"impact spec file not found: .*nosuch\.yaml", "--spec",
        "nosuch.yaml", argv=("impact", "run", "eval.csv")),
    run("unknown-option", r"unrecognized arguments: --colour", "--colour", "red"),
    # -- the evaluation table ------------------------------------------------------------
    run("table-missing", r"data file not found: .*nosuch\.csv",
        argv=("impact", "run", "nosuch.csv", *RUN[3:])),
    run("table-is-a-folder", r"data path is a directory, not a file: .*tables",
        argv=("impact", "run", "tables", *RUN[3:]), files={"tables/keep.txt": "x"}),
    run("table-empty-file", r"data file is empty: .*empty\.csv",
        argv=("impact", "run", "empty.csv", *RUN[3:]), files={"empty.csv": ""}),
    run("table-unknown-type", r"unknown data file type '\.xlsx'",
        argv=("impact", "run", "eval.xlsx", *RUN[3:]), files={"eval.xlsx": b"PK\x03\x04"}),
    run("table-garbled-parquet", r"cannot read data file .*eval\.parquet",
        argv=("impact", "run", "eval.parquet", *RUN[3:]),
        files={"eval.parquet": b"\x00\x01garbage, not parquet\xff" * 20}),
    run("table-header-only", r"data source 'eval\.csv' has no rows",
        files={"eval.csv": "id,y,p_base,p_cand,amount\n"}),
    run("table-duplicate-ids", r"id column 'id': 1 ids appear more than once",
        files={"eval.csv": _changed(id=lambda f: np.r_[0, np.arange(N_ROWS - 1)])}),
    run("table-missing-ids", r"id column 'id': 1 missing ids",
        files={"eval.csv": _changed(id=lambda f: np.r_[np.nan, np.arange(1, N_ROWS)])}),
    run("target-missing-values", r"target 'y': 1 missing values",
        files={"eval.csv": _changed(y=lambda f: np.r_[np.nan, f["y"][1:]])}),
    # -- columns that are not there, or not of the right kind ---------------------------
    run("target-not-a-column", r"target 'label' is not a column of the table \(columns: ",
        "--target", "label"),
    run("id-not-a-column", r"id column 'row' is not a column of the table", "--id", "row"),
    run("target-with-one-class", r"target 'one': has 1 classes; impact assessment needs a "
        r"classification target with 2 to 50 classes", "--target", "one",
        files={"eval.csv": _changed(one=lambda f: 1)}),
    run("target-continuous", r"target 'amount': has \d+ classes", "--target", "amount"),
    run("baseline-column-missing", r"baseline \(column:p_old\): no column 'p_old' in the "
        r"table", argv=("impact", "run", "eval.csv", "--baseline", "col:p_old",
                        "--candidate", "col:p_cand")),
    run("candidate-empty-source", r"a prediction source must be col:NAME, file:PATH",
        argv=("impact", "run", "eval.csv", "--baseline", "col:p_base", "--candidate", " ")),
    run("scores-outside-0-1", r"candidate \(column:amount\): scores must lie in \[0, 1\] "
        r"\(probability of class 1\), got values in",
        argv=("impact", "run", "eval.csv", "--baseline", "col:p_base",
              "--candidate", "col:amount")),
    run("labels-not-classes", r"baseline \(column:region\): 300 predicted labels are not "
        r"classes of the target", argv=("impact", "run", "eval.csv", "--baseline",
                                        "col:region", "--candidate", "col:p_cand")),
    run("prediction-file-missing", r"data file not found: .*preds\.csv",
        argv=("impact", "run", "eval.csv", "--baseline", "col:p_base",
              "--candidate", "file:preds.csv")),
    run("prediction-file-ids-differ", r"prediction file preds\.csv: ids differ from the "
        r"table's: 1 ids of the evaluation table have no prediction",
        argv=("impact", "run", "eval.csv", "--baseline", "col:p_base",
              "--candidate", "file:preds.csv"),
        files={"preds.csv": _predictions(np.arange(1, N_ROWS), p=0.5)}),
    run("prediction-file-duplicate-ids", r"prediction file preds\.csv: 1 ids appear more "
        r"than once", argv=("impact", "run", "eval.csv", "--baseline", "col:p_base",
                            "--candidate", "file:preds.csv"),
        files={"preds.csv": _predictions(np.r_[0, np.arange(N_ROWS)], p=0.5)}),
    run("prediction-file-two-columns", r"prediction file preds\.csv: has 2 prediction "
        r"columns \(a, b\); name one: file:preds\.csv:COLUMN",
        argv=("impact", "run", "eval.csv", "--baseline", "col:p_base",
              "--candidate", "file:preds.csv"),
        files={"preds.csv": _predictions(np.arange(N_ROWS), a=0.5, b=0.5)}),
    run("model-file-missing", r"model file not found: nosuch\.joblib",
        argv=("impact", "run", "eval.csv", "--baseline", "col:p_base",
              "--candidate", "model:nosuch.joblib")),
    run("model-file-garbled", r"cannot load model bad\.joblib: not a joblib/pickle file of "
        r"a model",
        argv=("impact", "run", "eval.csv", "--baseline", "col:p_base",
              "--candidate", "model:bad.joblib"), files={"bad.joblib": b"not a pickle"}),
    run("model-not-an-estimator", r"candidate \(model:m\.joblib\): not a fitted estimator",
        argv=("impact", "run", "eval.csv", "--baseline", "col:p_base",
              "--candidate", "model:m.joblib"), files={"m.joblib": _pickle_of({"a": 1})}),
    run("model-without-feature-names", r"candidate \(model:plain\.joblib\): the model does not "
        r"record its feature names; give the features to use \(--features a,b,c\)",
        argv=("impact", "run", "eval.csv", "--baseline", "col:p_base",
              "--candidate", "model:plain.joblib"),
        files={"plain.joblib": _model_without_feature_names}),
    run("model-features-not-columns", r"candidate \(model:plain\.joblib\): the table lacks "
        r"the model's features income", "--features", "income",
        argv=("impact", "run", "eval.csv", "--baseline", "col:p_base",
              "--candidate", "model:plain.joblib"),
        files={"plain.joblib": _model_without_feature_names}),
    run("model-import-not-found", r"cannot import model 'nosuch_pkg\.mod:thing'",
        argv=("impact", "run", "eval.csv", "--baseline", "col:p_base",
              "--candidate", "model:nosuch_pkg.mod:thing")),
    run("model-import-not-an-estimator", r"candidate \(model:os:getcwdb\): not a fitted "
        r"estimator \(no predict method\)",
        argv=("impact", "run", "eval.csv", "--baseline", "col:p_base",
              "--candidate", "model:os:getcwdb")),
    run("model-import-needs-arguments", r"cannot build model 'os:system': calling it "
        r"without arguments failed \(TypeError: ",
        argv=("impact", "run", "eval.csv", "--baseline", "col:p_base",
              "--candidate", "model:os:system")),
    # -- the value model ---------------------------------------------------------------
    run("value-missing", r"value model file not found: nosuch\.yaml", "--value",
        "nosuch.yaml"),
    run("value-garbled-yaml", r"invalid value model \(value\.yaml\): YAML syntax error at "
        r"line \d+", value="expression: [unclosed\n"),
    run("value-yaml-tag", r"YAML tag refused", value="expression: !!python/object/apply:os."
        "system ['echo hi']\n"),
    run("value-key-twice", r"the key 'expression' is given twice",
        value="expression: y\nexpression: pred\n"),
    run("value-not-a-mapping", r"must be a mapping with 'payoff' or 'expression'",
        value="- 1\n- 2\n"),
    run("value-both-forms", r"give exactly one of 'payoff' \(a matrix\) or 'expression'",
        value={"expression": "y", "payoff": {0: {0: 1}}}),
    run("value-unknown-field", r"colour: unknown field; allowed: ",
        value={"expression": "y", "colour": "red"}),
    run("value-term-not-a-number", r"terms\.review: must be a finite number, got 'cheap'",
        value={"expression": "review * pred", "terms": {"review": "cheap"}}),
    run("value-term-reserved", r"terms\.y: 'y' is reserved",
        value={"expression": "pred", "terms": {"y": 1}}),
    run("value-payoff-unknown-term", r"payoff\.1\.1: unknown term 'gain'; define it under "
        r"terms", value={"payoff": {0: {0: 0, 1: -1}, 1: {0: -5, 1: "gain"}}}),
    run("value-payoff-missing-cell", r"payoff: no cell for true class '1' and predicted "
        r"class '\d'", value={"payoff": {0: {0: 0, 1: -1}}}),
    run("value-volume-negative", r"volume\.rows_per_period: must be a positive number, got "
        r"-5", value={"expression": "pred", "volume": {"rows_per_period": -5}}),
    run("value-volume-period", r"volume\.period: must be one of day, week, month",
        value={"expression": "pred", "volume": {"rows_per_period": 10,
                                                "period": "fortnight"}}),
    run("value-currency", r"currency: must be a short code like USD",
        value={"expression": "pred", "currency": "US dollars"}),
    # -- value expressions: every forbidden construct --------------------------------
    expr("expr-empty", "  ", r"expression: must be a non-empty text"),
    expr("expr-not-text", 5, r"expression: must be a non-empty text"),
    expr("expr-too-long", "+".join(["amount"] * 600), r"longer than 4000 characters"),
    expr("expr-syntax", "amount * * 2", r"value\.expression: syntax error at column 10: "
         r"invalid syntax"),
    expr("expr-syntax-at-end", "amount *", r"value\.expression: syntax error: invalid "
         r"syntax"),
    expr("expr-nul", "amount\x00", r"value\.expression: syntax error: source code string "
         r"cannot contain null bytes"),
    expr("expr-dunder-import", "__import__('os').system('echo x')",
         r"attribute access|dunder names"),
    expr("expr-dunder-name", "__builtins__", r"dunder names like '__builtins__'"),
    expr("expr-dunder-string", "'__class__' == region", r"dunder strings are not allowed"),
    expr("expr-attribute", "amount.real", r"attribute access \(`a\.b`\) is not allowed"),
    expr("expr-subscript", "amount[0]", r"subscripts \(`a\[\.\.\.\]`\) is not allowed"),
    expr("expr-lambda", "(lambda: 1)()", r"lambda is not allowed"),
    expr("expr-comprehension", "abs(a for a in amount)", r"comprehensions is not allowed"),
    expr("expr-walrus", "(x := amount)", r"assignment \(`:=`\) is not allowed"),
    expr("expr-fstring", "f'{amount}'", r"f-strings is not allowed"),
    expr("expr-list", "abs([amount, 1])", r"lists is not allowed"),
    expr("expr-tuple", "(amount, 1)", r"tuples is not allowed"),
    expr("expr-dict", "{'a': amount}", r"dictionaries is not allowed"),
    expr("expr-set", "{amount}", r"sets is not allowed"),
    expr("expr-star-argument", "abs(*amount)", r"star arguments is not allowed"),
    expr("expr-keyword-argument", "clip(amount, 0, a_max=3)", r"keyword arguments are not "
         r"allowed"),
    expr("expr-unknown-function", "open('x')", r"function 'open' is not allowed \(column "
         r"1\); allowed: abs, clip, exp, log, max, min, sqrt, where"),
    expr("expr-eval", "eval('1')", r"function 'eval' is not allowed"),
    expr("expr-unknown-name", "amount * discount", r"unknown name 'discount' \(column 10\); "
         r"known names: "),
    expr("expr-wrong-arity", "log(amount, 2)", r"log\(\) takes 1 arguments, got 2"),
    expr("expr-operator-in", "region in ('north',)", r"comparison In is not allowed"),
    expr("expr-operator-is", "amount is None", r"comparison Is is not allowed"),
    expr("expr-operator-bitand", "amount & 1", r"operator BitAnd is not allowed"),
    expr("expr-operator-matmul", "amount @ amount", r"operator MatMult is not allowed"),
    expr("expr-operator-shift", "amount << 40", r"operator LShift is not allowed"),
    expr("expr-constant-none", "None", r"constant None is not allowed"),
    expr("expr-constant-complex", "1j * amount", r"constant 1j is not allowed"),
    expr("expr-constant-bytes", "b'x' == region", r"constant b'x' is not allowed"),
    expr("expr-constant-ellipsis", "...", r"constant Ellipsis is not allowed"),
    expr("expr-deep-unary", "-" * 3000 + "1", r"nested too deeply to read"),
    expr("expr-nested-61", "abs(" * 61 + "amount" + ")" * 61,
         r"nested more than 60 levels deep"),
    expr("expr-huge-integer", "1" * 401, r"the number 11111111\.\.\. \(401 digits\) is too "
         r"large"),
    expr("expr-infinite-float", "1e999 * pred", r"the number inf is too large"),
    expr("expr-log-of-text", "log('a')", r"log\(\) needs numbers, not the string 'a'"),
    expr("expr-text-times-huge", "'a' * 1000000000",
         r"arithmetic \(\+ - \* / // % \*\*\) needs numbers, not the string 'a'"),
    expr("expr-text-result", "'abc'", r"the expression gives text \(the string 'abc'\); it "
         r"must give numbers"),
    expr("expr-text-column-vs-number", "amount * (region > 1)",
         r"region is text \('east', 'north', 'south'\); compare it with a string, e.g\. "
         r"region == '\w+'"),
    expr("expr-yes-no-target-vs-number", "5 * (y == 1)",
         r"y is text \('no', 'yes'\); compare it with a string, e\.g\. y == '(yes|no)'",
         "--target", "answer", "--baseline", "col:answer"),
    expr("expr-number-column-vs-text", "(amount == 'big') * 1",
         r"amount is numeric \(e\.g\. [\d.]+, [\d.]+, [\d.]+\); compare it with a number, "
         r"not with the string 'big'"),
    expr("expr-text-column-arithmetic", "region * 2",
         r"region is text \('east', 'north', 'south'\), but arithmetic .* needs numbers"),
    expr("expr-score-of-labels", "score * 10", r"reads 'score' but the model gives labels "
         r"only", argv=("impact", "run", "eval.csv", "--baseline", "col:pred_base",
                        "--candidate", "col:pred_cand")),
    expr("expr-gives-nan", "log(amount - 1000)", r"the value expression gives NaN or "
         r"infinity for \d+ rows"),
    # -- segments and time -------------------------------------------------------------
    run("segment-not-a-column", r"segment column 'country' is not a column of the table",
        "--segments", "region,country"),
    run("segment-too-many-levels", r"segment column 'amount': \d+ distinct values \(more "
        r"than 200\); bin it", "--segments", "amount"),
    run("time-not-a-column", r"time column 'date' is not a column of the table",
        "--time", "date"),
    run("time-not-dates", r"time column 'region': 300 values are not dates \(e\.g\. "
        r"'\w+'\); give a column of dates",
        "--time", "region"),
    run("period-unknown", r"period: must be one of day, week, month, quarter, year, got "
        r"'fortnight'", "--time", "when", "--period", "fortnight"),
    # -- settings ----------------------------------------------------------------------
    run("resamples-zero", r"argument --resamples: must be an integer from 100 to 100,000, "
        r"got 0", "--resamples", "0"),
    run("resamples-negative", r"argument --resamples: must be an integer from 100 to "
        r"100,000, got -5", "--resamples=-5"),
    run("resamples-text", r"argument --resamples: must be an integer, got 'many'",
        "--resamples", "many"),
    run("resamples-float", r"argument --resamples: must be an integer, got '2e3'",
        "--resamples", "2e3"),
    run("resamples-huge", r"argument --resamples: must be an integer from 100 to 100,000, "
        r"got 1,000,000,000,000", "--resamples", "1000000000000"),
    run("confidence-above-one", r"invalid impact settings: confidence: must lie in "
        r"\(0\.5, 1\), got 1\.5", "--confidence", "1.5"),
    run("confidence-nan", r"confidence: must lie in \(0\.5, 1\), got nan",
        "--confidence", "nan"),
    run("confidence-text", r"argument --confidence: invalid float value: 'high'",
        "--confidence", "high"),
    run("fdr-zero", r"fdr: must lie in \(0, 1\), got 0\.0", "--fdr", "0"),
    run("min-segment-size-one", r"min_segment_size: must be an integer >= 2 \(disagreeing "
        r"rows\), got 1", "--min-segment-size", "1"),
    run("margin-negative", r"argument --margin: expected a number >= 0 \(value per row\) or "
        r"'auto', got '-1'", "--margin=-1"),
    run("margin-text", r"argument --margin: expected a number >= 0 \(value per row\) or "
        r"'auto', got 'some'", "--margin", "some"),
    run("margin-infinite", r"argument --margin: expected a number >= 0", "--margin", "inf"),
    run("gate-and-no-gate", r"--gate and --no-gate contradict each other; give one",
        "--gate", "gate.yaml", "--no-gate",
        files={"gate.yaml": {"conditions": ["value_diff > 0"]}}),
    run("margin-differs-from-gate", r"--margin 2\.0 and the gate file's margin 3 differ; give "
        r"the margin in one place", "--gate", "gate.yaml", "--margin", "2",
        files={"gate.yaml": {"margin": 3, "conditions": ["no segment harmed"]}}),
    run("gate-margin-negative", r"invalid gate \(gate\.yaml\): margin: must be a number >= 0 "
        r"\(value per row\) or 'auto', got -2", "--gate", "gate.yaml",
        files={"gate.yaml": {"margin": -2, "conditions": ["no segment harmed"]}}),
    run("tune-fraction-above-one", r"tune_fraction: must lie in \(0, 1\), got 1\.5",
        "--tune-fraction", "1.5"),
    run("prevalence-outside", r"prevalence: shares must lie in \(0, 1\), got 1\.5",
        "--prevalence", "0.2,1.5"),
    run("prevalence-text", r"argument --prevalence: expected numbers separated by commas, "
        r"got '0\.2,lots'", "--prevalence", "0.2,lots"),
    run("cost-change-negative", r"cost_change_pct: must be a finite number >= 0 \(percent\), "
        r"got -5\.0", "--cost-change-pct=-5"),
    run("cost-change-infinite", r"cost_change_pct: must be a finite number >= 0 "
        r"\(percent\), got inf", "--cost-change-pct", "inf"),
    run("volume-change-below-minus-100", r"volume_change_pct: changes are percentages above "
        r"-100 \(a volume cannot fall below zero\), got -150\.0",
        "--volume-change-pct=-150,20"),
    run("seed-negative", r"seed: must be an integer >= 0, got -1", "--seed=-1"),
    run("threshold-above-one", r"baseline_threshold: must lie in \[0, 1\], got 1\.5",
        "--baseline-threshold", "1.5"),
    run("threshold-text", r"argument --candidate-threshold: expected a number in \[0, 1\] "
        r"or 'best', got 'high'", "--candidate-threshold", "high"),
    run("threshold-on-labels", r"baseline_threshold: the baseline gives labels, not scores",
        "--baseline-threshold", "best",
        argv=("impact", "run", "eval.csv", "--baseline", "col:pred_base",
              "--candidate", "col:p_cand")),
    # -- data contract ------------------------------------------------------------------
    run("contract-missing", r"contract file not found: nosuch\.yaml",
        "--contract", "nosuch.yaml"),
    run("contract-garbled", r"invalid data contract \(contract\.yaml\): YAML syntax error",
        "--contract", "contract.yaml", files={"contract.yaml": "columns: {id: [\n"}),
    run("contract-violated", r"data contract violated \(contract\.yaml\): column "
        r"'amount': above max 10 on [\d,]+ rows? \(e\.g\. ",
        "--contract", "contract.yaml",
        files={"contract.yaml": {"columns": {"amount": {"dtype": "float", "max": 10}}}}),
    run("contract-not-a-mapping", r"invalid data contract \(contract\.yaml\): must be a "
        r"mapping with 'columns', 'rows', 'freshness'", "--contract", "contract.yaml",
        files={"contract.yaml": "- id\n- y\n"}),
    run("contract-unknown-dtype", r"columns\.amount\.dtype: must be one of int, float, bool, "
        r"string, datetime, got 'decimal'", "--contract", "contract.yaml",
        files={"contract.yaml": {"columns": {"amount": {"dtype": "decimal"}}}}),
    run("contract-text-bound-of-number", r"columns\.amount\.min: must be a number for a "
        r"float column, got 'abc'", "--contract", "contract.yaml",
        files={"contract.yaml": {"columns": {"amount": {"dtype": "float", "min": "abc"}}}}),
    run("contract-freshness-now-garbled", r"freshness\.now: cannot read 'banana' as a date "
        r"and time", "--contract", "contract.yaml",
        files={"contract.yaml": {"freshness": {"column": "when", "max_age_days": 30,
                                               "now": "banana"}}}),
    run("now-garbled", r"invalid impact settings: now: cannot read 'someday' as a date and "
        r"time; write e\.g\. 2024-06-30", "--contract", "contract.yaml", "--now", "someday",
        files={"contract.yaml": {"freshness": {"column": "when", "max_age_days": 30}}}),
    # -- gate -------------------------------------------------------------------------
    run("gate-missing", r"gate file not found: nosuch\.yaml", "--gate", "nosuch.yaml"),
    run("gate-garbled", r"invalid gate \(gate\.yaml\): YAML syntax error", "--gate",
        "gate.yaml", files={"gate.yaml": "conditions: [\n"}),
    run("gate-empty", r"invalid gate \(gate\.yaml\): conditions: must be a non-empty list",
        "--gate", "gate.yaml", files={"gate.yaml": {"conditions": []}}),
    run("gate-unknown-name", r"conditions\[0\]: unknown name 'profit'", "--gate", "gate.yaml",
        files={"gate.yaml": {"conditions": ["profit > 0"]}}),
    run("gate-unreadable", r"conditions\[0\]: cannot read 'value_diff is big'; write NAME OP "
        r"NUMBER", "--gate", "gate.yaml",
        files={"gate.yaml": {"conditions": ["value_diff is big"]}}),
    run("gate-not-text", r"conditions\[0\]: must be a text like 'value_diff\.ci_low > 0'",
        "--gate", "gate.yaml", files={"gate.yaml": {"conditions": [5]}}),
    run("gate-unknown-field", r"owner: unknown field; allowed: conditions, description, "
        r"margin",
        "--gate", "gate.yaml",
        files={"gate.yaml": {"conditions": ["value_diff > 0"], "owner": "me"}}),
    # -- outputs and the ledger ---------------------------------------------------------
    run("output-unknown-suffix", r"-o r\.exe: cannot tell the report format from '\.exe'; "
        r"end the file name in \.html, \.md or \.json", "-o", "r.exe"),
    run("output-is-a-folder", r"-o out is a folder; name a file in it, e\.g\. -o "
        r"out/report\.html", "-o", "out", files={"out/keep.txt": "x"}),
    run("output-folder-missing", r"-o nodir/r\.html: the folder nodir does not exist; create "
        r"it first", "-o", "nodir/r.html"),
    run("output-empty-name", r"-o needs a file name", "-o", ""),
    run("output-named-twice", r"r\.html is named twice", "-o", "r.html", "--report", "r.html"),
    run("report-wrong-suffix", r"--report writes html: r\.md ends in \.md; use -o r\.md for "
        r"that format", "--report", "r.md"),
    run("report-is-a-folder", r"--report out is a folder; name a file in it", "--report",
        "out",
        files={"out/keep.txt": "x"}),
    run("markdown-unknown-suffix", r"--markdown writes md: end r\.exe in \.md or "
        r"\.markdown",
        "--markdown", "r.exe"),
    run("json-output-folder-missing", r"--json-output nodir/r\.json: the folder nodir does "
        r"not exist", "--json-output", "nodir/r.json"),
    run("ledger-empty", r"--ledger is empty; give a ledger path or URL", "--ledger", " "),
    run("ledger-is-a-folder", r"ledger store is a folder; name the ledger file, e\.g\. "
        r"--ledger store/ledger\.db", "--ledger", "store",
        files={"store/keep.txt": "x"}),
    run("ledger-not-a-ledger", r"notes\.db is not a dataroi ledger \(not an SQLite "
        r"database\)",
        "--ledger", "notes.db", files={"notes.db": "just some text, not SQLite\n" * 50}),
    run("ledger-folder-missing", r"ledger nodir/ledger\.db: the folder .*nodir does not "
        r"exist; create it first", "--ledger",
        "nodir/ledger.db"),
    # -- history ------------------------------------------------------------------------
    Refusal("history-ledger-missing", ("impact", "history", "--ledger", "nosuch.db"),
            r"nosuch\.db does not exist"),
    Refusal("history-bad-format", ("impact", "history", "--format", "xml"),
            r"argument --format: invalid choice: 'xml'"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_impact_refuses_bad_input_cleanly(case: Refusal, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATAROI_LEDGER", raising=False)
    check_refusal(case, tmp_path, capsys, monkeypatch)


def test_the_catalogue_is_large_and_its_ids_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 45
