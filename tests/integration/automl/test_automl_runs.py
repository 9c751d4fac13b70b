"""AutoML end to end on a real local workspace: a driver process, forked trial workers,
iterations as child runs, models loaded back and served."""

from __future__ import annotations

import json
import math
import os
import signal
import time

import numpy as np
import pandas as pd
import psutil
import pytest
from sklearn.datasets import load_diabetes, load_iris

from jupyter_mlstudio.core import Dataset, Experiment, Run
from jupyter_mlstudio.store import RunStatus
from jupyter_mlstudio.train.automl import AutoMLConfig, AutoMLRun, resume_automl
from jupyter_mlstudio.train.automl.metrics import CLASSIFICATION_METRICS

FAST = ["LogisticRegression", "DecisionTree", "KNN"]


@pytest.fixture
def iris() -> pd.DataFrame:
    X, y = load_iris(return_X_y=True, as_frame=True)
    names = np.array(["setosa", "versicolor", "virginica"])
    return X.assign(species=names[y.to_numpy()])


def test_classification_submit_leaderboard_children_best_model_and_deployment(
    local_ws, iris, capsys, tmp_path, monkeypatch
):
    cfg = AutoMLConfig(
        task="classification",
        primary_metric="AUC_weighted",
        training_data=iris,
        label_column_name="species",
        n_cross_validations=3,
        iterations=5,
        max_concurrent_iterations=2,
        allowed_models=FAST,
        experiment_timeout_minutes=5,
    )
    run = Experiment(local_ws, "automl-iris").submit(cfg, show_output=True)
    out = capsys.readouterr().out
    assert isinstance(run, AutoMLRun) and run.get_status() == RunStatus.COMPLETED
    assert out.index("DATA GUARDRAILS") < out.index("ITER   PIPELINE")
    assert "StandardScaler LogisticRegression" in out and "VotingEnsemble" in out

    children = sorted(run.get_children(), key=lambda r: int(r.id.rsplit("_", 1)[1]))
    assert [c.id for c in children] == [f"{run.id}_{n}" for n in range(5)]
    algorithms = [c.get_properties()["run_algorithm"] for c in children]
    assert sorted(algorithms[:3]) == sorted(FAST)  # each default first
    assert algorithms[3:] == ["VotingEnsemble", "StackEnsemble"]
    for child in children:
        assert child.get_status() == RunStatus.COMPLETED
        assert set(child.get_metrics()) == set(CLASSIFICATION_METRICS)
        files = child.get_file_names()
        assert {
            "outputs/model.pkl",
            "outputs/scoring_file_v_1_0_0.py",
            "outputs/conda_env_v_1_0_0.yml",
        } <= set(files)
    assert json.loads(children[3].get_properties()["ensembled_iterations"])

    best_run, fitted = run.get_output()
    scores = {c.id: c.get_metrics()["AUC_weighted"] for c in children}
    assert best_run.id == max(scores, key=scores.get)
    assert run.get_properties()["best_child_run_id"] == best_run.id
    assert (fitted.predict(iris.drop(columns="species")) == iris["species"]).mean() > 0.9
    first_run, first = run.get_output(iteration=0)
    assert first_run.id == children[0].id and list(first.named_steps)[-1] == algorithms[0]
    by_accuracy, _ = run.get_output(metric="accuracy")
    accuracy = {c.id: c.get_metrics()["accuracy"] for c in children}
    assert accuracy[by_accuracy.id] == max(accuracy.values())

    summary = first.named_steps["datatransformer"].get_featurization_summary()
    assert [s["RawFeatureName"] for s in summary] == list(iris.columns[:-1])
    assert run.get_featurization_summary() == summary
    guardrails = run.get_guardrails(to_console=False)["faults"]
    assert {g["type"]: g["status"] for g in guardrails}["Class balancing detection"] == "PASSED"
    again = Run.get(local_ws, run.id)
    assert isinstance(again, AutoMLRun)
    board = run.get_leaderboard()
    assert board["AUC_weighted"].iloc[0] == max(scores.values())
    assert set(run.summary()["Algorithm"]) == set(algorithms)
    _register_and_deploy(local_ws, run, iris, tmp_path, monkeypatch)


