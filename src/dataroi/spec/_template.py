"""The commented spec template (``dataroi init``) and the demo study spec."""

from __future__ import annotations

__all__ = ["DEMO_SPEC", "TEMPLATE"]

TEMPLATE = """\
# dataroi study spec. Run it with:  dataroi run study.yaml
name: my-study               # the ledger keys studies by name

data:
  source: data.csv           # CSV, Parquet, Feather or NPZ (relative to this file),
                             # or a built-in: sklearn:digits, sklearn:breast_cancer, ...
  target: label              # the column to predict
  # features: [age, income]  # default: every other column
  task: auto                 # auto | classification | regression
  drop_missing_target: false # true: drop rows whose target is missing (else: error)

split:                       # the held-out test set; the training pool is the rest
  test_size: 0.2             # a fraction, or a number of rows
  # stratify: true           # default for classification
  # test_file: test.csv      # or: a given test file (same columns)
  # group_column: customer   # or: no group in both train and test
  # time_column: date        # or: the latest rows are the test set

models:                      # name -> estimator by import path with params
  logreg:
    estimator: sklearn.linear_model.LogisticRegression
    params: {max_iter: 1000}
  hgb:
    sklearn.ensemble.HistGradientBoostingClassifier: {max_iter: 200}
  # scaled_svm:              # a pipeline: a list of steps
  #   pipeline:
  #     - sklearn.preprocessing.StandardScaler
  #     - estimator: sklearn.svm.SVC
  #       params: {C: 1.0, probability: true}
  # custom:                  # anything else: a factory returning an unfitted estimator
  #   factory: mypackage.models:make_model
  #   params: {n_features: 100}

metrics: [accuracy, balanced_accuracy, roc_auc, log_loss]   # the first is the primary one
# classification: accuracy balanced_accuracy f1_macro roc_auc log_loss brier ece
# regression:     r2 rmse mae

schedule:
  geometric: {min: 50, max: all, count: 8}   # or: sizes: [50, 100, 200, 400]
  repeats: 5                 # nested subsets per repeat; models share them (paired)
  seed: 0                    # the root seed; every trial's seed derives from it

# ledger: .dataroi/ledger.db # or postgresql://user@host/db (or --ledger / $DATAROI_LEDGER)

# stress:                    # arms paired with the clean run; read with `dataroi stress`
#   noise: {rates: [0.05, 0.1, 0.2]}          # kind: symmetric | hard | class_conditional
#   prior: [{thin: {yes: 0.5}}]               # train at another class prior
#   shift: {column: region, values: [north]}  # hold a slice out of training
#   acquisition: {strategies: [margin, entropy], batch_size: 50}
# slices: {column: region}   # per-slice curves with partial pooling (docs/stress.md)
"""

DEMO_SPEC = """\
# The dataroi demo: scikit-learn's digits (1,797 8x8 images, 10 classes).
name: digits-demo
data:
  source: sklearn:digits
  target: target
split:
  test_size: 0.2
models:
  logreg:
    pipeline:
      - sklearn.preprocessing.StandardScaler
      - estimator: sklearn.linear_model.LogisticRegression
        params: {max_iter: 2000}
  svm:
    estimator: sklearn.svm.SVC
    params: {C: 10.0, gamma: scale}
  hgb:
    estimator: sklearn.ensemble.HistGradientBoostingClassifier
    params: {max_iter: 100, early_stopping: false}
metrics: [accuracy, balanced_accuracy, f1_macro, roc_auc]
schedule:
  geometric: {min: 30, max: all, count: 8}
  repeats: 5
  seed: 0
"""
