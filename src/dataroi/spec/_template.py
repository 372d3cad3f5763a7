"""The commented spec template (``dataroi init``), the commented ``costs:`` and
``decision:`` sections every written spec ends with, and the demo study spec.

Example:
    >>> "# costs:" in TEMPLATE and "#   max_p_loss: 0.2" in TEMPLATE
    True
    >>> "A spec is code" in TEMPLATE
    True
    >>> print(metric_choices().splitlines()[-1])
    # regression:     r2 rmse mae
"""

from __future__ import annotations

from collections.abc import Sequence

from dataroi.metrics import metric_names

__all__ = ["DEMO_SPEC", "TEMPLATE", "decision_sections", "metric_choices"]


def metric_choices(width: int = 88) -> str:
    """Comment lines listing the registered metrics of each task (for a written spec)."""
    import textwrap

    lines = []
    for task, label in (("classification", "# classification: "),
                        ("regression", "# regression:     ")):
        lines += textwrap.wrap(" ".join(metric_names(task)), width=width,
                               initial_indent=label, subsequent_indent="#" + " " * 17)
    return "\n".join(lines) + "\n"


def decision_sections(*, metric: str = "accuracy", target: float = 0.92,
                      models: Sequence[str] = ("logreg", "hgb"),
                      unlabeled: int | None = None) -> str:
    """The ``costs:`` and ``decision:`` sections, commented out, one key a line.

    Every key the spec accepts is shown with a plausible value and what it means
    (docs/decisions.md, "The cost spec and the decision rule"), so that a new user sees
    what exists; uncommented, the sections validate as they stand.

    Args:
        metric: the metric the decision example names (the study's primary metric).
        target: the example's target value, on that metric's own scale.
        models: the study's model names (the first is the example's current model).
        unlabeled: the table's rows without a label, the example's unlabeled pool.

    Example:
        >>> text = decision_sections(metric="average_precision", target=0.5,
        ...                          models=["logreg", "hgb", "forest"])
        >>> [line for line in text.splitlines() if "metric:" in line]
        ['#   metric: average_precision        # default: the primary metric']
    """
    current = models[0] if models else "logreg"
    pool = ("#   unlabeled_items: 40000           # the unlabeled pool: no option or round adds "
            "more" if not unlabeled else
            f"#   unlabeled_items: {unlabeled:<16}# the table's rows without a label: no "
            "option adds more")
    per_model = ", ".join(f"{m}: {5000 - 2000 * i}" for i, m in enumerate(models[1:3])) \
        or "hgb: 5000"
    return f"""\
# The decision: what labels cost, what a better metric is worth, and the rule that
# turns the curves into a recommendation (`dataroi value`, `dataroi plan`, the report).
# Both sections are optional and outside the spec hash: changing them re-runs nothing.
# See docs/decisions.md, "The cost spec and the decision rule".
# costs:
#   price_per_label_usd: 0.08        # one annotator, one item
#   labels_per_item: 2               # annotators per item (QA) ...
#   adjudication_rate: 0.1           # ... and one more label on this share of items
#   fixed_cost_per_round_usd: 500    # set-up cost of each labeling round
#   labels_per_day: 2000             # throughput ...
#   deadline_days: 30                # ... and deadline: larger options are excluded
{pool}
#   compute_price_per_hour_usd: 0.05 # one CPU-hour, times the training time and retrains
#   retrains: 12                     # planned retrains over the value period
#   energy_price_per_kwh: 0.30       # training energy (CPU seconds × watts_per_core), priced
#   co2_g_per_kwh: 400               # the electricity's emissions: options state their CO2
#   watts_per_core: 10               # power of one busy CPU core, W (default 10)
#   engineering_cost_usd: 5000       # of switching models; or {{{per_model}}}
#   value_per_point_usd: 10000       # one metric point, per period (0 allowed; < 0 refused)
#   point: 0.01                      # one point = 0.01 metric units
#   periods: 4                       # periods the value accrues over
#   failure_penalty_usd: 50000       # cost of missing the target (default: from the risk)
# decision:                          # pre-register with `dataroi register` before the run
#   metric: {metric:<24} # default: the primary metric
#   target: {target:<24g} # the value to reach, on the metric's own scale
#   risk: 0.1                        # accepted chance of missing the target (epsilon)
#   budget_usd: 20000                # the money available
#   rule: expected_net               # | quantile10 | target
#   current_model: {current:<17} # default: the best model today
#   rounds: 3                        # labeling rounds of the multi-round plan
#   add: [1000, 5000]                # more label counts to price besides the default grid
#   max_p_loss: 0.2                  # options losing money with P > 0.2 out (default 0.35)
#   curves: learned                  # | fitted: how curves continue beyond today
#   recalibrate: true                # false: ignore the ledger's forecast track record
#   relabel:                         # offer relabeling today's items beside new labels
#     rate_now: 0.1                  # share of today's labels that is wrong
#     opinions: 2                    # extra labels per item (rate after: majority of 3)
#   guardrails:                      # an option that breaks one is shown as excluded
#     min_gain_per_1k: 0.001         # least expected gain per 1,000 added labels
#     max_budget_usd: 15000          # most an option may cost
#     min_p_gain: 0.8                # least probability that the option improves the metric
#     max_predict_ms_per_1k: 50      # slowest prediction of the model it ends with
#     max_model_mb: 200              # largest (pickled) model it ends with
"""


TEMPLATE = """\
# dataroi study spec. Run it with:  dataroi run study.yaml
# (`dataroi init --from table.csv` writes one fitted to your table instead.)
name: my-study               # the ledger keys studies by name

data:
  source: data.csv           # CSV, TSV, Parquet, Feather or NPZ (relative to this file),
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

# A spec is code, like a Makefile: `dataroi run` imports the modules its models name
# (estimator:, factory:) and calls them. Run only specs you trust; the reading
# commands (status, trials, value, plan, report) import and call none of it.
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
  # custom:                  # anything else: a factory returning an unfitted estimator,
  #   factory: my_models:make_model   # e.g. in my_models.py beside this spec (editing it
  #                                   # re-runs this model; `run --rerun custom` forces it)
  #   params: {n_features: 100}

metrics: [accuracy, balanced_accuracy, roc_auc, log_loss]   # the first is the primary one
""" + metric_choices() + """\

schedule:
  geometric: {min: 50, max: all, count: 8}   # or: sizes: [50, 100, 200, 400]
  repeats: 5                 # nested subsets per repeat; models share them (paired)
  seed: 0                    # the root seed; every trial's seed derives from it

# ledger: .dataroi/ledger.db # or postgresql://user@host/db (or --ledger / $DATAROI_LEDGER)
# artifacts: /shared/preds   # the stored predictions (default: beside the ledger, else in
                             # .dataroi): a team sharing a ledger shares this folder too,
                             # or every member's reports and exports miss the others' runs
                             # (or $DATAROI_ARTIFACTS)

""" + decision_sections() + """\

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