def _register_and_deploy(local_ws, run, iris, tmp_path, monkeypatch):
    """The best model (an ensemble, often) serves with the score.py AutoML wrote."""
    from jupyter_mlstudio.core import Model
    from jupyter_mlstudio.core.model import InferenceConfig
    from jupyter_mlstudio.core.webservice import LocalWebservice
    from jupyter_mlstudio.serving.process import free_port

    monkeypatch.chdir(tmp_path)
    best_run, _ = run.get_output()
    model = run.register_model(model_name="iris-automl", description="AutoML best")
    assert (model.name, model.version) == ("iris-automl", 1)
    assert model.properties["automl_run_id"] == run.id
    best_run.download_file("outputs/scoring_file_v_1_0_0.py", "score.py")
    config = InferenceConfig(entry_script="score.py", environment=best_run.get_environment())
    service = Model.deploy(
        local_ws,
        "iris-automl",
        [model],
        config,
        LocalWebservice.deploy_configuration(port=free_port()),
    )
    try:
        service.wait_for_deployment()
        rows = iris.drop(columns="species").iloc[[0, 75, 140]].to_dict(orient="records")
        answer = service.run(json.dumps({"data": rows}))
        assert answer == {"result": ["setosa", "versicolor", "virginica"]}
    finally:
        service.delete()


def test_regression_from_a_registered_dataset_with_a_holdout(local_ws, tmp_path):
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X["sex"] = np.where(X["sex"] > 0, "m", "f")  # a categorical column
    X.loc[::7, "bmi"] = np.nan  # and missing values
    X.assign(progression=y).to_csv(tmp_path / "diabetes.csv", index=False)
    ds = Dataset.Tabular.from_delimited_files(str(tmp_path / "diabetes.csv")).register(
        local_ws, "diabetes"
    )
    cfg = AutoMLConfig(
        task="regression",
        primary_metric="r2_score",
        training_data=ds,
        label_column_name="progression",
        validation_size=0.25,
        iterations=4,
        allowed_models=["ElasticNet", "LassoLars", "DecisionTree"],
        enable_stack_ensemble=False,
        experiment_timeout_minutes=5,
    )
    run = Experiment(local_ws, "automl-diabetes").submit(cfg)
    run.wait_for_completion(raise_on_error=True)
    best_run, fitted = run.get_output()
    assert best_run.get_metrics()["r2_score"] > 0.3
    assert math.isfinite(best_run.get_metrics()["normalized_root_mean_squared_error"])
    assert fitted.predict(X.head(5)).shape == (5,)
    assert run.get_details()["inputDatasets"][0]["dataset"] == "diabetes:1"
    faults = {g["type"]: g for g in run.get_guardrails(to_console=False)["faults"]}
    assert faults["Missing feature values imputation"]["status"] == "DONE"
    summary = {s["RawFeatureName"]: s for s in run.get_featurization_summary()}
    assert summary["sex"]["TypeDetected"] == "Categorical"
    assert summary["bmi"]["Transformations"] == ["MeanImputer", "MissingIndicator"]


def test_forecasting_end_to_end(local_ws):
    n = 100
    days = pd.date_range("2025-01-01", periods=n, freq="D")
    rng = np.random.default_rng(0)
    sales = 50 + 0.2 * np.arange(n) + 6 * np.sin(2 * np.pi * np.arange(n) / 7)
    data = pd.DataFrame({"day": days, "promo": rng.integers(0, 2, n)})
    data["sales"] = sales + 3 * data["promo"] + rng.normal(0, 0.3, n)
    cfg = AutoMLConfig(
        task="forecasting",
        primary_metric="normalized_root_mean_squared_error",
        training_data=data,
        label_column_name="sales",
        time_column_name="day",
        forecast_horizon=5,
        n_cross_validations=2,
        iterations=3,
        allowed_models=["ElasticNet", "DecisionTree"],
        experiment_timeout_minutes=5,
    )
    run = Experiment(local_ws, "automl-forecast").submit(cfg)
    run.wait_for_completion()
    best_run, fitted = run.get_output()
    assert best_run.get_metrics()["normalized_root_mean_squared_error"] < 0.1
    future = pd.DataFrame(
        {"day": pd.date_range(days[-1] + pd.Timedelta(days=1), periods=5), "promo": [1, 0, 1, 0, 0]}
    )
    truth = (
        50
        + 0.2 * np.arange(n, n + 5)
        + 6 * np.sin(2 * np.pi * np.arange(n, n + 5) / 7)
        + 3 * future["promo"].to_numpy()
    )
    forecast = fitted.predict(future)
    assert np.abs(forecast - truth).mean() < 3.0
    assert {c.get_properties()["run_algorithm"] for c in run.get_children()} >= {
        "ElasticNet",
        "DecisionTree",
    }


