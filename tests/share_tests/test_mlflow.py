"""dataroi.share._mlflow: ``dataroi export SPEC --mlflow URI`` into a real local MLflow
tracking store (SQLite), read back with ``MlflowClient``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

mlflow = pytest.importorskip("mlflow", reason="MLflow's client is not installed "
                             "(pip install 'dataroi[mlflow]')")

from mlflow.tracking import MlflowClient  # noqa: E402

from dataroi.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def logged(full_study: tuple[Any, Path], tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[MlflowClient, str, Any, Path]:
    """The iris study logged once through the CLI: (client, parent run id, study,
    store folder)."""
    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{(folder / 'mlflow.db').as_posix()}"
    study, spec = full_study
    assert main(["export", str(spec), "--mlflow", uri, "--json"]) == 0
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(study.spec.name)
    runs = client.search_runs([exp.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1 and parents[0].info.run_name == study.spec.name
    return client, parents[0].info.run_id, study, folder


def _trials(study: Any):
    with study.analyze() as a:
        return a.trials, a.context.hashes()


def test_the_study_is_a_parent_run_with_a_child_per_cell(logged):
    client, pid, study, _ = logged
    trials, hashes = _trials(study)
    parent = client.get_run(pid)
    assert parent.info.status == "FINISHED"
    tags = parent.data.tags
    assert tags["dataroi.spec_hash"] == study.spec.spec_hash
    assert tags["dataroi.data_fingerprint"] == hashes["data_fingerprint"]
    assert tags["dataroi.context_hash"] == hashes["context"]
    assert tags["dataroi.seed"] == str(study.spec.schedule.seed)
    assert tags["dataroi.recommendation"]  # the spec prices labels: a headline
    p = parent.data.params
    assert p["models"] == ", ".join(m.name for m in study.spec.models)
    assert p["repeats"] == str(study.spec.schedule.repeats)
    children = client.search_runs([parent.info.experiment_id],
                                  filter_string=f"tags.mlflow.parentRunId = '{pid}'")
    done = trials[trials["state"] == "complete"]
    cells = done.groupby(["model", "n_train"])
    assert len(children) == cells.ngroups
    metric = study.spec.metrics[0]
    from dataroi.trial import summary_frame

    table = summary_frame(trials, metric)  # accuracy: the test noise is binomial
    for run in children:
        model, n = run.data.tags["dataroi.model"], int(run.data.tags["dataroi.n_train"])
        assert run.data.params["model"] == model and run.data.params["n_train"] == str(n)
        assert run.info.status == "FINISHED"
        values = cells.get_group((model, n))
        values = values[values["metric"] == metric].sort_values("repeat")["value"]
        m = run.data.metrics
        # the numbers are the ledger's: the mean over repeats, its sd, every repeat
        assert m[metric] == pytest.approx(values.mean(), abs=1e-12)
        if len(values) > 1:
            assert m[f"{metric}_sd"] == pytest.approx(values.std(ddof=1), abs=1e-12)
            assert m[f"{metric}_ci95_low"] <= m[metric] <= m[f"{metric}_ci95_high"] <= 1.0
            row = table[(table["model"] == model) & (table["n_train"] == n)].iloc[0]
            assert (m[f"{metric}_ci95_low"], m[f"{metric}_ci95_high"]) == pytest.approx(
                (row["ci_low"], row["ci_high"]))  # the interval dataroi run prints
        history = client.get_metric_history(run.info.run_id, f"{metric}_by_repeat")
        history = sorted(history, key=lambda h: h.step)
        assert [h.step for h in history] == list(range(len(values)))
        assert [h.value for h in history] == pytest.approx(list(values), abs=1e-12)
        assert m["failed_trials"] == 0.0 and m["fit_seconds"] > 0


def test_each_learning_curve_is_a_metric_history_by_size(logged):
    client, pid, study, _ = logged
    trials, _ = _trials(study)
    metric = study.spec.metrics[0]
    done = trials[(trials["state"] == "complete") & (trials["metric"] == metric)]
    for model in study.spec.models:
        history = client.get_metric_history(pid, f"{model.name}.{metric}")
        means = done[done["model"] == model.name].groupby("n_train")["value"].mean()
        assert [h.step for h in sorted(history, key=lambda h: h.step)] == list(means.index)
        assert np.allclose([h.value for h in sorted(history, key=lambda h: h.step)],
                           means.to_numpy())


def test_the_report_is_logged_as_artifacts_beside_the_store(logged):
    client, pid, _, folder = logged
    names = sorted(a.path for a in client.list_artifacts(pid))
    assert names == ["report.html", "report.json"]
    local = Path(client.download_artifacts(pid, "report.json", str(folder / "dl")))
    assert json.loads(local.read_text())["kind"]
    # artifacts go beside the SQLite file, not into the folder the command ran in
    assert (folder / "mlartifacts").is_dir()


def test_the_same_trials_are_logged_once(logged, full_study, capsys):
    client, pid, study, folder = logged
    uri = f"sqlite:///{(folder / 'mlflow.db').as_posix()}"
    exp = client.get_experiment_by_name(study.spec.name).experiment_id
    before = len(client.search_runs([exp]))
    assert main(["export", str(full_study[1]), "--mlflow", uri]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "logged already" in err[0] and pid in err[0]
    assert len(client.search_runs([exp])) == before
    # --force logs them again, into another experiment when asked
    assert main(["export", str(full_study[1]), "--mlflow", uri, "--force",
                 "--experiment", "iris-again"]) == 0
    out = capsys.readouterr().out
    assert "experiment 'iris-again'" in out and "child runs" in out
    again = client.get_experiment_by_name("iris-again")
    assert len(client.search_runs([again.experiment_id])) == before


def test_a_bundle_and_mlflow_in_one_command(full_study, tmp_path, capsys):
    uri = f"sqlite:///{(tmp_path / 'm.db').as_posix()}"
    code = main(["export", str(full_study[1]), "-o", str(tmp_path / "b.zip"),
                 "--mlflow", uri, "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["members"] > 0 and doc["mlflow"]["child_runs"] > 0
    assert (tmp_path / "b.zip").is_file()
    assert not math.isnan(doc["mlflow"]["seconds"])
