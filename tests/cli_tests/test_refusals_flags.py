"""The bad-input catalogue, command lines: flags, costs and decision overrides, trial tables.

The cases with ``study=True`` start from a copy of the finished iris study (two models,
costs, a pre-registered rule); the harness checks that the ledger's bytes are unchanged
after the refusal, so a read-only command that wrote a document would fail here.
"""

from __future__ import annotations

import pytest

from tests.cli_tests._refusals import Refusal, check_refusal
from tests.conftest import iris_spec

S = "study.yaml"
_SPEC = {"study.yaml": iris_spec()}

#: (id, argv, message regex, needs the finished study, extra files)
_CASES: list[tuple[str, tuple[str, ...], str, bool, dict]] = [
    # the command line itself
    ("no-such-command", ("frobnicate",), "invalid choice: 'frobnicate'", False, {}),
    ("unknown-flag", ("run", S, "--fast"),
     r"unrecognized arguments: --fast \(see `dataroi run --help`\)", False, _SPEC),
    ("init-unknown-flag", ("init", "--from", "t.csv", "--fast"),
     r"unrecognized arguments: --fast \(see `dataroi init --help`\)", False, {}),
    ("init-two-paths", ("init", "a.yaml", "-o", "b.yaml"),
     r"two spec files named \(a.yaml and -o b.yaml\); give one", False, {}),
    # a typo in a folder name must not create folders
    ("init-no-such-folder", ("init", "no/such/s.yaml"),
     r"init no/such/s.yaml: the folder no/such does not exist", False, {}),
    ("top-unknown-flag", ("--fast",), r"unrecognized arguments: --fast \(see `dataroi --help`",
     False, {}),
    ("run-no-spec", ("run",), "the following arguments are required: spec", False, {}),
    ("run-missing-spec", ("run", "nope.yaml"), "spec file not found", False, {}),
    ("run-spec-is-folder", ("run", "."), r"\.", False, {}),
    # run's flags
    ("run-jobs-zero", ("run", S, "--jobs", "0"), "--jobs must be at least 1", False, _SPEC),
    ("run-jobs-negative", ("run", S, "--jobs", "-3"), "--jobs", False, _SPEC),
    ("run-jobs-text", ("run", S, "--jobs", "many"), "argument --jobs/-j", False, _SPEC),
    ("run-jobs-huge", ("run", S, "--jobs", "100000"), "--jobs", False, _SPEC),
    ("run-threads-zero", ("run", S, "--threads", "0"), "threads must be at least 1", False,
     _SPEC),
    ("run-executor-bogus", ("run", S, "--executor", "bogus"), "unknown executor 'bogus'",
     False, _SPEC),
    ("run-executor-misspelt", ("run", S, "--executor", "proces"),
     "unknown executor 'proces'.*did you mean 'process'", False, _SPEC),
    ("run-executor-dask-count", ("run", S, "--executor", "dask-local:abc"),
     "dask-local takes a worker count", False, _SPEC),
    ("run-executor-dask-zero", ("run", S, "--executor", "dask-local:0"),
     "dask-local needs at least 1 worker", False, _SPEC),
    ("run-executor-dask-no-address", ("run", S, "--executor", "dask://"),
     "give the scheduler's address", False, _SPEC),
    ("run-heartbeat-zero", ("run", S, "--heartbeat-timeout", "0"),
     "heartbeat timeout must be positive", False, _SPEC),
    ("run-rerun-unknown", ("run", S, "--rerun", "logre"), "logre", False, _SPEC),
    ("run-ledger-empty", ("run", S, "--ledger", ""), "argument --ledger: empty", False, _SPEC),
    ("run-ledger-mysql", ("run", S, "--ledger", "mysql://x/y"), "unsupported ledger URL",
     False, _SPEC),
    ("run-ledger-not-a-ledger", ("run", S, "--ledger", "notes.txt"),
     "is not a dataroi ledger", False, {**_SPEC, "notes.txt": "my notes\n" * 50}),
    ("run-ledger-folder-missing", ("run", S, "--ledger", "no/such/folder/l.db"),
     "the folder of no/such/folder/l.db does not exist", False, _SPEC),
    # status, trials, reproduce on a study never run
    ("status-ledger-empty", ("status", S, "--ledger", ""), "argument --ledger", False, _SPEC),
    ("trials-never-run", ("trials", S), "ledger.db does not exist", False, _SPEC),
    ("trials-format-bad", ("trials", S, "--format", "xml"), "invalid choice: 'xml'", False,
     _SPEC),
    ("trials-output-no-folder", ("trials", S, "-o", "no/such/t.csv"),
     r"-o no/such/t.csv: the folder no/such does not exist", True, {}),
    ("reproduce-never-run", ("reproduce", S), "ledger.db does not exist", False, _SPEC),
    ("value-never-run", ("value", S), "no finished trials to analyze", False, _SPEC),
    ("plan-never-run", ("plan", S), "no finished trials to analyze", False, _SPEC),
    # the finished study: value
    ("value-draws-few", ("value", S, "--draws", "5"), "argument --draws: must be an integer "
     "from 100", True, {}),
    ("value-draws-huge", ("value", S, "--draws", "10000000"), "argument --draws", True, {}),
    ("value-draws-text", ("value", S, "--draws", "lots"), "argument --draws: must be an "
     "integer, got 'lots'", True, {}),
    ("value-metric-unknown", ("value", S, "--metric", "acuracy"), "acuracy", True, {}),
    ("value-metric-not-run", ("value", S, "--metric", "f1_macro"), "f1_macro", True, {}),
    ("value-target-above", ("value", S, "--target", "1.5"),
     r"target 1.5 is beyond the best possible accuracy \(1\): give it on the metric's own "
     r"scale \(e.g. 0.92, not 92\)", True, {}),
    ("value-target-nan", ("value", S, "--target", "nan"), "target nan is outside", True, {}),
    ("value-add-negative", ("value", S, "--add", "-5"), "--add", True, {}),
    ("value-add-text", ("value", S, "--add", "many"), "--add", True, {}),
    ("value-hold-text", ("value", S, "--hold", "two"), "argument --hold", True, {}),
    ("value-trials-and-spec", ("value", S, "--trials", "t.csv"), "(--trials|spec)", True,
     {"t.csv": "a,b\n1,2\n"}),
    ("value-trials-missing", ("value", "--trials", "nope.csv"), "nope.csv", False, {}),
    ("value-trials-garbage", ("value", "--trials", "t.csv"), "t.csv is not a table of trials: "
     "it lacks the columns model, n_train, metric, value", False,
     {"t.csv": "a,b\n1,2\n"}),
    ("value-costs-without-trials", ("value", S, "--costs", "c.yaml"), "--costs", True,
     {"c.yaml": {"costs": {"price_per_label_usd": 1}}}),
    # plan: costs and decision overrides
    ("plan-budget-negative", ("plan", S, "--budget", "-100"),
     "budget must be a number >= 0", True, {}),
    ("plan-budget-text", ("plan", S, "--budget", "lots"), "argument --budget", True, {}),
    ("plan-risk-above-half", ("plan", S, "--risk", "0.9"), r"--risk must be in \(0, 0.5\]",
     True, {}),
    ("plan-risk-zero", ("plan", S, "--risk", "0"), r"--risk must be in", True, {}),
    ("plan-rule-bad", ("plan", S, "--rule", "greedy"), "invalid choice: 'greedy'", True, {}),
    ("plan-current-unknown", ("plan", S, "--current-model", "logre"),
     "current model 'logre' is not a model of the study.*did you mean 'logreg'", True, {}),
    ("plan-max-p-loss-2", ("plan", S, "--max-p-loss", "2"), r"--max-p-loss must be in \[0, 1\]",
     True, {}),
    ("plan-target-above", ("plan", S, "--target", "1.2"),
     "target 1.2 is beyond the best possible accuracy", True, {}),
    ("plan-target-negative", ("plan", S, "--target", "-1"),
     r"target -1 is outside the values accuracy can take \(\[0, 1\]\)", True, {}),
    ("plan-add-zero", ("plan", S, "--add", "0"), "--add", True, {}),
    ("plan-curves-bad", ("plan", S, "--curves", "magic"), "invalid choice: 'magic'", True, {}),
    ("plan-costs-missing-file", ("plan", "--trials", "t.csv", "--costs", "nope.yaml"),
     "nope.yaml", False, {"t.csv": "a,b\n1,2\n"}),
    ("plan-costs-not-mapping", ("plan", "--trials", "t.csv", "--costs", "c.yaml"),
     "c.yaml", False, {"t.csv": "a,b\n1,2\n", "c.yaml": "- 1\n- 2\n"}),
    # register, ledger, init, demo, stress
    ("register-never-written", ("register", "nope.yaml"), "spec file not found", False, {}),
    ("ledger-upgrade-missing", ("ledger", "upgrade", "nope.db"),
     "nothing to upgrade: nope.db does not exist", False, {}),
    ("ledger-upgrade-not-ledger", ("ledger", "upgrade", "n.txt"), "not a dataroi ledger",
     False, {"n.txt": "notes\n" * 30}),
    ("ledger-upgrade-mysql", ("ledger", "upgrade", "mysql://h/d"), "unsupported ledger URL",
     False, {}),
    ("init-exists", ("init", "study.yaml"), "exists", False, _SPEC),
    ("init-from-missing", ("init", "new.yaml", "--from", "nope.csv"), "nope.csv", False, {}),
    ("init-from-target-absent", ("init", "new.yaml", "--from", "d.csv", "--target", "zz"),
     "zz", False, {"d.csv": "a,b\n1,2\n3,4\n"}),
    ("demo-jobs-zero", ("demo", "--dir", "d", "--jobs", "0"), "--jobs must be at least 1",
     False, {}),
    ("stress-no-section", ("stress", S), "the spec has no stress: or slices: section", False,
     _SPEC),
    ("stress-draws-few", ("stress", S, "--draws", "5"), "--draws", True, {}),
    ("stress-noise-rate-no-section", ("stress", S, "--noise-rate", "0.1"),
     "no stress: or slices: section", True, {}),
    ("stress-budget-no-slices", ("stress", S, "--budget", "100"), "slices", True, {}),
    # relabel vs new needs a label price: said before any analysis (it was said after)
    ("stress-noise-rate-no-price", ("stress", S, "--noise-rate", "0.1"),
     r"--noise-rate prices relabeling against new labels: add costs.price_per_label_usd",
     False, {"study.yaml": iris_spec(stress={"noise": {"rates": [0.1]}})}),
    ("stress-annotations-no-price", ("stress", S, "--annotations", "a.csv"),
     r"--annotations prices relabeling .* leave --annotations out to see the arms",
     False, {"study.yaml": iris_spec(stress={"noise": {"rates": [0.1]}}),
             "a.csv": "item,annotator,label\n1,a,x\n"}),
    # the table's consensus rate is what relabeling *its* noise leaves, not a given rate's
    ("stress-noise-rate-and-annotations",
     ("stress", S, "--noise-rate", "0.1", "--annotations", "a.csv"),
     r"--noise-rate and --annotations both give today's label-noise rate .*give one",
     False, {"study.yaml": iris_spec(stress={"noise": {"rates": [0.1]}},
                                     costs={"price_per_label_usd": 1.0}),
             "a.csv": "item,annotator,label\n1,a,x\n"}),
]


@pytest.mark.parametrize("case", [
    Refusal(cid, argv, message, files=files, study=study)
    for cid, argv, message, study, files in _CASES
], ids=str)
def test_a_bad_command_line_is_refused_cleanly(case, tmp_path, capsys, monkeypatch,
                                               study_folder):
    check_refusal(case, tmp_path, capsys, monkeypatch, study_folder)