def test_cancel_stops_the_driver_and_its_iterations(local_ws, iris):
    cfg = AutoMLConfig(
        task="classification",
        training_data=iris,
        label_column_name="species",
        n_cross_validations=3,
        iterations=500,
        allowed_models=["KNN", "DecisionTree"],
        enable_early_stopping=False,
    )
    run = Experiment(local_ws, "automl-cancel").submit(cfg)
    _wait_for(lambda: len(list(run.get_children())) >= 2)
    run.cancel()
    _wait_for(lambda: run.get_status() == RunStatus.CANCELED)
    _wait_for(
        lambda: all(
            c.get_status() in (RunStatus.COMPLETED, RunStatus.CANCELED) for c in run.get_children()
        )
    )


def test_a_killed_driver_is_resumed_and_keeps_its_finished_iterations(local_ws, iris):
    cfg = AutoMLConfig(
        task="classification",
        training_data=iris,
        label_column_name="species",
        n_cross_validations=3,
        iterations=4,
        allowed_models=["DecisionTree", "KNN"],
        enable_stack_ensemble=False,
    )
    run = Experiment(local_ws, "automl-resume").submit(cfg)
    _wait_for(lambda: any(c.get_status() == RunStatus.COMPLETED for c in run.get_children()))
    pid = local_ws._store.tracking.get_run(run.id).pid
    os.kill(pid, signal.SIGKILL)
    _wait_for(
        lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    )
    before = {c.id for c in run.get_children() if c.get_status() == RunStatus.COMPLETED}
    assert resume_automl(local_ws) == [run.id]
    run.wait_for_completion()
    children = {c.id: c for c in run.get_children()}
    assert before <= {i for i, c in children.items() if c.get_status() == RunStatus.COMPLETED}
    described = sorted(
        (int(i.rsplit("_", 1)[1]), c.get_properties()["run_algorithm"], c.get_status())
        for i, c in children.items()
    )
    assert len(children) == 4, described
    algorithms = [c.get_properties()["run_algorithm"] for c in children.values()]
    assert algorithms.count("VotingEnsemble") == 1
    assert "Resumed with" in run._files.read_text("logs/std_log.txt")


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_trials_run_on_a_dask_compute_target(local_ws, iris):
    from jupyter_mlstudio.core.compute import AmlCompute, ComputeTarget

    cluster = ComputeTarget.create(
        local_ws, "automl-cluster", AmlCompute.provisioning_configuration(max_nodes=1)
    )
    try:
        cfg = AutoMLConfig(
            task="classification",
            training_data=iris,
            label_column_name="species",
            n_cross_validations=3,
            iterations=3,
            allowed_models=["LogisticRegression", "KNN"],
            enable_stack_ensemble=False,
            compute_target=cluster,
        )
        run = Experiment(local_ws, "automl-dask").submit(cfg)
        run.wait_for_completion()
        children = list(run.get_children())
        assert len(children) == 3
        assert {c.get_status() for c in children} == {RunStatus.COMPLETED}
        assert run.get_details()["target"] == "automl-cluster"
        _, fitted = run.get_output()
        assert (fitted.predict(iris.drop(columns="species")) == iris["species"]).mean() > 0.9
    finally:
        cluster.delete()
